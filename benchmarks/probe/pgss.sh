#!/bin/sh
# Statements of one benchmark run by time: the schema the run printed is in their text.
# usage: pgss.sh SCHEMA [N]
psql -h 127.0.0.1 -U postgres -d test -At -F ' | ' -c "select round(total_exec_time::numeric,1) as ms, calls, rows, round((wal_bytes/1024)::numeric) as wal_kb, left(regexp_replace(replace(query, '$1', 'S'), '\s+', ' ', 'g'), 200) from pg_stat_statements where query like '%$1%' order by total_exec_time desc limit ${2:-30}"
