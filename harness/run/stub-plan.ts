// The stub plan as stored in a sandbox, and its matching rules. Shared by the runner, which
// writes the plan, and by stub-answer.ts, which answers each stubbed call.

import { renderPattern, type StoredMatcher } from '../backend/call-log.js';

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

export function argsMatch(entry: StoredStubEntry, argv: readonly string[]): boolean {
  if (entry.args.length !== argv.length) return false;
  return entry.args.every((m, i) => ('equals' in m ? m.equals === argv[i] : new RegExp(m.regex).test(argv[i]!)));
}

export function renderEntry(command: string, entry: StoredStubEntry): string {
  return renderPattern(command, entry.args, entry.at);
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
