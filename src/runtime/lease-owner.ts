/**
 * The owner id of this process in leases and step logs, built in this one
 * place (the only file that asks for the host name).
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
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}
