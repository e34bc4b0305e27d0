// How a stubbed command's call is answered (its shim hands it to the harness, ../backend/shim.ts):
// from the scenario's plan, in order (or by lookup), and logged.

import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { failOnPurpose, renderCall, type LoggedCall } from '../backend/call-log.js';
import type { CommandAnswer, CommandCall } from '../backend/command-server.js';
import { answer, lookUp, renderEntry, type StoredStubEntry, type StubCursor } from './stub-plan.js';

export interface StubConfig {
  readonly command: string;
  readonly stateDir: string;
  readonly callLog: string;
  readonly marker: string;
  /** Answer each call from the first matching entry, in any order (backend files). */
  readonly lookup?: boolean;
}

/** A file name for a stubbed command: its name, or for an absolute-path stub ("/sbin/x") the path encoded. */
export function stubFileName(command: string): string {
  return command.startsWith('/') ? encodeURIComponent(command) : command;
}

/** Answers one call of a stubbed command; calls are answered one at a time (the server's order). */
export function answerStub(
  config: StubConfig,
  plans: Readonly<Record<string, readonly StoredStubEntry[]>>,
  call: CommandCall,
): CommandAnswer {
  const plan = plans[config.command] ?? [];
  const argv = [...call.argv];
  const cursorFile = join(config.stateDir, `${stubFileName(config.command)}.cursor.json`);
  const env = Object.fromEntries(Object.entries(call.env).filter(([k]) => k !== config.marker));
  const failed = failOnPurpose(config.callLog, { command: config.command, argv, env });
  if (failed !== null) return { stdout: [], stderr: [failed], status: 1 };
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
  if (logged.entry === null) {
    const message = `extstorage-kit stub: unexpected call: ${renderCall(config.command, argv)}\n  expected: ${logged.expected}\n`;
    return { stdout: [], stderr: [message], status: 127 };
  }
  const entry = plan[logged.entry]!;
  return { stdout: [entry.stdout], stderr: [entry.stderr], status: entry.exit };
}
