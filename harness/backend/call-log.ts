// The call log every stubbed, simulated or passed-through command appends to (one JSON line per
// call, read back by the runner for `expect.calls` and reports), the flag that makes every backend
// call of a step fail, and how a call and an argument pattern are written in messages.

import { appendFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** An argument pattern as stored in the sandbox: the literal argument, or a regex's source. */
export type StoredMatcher = { readonly equals: string } | { readonly regex: string };

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
 * When the step's fail_backend flag is up: logs the call as injected and returns what the call
 * prints on stderr before it exits 1, the same for a stub or a simulator; null otherwise.
 */
export function failOnPurpose(callLog: string, call: Omit<LoggedCall, 'entry' | 'exit' | 'injected'>): string | null {
  if (!existsSync(join(dirname(callLog), FAIL_BACKEND_FLAG))) return null;
  const logged: LoggedCall = { ...call, entry: null, exit: 1, injected: true };
  appendFileSync(callLog, `${JSON.stringify(logged)}\n`);
  return `${call.command}: failed on purpose (extstorage-kit: this step has fail_backend)\n`;
}

/** A shell-like rendering of a call, for messages only (never executed). */
export function renderCall(command: string, argv: readonly string[]): string {
  return [command, ...argv].map((a) => (/^[-\w./:=@,+%]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

/** An argument pattern and where the scenario wrote it, for messages: `rbd map /^vol/ (f.yaml:3:5)`. */
export function renderPattern(command: string, args: readonly StoredMatcher[], at: string): string {
  const shown = args.map((m) =>
    'equals' in m ? (/^[-\w./:=@,+%]+$/.test(m.equals) ? m.equals : JSON.stringify(m.equals)) : `/${m.regex}/`,
  );
  return `${[command, ...shown].join(' ')} (${at})`;
}
