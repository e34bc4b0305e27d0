// `test --explore N`: N random plans (generate.ts) played against the provider (execute.ts) and
// judged against the model (model.ts). The plans are fast-check's N runs for the seed, drawn up
// front and played by a pool of workers, each plan in its own sandbox; the failing plan with the
// lowest index is the failure, whatever the number of workers. fast-check then replays that run
// (by its path) and shrinks it, one plan at a time, to a minimal plan written as a scenario file
// (counterexample.ts). So a seed gives the same plans, verdict and counterexample at any --jobs.

import fc from 'fast-check';
import { withFifoPool } from '../backend/fifo-pool.js';
import { writeCounterexample } from './counterexample.js';
import { executePlan, type Execution, type ExecutionContext } from './execute.js';
import { planArbitrary, planOf } from './generate.js';
import { judge, type Judgement, type Violation } from './model.js';
import {
  describeOp,
  EXPLORED_ACTIONS,
  type ActionOp,
  type Disturbance,
  type ExploredAction,
  type Op,
  type Plan,
} from './plan.js';

export interface ExploreOptions {
  /** How many plans to play (fast-check's numRuns). */
  readonly runs: number;
  readonly seed: number;
  /** Where to write a counterexample. */
  readonly counterexample: string;
  /** The most operations in a plan. */
  readonly maxOperations?: number;
  /** Plans played at once (default 1); shrinking plays one at a time. */
  readonly jobs?: number;
  /** Draw kills at a random time (default true); without them a seed's outcome is the same on any machine. */
  readonly timedKills?: boolean;
  /** Called after each plan played (shrinking included); `failing` once, when shrinking starts. */
  readonly progress?: (played: number, failing: boolean) => void;
}

export interface ExploreFailure {
  readonly violation: Violation;
  /** The shrunk plan, one operation a line. */
  readonly operations: readonly string[];
  /** Script runs in the counterexample up to the violation. */
  readonly steps: number;
  readonly counterexample: string;
  /** How many smaller plans fast-check tried. */
  readonly shrinks: number;
  /** The index (0-based) of the first failing plan among the N. */
  readonly run: number;
  /** Whether the failure came back when fast-check replayed its plan alone (else it is written unshrunk). */
  readonly reproduced: boolean;
  /** False when a kill at a random time could not be pinned at a backend call with the same failure. */
  readonly replayable: boolean;
}

export interface ExploreOutcome {
  readonly seed: number;
  /** Plans played up to the first failing one, then shrinking's. */
  readonly plans: number;
  /** Script runs judged in those plans. */
  readonly steps: number;
  readonly durationMs: number;
  readonly failure: ExploreFailure | null;
  /** SHOULD invariants broken (the first time each, in the plans' order). */
  readonly warnings: readonly Violation[];
  /** Plans played at once. */
  readonly jobs: number;
  /** Plans judged only up to a step the runner failed (a script that did not start, even played again, lingered, timed out). */
  readonly cut: number;
  /** Kills at a random time were drawn (false under --no-timed-kills). */
  readonly timedKills: boolean;
}

/** Plans longer than this take long to play and to shrink; the bugs looked for need few operations. */
const DEFAULT_MAX_OPERATIONS = 8;

interface Played {
  readonly plan: Plan;
  readonly execution: Execution;
  readonly judgement: Judgement;
  /** A step the runner failed (a script that did not start, even played again, lingered, timed out): judged up to it. */
  readonly cut: boolean;
}

/**
 * How many times a plan is played again when the harness could not start one of its scripts (a
 * sandbox that did not come up on a loaded machine): that is no answer of the provider's, and a
 * plan cut short there would be judged on fewer steps than the same plan elsewhere.
 */
const HARNESS_RETRIES = 2;

const harnessFailed = (execution: Execution) =>
  execution.steps.some((s) => s.runs.some((r) => r.fault?.kind === 'spawn'));

/** The runner ended the plan's scenario early: a step it failed, or a failure of its own. */
const cutShort = (execution: Execution) =>
  execution.steps.some((s) => s.status === 'fail') || execution.result.failures.length > 0;

type Failing = Played & { readonly violation: Violation };

async function play(plan: Plan, context: ExecutionContext): Promise<Played> {
  for (let attempt = 0; ; attempt++) {
    const execution = await executePlan(plan, context);
    if (!harnessFailed(execution) || attempt === HARNESS_RETRIES)
      return { plan, execution, judgement: judge(plan, execution), cut: cutShort(execution) };
  }
}

/**
 * The plan with each kill at a random time replaced by the kill at a call where it landed (the
 * call gate kills there again on every run; one that never landed, by a kill after the script's
 * last call, which never fires either); null when the plan has no such kill.
 */
function pinned(plan: Plan, execution: Execution): Plan | null {
  const landed = new Map<ActionOp, Disturbance>();
  execution.roles.forEach((role, k) => {
    if (role.role !== 'disturbed' || role.action.disturb?.kind !== 'kill-timed') return;
    const run = execution.steps[k]?.runs[0];
    if (run === undefined) return;
    landed.set(
      role.action,
      run.fault?.kind === 'killed'
        ? { kind: 'kill', call: run.fault.call, when: run.fault.when }
        : { kind: 'kill', call: run.calls.length + 1, when: 'before' },
    );
  });
  if (landed.size === 0) return null;
  const pin = (op: ActionOp): ActionOp => {
    const disturb = landed.get(op);
    return disturb === undefined ? op : { ...op, disturb };
  };
  return {
    volumes: plan.volumes,
    ops: plan.ops.map((op): Op =>
      op.kind === 'one' ? { kind: 'one', op: pin(op.op) } : { kind: 'together', ops: [pin(op.ops[0]), pin(op.ops[1])] },
    ),
  };
}

