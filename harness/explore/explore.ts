// `test --explore N`: N random plans (generate.ts) played against the provider (execute.ts) and
// judged against the model (model.ts), as one fast-check property; the first failure is shrunk by
// fast-check to a minimal plan and written as a scenario file (counterexample.ts).

import fc from 'fast-check';
import { writeCounterexample } from './counterexample.js';
import { executePlan, type Execution, type ExecutionContext } from './execute.js';
import { planArbitrary, planOps } from './generate.js';
import { judge, type Violation } from './model.js';
import { describeOp, planVolumes, type Plan } from './plan.js';

export interface ExploreOptions {
  /** How many plans to play (fast-check's numRuns). */
  readonly runs: number;
  readonly seed: number;
  /** Where to write a counterexample. */
  readonly counterexample: string;
  /** The most operations in a plan. */
  readonly maxOperations?: number;
  /** Called after each plan played (shrinking included). */
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
}

export interface ExploreOutcome {
  readonly seed: number;
  /** Plans played, shrinking included. */
  readonly plans: number;
  /** Script runs judged. */
  readonly steps: number;
  readonly durationMs: number;
  readonly failure: ExploreFailure | null;
  /** SHOULD invariants broken (the first time each). */
  readonly warnings: readonly Violation[];
}

/** Plans longer than this take long to play and to shrink; the bugs looked for need few operations. */
const DEFAULT_MAX_OPERATIONS = 8;

export async function explore(context: ExecutionContext, options: ExploreOptions): Promise<ExploreOutcome> {
  const started = performance.now();
  let plans = 0;
  let steps = 0;
  const warnings = new Map<string, Violation>();
  // The last failing plan is fast-check's final counterexample: it only moves on to a smaller one that fails too.
  let failing: { plan: Plan; execution: Execution; violation: Violation } | null = null;
  const property = fc.asyncProperty(
    planArbitrary(options.maxOperations ?? DEFAULT_MAX_OPERATIONS),
    async ([count, commands]) => {
      const plan: Plan = { volumes: planVolumes(count), ops: planOps(count, commands) };
      if (plan.ops.length === 0) return true;
      const execution = await executePlan(plan, context);
      const judgement = judge(plan, execution);
      plans++;
      steps += judgement.steps;
      for (const w of judgement.warnings) if (!warnings.has(w.invariant.id)) warnings.set(w.invariant.id, w);
      options.progress?.(plans, judgement.violation !== null);
      if (judgement.violation === null) return true;
      failing = { plan, execution, violation: judgement.violation };
      return false;
    },
  );
  const details = await fc.check(property, { numRuns: options.runs, seed: options.seed });
  const durationMs = performance.now() - started;
  const found = failing as { plan: Plan; execution: Execution; violation: Violation } | null;
  if (details.failed && found === null) {
    const error = details.errorInstance;
    throw new Error(`the exploration failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (found === null)
    return { seed: options.seed, plans, steps, durationMs, failure: null, warnings: [...warnings.values()] };
  const counterexample = writeCounterexample(
    {
      ...found,
      seed: options.seed,
      providerDir: context.providerDir,
      backend: context.backend,
      timeoutSeconds: context.timeoutSeconds,
    },
    options.counterexample,
  );
  return {
    seed: options.seed,
    plans,
    steps,
    durationMs,
    warnings: [...warnings.values()],
    failure: {
      violation: found.violation,
      operations: found.plan.ops
        .slice(0, found.execution.roles[found.violation.step]!.op + 1)
        .map((op) => describeOp(op, found.plan.volumes)),
      steps: found.violation.step + 1,
      counterexample,
      shrinks: details.numShrinks,
    },
  };
}
