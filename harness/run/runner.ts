// Runs many scenarios: filtering, sharding, a pool of parallel jobs, --bail, and the reporter's
// events. Results come back in a stable order (file, then position in file), whatever finished first.

import type { Backends } from '../backend/backend.js';
import { withFifoPool } from '../backend/fifo-pool.js';
import type { GanetiInstallation } from '../ganeti-bridge/installation.js';
import { checkProvider, type ProviderCheck } from '../provider/check.js';
import type { Reporter } from './events.js';
import type { Scenario, SimulatorName } from '../scenario/model.js';
import type { RunSummary, ScenarioResult } from './result.js';
import { runScenario } from './scenario-runner.js';

export interface PlannedScenario {
  readonly scenario: Scenario;
  readonly providerDir: string;
}

export interface Shard {
  /** 1-based. */
  readonly index: number;
  readonly count: number;
}

export interface RunOptions {
  readonly jobs: number;
  readonly bail: boolean;
  readonly keep: boolean;
  readonly filter?: RegExp;
  readonly shard?: Shard;
  readonly reporter: Reporter;
  /** Shown as the provider in reports. */
  readonly providerLabel: string;
  readonly lingerGraceMs?: number;
  /** The simulated and the real backends (../backend/backend.ts; the commands give ../backends.ts). */
  readonly backends: Backends;
  /** Simulators replaced by the real commands and storage (`run --real`). */
  readonly real?: readonly SimulatorName[];
  /** Every scenario works on real storage and devices (`test --live`): no sandbox hides them. */
  readonly realDevices?: boolean;
  /** Every action's script runs through Ganeti's own storage code (`--through-ganeti`). */
  readonly throughGaneti?: GanetiInstallation;
  /** Aborting stops new scenarios from starting; running ones are killed by the caller. */
  readonly signal?: AbortSignal;
  /**
   * The caller's last word on each result before it is reported (test: a check that could not
   * exercise what it judges is "not verified", not a pass or a failure).
   */
  readonly judge?: (result: ScenarioResult) => ScenarioResult;
}

/** Stable order, then --filter (on "file: name" or the name), then every Nth for --shard. */
export function selectScenarios(
  planned: readonly PlannedScenario[],
  filter?: RegExp,
  shard?: Shard,
): PlannedScenario[] {
  const ordered = [...planned].sort((a, b) =>
    a.scenario.file < b.scenario.file
      ? -1
      : a.scenario.file > b.scenario.file
        ? 1
        : a.scenario.index - b.scenario.index,
  );
  const filtered = filter
    ? ordered.filter(({ scenario: s }) => filter.test(s.name) || filter.test(`${s.file}: ${s.name}`))
    : ordered;
  return shard ? filtered.filter((_, i) => i % shard.count === shard.index - 1) : filtered;
}

export async function runScenarios(planned: readonly PlannedScenario[], options: RunOptions): Promise<RunSummary> {
  // The shims' FIFOs of every scenario come from one pool while the run lasts (backend/fifo-pool.ts).
  return withFifoPool(() => runSelected(planned, options));
}

async function runSelected(planned: readonly PlannedScenario[], options: RunOptions): Promise<RunSummary> {
  const started = performance.now();
  const selected = selectScenarios(planned, options.filter, options.shard);
  const checks = new Map<string, ProviderCheck>();
  const checkOf = (dir: string) => {
    if (!checks.has(dir)) checks.set(dir, checkProvider(dir));
    return checks.get(dir)!;
  };
  options.reporter.start({ provider: options.providerLabel, total: selected.length, jobs: options.jobs });

  const results = new Array<ScenarioResult | undefined>(selected.length);
  let next = 0;
  let stop = false;
  const worker = async () => {
    while (!stop && !options.signal?.aborted && next < selected.length) {
      const i = next++;
      const { scenario, providerDir } = selected[i]!;
      options.reporter.scenarioStarted({ file: scenario.file, name: scenario.name, index: scenario.index });
      const ran = await runScenario(scenario, {
        providerDir,
        providerCheck: checkOf(providerDir),
        keep: options.keep,
        backends: options.backends,
        ...(options.lingerGraceMs !== undefined ? { lingerGraceMs: options.lingerGraceMs } : {}),
        ...(options.real ? { real: options.real } : {}),
        ...(options.realDevices ? { realDevices: true } : {}),
        ...(options.throughGaneti ? { throughGaneti: options.throughGaneti } : {}),
      });
      const result = options.judge ? options.judge(ran) : ran;
      results[i] = result;
      options.reporter.scenarioFinished(result);
      if (result.status === 'fail' && options.bail) stop = true;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.jobs, selected.length)) }, worker));

  const done = results.filter((r): r is ScenarioResult => r !== undefined);
  const summary: RunSummary = {
    provider: options.providerLabel,
    results: done,
    passed: done.filter((r) => r.status === 'pass').length,
    failed: done.filter((r) => r.status === 'fail').length,
    skipped: done.filter((r) => r.status === 'skip').length,
    notRun: selected.length - done.length,
    durationMs: performance.now() - started,
  };
  await options.reporter.finish(summary);
  return summary;
}
