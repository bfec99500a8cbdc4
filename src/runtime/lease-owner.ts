/**
 * The owner id of this process in leases and step logs, and the machine's
 * host name, built in this one place (the only file that asks for it).
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * A unique owner id for this process: host, pid and a random suffix. Used by
 * processors, the saga runner (its `workerId`) and anything else holding leases.
 *
 * @example
 * ```ts
 * defaultLeaseOwner() // 'web-1:4242:9f1c2ab0'
 * ```
 */
export function defaultLeaseOwner(): string {
  return `${machineHostName()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/**
 * The machine's host name (`os.hostname()`), asked for here only, so every
 * place that names this host (leases, capacity reports) agrees.
 *
 * @example
 * ```ts
 * machineHostName() // 'web-1'
 * ```
 */
export function machineHostName(): string {
  return hostname();
}
