// What every reporter says the same way: positions, durations, faults, exit statuses, the
// compatibility row, the tail of a captured stream, and the plain-text account of a failed scenario
// (the human report prints it, JUnit puts it in <failure>).

import { shown } from '../text/display.js';
import type {
  CapturedStream,
  CompatibilityRow,
  Fault,
  Failure,
  ScenarioResult,
  ScriptRun,
  StepResult,
} from '../run/result.js';
import type { SourcePosition } from '../scenario/model.js';
import { formatPosition } from '../scenario/position.js';

/** How many lines of a failing run's stderr the reports show. */
export const STDERR_TAIL_LINES = 10;
/** Longest line (in code points) shown in human and JUnit reports; the JSON report keeps all. */
export const MAX_LINE = 400;
/** Most lines of one expected/actual value shown in human and JUnit reports. */
export const MAX_VALUE_LINES = 40;

const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** Lossy UTF-8: each ill-formed sequence becomes U+FFFD. */
export function decode(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** file:line:col, the file name quoted when it would mislead raw (one rule for every message). */
export { formatPosition };

/** 850ms, 1.2s, 2m05s. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** One character as an escape: \n, \r, \t, \xNN below U+0100, \uNNNN above. */
export function escapeChar(c: string): string {
  if (c === '\n') return '\\n';
  if (c === '\r') return '\\r';
  if (c === '\t') return '\\t';
  const code = c.codePointAt(0)!;
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

// C0 controls but tab, DEL, C1 controls, the Unicode line and paragraph separators, lone surrogates
// (with the u flag, a surrogate range only matches a surrogate that is not half of a pair).

const INVISIBLE = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]/gu;

/** Text safe to put on one terminal line: control characters (not tab) become escapes. */
export function visible(text: string): string {
  return text.replace(INVISIBLE, escapeChar);
}

/** At most `max` code points, the rest named. */
export function clip(text: string, max = MAX_LINE): string {
  if (text.length <= max) return text;
  const points = [...text];
  if (points.length <= max) return text;
  return `${points.slice(0, max).join('')}… (${points.length - max} more characters)`;
}

/** Splits text into lines on LF, without the empty piece after a final newline. */
export function textLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export function describeFault(fault: Fault): string {
  switch (fault.kind) {
    case 'timeout':
      return `timeout: killed after ${fault.seconds}s, with every process it started`;
    case 'lingering':
      return `lingering process: the script exited but left a process holding its ${fault.stream} open (Ganeti would wait for it forever)`;
    case 'spawn':
      return `could not start the script: ${fault.message}`;
    case 'killed':
      return `killed with SIGKILL ${fault.when} backend call ${fault.call}, as the step asked`;
  }
}

export function describeExit(run: ScriptRun): string {
  if (run.fault?.kind === 'spawn') return 'did not start';
  const status =
    run.signal !== null ? `killed by ${run.signal}` : run.exitCode === null ? 'no exit status' : `exit ${run.exitCode}`;
  return `${status} after ${formatDuration(run.durationMs)}`;
}

/** "2.12 ✗  2.13.0 ✓  2.16 ✓  3.1 ✓": readable without color. */
export function compatibilityText(
  row: CompatibilityRow,
  mark: (ok: boolean) => string = (ok) => (ok ? '✓' : '✗'),
): string {
  return row.map((cell) => `${cell.ganeti} ${mark(cell.ok)}`).join('  ');
}

/** The run a failing step is reported by: the first one with a fault, else the last one made. */
export function failingRun(step: StepResult): { readonly run: ScriptRun; readonly number: number } | undefined {
  if (step.runs.length === 0) return undefined;
  const faulted = step.runs.findIndex((run) => run.fault !== undefined);
  const i = faulted >= 0 ? faulted : step.runs.length - 1;
  return { run: step.runs[i]!, number: i + 1 };
}

/** "attach", or `"map twice" (attach)` when the step has its own label. */
export function stepName(step: StepResult): string {
  return step.label === '' || step.label === step.action
    ? step.action
    : `${JSON.stringify(step.label)} (${step.action})`;
}

/** One line of a stream's tail, or the marker where bytes were dropped. */
export type TailEntry = { readonly line: string } | { readonly droppedBytes: number };

export interface StreamTail {
  readonly entries: readonly TailEntry[];
  /** True when every byte and every line is shown. */
  readonly complete: boolean;
}

/**
 * The last `max` lines of a captured stream, decoded lossily. When bytes were dropped between
 * head and tail, the marker stands between the end of the head and the tail's lines (first, when
 * the tail alone has `max` lines).
 */
export function streamTail(stream: CapturedStream, max = STDERR_TAIL_LINES): StreamTail {
  if (stream.droppedBytes === 0) {
    const bytes = new Uint8Array(stream.head.length + stream.tail.length);
    bytes.set(stream.head);
    bytes.set(stream.tail, stream.head.length);
    const lines = textLines(decode(bytes));
    return { entries: lines.slice(-max).map((line) => ({ line })), complete: lines.length <= max };
  }
  const marker: TailEntry = { droppedBytes: stream.droppedBytes };
  const tail = textLines(decode(stream.tail));
  if (tail.length >= max) return { entries: [marker, ...tail.slice(-max).map((line) => ({ line }))], complete: false };
  const head = max - tail.length > 0 ? textLines(decode(stream.head)).slice(-(max - tail.length)) : [];
  return { entries: [...head.map((line) => ({ line })), marker, ...tail.map((line) => ({ line }))], complete: false };
}

export function droppedMarker(bytes: number): string {
  return `... ${bytes} bytes not kept ...`;
}

/** The tail as plain text, one entry a line (for TAP and JUnit). */
export function tailText(tail: StreamTail): string {
  return tail.entries.map((e) => ('line' in e ? e.line : droppedMarker(e.droppedBytes))).join('\n');
}

/** Every failure of a scenario with where it happened, in report order. */
export interface LocatedFailure {
  readonly at: SourcePosition;
  readonly step?: StepResult;
  readonly failure: Failure;
}

export function failuresOf(result: ScenarioResult): LocatedFailure[] {
  const all: LocatedFailure[] = [];
  for (const step of result.steps) {
    if (step.status !== 'fail') continue;
    if (step.failures.length === 0)
      all.push({ at: step.position, step, failure: { message: `${step.action} failed` } });
    for (const failure of step.failures) all.push({ at: step.position, step, failure });
  }
  for (const failure of result.failures) all.push({ at: result.position, failure });
  if (all.length === 0 && result.status === 'fail')
    all.push({ at: result.position, failure: { message: 'the scenario failed' } });
  return all;
}

/** Applies (or not) an ANSI style: paint() bound to a color decision. */
export type Painter = (code: number, text: string) => string;
export const noPaint: Painter = (_code, text) => text;

export const STYLE = { bold: 1, dim: 2, red: 31, green: 32, yellow: 33, cyan: 36 } as const;

function valueBlock(value: string): string[] {
  const lines = textLines(value).map((line) => clip(visible(line)));
  if (lines.length <= MAX_VALUE_LINES) return lines;
  const keep = Math.floor(MAX_VALUE_LINES / 2);
  return [...lines.slice(0, keep), `... ${lines.length - 2 * keep} more lines ...`, ...lines.slice(-keep)];
}

/**
 * Expected and actual, each on one line when it has no newline, else as an indented block.
 * When the blocks would look the same (they differ only in a final newline), both are quoted.
 */
export function expectedActualLines(failure: Failure, indent: string, paint: Painter): string[] {
  const pairs: [string, string | undefined, number][] = [
    ['expected', failure.expected, STYLE.green],
    ['actual', failure.actual, STYLE.red],
  ];
  const multi = pairs.some(([, v]) => v?.includes('\n'));
  const ambiguous =
    multi &&
    failure.expected !== undefined &&
    failure.actual !== undefined &&
    valueBlock(failure.expected).join('\n') === valueBlock(failure.actual).join('\n');
  const out: string[] = [];
  for (const [label, value, color] of pairs) {
    if (value === undefined) continue;
    const head = paint(color, `${label}:`);
    const pad = label === 'actual' ? '   ' : ' ';
    if (ambiguous || !value.includes('\n')) {
      out.push(`${indent}${head}${pad}${clip(ambiguous ? JSON.stringify(value) : shown(value))}`);
    } else {
      out.push(`${indent}${head}`);
      for (const line of valueBlock(value)) out.push(`${indent}  ${line}`);
    }
  }
  return out;
}

function tailLines(tail: StreamTail, indent: string, paint: Painter): string[] {
  return tail.entries.map((e) =>
    'line' in e
      ? `${indent}${paint(STYLE.dim, '|')} ${clip(visible(e.line))}`
      : `${indent}${paint(STYLE.yellow, droppedMarker(e.droppedBytes))}`,
  );
}

function failureLines(failure: Failure, indent: string, paint: Painter): string[] {
  const [first = '', ...more] = failure.message.split('\n');
  return [
    `${indent}${paint(STYLE.red, '✗')} ${clip(visible(first))}`,
    ...more.map((line) => `${indent}  ${clip(visible(line))}`),
    ...expectedActualLines(failure, `${indent}    `, paint),
  ];
}

export interface FailureLinesOptions {
  /** false: leave out the stderr tails (JUnit puts them in <system-err>). */
  readonly stderr?: boolean;
  /** How a scenario file is named (the human report shortens paths; the default keeps them). */
  readonly pathLabel?: (file: string) => string;
}

/** file:line:col with the file as pathLabel names it, safe to print. */
function labelledPosition(position: SourcePosition, pathLabel?: (file: string) => string): string {
  return visible(formatPosition(pathLabel ? { ...position, file: pathLabel(position.file) } : position));
}

/** Everything about one failing step: where, which run, what did not hold, the fault, stderr. */
export function failedStepLines(
  step: StepResult,
  indent: string,
  paint: Painter,
  options: FailureLinesOptions = {},
): string[] {
  const chosen = failingRun(step);
  const run = chosen && step.runs.length > 1 ? `, run ${chosen.number}` : '';
  const where = labelledPosition(step.position, options.pathLabel);
  const lines = [`${indent}${paint(STYLE.cyan, where)}: ${visible(stepName(step))}${run}`];
  const inner = `${indent}  `;
  if (step.failures.length === 0) lines.push(`${inner}${paint(STYLE.red, '✗')} ${step.action} failed`);
  for (const failure of step.failures) lines.push(...failureLines(failure, inner, paint));
  if (chosen) {
    if (chosen.run.fault)
      lines.push(`${inner}${paint(STYLE.red, 'fault:')} ${visible(describeFault(chosen.run.fault))}`);
    lines.push(`${inner}${describeExit(chosen.run)}`);
  }
  if (step.compatibility && step.compatibility.length > 0) {
    const mark = (ok: boolean) => (ok ? paint(STYLE.green, '✓') : paint(STYLE.red, '✗'));
    lines.push(`${inner}Ganeti: ${compatibilityText(step.compatibility, mark)}`);
  }
  if (options.stderr !== false && chosen && chosen.run.stderr.totalBytes > 0) {
    const tail = streamTail(chosen.run.stderr);
    const shownLines = tail.entries.filter((e) => 'line' in e).length;
    const what = tail.complete
      ? 'stderr:'
      : `stderr (last ${plural(shownLines, 'line')} of ${chosen.run.stderr.totalBytes} bytes):`;
    lines.push(`${inner}${what}`, ...tailLines(tail, `${inner}  `, paint));
  }
  return lines;
}

/**
 * The body of a failed scenario's report: each failing step, then the scenario's own failures.
 */
export function failedScenarioLines(
  result: ScenarioResult,
  indent: string,
  paint: Painter,
  options: FailureLinesOptions = {},
): string[] {
  const lines: string[] = [];
  const where = labelledPosition(result.position, options.pathLabel);
  for (const step of result.steps)
    if (step.status === 'fail') lines.push(...failedStepLines(step, indent, paint, options));
  if (result.failures.length > 0) {
    lines.push(`${indent}${paint(STYLE.cyan, where)}: scenario`);
    for (const failure of result.failures) lines.push(...failureLines(failure, `${indent}  `, paint));
  }
  if (lines.length === 0) lines.push(`${indent}${paint(STYLE.cyan, where)}: the scenario failed`);
  if (result.sandbox !== undefined) lines.push(`${indent}sandbox kept: ${visible(result.sandbox)}`);
  return lines;
}

/** "3 passed, 1 failed, 2 skipped, 4 not run (--bail)". */
export function countsText(summary: { passed: number; failed: number; skipped: number; notRun: number }): string {
  const parts = [`${summary.passed} passed`, `${summary.failed} failed`, `${summary.skipped} skipped`];
  if (summary.notRun > 0) parts.push(`${summary.notRun} not run (--bail)`);
  return parts.join(', ');
}
