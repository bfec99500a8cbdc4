/**
 * The alerting runtime: every interval it samples the metrics registry,
 * evaluates the rules, records transitions in the log, runs the rules'
 * automatic actions (audited), plans notifications (routing, inhibition,
 * silences, escalation) and delivers them through the host's channels —
 * recording each notification before sending it, so a restart never sends
 * it twice, and each failure as a dead letter.
 *
 * Run it on one host at a time (`lease`): the registry it reads is that
 * host's, and the log's version fencing makes a second evaluator's writes
 * fail rather than duplicate anything even without one.
 */
import { BehaviorSubject, type Observable } from 'rxjs';
import { randomUUID } from 'node:crypto';
import { resolveLogger, type Logger } from '../core/logger.js';
import { processingStateOf } from '../processing/state/processing-state-of.js';
import { defaultLeaseOwner } from '../runtime/lease-owner.js';
import { everyInterval } from '../runtime/every-interval.js';
import type { PollLoop } from '../runtime/poll-loop.js';
import type { EventStore } from '../store/types.js';
import { decideAcknowledgement, type AlertAcknowledgement } from './alerts/acknowledge-alert.js';
import type { Alert } from './alerts/alert-book.js';
import { AlertLog } from './alerts/alert-log.js';
import type { AlertEvent, Silence } from './alerts/alert-events.js';
import { defineAlertRules, type AlertRule } from './alerts/alert-rule.js';
import { DEFAULT_ALERT_RULES } from './alerts/default-rules.js';
import { evaluateRules } from './alerts/evaluate-rules.js';
import { signalWindow } from './alerts/evaluate-signal.js';
import { MetricHistory, toSample } from './alerts/metric-history.js';
import { InvalidAlertConfigError, NotificationFailedError } from './errors.js';
import type { MetricsRegistry } from './metrics/metrics-registry.js';
import { notificationText, type NotificationChannel } from './notify/notification-channel.js';
import { compileEscalation, type Escalation, type EscalationPolicy } from './routing/escalation-policy.js';
import { DEFAULT_INHIBIT_RULES, type InhibitRule } from './routing/inhibition.js';
import { notifiedEvent, planNotifications, type PlannedNotification } from './routing/plan-notifications.js';
import { compileRoutes, type RouteConfig } from './routing/route.js';

/** An automatic action a rule names, supplied by the host (pause a processor, trigger a backup, ...). */
export type AlertAction = (alert: Alert) => Promise<void> | void;

/**
 * Options of {@link createAlerting}.
 *
 * @example
 * ```ts
 * const options: AlertingOptions = {
 *   registry,
 *   rules: [...DEFAULT_ALERT_RULES, paymentFailures],
 *   route: { receiver: 'team', groupBy: ['alertname'] },
 *   receivers: { team: { timeZone: 'Europe/Berlin', matrix: SPEC_ESCALATION_MATRIX, escalateAfterMs: 300_000, contacts } },
 *   channels: [reliableChannel(slackChannel()), reliableChannel(webhookChannel())],
 *   intervalMs: 30_000,
 *   lease: { ttlMs: 90_000 }, // one host evaluates at a time
 * };
 * const alerting = createAlerting(options);
 * ```
 */
export interface AlertingOptions {
  registry: MetricsRegistry;
  /** Default {@link DEFAULT_ALERT_RULES}. */
  rules?: readonly AlertRule[];
  /** The routing tree (Alertmanager's `route`). */
  route: RouteConfig;
  /** Receivers by name: each an escalation policy. */
  receivers: Readonly<Record<string, EscalationPolicy>>;
  /** Default {@link DEFAULT_INHIBIT_RULES}. */
  inhibitRules?: readonly InhibitRule[];
  /** Channels by kind; a delivery to a kind with no channel is recorded as failed. */
  channels: readonly NotificationChannel[];
  actions?: Readonly<Record<string, AlertAction>>;
  /** Default 15 000 ms. */
  intervalMs?: number;
  /** The log stream of alert state. Default `monitoring-alerts`. */
  stream?: string;
  now?: () => number;
  logger?: Logger;
  /**
   * Evaluate only while holding the database lease `monitoring:alerting`
   * (on a SQL store): one host evaluates, another takes over within `ttlMs`
   * of its death. `owner` is this process's unique id, by default the runtime's
   * `<host>:<pid>:<random>` (the one place that builds it). Default ttl: 3 × `intervalMs`.
   */
  lease?: { owner?: string; ttlMs?: number };
}

/** The alerts read model. */
export interface AlertsView {
  active: Alert[];
  resolved: Alert[];
  silences: Silence[];
  /** Per group: who was notified last, through what, at which level. */
  notices: { groupKey: string; level: number; recipients: string[]; channels: string[]; at: number }[];
}

/** What one evaluation did. */
export interface TickResult {
  transitions: AlertEvent[];
  notifications: PlannedNotification[];
  /** False when another evaluator wrote first (this one caught up instead). */
  owned: boolean;
}

