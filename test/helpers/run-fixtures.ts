// Runs `extstorage-kit run` on the fixture providers and scenarios (test/fixtures) as a real
// process, and reads its machine-readable reports: the --json file and TAP on stdout.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, REPO_ROOT, type CliResult } from './cli.js';

export const FIXTURES = join(REPO_ROOT, 'test', 'fixtures');

/** A fixture provider directory, absolute. */
export const providerDir = (name: string) => join(FIXTURES, 'providers', name);

/** A fixture scenario file, relative to the repository (as reports show it when run from there). */
export const scenarioFile = (name: string) => `test/fixtures/scenarios/${name}.yaml`;

// The --json document (harness/report/json.ts), as far as the tests read it.
export interface JsonStream {
  readonly head: string;
  readonly headBase64: string;
  readonly tail: string;
  readonly tailBase64: string;
  readonly totalBytes: number;
  readonly droppedBytes: number;
}
export interface JsonFailure {
  readonly message: string;
  readonly expected?: string;
  readonly actual?: string;
}
export interface JsonRun {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly fault?: {
    readonly kind: string;
    readonly seconds?: number;
    readonly stream?: string;
    readonly message?: string;
  };
  readonly stdout: JsonStream;
  readonly stderr: JsonStream;
  readonly calls: readonly {
    command: string;
    argv: string[];
    env: Record<string, string>;
    entry: number | null;
    exit: number;
  }[];
  readonly env: Record<string, string>;
}
export interface JsonStep {
  readonly index: number;
  readonly action: string;
  readonly label: string;
  readonly position: { file: string; line: number; col: number };
  readonly status: 'pass' | 'fail';
  readonly failures: readonly JsonFailure[];
  readonly compatibility?: readonly { ganeti: string; ok: boolean }[];
  readonly runs: readonly JsonRun[];
}
export interface JsonScenario {
  readonly file: string;
  readonly name: string;
  readonly index: number;
  readonly status: 'pass' | 'fail' | 'skip';
  readonly skipReason?: string;
  readonly sandbox?: string;
  readonly failures: readonly JsonFailure[];
  readonly steps: readonly JsonStep[];
}
export interface JsonReport {
  readonly provider: string;
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  readonly notRun: number;
  readonly results: readonly JsonScenario[];
}

export interface RunResult extends CliResult {
  readonly report: JsonReport;
  /** The scenarios by name (names are unique within each fixture file). */
  readonly byName: ReadonlyMap<string, JsonScenario>;
}

/**
 * The CLI's environment: this process's, less what tap's process tracking (@tapjs/processinfo)
 * adds, plus NO_COLOR and `extra`. That tracking (NODE_OPTIONS=--import ...) patches
 * child_process in the test and in every node process below it, the CLI included, and puts its
 * variables into every process they start, scripts included; so the CLI is started through
 * `env -i` with exactly this environment.
 */
export function cliEnvironment(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && name !== 'NODE_OPTIONS' && !name.startsWith('_TAPJS_')) env[name] = value;
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

/** The command line that starts `extstorage-kit ARGS` with exactly `env` (see cliEnvironment). */
export function cliCommand(args: readonly string[], env: Readonly<Record<string, string>>): [string, string[]] {
  return ['/usr/bin/env', ['-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), process.execPath, CLI, ...args]];
}

/** `extstorage-kit run ARGS` from the repository root, as a user's shell would run it. */
export function runRun(args: readonly string[], options: { env?: Readonly<Record<string, string>> } = {}): CliResult {
  const [command, argv] = cliCommand(['run', ...args], cliEnvironment(options.env));
  const result = spawnSync(command, argv, {
    cwd: REPO_ROOT,
    input: '',
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** `extstorage-kit run ARGS --json FILE`, from the repository root; the report is parsed. */
export function runWithJson(
  args: readonly string[],
  options: { env?: Readonly<Record<string, string>> } = {},
): RunResult {
  const dir = mkdtempSync(join(tmpdir(), 'esk-run-json-'));
  try {
    const file = join(dir, 'report.json');
    const result = runRun([...args, '--json', file], options);
    let report: JsonReport;
    try {
      report = JSON.parse(readFileSync(file, 'utf8')) as JsonReport;
    } catch (error) {
      throw new Error(
        `no JSON report (exit ${result.code}): ${(error as Error).message}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`,
        { cause: error },
      );
    }
    return { ...result, report, byName: new Map(report.results.map((r) => [r.name, r])) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One TAP test point of the top level: "ok 3 - name" / "not ok 3 - name # SKIP why". */
export interface TapPoint {
  readonly ok: boolean;
  readonly id: number;
  readonly name: string;
  readonly directive?: string;
}

export function tapPoints(stdout: string): TapPoint[] {
  const points: TapPoint[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^(ok|not ok) (\d+)(?: - (.*?))?(?: # (.*))?$/.exec(line);
    if (m)
      points.push({
        ok: m[1] === 'ok',
        id: Number(m[2]),
        name: m[3] ?? '',
        ...(m[4] !== undefined ? { directive: m[4] } : {}),
      });
  }
  return points;
}

/** The TAP plan "1..N", or null. */
export function tapPlan(stdout: string): number | null {
  const m = /^1\.\.(\d+)/m.exec(stdout);
  return m ? Number(m[1]) : null;
}

/** Every failure message of a scenario: its steps' and its own. */
export function failureMessages(scenario: JsonScenario | undefined): string[] {
  if (scenario === undefined) return [];
  return [
    ...scenario.steps.flatMap((s) => s.failures.map((f) => f.message)),
    ...scenario.failures.map((f) => f.message),
  ];
}

export function allFailures(scenario: JsonScenario | undefined): JsonFailure[] {
  if (scenario === undefined) return [];
  return [...scenario.steps.flatMap((s) => s.failures), ...scenario.failures];
}

/** A readable line for assertion messages: the scenario and why it failed. */
export function explain(scenario: JsonScenario | undefined): string {
  if (scenario === undefined) return 'scenario missing from the report';
  const why = allFailures(scenario).map(
    (f) => `${f.message}${f.expected !== undefined ? ` (expected ${f.expected}, actual ${f.actual})` : ''}`,
  );
  return `${scenario.name}: ${scenario.status}${why.length > 0 ? `: ${why.join('; ')}` : ''}`;
}

/** The exact bytes a stream kept (head then tail). */
export function keptBytes(stream: JsonStream): Buffer {
  return Buffer.concat([Buffer.from(stream.headBase64, 'base64'), Buffer.from(stream.tailBase64, 'base64')]);
}
