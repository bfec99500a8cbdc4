/**
 * Alertmanager's routing tree: an alert walks down from the root to the
 * deepest routes whose matchers it satisfies (siblings after a match only
 * with `continue`); each route names its receiver and its grouping and timing,
 * inherited from its parent when not set.
 */
import { z } from 'zod';
import { InvalidAlertConfigError } from '../errors.js';
import { matchLabels, type Matchers } from '../alerts/matchers.js';

/**
 * A route as configured.
 *
 * @example
 * ```ts
 * const route: RouteConfig = {
 *   receiver: 'team',
 *   groupBy: ['alertname', 'component'],
 *   routes: [
 *     { matchers: { severity: 'critical' }, receiver: 'on_call', groupWaitMs: 0, repeatIntervalMs: 3_600_000 },
 *     { matchers: { component: { re: 'tiktok.*' } }, receiver: 'integrations', continue: true },
 *   ],
 * };
 * ```
 */
export interface RouteConfig {
  /** The receiver's name (an escalation policy or a channel set). */
  receiver?: string;
  matchers?: Matchers;
  /** Labels whose values split alerts into notification groups. Default `['alertname']`; `['...']` means every label. */
  groupBy?: readonly string[];
  /** Wait before the first notification of a new group, to batch alerts. Default 30 s. */
  groupWaitMs?: number;
  /** Wait before notifying a group again about new or resolved alerts. Default 5 min. */
  groupIntervalMs?: number;
  /** Wait before repeating an unchanged notification. Default 4 h. */
  repeatIntervalMs?: number;
  /** Keep matching the following siblings after this route matched. */
  continue?: boolean;
  routes?: readonly RouteConfig[];
}

/** A route with every setting resolved. */
export interface ResolvedRoute {
  /** Its path in the tree, e.g. `0.1` (stable while the configuration is). */
  id: string;
  receiver: string;
  groupBy: readonly string[];
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
}

const durations = z.number().int().min(0);
const routeSchema: z.ZodType<RouteConfig> = z.lazy(() =>
  z.object({
    receiver: z.string().min(1).optional(),
    matchers: z.record(z.string(), z.any()).optional(),
    groupBy: z.array(z.string().min(1)).optional(),
    groupWaitMs: durations.optional(),
    groupIntervalMs: z.number().int().positive().optional(),
    repeatIntervalMs: z.number().int().positive().optional(),
    continue: z.boolean().optional(),
    routes: z.array(routeSchema).optional(),
  }),
) as z.ZodType<RouteConfig>;

/** A compiled routing tree. */
export interface RoutingTree {
  /** The routes an alert with `labels` is notified through. */
  match(labels: Readonly<Record<string, string>>): ResolvedRoute[];
  /** A route by its id (absent after a configuration change removed it). */
  byId(id: string): ResolvedRoute | undefined;
}

/**
 * Validate and compile a routing tree; the root must name a receiver.
 *
 * @example
 * ```ts
 * const tree = compileRoutes({ receiver: 'team', groupBy: ['alertname'], routes: [
 *   { matchers: { severity: 'critical' }, receiver: 'pager', groupWaitMs: 0 },
 * ] });
 * tree.match({ alertname: 'system_down', severity: 'critical' })[0]?.receiver; // 'pager'
 * ```
 */
export function compileRoutes(root: RouteConfig): RoutingTree {
  const parsed = routeSchema.safeParse(root);
  if (!parsed.success) throw new InvalidAlertConfigError(`invalid route: ${z.prettifyError(parsed.error)}`);
  if (!root.receiver) throw new InvalidAlertConfigError('the root route needs a receiver');
  const resolve = (r: RouteConfig, parent: ResolvedRoute | undefined, id: string): ResolvedRoute => ({
    id,
    receiver: r.receiver ?? parent!.receiver,
    groupBy: r.groupBy ?? parent?.groupBy ?? ['alertname'],
    groupWaitMs: r.groupWaitMs ?? parent?.groupWaitMs ?? 30_000,
    groupIntervalMs: r.groupIntervalMs ?? parent?.groupIntervalMs ?? 300_000,
    repeatIntervalMs: r.repeatIntervalMs ?? parent?.repeatIntervalMs ?? 4 * 3_600_000,
  });
  const walk = (
    r: RouteConfig,
    parent: ResolvedRoute | undefined,
    id: string,
    labels: Record<string, string>,
  ) => {
    if (!matchLabels(labels, r.matchers)) return [];
    const self = resolve(r, parent, id);
    const found: ResolvedRoute[] = [];
    for (const [i, child] of (r.routes ?? []).entries()) {
      const matched = walk(child, self, `${id}.${i}`, labels);
      found.push(...matched);
      if (matched.length > 0 && !child.continue) break;
    }
    return found.length > 0 ? found : [self];
  };
  const all = new Map<string, ResolvedRoute>();
  const index = (r: RouteConfig, parent: ResolvedRoute | undefined, id: string) => {
    const self = resolve(r, parent, id);
    all.set(id, self);
    (r.routes ?? []).forEach((child, i) => index(child, self, `${id}.${i}`));
  };
  index(root, undefined, '0');
  return { match: (labels) => walk(root, undefined, '0', { ...labels }), byId: (id) => all.get(id) };
}
