// Hand-built run results for reporter tests: the result model (harness/run/result.ts) with
// defaults, and a fake output stream that records every write.

import type { CapturedStream, RunSummary, ScenarioResult, ScriptRun, StepResult } from '../../harness/run/result.js';
import type { OutputStream } from '../../harness/report/output.js';

const encoder = new TextEncoder();
const bytes = (content: string | Uint8Array) => (typeof content === 'string' ? encoder.encode(content) : content);

/** A captured stream: everything kept, or a head and tail with `dropped` bytes between. */
export function captured(
  head: string | Uint8Array = '',
  options: { tail?: string | Uint8Array; dropped?: number } = {},
): CapturedStream {
  const h = bytes(head);
  const t = bytes(options.tail ?? '');
  const dropped = options.dropped ?? 0;
  return { head: h, tail: t, totalBytes: h.length + t.length + dropped, droppedBytes: dropped };
}

export function scriptRun(partial: Partial<ScriptRun> = {}): ScriptRun {
  return {
    exitCode: 0,
    signal: null,
    durationMs: 5,
    stdout: captured(),
    stderr: captured(),
    calls: [],
    env: {},
    ...partial,
  };
}

export function stepResult(file: string, line: number, partial: Partial<StepResult> = {}): StepResult {
  const action = partial.action ?? 'attach';
  return {
    index: 0,
    action,
    label: action,
    position: { file, line, col: 7 },
    status: 'pass',
    runs: [scriptRun()],
    failures: [],
    ...partial,
  };
}

export function scenarioResult(
  file: string,
  index: number,
  name: string,
  partial: Partial<ScenarioResult> = {},
): ScenarioResult {
  return {
    file,
    name,
    index,
    position: { file, line: 3 + index * 20, col: 5 },
    status: 'pass',
    steps: [],
    failures: [],
    durationMs: 12,
    ...partial,
  };
}

export function runSummary(results: ScenarioResult[], partial: Partial<RunSummary> = {}): RunSummary {
  return {
    provider: 'providers/demo',
    results,
    passed: results.filter((r) => r.status === 'pass').length,
    failed: results.filter((r) => r.status === 'fail').length,
    skipped: results.filter((r) => r.status === 'skip').length,
    notRun: 0,
    durationMs: 12_345,
    ...partial,
  };
}

/** An output stream that keeps each write; `text` is all of them joined. */
export class FakeStream {
  readonly writes: string[] = [];
  constructor(
    readonly isTTY = false,
    readonly columns?: number,
  ) {}

  write(chunk: string | Uint8Array, encodingOrCallback?: unknown, callback?: unknown): boolean {
    this.writes.push(typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk));
    const cb = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
    if (typeof cb === 'function') queueMicrotask(() => (cb as () => void)());
    return true;
  }

  get text(): string {
    return this.writes.join('');
  }

  /** As the stream type reporters take (they only ever call write). */
  get stream(): OutputStream {
    return this as unknown as OutputStream;
  }
}
