// The stub plan as stored in a sandbox, and its matching rules. Shared by the runner, which
// writes the plan, and by stub-main.ts, which each stubbed command runs.

import { appendFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

export type StoredMatcher = { readonly equals: string } | { readonly regex: string };

export interface StoredStubEntry {
  readonly args: readonly StoredMatcher[];
  readonly stdout: string;
  readonly stderr: string;
  readonly exit: number;
  readonly times: number | 'any';
  /** "file:line:col" of the entry in the scenario file. */
  readonly at: string;
}

export interface StubCursor {
  /** The plan entry the next call is matched against. */
  entry: number;
  /** Calls that entry has answered so far. */
  used: number;
}

/** One line of the call log (stub-calls.jsonl). */
export interface LoggedCall {
  readonly command: string;
  readonly argv: string[];
  readonly env: Record<string, string>;
  /** The plan entry that answered; null for an unexpected call or a simulator's call. */
  readonly entry: number | null;
  readonly exit: number;
  /** For an unexpected call: what the plan expected instead. */
  readonly expected?: string;
  /** Answered by a backend simulator, not by the plan. */
  readonly simulated?: boolean;
  /** Failed on purpose because the step's fail_backend flag was up. */
  readonly injected?: boolean;
}

/**
 * While this file exists beside the call log, every stub and simulator call fails (exit 1, a line
 * on stderr, no state changed): the runner raises it for a step with `fail_backend: true`.
 */
export const FAIL_BACKEND_FLAG = 'fail-backend';

/**
 * When the step's fail_backend flag is up: logs the call as injected, fails it the same way for a
 * stub or a simulator, and returns true (the caller answers nothing more).
 */
export function failedOnPurpose(callLog: string, call: Omit<LoggedCall, 'entry' | 'exit' | 'injected'>): boolean {
  if (!existsSync(join(dirname(callLog), FAIL_BACKEND_FLAG))) return false;
  const logged: LoggedCall = { ...call, entry: null, exit: 1, injected: true };
  appendFileSync(callLog, `${JSON.stringify(logged)}\n`);
  process.stderr.write(`${call.command}: failed on purpose (extstorage-kit: this step has fail_backend)\n`);
  process.exitCode = 1;
  return true;
}

export function argsMatch(entry: StoredStubEntry, argv: readonly string[]): boolean {
  if (entry.args.length !== argv.length) return false;
  return entry.args.every((m, i) => ('equals' in m ? m.equals === argv[i] : new RegExp(m.regex).test(argv[i]!)));
}

/** A shell-like rendering of a call, for messages only (never executed). */
export function renderCall(command: string, argv: readonly string[]): string {
  return [command, ...argv].map((a) => (/^[-\w./:=@,+%]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

export function renderEntry(command: string, entry: StoredStubEntry): string {
  const args = entry.args.map((m) =>
    'equals' in m ? (/^[-\w./:=@,+%]+$/.test(m.equals) ? m.equals : JSON.stringify(m.equals)) : `/${m.regex}/`,
  );
  return `${[command, ...args].join(' ')} (${entry.at})`;
}

/**
 * Finds the entry that answers `argv` and advances the cursor; null when the call is unexpected.
 * An entry with times N answers N calls in a row; "any" answers zero or more until one differs.
 */
export function answer(plan: readonly StoredStubEntry[], cursor: StubCursor, argv: readonly string[]): number | null {
  while (cursor.entry < plan.length) {
    const entry = plan[cursor.entry]!;
    if (argsMatch(entry, argv)) {
      const index = cursor.entry;
      cursor.used += 1;
      if (entry.times !== 'any' && cursor.used >= entry.times) {
        cursor.entry += 1;
        cursor.used = 0;
      }
      return index;
    }
    if (entry.times !== 'any') return null;
    cursor.entry += 1;
    cursor.used = 0;
  }
  return null;
}

/** Lookup mode: the first entry that matches answers, whatever came before. */
export function lookUp(plan: readonly StoredStubEntry[], argv: readonly string[]): number | null {
  const index = plan.findIndex((entry) => argsMatch(entry, argv));
  return index < 0 ? null : index;
}

/** Entries that were owed calls and did not get them. */
export function unusedEntries(
  plan: readonly StoredStubEntry[],
  cursor: StubCursor,
): { index: number; missing: number }[] {
  const unused: { index: number; missing: number }[] = [];
  for (let i = cursor.entry; i < plan.length; i++) {
    const entry = plan[i]!;
    if (entry.times === 'any') continue;
    const missing = i === cursor.entry ? entry.times - cursor.used : entry.times;
    if (missing > 0) unused.push({ index: i, missing });
  }
  return unused;
}
