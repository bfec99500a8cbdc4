/**
 * A read without a well-formed principal reads nothing: no principal is
 * `PRINCIPAL_MISSING`, a malformed one `PRINCIPAL_INVALID` (a `roles` string
 * must not pass for an admin by substring), on every read API and on
 * `commerce.as()`. A reader keeps the scope it was given; an admin read whose
 * access-audit entry cannot be written returns nothing. Memory and PGlite.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidPrincipalError,
  MemoryAccessAudit,
  MissingPrincipalError,
  type AccessAuditInput,
} from '../../src/access/index.js';
import type { Authorization } from '../../src/core/authorization.js';
import { commerceEvent, manualQueueRoutes } from '../../src/commerce/index.js';
import { createRouter } from '../../src/http/router.js';
import { commerceEngines, type CommerceTestbed } from './support.js';

const MALFORMED: [string, unknown][] = [
  ['a string', 'admin'],
  ['an empty userId', { userId: '', tenantIds: ['creator-a'] }],
  ['tenantIds as one string', { userId: 'u1', tenantIds: 'creator-a' }],
  ['a tenant id that is not a string', { userId: 'u1', tenantIds: ['creator-a', 7] }],
  // On a string, `includes('admin')` is a substring test: this caller would have read every creator.
  ['roles as one string', { userId: 'u1', tenantIds: [], roles: 'not-an-admin' }],
];

class FailingAudit extends MemoryAccessAudit {
  override async record(_entry: AccessAuditInput): Promise<never> {
    throw new Error('audit down');
  }
}

describe.each(commerceEngines.filter((e) => e.name !== 'postgres'))(
  'reads need a principal ($name)',
  (engine) => {
    let bed: CommerceTestbed;

    const seed = async () => {
      for (const creatorId of ['creator-a', 'creator-b'])
        await bed.store.append(`inventory-${creatorId}-p1`, [
          commerceEvent('inventory.stock_updated', {
            creatorId,
            productId: 'p1',
            quantity: 40,
            reason: 'restock',
            threshold: 10,
          }),
        ]);
      await bed.commerce.whenIdle();
    };
    describe('on a working audit', () => {
      // One store for the block: no test here writes anything or leaves an audit entry.
      beforeAll(async () => {
        bed = await engine.open({ conflicts: { tickMs: 3_600_000 } });
        await seed();
      }, 120_000);
      afterAll(async () => {
        await bed?.close();
      });

      it('refuses every read API without a principal (PRINCIPAL_MISSING) and records nothing', async () => {
        const { commerce } = bed;
        const queue = commerce.conflictQueue!;
        for (const missing of [undefined, null] as unknown as Authorization[]) {
          expect(() => commerce.as(missing)).toThrow(MissingPrincipalError);
          expect(() => queue.as(missing)).toThrow(MissingPrincipalError);
          const reads = [
            commerce.rows('inventory_levels', missing),
            commerce.find('inventory_levels', { creator_id: 'creator-a', product_id: 'p1' }, missing),
            queue.list(missing),
            queue.pending(missing),
            queue.report(missing, { from: new Date(0), to: new Date(), bucket: 'hour' }),
            queue.decide(missing, 'c-1', { values: {}, note: 'x' }),
          ];
          for (const read of reads) await expect(read).rejects.toMatchObject({ code: 'PRINCIPAL_MISSING' });
        }
        expect(await commerce.accessAudit.list()).toEqual([]);
      });

      it.each(MALFORMED)(
        'refuses %s as a principal (PRINCIPAL_INVALID) before reading',
        async (_name, bad) => {
          const { commerce } = bed;
          const auth = bad as Authorization;
          expect(() => commerce.as(auth)).toThrow(InvalidPrincipalError);
          await expect(commerce.rows('inventory_levels', auth)).rejects.toBeInstanceOf(InvalidPrincipalError);
          await expect(
            commerce.find('inventory_levels', { creator_id: 'creator-b', product_id: 'p1' }, auth),
          ).rejects.toMatchObject({
            code: 'PRINCIPAL_INVALID',
          });
          await expect(commerce.conflictQueue!.pending(auth)).rejects.toMatchObject({
            code: 'PRINCIPAL_INVALID',
          });
          expect(await commerce.accessAudit.list()).toEqual([]);
        },
      );

      it('a reader keeps the scope it was given when the caller’s object changes later', async () => {
        const auth = { userId: 'u1', tenantIds: ['creator-a'], roles: ['creator'] };
        const reader = bed.commerce.as(auth);
        auth.tenantIds.push('creator-b');
        auth.roles.push('admin');
        expect((await reader.rows('inventory_levels')).map((r) => r.creator_id)).toEqual(['creator-a']);
        expect(
          await reader.find('inventory_levels', { creator_id: 'creator-b', product_id: 'p1' }),
        ).toBeNull();
        expect(Object.isFrozen(reader.principal) && Object.isFrozen(reader.principal.tenantIds)).toBe(true);
        expect(await bed.commerce.accessAudit.list()).toEqual([]);
      });

      it('the queue routes answer a malformed identity from authorize() as the host’s bug (500), reading nothing', async () => {
        const http = createRouter(
          manualQueueRoutes({
            queue: bed.commerce.conflictQueue!,
            authorize: () => ({ userId: 'u1', tenantIds: [], roles: 'sysadmin' }) as unknown as Authorization,
          }),
        );
        const res = await http({
          method: 'GET',
          path: '/api/conflicts/pending',
          headers: {},
          rawBody: Buffer.alloc(0),
          params: {},
        });
        expect(res.status).toBe(500);
        expect(JSON.parse(res.body)).toMatchObject({ code: 'INTERNAL_ERROR' });
        expect(await bed.commerce.accessAudit.list()).toEqual([]);
      });
    });

    describe('on a failing audit', () => {
      afterEach(async () => {
        await bed?.close();
      });

      it('an admin read across creators whose audit entry cannot be written returns nothing; in-scope reads still work', async () => {
        bed = await engine.open({ conflicts: { tickMs: 3_600_000 }, accessAudit: new FailingAudit() });
        await seed();
        const admin = bed.commerce.as({ userId: 'ops', tenantIds: ['creator-a'], roles: ['admin'] });
        await expect(admin.rows('inventory_levels')).rejects.toThrow('audit down');
        await expect(
          admin.find('inventory_levels', { creator_id: 'creator-b', product_id: 'p1' }),
        ).rejects.toThrow('audit down');
        await expect(admin.conflicts!.list()).rejects.toThrow('audit down');
        await expect(
          admin.conflicts!.report({ from: new Date(Date.now() - 3_600_000), to: new Date(), bucket: 'hour' }),
        ).rejects.toThrow('audit down');
        // Inside the admin's own creators nothing needs recording.
        expect(await admin.rows('inventory_levels', { tenantIds: ['creator-a'] })).toHaveLength(1);
        const creator = bed.commerce.as({ userId: 'u1', tenantIds: ['creator-b'], roles: ['creator'] });
        expect((await creator.rows('inventory_levels')).map((r) => r.creator_id)).toEqual(['creator-b']);
      });
    });
  },
);
