// Stubbed commands in a scenario's sandbox: one executable per command, first on PATH, each
// answering from the scenario's plan (stub-main.ts) and logging every call for `calls` and reports.

import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { StubPlan } from '../scenario/model.js';
import { formatPosition } from '../scenario/position.js';
import type { Failure, StubCall } from './result.js';
import { nodeShebang } from '../backend/node-executable.js';
import { stubFileName, type StubConfig } from './stub-main.js';
import type { LoggedCall } from '../backend/call-log.js';
import { renderEntry, unusedEntries, type StoredStubEntry, type StubCursor } from './stub-plan.js';

export interface StubSandbox {
  readonly stubsDir: string;
  readonly stateDir: string;
  readonly planFile: string;
  readonly callLog: string;
  readonly plan: Readonly<Record<string, StoredStubEntry[]>>;
  /** Lookup mode owes no calls. */
  readonly lookup: boolean;
  /** Absolute-path stubs ("/sbin/rescan-scsi-bus"): the path -> the stub executable the sandbox binds over it. */
  readonly absolute: ReadonlyMap<string, string>;
}

const STUB_MAIN = new URL('./stub-main.js', import.meta.url).href;

export function storedPlan(plan: StubPlan): Record<string, StoredStubEntry[]> {
  return Object.fromEntries(
    Object.entries(plan).map(([command, entries]) => [
      command,
      entries.map((e) => ({
        args: e.args.map((m) => ('equals' in m ? { equals: m.equals } : { regex: m.source })),
        stdout: e.stdout,
        stderr: e.stderr,
        exit: e.exit,
        times: e.times,
        at: formatPosition(e.position),
      })),
    ]),
  );
}

/** Writes one executable per stubbed command into `<root>/stubs`; PATH puts that directory first. */
export function installStubs(plan: StubPlan, root: string, marker: string, lookup = false): StubSandbox {
  const stubsDir = join(root, 'stubs');
  const stateDir = join(root, 'stub-state');
  const planFile = join(stateDir, 'plan.json');
  const callLog = join(stateDir, 'calls.jsonl');
  const stored = storedPlan(plan);
  // Most scenarios stub nothing: then nothing is written (a missing log means no call).
  const absolute = new Map<string, string>();
  if (Object.keys(stored).length === 0)
    return { stubsDir, stateDir, planFile, callLog, plan: stored, lookup, absolute };
  mkdirSync(stubsDir, { recursive: true });
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(planFile, JSON.stringify(stored));
  writeFileSync(callLog, '');
  for (const command of Object.keys(stored)) {
    const config: StubConfig = { command, planFile, stateDir, callLog, marker, ...(lookup ? { lookup } : {}) };
    // A CommonJS file (no package.json around it) that loads the ESM stub runtime.
    const source = `${nodeShebang()}\n// extstorage-kit stub for ${JSON.stringify(command)}\nimport(${JSON.stringify(STUB_MAIN)}).then((m) => m.runStub(${JSON.stringify(config)}, process.argv.slice(2)));\n`;
    // An absolute-path stub is not on PATH: the sandbox binds it over its path (isolation/sandbox.ts).
    const path = command.startsWith('/')
      ? join(root, 'absolute-stubs', stubFileName(command))
      : join(stubsDir, command);
    if (command.startsWith('/')) {
      mkdirSync(dirname(path), { recursive: true });
      absolute.set(command, path);
    }
    writeFileSync(path, source);
    chmodSync(path, 0o755);
  }
  return { stubsDir, stateDir, planFile, callLog, plan: stored, lookup, absolute };
}

/** How many calls the log holds so far: a step's calls are those logged after this mark. */
export function callMark(sandbox: StubSandbox): number {
  return readLog(sandbox).length;
}

function readLog(sandbox: StubSandbox): LoggedCall[] {
  if (!existsSync(sandbox.callLog)) return [];
  return readFileSync(sandbox.callLog, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as LoggedCall);
}

export interface LoggedStubCall extends StubCall {
  readonly expected?: string;
}

export function callsSince(sandbox: StubSandbox, mark: number): LoggedStubCall[] {
  return readLog(sandbox)
    .slice(mark)
    .map((c) => ({
      command: c.command,
      argv: c.argv,
      env: c.env,
      entry: c.entry,
      exit: c.exit,
      ...(c.expected ? { expected: c.expected } : {}),
      ...(c.simulated ? { simulated: true } : {}),
      ...(c.injected ? { injected: true } : {}),
    }));
}

/** Plan entries that never got their calls, as scenario failures. */
export function unusedStubFailures(sandbox: StubSandbox): Failure[] {
  const failures: Failure[] = [];
  if (sandbox.lookup) return failures;
  for (const [command, plan] of Object.entries(sandbox.plan)) {
    let cursor: StubCursor = { entry: 0, used: 0 };
    try {
      cursor = JSON.parse(
        readFileSync(join(sandbox.stateDir, `${stubFileName(command)}.cursor.json`), 'utf8'),
      ) as StubCursor;
    } catch {
      // never called
    }
    for (const { index, missing } of unusedEntries(plan, cursor)) {
      failures.push({
        message: `stub entry never used: ${renderEntry(command, plan[index]!)}`,
        expected: `${missing} more call${missing > 1 ? 's' : ''} to ${command} matching it`,
        actual: 'none',
      });
    }
  }
  return failures;
}
