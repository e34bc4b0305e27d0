// The loader's output when a file is refused: its problems, each at file:line:col, in file order,
// printed safely, and at most MAX_ERRORS_PER_FILE of them (spec/SCENARIOS.md, "Errors").

import { safeMessage } from '../text/display-path.js';
import { MAX_ERRORS_PER_FILE } from './limits.js';
import type { ScenarioFileError, SourcePosition } from './model.js';

/** A problem placed in the file, before sorting and capping. */
export interface Located {
  readonly position: SourcePosition;
  readonly message: string;
}

/** A problem with the file as a whole (it cannot be read, a directory holds no scenarios): line 1, column 1. */
export function startOf(file: string, message: string): ScenarioFileError {
  return { position: { file, line: 1, col: 1 }, message: safeMessage(message) };
}

/**
 * Sorted by position, then message; exact duplicates dropped; at most MAX_ERRORS_PER_FILE, then one
 * that counts the rest. `complete`: false when checking stopped early (there may be more still).
 */
export function finish(issues: readonly Located[], complete = true): ScenarioFileError[] {
  const sorted = [...issues].sort(
    (a, b) =>
      a.position.line - b.position.line ||
      a.position.col - b.position.col ||
      (a.message < b.message ? -1 : a.message > b.message ? 1 : 0),
  );
  const out: ScenarioFileError[] = [];
  for (const issue of sorted) {
    const last = out[out.length - 1];
    if (
      last?.position.line === issue.position.line &&
      last.position.col === issue.position.col &&
      last.message === issue.message
    )
      continue;
    out.push({ position: issue.position, message: safeMessage(issue.message) });
  }
  if (out.length <= MAX_ERRORS_PER_FILE) return out;
  const rest = out.length - MAX_ERRORS_PER_FILE;
  const more = `... and ${complete ? '' : 'at least '}${rest} more error${rest === 1 ? '' : 's'} in this file, from here on (only the first ${MAX_ERRORS_PER_FILE} are shown)`;
  return [...out.slice(0, MAX_ERRORS_PER_FILE), { position: out[MAX_ERRORS_PER_FILE]!.position, message: more }];
}
