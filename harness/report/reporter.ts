// The reporter interface the runner calls, and createReporters(): one composite reporter made of
// the console reporter (human or TAP), the file reporters (--junit, --json) and, on GitHub Actions,
// the annotations.

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { RunSummary, ScenarioResult } from '../run/result.js';
import { GithubReporter } from './github.js';
import { HumanReporter } from './human.js';
import { JsonReporter } from './json.js';
import { JunitReporter } from './junit.js';
import { TapReporter } from './tap.js';

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

/** process.stdout or process.stderr, or anything shaped like them (tests pass fakes). */
export type OutputStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export interface ReporterOptions {
  readonly reporter: 'human' | 'tap' | 'tap13';
  /** Write a JUnit XML report to this file (relative to cwd). */
  readonly junit?: string;
  /** Write the whole summary as JSON to this file (relative to cwd). */
  readonly json?: string;
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

/** Colors on a terminal unless NO_COLOR is set (as useColor() in ../cli/display.ts, with env given). */
export function colorFor(stream: OutputStream, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && !('NO_COLOR' in env);
}

/** Writes text and resolves once the stream has taken it (so an exit right after loses nothing). */
export function writeAll(stream: OutputStream, text: string): Promise<void> {
  if (text === '') return Promise.resolve();
  return new Promise((done) => {
    stream.write(text, () => done());
  });
}

/** Writes a report file, creating its directory. */
export async function writeReportFile(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
}

/** Passes every event to each reporter in turn; finish() finishes them all, then throws the first error. */
export class CompositeReporter implements Reporter {
  constructor(readonly reporters: readonly Reporter[]) {}

  start(info: RunStart): void {
    for (const r of this.reporters) r.start(info);
  }

  scenarioStarted(scenario: ScenarioStart): void {
    for (const r of this.reporters) r.scenarioStarted(scenario);
  }

  scenarioFinished(result: ScenarioResult): void {
    for (const r of this.reporters) r.scenarioFinished(result);
  }

  async finish(summary: RunSummary): Promise<void> {
    const errors: unknown[] = [];
    for (const r of this.reporters) {
      try {
        await r.finish(summary);
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw errors[0];
  }
}

export function createReporters(options: ReporterOptions): Reporter {
  const reporters: Reporter[] = [
    options.reporter === 'human'
      ? new HumanReporter(options.stdout, options.stderr, options.env)
      : new TapReporter(options.stdout, options.reporter === 'tap13' ? 13 : 14),
  ];
  if (options.env.GITHUB_ACTIONS === 'true')
    reporters.push(new GithubReporter(options.stdout, options.env, options.cwd));
  if (options.junit !== undefined) reporters.push(new JunitReporter(resolve(options.cwd, options.junit)));
  if (options.json !== undefined) reporters.push(new JsonReporter(resolve(options.cwd, options.json)));
  return new CompositeReporter(reporters);
}