/** The running alerting (an engine worker). */
export interface Alerting {
  readonly name: string;
  start(context: { store: EventStore }): Promise<void>;
  /** Stop evaluating; resolves when an evaluation in flight has finished. */
  stop(): Promise<void>;
  /** Evaluate and notify now (the loop calls it every `intervalMs`). */
  tick(): Promise<TickResult>;
  /**
   * Acknowledge an active (pending or firing) alert. Idempotent: the first
   * acknowledgement of the alert's life wins, and a later one (a retry, or
   * someone else) records nothing and answers the first with `duplicate: true`.
   * Throws `AlertResolvedError` (`ALERT_RESOLVED`) for a resolved alert and
   * `AlertNotFoundError` (`ALERT_NOT_FOUND`) for an unknown one.
   */
  acknowledge(fingerprint: string, by: string): Promise<AlertAcknowledgement>;
  /** Create a silence; returns its id. */
  silence(silence: Omit<Silence, 'id'>): Promise<string>;
  expireSilence(id: string): Promise<void>;
  view(): AlertsView;
  /** The read model after every change (a realtime channel for the dashboard). */
  readonly changes: Observable<AlertsView>;
}

/**
 * Create the alerting runtime.
 *
 * @example
 * ```ts
 * const alerting = createAlerting({
 *   registry,
 *   route: { receiver: 'team', groupBy: ['alertname'], groupWaitMs: 30_000 },
 *   receivers: { team: { timeZone: 'Europe/Berlin', matrix: SPEC_ESCALATION_MATRIX, escalateAfterMs: 300_000, contacts } },
 *   channels: [reliableChannel(slackChannel()), reliableChannel(webhookChannel())],
 *   actions: { enable_caching: () => cache.enable() },
 * });
 * await alerting.start({ store: engine.store });
 * ```
 */
