/**
 * Saga definitions: ordered steps, each an action plus the compensation that
 * undoes it. Validated once, when defined, and frozen.
 */
import { z, type ZodType } from 'zod';
import { ValidationError } from '../core/errors.js';
import { retryPolicySchema, type RetryPolicyInput } from '../runtime/retry-policy.js';
import { SagaDefinitionError, type SagaDefinitionIssue } from './errors.js';
import type { InlineSagaConfig } from './inline-steps.js';
import type { AppendOptions } from '../store/types.js';

/** Outputs of completed steps by step name, as an action or compensation sees them. */
export type StepResults = Readonly<Record<string, unknown>>;

/**
 * What an action receives. `Results` types `results`: in a saga defined
 * inline, the outputs of the steps before this one, by name (see `defineSaga`).
 */
export interface StepContext<Input = unknown, Results = StepResults> {
  sagaId: string;
  /** The step's name. */
  step: string;
  input: Input;
  /** `"<sagaId>:<step name>"`: pass it to the outside system so a repeated call has no second effect. */
  idempotencyKey: string;
  /** 1 for the first attempt (of this worker). */
  attempt: number;
  /** Aborted when the attempt times out or the worker stops or loses the lease. */
  signal: AbortSignal;
  /** Outputs of the steps completed so far, by step name (absent until that step completed). */
  results: Results;
  /**
   * Append options that record this step as completed with `output` in the
   * action's last append's own statement (one write instead of two): spread
   * them into that append's options and return `output`. The entry is fenced
   * like every step write (a lost lease fails the append: neither is
   * written); once that append has committed the step is done, whatever the
   * action does after it. Empty (the step is then recorded after the action,
   * as usual) for a compensation, a store that cannot join the event store's
   * statement (in-memory, another database), or an output that is not JSON.
   */
  completeWith(output: unknown): Pick<AppendOptions, 'joined'>;
}

/** What a compensation receives; `Output` is what its step's action returns. */
export interface CompensationContext<Input = unknown, Output = unknown> extends StepContext<Input> {
  /** The name of the step being undone. */
  compensatedStep: string;
  /** `"<sagaId>:<step name>"`: the key the undone action used (look its effect up by it). */
  actionIdempotencyKey: string;
  /**
   * `'completed'`: the action returned `output`. `'unknown'`: the action failed
   * in a way that does not prove it had no effect (timeout, lost reply,
   * retries exhausted), `output` is null; undo whatever the action's
   * idempotency key shows was done, and nothing when nothing was.
   */
  actionOutcome: 'completed' | 'unknown';
  /**
   * What that step's action returned, as stored (JSON), or null when
   * `actionOutcome` is `'unknown'`. Typed by the step's `Output`.
   */
  output: Output | null;
}

/** A step's action: returns a JSON-serialisable output (or nothing), `Output` once awaited. */
export type StepAction<Input = unknown, Output = unknown, Results = StepResults> = (
  context: StepContext<Input, Results>,
) => Output | Promise<Output>;

/**
 * A compensation: a named undo of one step whose action returns `Output`.
 *
 * @example
 * ```ts
 * const refund: CompensationConfig<{ amount: number }, { chargeId: string }> = {
 *   name: 'refund_payment',
 *   run: async ({ output, idempotencyKey }) => { if (output) await payments.refund(output.chargeId, idempotencyKey); },
 *   retry: { attempts: 11 },
 *   timeoutMs: 5_000,
 * };
 * ```
 */
export interface CompensationConfig<Input = unknown, Output = unknown> {
  /** e.g. `'release_inventory'`; unique within the saga. Its idempotency key is `"<sagaId>:<name>"`. */
  name: string;
  // Method syntax on purpose: a step with a typed output still fits a saga's list of steps.
  run(context: CompensationContext<Input, Output>): unknown;
  /** Fields set here override the runner's `compensationRetry`. */
  retry?: RetryPolicyInput;
  /** Per-attempt timeout in ms. Default: the runner's `stepTimeoutMs`. */
  timeoutMs?: number;
}

