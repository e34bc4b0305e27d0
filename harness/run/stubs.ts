// Stubbed commands in a scenario's sandbox: one shim per command, first on PATH (../backend/shim.ts),
// each call answered in the harness's process from the scenario's plan (stub-answer.ts) and logged
// for `calls` and reports.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { StubPlan } from '../scenario/model.js';
import { formatPosition } from '../scenario/position.js';
import type { Failure, StubCall } from './result.js';
import { CommandServer, type CallGate } from '../backend/command-server.js';
import { installShim } from '../backend/shim.js';
import { answerStub, stubFileName, type StubConfig } from './stub-answer.js';
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
  /** Stops answering the calls (after the scenario). */
  readonly close: () => void;
}

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
export function installStubs(
  plan: StubPlan,
  root: string,
  marker: string,
  lookup = false,
  gate?: CallGate,
): StubSandbox {
  const stubsDir = join(root, 'stubs');
  const stateDir = join(root, 'stub-state');
  const planFile = join(stateDir, 'plan.json');
  const callLog = join(stateDir, 'calls.jsonl');
  const stored = storedPlan(plan);
  // Most scenarios stub nothing: then nothing is written (a missing log means no call).
  const absolute = new Map<string, string>();
  const servers: CommandServer[] = [];
  const close = () => {
    for (const server of servers) server.close();
  };
  if (Object.keys(stored).length === 0)
    return { stubsDir, stateDir, planFile, callLog, plan: stored, lookup, absolute, close };
  mkdirSync(stubsDir, { recursive: true });
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(planFile, JSON.stringify(stored));
  writeFileSync(callLog, '');
  for (const command of Object.keys(stored)) {
    const config: StubConfig = { command, stateDir, callLog, marker, ...(lookup ? { lookup } : {}) };
    // An absolute-path stub is not on PATH: the sandbox binds it over its path (isolation/sandbox.ts).
    const path = command.startsWith('/')
      ? join(root, 'absolute-stubs', stubFileName(command))
      : join(stubsDir, command);
    if (command.startsWith('/')) {
      mkdirSync(dirname(path), { recursive: true });
      absolute.set(command, path);
    }
    const name = stubFileName(command);
    const requestFifo = join(stateDir, `${name}.fifo`);
    const callsDir = join(stateDir, `${name}.calls`);
    installShim(path, command, requestFifo, callsDir);
    servers.push(CommandServer.start(requestFifo, callsDir, (call) => answerStub(config, stored, call), false, gate));
  }
  return { stubsDir, stateDir, planFile, callLog, plan: stored, lookup, absolute, close };
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