export function createAlerting(options: AlertingOptions): Alerting {
  const rules = defineAlertRules(options.rules ?? DEFAULT_ALERT_RULES);
  const tree = compileRoutes(options.route);
  const receivers = new Map<string, Escalation>();
  for (const [name, policy] of Object.entries(options.receivers))
    receivers.set(name, compileEscalation(policy));
  const missing = collectReceivers(options.route).filter((r) => !receivers.has(r));
  if (missing.length > 0)
    throw new InvalidAlertConfigError(`routes name unknown receivers: ${missing.join(', ')}`);
  const channels = new Map(options.channels.map((c) => [c.kind, c]));
  const byName = new Map(rules.map((r) => [r.name, r]));
  const setup = {
    tree,
    inhibitRules: options.inhibitRules ?? DEFAULT_INHIBIT_RULES,
    receivers,
    channelsOf: (rule: string) => byName.get(rule)?.channels,
  };
  const now = options.now ?? Date.now;
  const logger = resolveLogger(options.logger, 'createAlerting');
  const retain = Math.max(
    0,
    ...rules.flatMap((r) => [
      signalWindow(r.signal),
      'baseline' in r.condition ? signalWindow(r.condition.baseline) : 0,
    ]),
  );
  const history = new MetricHistory(retain);
  let log: AlertLog | undefined;
  let store: EventStore | undefined;
  let loop: PollLoop | undefined;
  let running: Promise<TickResult> | undefined;

  const view = (): AlertsView => {
    const book = log?.book;
    return {
      active: [...(book?.alerts.values() ?? [])],
      resolved: [...(book?.resolved ?? [])],
      silences: [...(book?.silences.values() ?? [])],
      notices: [...(book?.notices ?? [])].map(([groupKey, n]) => ({
        groupKey,
        level: n.level,
        recipients: n.recipients,
        channels: n.channels,
        at: n.at,
      })),
    };
  };
  const changes = new BehaviorSubject<AlertsView>(view());
  const ready = () => {
    if (!log) throw new InvalidAlertConfigError('alerting is not started');
    return log;
  };

  const runActions = async (fired: AlertEvent[]): Promise<AlertEvent[]> => {
    const audit: AlertEvent[] = [];
    for (const e of fired) {
      if (e.type !== 'alert.fired') continue;
      const alert = ready().book.alerts.get(e.data.fingerprint);
      for (const action of byName.get(e.data.rule)?.actions ?? []) {
        const hook = options.actions?.[action];
        if (!hook || !alert) continue;
        try {
          await hook(alert);
          audit.push({
            type: 'alert.action_executed',
            data: { fingerprint: alert.fingerprint, action, ok: true, at: now() },
          });
        } catch (err) {
          const error = err instanceof Error ? err.message : String(err);
          logger.error({ component: 'monitoring', action, err }, 'alert action failed');
          audit.push({
            type: 'alert.action_executed',
            data: { fingerprint: alert.fingerprint, action, ok: false, error, at: now() },
          });
        }
      }
    }
    return audit;
  };

  const deliver = async (n: PlannedNotification): Promise<AlertEvent[]> => {
    const failures: AlertEvent[] = [];
    await Promise.all(
      n.deliveries.map(async (d) => {
        const channel = channels.get(d.channel);
        const base = { ...n, recipient: d.recipient, address: d.address };
        try {
          if (!channel) throw new Error(`no channel of kind ${d.channel}`);
          await channel.send({ ...base, text: notificationText(base) });
        } catch (err) {
          logger.error({ component: 'monitoring', channel: d.channel, err }, 'notification failed');
          failures.push({
            type: 'alert.notification_failed',
            data: {
              groupKey: n.groupKey,
              recipient: d.recipient,
              channel: d.channel,
              error: err instanceof Error ? err.message : String(err),
              attempts: err instanceof NotificationFailedError ? err.attempts : 1,
              at: now(),
            },
          });
        }
      }),
    );
    return failures;
  };

  let leaseOwner: string | undefined;
  const leased = async (): Promise<boolean> => {
    // Leases live with the store's processing state; a memory store has one process, so none.
    const leases = store && processingStateOf(store).leases;
    if (!options.lease || !leases) return true;
    const ttl = options.lease.ttlMs ?? 3 * (options.intervalMs ?? 15_000);
    leaseOwner ??= options.lease.owner ?? defaultLeaseOwner();
    return leases.acquire('monitoring:alerting', leaseOwner, ttl);
  };

  const tick = async (): Promise<TickResult> => {
    const l = ready();
    if (!(await leased())) return { transitions: [], notifications: [], owned: false };
    await l.load();
    const t = now();
    history.add(toSample(t, options.registry.snapshot()));
    const transitions = evaluateRules(rules, history, l.book, t);
    // Alerts of rules that no longer exist resolve rather than fire forever.
    for (const alert of l.book.alerts.values()) {
      if (!byName.has(alert.rule))
        transitions.push({
          type: 'alert.resolved',
          data: { fingerprint: alert.fingerprint, at: t, value: null },
        });
    }
    for (const s of l.book.silences.values()) {
      if (s.endsAt <= t) transitions.push({ type: 'alert.silence_expired', data: { id: s.id, at: t } });
    }
    if (!(await l.append(transitions))) return { transitions: [], notifications: [], owned: false };
    const audit = await runActions(transitions);
    await l.append(audit);
    const sent: PlannedNotification[] = [];
    for (const n of planNotifications(t, l.book, setup)) {
      const notified = notifiedEvent(n, t);
      // Recorded first: whoever records it sends it, and nobody sends it again after a restart.
      if (!(await l.append([notified]))) break;
      sent.push(n);
      await l.append(await deliver(n));
    }
    changes.next(view());
    return { transitions, notifications: sent, owned: true };
  };
  const serialized = () => {
    const next = (running ?? Promise.resolve()).catch(() => undefined).then(tick);
    running = next;
    return next;
  };
  const record = async (events: AlertEvent[]) => {
    const l = ready();
    for (;;) {
      await l.load();
      if (await l.append(events)) break;
    }
    changes.next(view());
  };

  return {
    name: 'monitoring:alerting',
    changes: changes.asObservable(),
    async start(context) {
      store = context.store;
      if (options.lease) await processingStateOf(store).migrate(); // the lease table
      log = new AlertLog(context.store, options.stream);
      await log.load();
      changes.next(view());
      const interval = options.intervalMs ?? 15_000;
      if (interval > 0 && !loop) {
        loop = everyInterval(interval, serialized, (err) =>
          logger.error({ component: 'monitoring', err }, 'alert evaluation failed'),
        );
      }
    },
    async stop() {
      const stopping = loop;
      loop = undefined;
      await stopping?.stop();
    },
    tick: serialized,
    async acknowledge(fingerprint, by) {
      const l = ready();
      for (;;) {
        // Another host may have raised (or acknowledged) it: decide on the log as it is now, and
        // again after losing a race, so two concurrent acknowledgements record one.
        await l.load();
        const decision = decideAcknowledgement(l.book, fingerprint, by, now());
        if (decision.kind === 'existing') return decision.acknowledgement;
        if (await l.append([decision.event])) {
          changes.next(view());
          return { ...decision.event.data, duplicate: false };
        }
      }
    },
    async silence(silence) {
      if (!(silence.endsAt > silence.startsAt))
        throw new InvalidAlertConfigError('a silence must end after it starts');
      const id = randomUUID();
      await record([{ type: 'alert.silence_created', data: { ...silence, id } }]);
      return id;
    },
    async expireSilence(id) {
      await record([{ type: 'alert.silence_expired', data: { id, at: now() } }]);
    },
    view,
  };
}

function collectReceivers(route: RouteConfig): string[] {
  return [...(route.receiver ? [route.receiver] : []), ...(route.routes ?? []).flatMap(collectReceivers)];
}