export async function explore(context: ExecutionContext, options: ExploreOptions): Promise<ExploreOutcome> {
  // Every plan is a scenario with simulators: their FIFOs come from the pool while the exploration runs.
  return withFifoPool(() => explorePlans(context, options));
}

async function explorePlans(context: ExecutionContext, options: ExploreOptions): Promise<ExploreOutcome> {
  const started = performance.now();
  const jobs = Math.max(1, options.jobs ?? 1);
  // The optional actions (snapshot, open, close) are drawn when the provider has their script.
  const optional = context.providerCheck.optional as Partial<Record<ExploredAction, boolean>>;
  const actions = new Set(EXPLORED_ACTIONS.filter((action) => optional[action] ?? true));
  const timedKills = options.timedKills ?? true;
  const arbitrary = planArbitrary(options.maxOperations ?? DEFAULT_MAX_OPERATIONS, actions, timedKills);

  // The N plans, as fast-check's runs for this seed draw them (the same values as a property
  // over the same arbitrary gets, run i being what `path: "i"` replays below).
  const plans: Plan[] = [];
  fc.check(
    fc.property(arbitrary, ([count, commands]) => {
      plans.push(planOf(count, commands));
      return true;
    }),
    { numRuns: options.runs, seed: options.seed },
  );

  // Played by `jobs` workers, in index order; none starts a plan after a failing one.
  const played: (Played | undefined)[] = new Array<Played | undefined>(plans.length);
  let lowestFailing = plans.length;
  let next = 0;
  let count = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < plans.length && i < lowestFailing; i = next++) {
      const plan = plans[i]!;
      if (plan.ops.length === 0) continue;
      const result = await play(plan, context);
      played[i] = result;
      if (result.judgement.violation !== null) lowestFailing = Math.min(lowestFailing, i);
      else options.progress?.(++count, false);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, plans.length) }, worker));

  // What is reported stops at the first failing plan: plans after it that a worker had started
  // already are not counted, so the figures are the same at any --jobs.
  const warnings = new Map<string, Violation>();
  let plansPlayed = 0;
  let steps = 0;
  let cut = 0;
  for (const result of played.slice(0, lowestFailing + 1)) {
    if (result === undefined) continue;
    plansPlayed++;
    if (result.cut) cut++;
    steps += result.judgement.steps;
    for (const w of result.judgement.warnings) if (!warnings.has(w.invariant.id)) warnings.set(w.invariant.id, w);
  }
  const first = played[lowestFailing];
  if (first === undefined)
    return {
      seed: options.seed,
      plans: plansPlayed,
      steps,
      durationMs: performance.now() - started,
      failure: null,
      warnings: [...warnings.values()],
      jobs,
      cut,
      timedKills,
    };

  // Shrinking: fast-check replays run `lowestFailing` and tries smaller plans, one at a time. The
  // last failing plan is its final counterexample (it only moves on to a smaller one that fails).
  options.progress?.(plansPlayed, true);
  let failing = { ...first, violation: first.judgement.violation! } as Failing;
  let replayed = false as boolean; // set inside the property, where flow analysis does not look
  const details = await fc.check(
    fc.asyncProperty(arbitrary, async ([n, commands]) => {
      const plan = planOf(n, commands);
      if (plan.ops.length === 0) return true;
      const result = await play(plan, context);
      plansPlayed++;
      steps += result.judgement.steps;
      options.progress?.(plansPlayed, false);
      if (result.judgement.violation === null) return true;
      replayed = true;
      failing = { ...result, violation: result.judgement.violation };
      return false;
    }),
    { numRuns: 1, seed: options.seed, path: String(lowestFailing) },
  );
  if (details.failed && !replayed) {
    const error = details.errorInstance;
    throw new Error(`the exploration failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  // Kills at a random time are written where they landed: kept so when that plan, played with
  // them pinned there, breaks the same invariant (a kill inside the script's own work, between two
  // backend calls, may not: the counterexample then says so).
  let replayable = true;
  const pin = pinned(failing.plan, failing.execution);
  if (pin !== null) {
    const again = await play(pin, context);
    plansPlayed++;
    steps += again.judgement.steps;
    const violation = again.judgement.violation;
    if (violation !== null && violation.invariant.id === failing.violation.invariant.id)
      failing = { ...again, violation };
    else replayable = false;
  }
  const durationMs = performance.now() - started;
  const counterexample = writeCounterexample(
    {
      plan: failing.plan,
      execution: failing.execution,
      violation: failing.violation,
      seed: options.seed,
      providerDir: context.providerDir,
      backend: context.backend,
      timeoutSeconds: context.timeoutSeconds,
      replayable,
    },
    options.counterexample,
  );
  return {
    seed: options.seed,
    plans: plansPlayed,
    steps,
    durationMs,
    warnings: [...warnings.values()],
    jobs,
    cut,
    timedKills,
    failure: {
      violation: failing.violation,
      operations: failing.plan.ops
        .slice(0, failing.execution.roles[failing.violation.step]!.op + 1)
        .map((op) => describeOp(op, failing.plan.volumes)),
      steps: failing.violation.step + 1,
      counterexample,
      // A failure that did not come back when its plan was played alone is written unshrunk.
      shrinks: replayed ? details.numShrinks : 0,
      run: lowestFailing,
      reproduced: replayed,
      replayable,
    },
  };
}
