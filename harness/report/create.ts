// createReporters(): one composite reporter made of the console reporter (human or TAP), the file
// reporters (--junit, --json) and, on GitHub Actions, the annotations.

import { resolve } from 'node:path';
import type { Reporter, RunStart, ScenarioStart } from '../run/events.js';
import type { RunSummary, ScenarioResult } from '../run/result.js';
import { type AnnotationPlace, GithubReporter } from './github.js';
import { cwdPathLabel, HumanReporter, type PathLabel, sameDestination } from './human.js';
import { JsonReporter } from './json.js';
import { JunitReporter } from './junit.js';
import { type OutputStream, ReportWriteError, writeAll } from './output.js';
import { TapReporter } from './tap.js';

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
  /** How the human report names a scenario file (default: relative to cwd when inside it). */
  readonly pathLabel?: PathLabel;
  /** Where GitHub annotations of failing steps point, when not at the step's line. */
  readonly annotationPlace?: AnnotationPlace;
  /** false: the human report does not list the processes killed (the caller reports them). */
  readonly listKilled?: boolean;
}

/**
 * Passes every event to each reporter in turn. finish() finishes them all; a report file that could
 * not be written is said on stderr (with where its content went) and kept in `writeErrors`, so the
 * command can exit non-zero after every other report is out; any other error is thrown.
 */
export class CompositeReporter implements Reporter {
  readonly writeErrors: ReportWriteError[] = [];

  constructor(
    readonly reporters: readonly Reporter[],
    private readonly stderr: OutputStream,
  ) {}

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
        if (!(error instanceof ReportWriteError)) errors.push(error);
        else {
          this.writeErrors.push(error);
          await writeAll(this.stderr, `${error.message}\n`);
        }
      }
    }
    if (errors.length > 0) throw errors[0];
  }
}

export function createReporters(options: ReporterOptions): CompositeReporter {
  const reporters: Reporter[] = [
    options.reporter === 'human'
      ? new HumanReporter(options.stdout, options.stderr, options.env, {
          pathLabel: options.pathLabel ?? cwdPathLabel(options.cwd),
          merged: sameDestination(options.stdout, options.stderr),
          killed: options.listKilled ?? true,
        })
      : new TapReporter(options.stdout, options.reporter === 'tap13' ? 13 : 14),
  ];
  if (options.env.GITHUB_ACTIONS === 'true')
    reporters.push(new GithubReporter(options.stdout, options.env, options.cwd, options.annotationPlace));
  if (options.junit !== undefined) reporters.push(new JunitReporter(resolve(options.cwd, options.junit)));
  if (options.json !== undefined) reporters.push(new JsonReporter(resolve(options.cwd, options.json)));
  return new CompositeReporter(reporters, options.stderr);
}