/**
 * One step of a saga definition. Give `Output` (what the action returns) to
 * have the compensation's `output` typed; in a saga defined inline,
 * `defineSaga` infers it from the action. `Name` and `Results` (what
 * `results` holds) are inferred there too.
 *
 * @example
 * ```ts
 * const payment: SagaStepConfig<{ amount: number }, { chargeId: string }> = {
 *   name: 'process_payment',
 *   action: async ({ input, idempotencyKey }) => ({ chargeId: await charge(input.amount, idempotencyKey) }),
 *   compensation: { name: 'refund_payment', run: async ({ output }) => { if (output) await refund(output.chargeId); } },
 * };
 * ```
 */
export interface SagaStepConfig<
  Input = unknown,
  Output = unknown,
  Name extends string = string,
  Results = StepResults,
> {
  /** e.g. `'allocate_inventory'`; unique within the saga. */
  name: Name;
  action: StepAction<Input, Output, Results>;
  /**
   * How to undo the step if a later step fails permanently. `'none'` declares,
   * explicitly, that the step has nothing to undo (no side effects, or it is
   * the last step, whose success completes the saga).
   */
  compensation: CompensationConfig<Input, Output> | 'none';
  /** Per-attempt timeout in ms. Default: the runner's `stepTimeoutMs`. */
  timeoutMs?: number;
  /** Fields set here override the runner's `retry`. */
  retry?: RetryPolicyInput;
}

/**
 * What {@link defineSaga} takes.
 *
 * @example
 * ```ts
 * const config: SagaConfig<{ taskId: string }> = {
 *   name: 'archive_task',
 *   input: z.object({ taskId: z.string() }),
 *   steps: [{ name: 'archive', action: ({ input }) => archive(input.taskId), compensation: 'none' }],
 * };
 * const archiveTask = defineSaga(config);
 * ```
 */
export interface SagaConfig<Input = unknown> {
  /** Unique name; stored with every instance, so keep it stable across deploys. */
  name: string;
  /** Validates the input at `start`. */
  input?: ZodType<Input>;
  steps: readonly SagaStepConfig<Input>[];
}

/**
 * A validated, frozen saga definition.
 *
 * @example
 * ```ts
 * const definition: SagaDefinition<{ taskId: string }> = defineSaga(config);
 * definition.parseInput({ taskId: 't-1' });
 * ```
 */
export interface SagaDefinition<Input = unknown> {
  readonly name: string;
  readonly steps: readonly Readonly<SagaStepConfig<Input>>[];
  /** Validate a start input (identity when the definition has no schema). */
  parseInput(raw: unknown): Input;
}

const NAME = z
  .string()
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters')
  .regex(/^[A-Za-z0-9_.:-]*$/, 'may contain only letters, digits and _ . : -');
const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', 'must be a function');
const timeout = z.number().int().positive().optional();
const compensationSchema = z.union([
  z.literal('none'),
  z.object({ name: NAME, run: fn, retry: retryPolicySchema.optional(), timeoutMs: timeout }).strict(),
]);
const stepSchema = z
  .object({
    name: NAME,
    action: fn,
    // Optional here: a missing compensation gets its own, clearer issue below.
    compensation: compensationSchema.optional(),
    timeoutMs: timeout,
    retry: retryPolicySchema.optional(),
  })
  .strict();
const configSchema = z.object({
  name: NAME,
  input: z.custom<ZodType>((v) => v instanceof z.ZodType, 'must be a zod schema').optional(),
  steps: z.array(stepSchema).min(1, 'a saga needs at least one step'),
});

/**
 * Validate a saga definition. Rejects, with a {@link SagaDefinitionError}
 * listing every problem, duplicate step or compensation names, a step without
 * a compensation (declare `compensation: 'none'` when there is nothing to
 * undo) and malformed fields. Written inline, each step's output is
 * inferred from its action: its compensation's `output` and the `results` of
 * the steps after it are typed (the first eight steps; see `InlineSagaConfig`).
 *
 * @example
 * ```ts
 * const transfer = defineSaga({
 *   name: 'transfer',
 *   steps: [
 *     { name: 'debit', action: debit, compensation: { name: 'credit_back', run: creditBack } },
 *     { name: 'credit', action: credit, compensation: 'none' },
 *   ],
 * });
 * ```
 */
