-- append_batch (0003, replaced by 0006) runs its statements with cached
-- generic plans. Under the default plan_cache_mode (auto) PL/pgSQL plans a
-- statement afresh for the first five calls of a session, then keeps the
-- generic plan only when its estimate is no worse than the custom plans'
-- average. The lookup of earlier idempotency keys (`k.key = ANY(r_key) AND
-- k.key <> ALL(v_claimed)`) estimates lower with the arrays' values known, so
-- auto planned it again on every keyed call: measured with pg_stat_statements
-- (track = all, track_planning), one plan per guarded append, 0.06-0.09 ms of
-- planning each; with force_generic_plan, none. Every statement here reaches
-- rows through a unique index (0002's note), so the generic plan is right for
-- any batch.
--
-- A function's SET clause lives in its definition: CREATE OR REPLACE FUNCTION
-- resets it. A later migration that replaces append_batch must set it again
-- (ALTER FUNCTION … SET plan_cache_mode = force_generic_plan, as below).
ALTER FUNCTION :SCHEMA:.append_batch(int4, int4, text, boolean, text[], text[], int8[], text[], int4[],
  int4[], int4[], uuid[], text[], text, text, float8[])
  SET plan_cache_mode = force_generic_plan;
