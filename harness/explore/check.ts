// The EXPLORE check of the verdict (spec/conformance/EXPLORE.md): a MUST check that fails when a
// plan broke a MUST invariant; its lines say which, the shrunk steps and the counterexample.

import type { CheckOutcome } from '../conformance/verdict.js';
import type { ExploreOutcome } from './explore.js';

/** The line a counterexample is announced on, on its own: `counterexample: <path> (seed S)`. */
export function counterexampleLine(path: string, seed: number): string {
  return `counterexample: ${path} (seed ${seed})`;
}

export function exploreCheck(outcome: ExploreOutcome): CheckOutcome {
  const rate = outcome.durationMs > 0 ? (outcome.steps / (outcome.durationMs / 1000)).toFixed(1) : '0';
  const played = `${outcome.plans} plans, ${outcome.steps} script runs judged, seed ${outcome.seed}, ${outcome.jobs} at once (${rate} runs/s)${outcome.timedKills ? '' : ', no kill at a random time (--no-timed-kills)'}`;
  const warnings = [
    ...outcome.warnings.map((w) => `${w.invariant.level} ${w.invariant.id}: ${w.message}`),
    ...(outcome.cut > 0
      ? [
          `${outcome.cut} plan${outcome.cut === 1 ? ' was' : 's were'} judged only up to a step the runner failed (a script that did not start, three times, lingered or timed out)`,
        ]
      : []),
  ];
  const failure = outcome.failure;
  if (failure === null)
    return {
      id: 'EXPLORE',
      level: 'MUST',
      spec: 'EXPLORE.md',
      status: 'pass',
      reasons: [],
      details: [played, ...warnings],
    };
  const v = failure.violation;
  return {
    id: 'EXPLORE',
    level: 'MUST',
    spec: 'EXPLORE.md',
    status: 'fail',
    reasons: [`${v.invariant.id} (${v.invariant.level}): ${v.message}`],
    details: [
      `invariant ${v.invariant.id}: ${v.invariant.text}`,
      ...(failure.reproduced
        ? []
        : [`plan ${failure.run + 1} failed, but not when played again alone: written as it was, not shrunk`]),
      `shrunk to ${failure.operations.length} operation${failure.operations.length === 1 ? '' : 's'} (${failure.steps} script runs; ${failure.shrinks} shrinking steps):`,
      ...failure.operations.map((op, i) => `  ${i + 1}. ${op}`),
      ...(failure.replayable
        ? []
        : [
            "a kill at a random time landed inside a script's own work: the counterexample kills at the nearest backend call, and its replay may pass",
          ]),
      counterexampleLine(failure.counterexample, outcome.seed),
      played,
      ...warnings,
    ],
  };
}

/** The exploration in the JSON report (`explore`): the seed, what was played, the failure. */
export function exploreReport(outcome: ExploreOutcome): Record<string, unknown> {
  const failure = outcome.failure;
  return {
    seed: outcome.seed,
    plans: outcome.plans,
    steps: outcome.steps,
    durationMs: outcome.durationMs,
    jobs: outcome.jobs,
    cut: outcome.cut,
    timedKills: outcome.timedKills,
    failure:
      failure === null
        ? null
        : {
            invariant: failure.violation.invariant,
            message: failure.violation.message,
            operations: failure.operations,
            steps: failure.steps,
            shrinks: failure.shrinks,
            run: failure.run,
            reproduced: failure.reproduced,
            replayable: failure.replayable,
            counterexample: failure.counterexample,
          },
    warnings: outcome.warnings.map((w) => ({ invariant: w.invariant, message: w.message })),
  };
}