export function defineSaga<
  Input = unknown,
  O1 = unknown,
  O2 = unknown,
  O3 = unknown,
  O4 = unknown,
  O5 = unknown,
  O6 = unknown,
  O7 = unknown,
  O8 = unknown,
  N1 extends string = string,
  N2 extends string = string,
  N3 extends string = string,
  N4 extends string = string,
  N5 extends string = string,
  N6 extends string = string,
  N7 extends string = string,
  N8 extends string = string,
>(
  config: InlineSagaConfig<Input, O1, O2, O3, O4, O5, O6, O7, O8, N1, N2, N3, N4, N5, N6, N7, N8>,
): SagaDefinition<Input> {
  const raw = config as unknown as { name?: unknown; steps?: unknown };
  const sagaName = typeof raw?.name === 'string' ? raw.name : '(unnamed)';
  const issues: SagaDefinitionIssue[] = [];
  const parsed = configSchema.safeParse(config);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      issues.push({ path: formatPath(issue.path), message: issue.message, problem: 'invalid' });
    }
  }
  const steps: unknown[] = Array.isArray(raw?.steps) ? raw.steps : [];
  const allStepNames = new Set(steps.map((s) => (s as { name?: unknown } | null)?.name));
  const stepNames = new Map<string, number>();
  const compensationNames = new Map<string, number>();
  steps.forEach((step, index) => {
    if (typeof step !== 'object' || step === null) return;
    const { name, compensation } = step as { name?: unknown; compensation?: unknown };
    if (typeof name === 'string') {
      const first = stepNames.get(name);
      if (first !== undefined) {
        issues.push({
          path: `steps.${index}.name`,
          message: `duplicate step name "${name}" (also steps.${first})`,
          problem: 'duplicate_step',
        });
      } else stepNames.set(name, index);
    }
    if (compensation === undefined || compensation === null) {
      issues.push({
        path: `steps.${index}.compensation`,
        message: `step "${String(name)}" has no compensation; give one, or declare compensation: 'none' if it has nothing to undo`,
        problem: 'missing_compensation',
      });
    } else if (
      typeof compensation === 'object' &&
      typeof (compensation as { name?: unknown }).name === 'string'
    ) {
      const compName = (compensation as { name: string }).name;
      const first = compensationNames.get(compName);
      if (first !== undefined || allStepNames.has(compName)) {
        issues.push({
          path: `steps.${index}.compensation.name`,
          message: `compensation name "${compName}" is already used by another step or compensation`,
          problem: 'duplicate_compensation',
        });
      } else compensationNames.set(compName, index);
    }
  });
  if (issues.length > 0) throw new SagaDefinitionError(sagaName, dedupe(issues));

  const inputSchema = config.input;
  const frozenSteps = Object.freeze(
    // Validated above: every position holds a step (the tuple's are optional only for typing).
    (config.steps as readonly SagaStepConfig<Input>[]).map((step) =>
      Object.freeze({
        ...step,
        compensation: step.compensation === 'none' ? 'none' : Object.freeze({ ...step.compensation }),
      }),
    ),
  ) as readonly Readonly<SagaStepConfig<Input>>[];
  return Object.freeze({
    name: config.name,
    steps: frozenSteps,
    parseInput(input: unknown): Input {
      if (!inputSchema) return input as Input;
      const result = inputSchema.safeParse(input);
      if (result.success) return result.data;
      throw new ValidationError(
        `Input of saga "${config.name}" is invalid`,
        result.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
      );
    },
  });
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

function dedupe(issues: SagaDefinitionIssue[]): SagaDefinitionIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path}|${i.problem}|${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * A saga definition of any input type (for registries).
 *
 * @example
 * ```ts
 * const definitions: AnySagaDefinition[] = [orderFulfillment, reviewBooking]; // inputs differ
 * const runner = createSagaRunner({ sql, schema: 'app', definitions });
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- input types differ per definition
export type AnySagaDefinition = SagaDefinition<any>;
