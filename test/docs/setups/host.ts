/**
 * Under every example: the app's own values and functions the docs assume —
 * webhook credentials, a session, loaders, incoming conflict changes, the
 * saga steps, a payment provider, an Express app, a browser page's bits. No
 * database, no server, nothing to close.
 */
import express from 'express';
import { WebSocketServer } from 'ws';
import { silentLogger } from '@creatorflow/sync';
import type { ContenderInput } from '@creatorflow/sync/conflicts';
import type { DocSetup } from './types.js';

const changes: ContenderInput[] = [
  {
    entityType: 'inventory',
    entityId: 'sku-1',
    source: 'tiktok_webhook',
    sourceId: 'shop-7',
    eventId: 'evt-1',
    hlc: { wallMs: Date.now() - 1000, logical: 0, node: 'tiktok' },
    changes: { quantity: 8 },
  },
  {
    entityType: 'inventory',
    entityId: 'sku-1',
    source: 'manual_admin',
    sourceId: 'admin-1',
    eventId: 'evt-2',
    hlc: { wallMs: Date.now(), logical: 0, node: 'admin' },
    changes: { quantity: 9 },
  },
];

const noEffect = () => Promise.resolve();
let charges = 0;

/** A shipping provider's webhook signing secret, in the format providers issue. */
const WEBHOOK_SECRET = `whsec_${Buffer.from('doc-run-signing-secret').toString('base64')}`;

/** The deployment's environment the docs read (webhook secrets). */
const ENVIRONMENT = {
  TTS_APP_KEY: 'doc-app-key',
  TTS_APP_SECRET: 'doc-app-secret',
  SHIPPO_KEY: 'doc-shippo',
  SHIPPO_WHSEC: WEBHOOK_SECRET,
};

const setup: DocSetup = async () => {
  for (const [name, value] of Object.entries(ENVIRONMENT)) process.env[name] ??= value;
  return { globals: GLOBALS };
};
export default setup;

const GLOBALS = {
  log: silentLogger,
  appKey: 'doc-app-key',
  appSecret: 'doc-app-secret',
  providers: { shippo: { apiKey: 'doc-shippo', secrets: WEBHOOK_SECRET, creators: ['c1'] } },
  sessionUser: () => 'u-17',
  creatorsOf: () => ['creator-1'],
  sessionOf: () => ({ userId: 'ops-1', tenantIds: [], roles: ['admin'] }),
  creatorId: 'creator-1',
  loadTop: () => Promise.resolve({ top: [] }),
  loadDashboard: (id: string) => Promise.resolve({ creatorId: id, orders: 0 }),
  changes,
  readModel: { get: () => ({ quantity: 10 }) },
  notifyAdmins: () => undefined,
  validate: noEffect,
  allocate: () => Promise.resolve({ reservationId: 'r-1' }),
  charge: () => Promise.resolve({ chargeId: 'ch-1' }),
  buyLabel: () => Promise.resolve({ labelId: 'l-1' }),
  notifyTikTok: noEffect,
  markFailed: noEffect,
  release: noEffect,
  refund: noEffect,
  cancelLabel: noEffect,
  payments: {
    charge: () => Promise.resolve({ id: `ch-${++charges}` }),
    refund: noEffect,
    findCharge: () => Promise.resolve(undefined),
  },
  token: 'doc-token',
  statusElement: { textContent: null },
  render: () => undefined,
  app: express(),
  wss: new WebSocketServer({ noServer: true }),
};
