// What the runner tells whoever listens (the reporters in ../report implement it): the runner
// owns this interface, so it never imports a reporter, and reporters depend on the runner only.

import type { RunSummary, ScenarioResult } from './result.js';

export interface RunStart {
  readonly provider: string;
  /** Scenarios that will run or be skipped. */
  readonly total: number;
  readonly jobs: number;
}

export interface ScenarioStart {
  readonly file: string;
  readonly name: string;
  readonly index: number;
}

export interface Reporter {
  /** Before anything runs. total = scenarios that will run or be skipped. */
  start(info: RunStart): void;
  /** A scenario began (scenarios run in parallel, so several may be running). */
  scenarioStarted(scenario: ScenarioStart): void;
  /** A scenario finished; results arrive in completion order, NOT file order. */
  scenarioFinished(result: ScenarioResult): void;
  /** Everything is done; summary.results is in the stable report order (file, then index). */
  finish(summary: RunSummary): Promise<void>;
}
