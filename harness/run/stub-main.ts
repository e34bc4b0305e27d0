// What a stubbed command runs: answer the call from the scenario's plan, in order, and log it.
// Kept to node built-ins so a stub starts fast.

import { appendFileSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { failedOnPurpose, renderCall, type LoggedCall } from '../backend/call-log.js';
import { answer, lookUp, renderEntry, type StoredStubEntry, type StubCursor } from './stub-plan.js';

export interface StubConfig {
  readonly command: string;
  readonly planFile: string;
  readonly stateDir: string;
  readonly callLog: string;
  readonly marker: string;
  /** Answer each call from the first matching entry, in any order (backend files). */
  readonly lookup?: boolean;
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** A lock directory: calls of stubs are answered one at a time, even from parallel processes. */
function withLock<T>(dir: string, fn: () => T): T {
  const lock = join(dir, 'lock');
  for (let attempt = 0; ; attempt++) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2000) throw error;
      sleep(5);
    }
  }
  try {
    return fn();
  } finally {
    rmdirSync(lock);
  }
}

/** A file name for a stubbed command: its name, or for an absolute-path stub ("/sbin/x") the path encoded. */
export function stubFileName(command: string): string {
  return command.startsWith('/') ? encodeURIComponent(command) : command;
}

export function runStub(config: StubConfig, argv: string[]): void {
  const plans = JSON.parse(readFileSync(config.planFile, 'utf8')) as Record<string, StoredStubEntry[]>;
  const plan = plans[config.command] ?? [];
  const cursorFile = join(config.stateDir, `${stubFileName(config.command)}.cursor.json`);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== config.marker)) as Record<
    string,
    string
  >;
  if (failedOnPurpose(config.callLog, { command: config.command, argv, env })) return;
  const call = withLock(config.stateDir, () => {
    let cursor: StubCursor = { entry: 0, used: 0 };
    try {
      cursor = JSON.parse(readFileSync(cursorFile, 'utf8')) as StubCursor;
    } catch {
      // first call of this command
    }
    const before = { ...cursor };
    const index = config.lookup ? lookUp(plan, argv) : answer(plan, cursor, argv);
    let logged: LoggedCall;
    if (index === null) {
      const expected = config.lookup
        ? // One entry a line: reports clip long lines, and a list cut in the middle hides the entry that mattered.
          ['one of:', ...plan.map((e) => `  ${renderEntry(config.command, e)}`)].join('\n')
        : before.entry < plan.length
          ? renderEntry(config.command, plan[before.entry]!)
          : 'no further call';
      logged = { command: config.command, argv, env, entry: null, exit: 127, expected };
    } else {
      writeFileSync(cursorFile, JSON.stringify(cursor));
      logged = { command: config.command, argv, env, entry: index, exit: plan[index]!.exit };
    }
    appendFileSync(config.callLog, JSON.stringify(logged) + '\n');
    return logged;
  });
  if (call.entry === null) {
    process.stderr.write(
      `extstorage-kit stub: unexpected call: ${renderCall(config.command, argv)}\n  expected: ${call.expected}\n`,
    );
    process.exitCode = 127;
    return;
  }
  const entry = plan[call.entry]!;
  process.stdout.write(entry.stdout);
  process.stderr.write(entry.stderr);
  process.exitCode = entry.exit;
}
