// What the e2e run prints: TAP version 13 (one test point per stage, so `prove` and CI can read
// it), each with its time; what failed, with the command's output and the daemons' log tails;
// then a table of every stage's time, the figures bench/README.md quotes, and the time per layer
// (what issue 13 asks the report to show: providers on real storage, simulators vs reality, ...).

export interface StageOutcome {
  readonly name: string;
  readonly ok: boolean;
  readonly durationMs: number;
  /** One line after the name: counts, versions, phases. */
  readonly summary?: string;
  /** Diagnostics shown under the test point (skips, failures, log tails). */
  readonly details?: readonly string[];
  /** What the stage belongs to, for the time per layer; without one: SETUP_LAYER. */
  readonly layer?: string;
}

/** The layer of the run's own stages: packages, namespace, backends, teardown, leak check. */
export const SETUP_LAYER = 'setup and teardown';

export interface LayerTime {
  readonly layer: string;
  readonly stages: number;
  readonly failed: number;
  readonly durationMs: number;
}

/** The stages' times summed per layer, in the order each layer first ran. */
export function layerTimes(outcomes: readonly StageOutcome[]): LayerTime[] {
  const layers = new Map<string, { stages: number; failed: number; durationMs: number }>();
  for (const o of outcomes) {
    const layer = o.layer ?? SETUP_LAYER;
    const sum = layers.get(layer) ?? { stages: 0, failed: 0, durationMs: 0 };
    sum.stages += 1;
    if (!o.ok) sum.failed += 1;
    sum.durationMs += o.durationMs;
    layers.set(layer, sum);
  }
  return [...layers].map(([layer, sum]) => ({ layer, ...sum }));
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export class E2eReport {
  private readonly outcomes: StageOutcome[] = [];
  private readonly started = performance.now();

  constructor(private readonly out: NodeJS.WritableStream) {
    this.write('TAP version 13');
  }

  note(line: string): void {
    this.write(`# ${line}`);
  }

  stage(outcome: StageOutcome): void {
    this.outcomes.push(outcome);
    const summary = outcome.summary ? `: ${outcome.summary}` : '';
    this.write(
      `${outcome.ok ? 'ok' : 'not ok'} ${this.outcomes.length} - ${outcome.name}${summary} (${seconds(outcome.durationMs)})`,
    );
    for (const line of outcome.details ?? []) this.write(`#   ${line}`);
  }

  get failed(): number {
    return this.outcomes.filter((o) => !o.ok).length;
  }

  /** The plan, the timing table and the last line; returns the exit status. */
  finish(): number {
    this.write(`1..${this.outcomes.length}`);
    const width = Math.max(...this.outcomes.map((o) => o.name.length), 5);
    this.write('# timings');
    for (const o of this.outcomes)
      this.write(`#   ${o.name.padEnd(width)}  ${seconds(o.durationMs).padStart(8)}${o.ok ? '' : '  FAILED'}`);
    this.write(`#   ${'total'.padEnd(width)}  ${seconds(performance.now() - this.started).padStart(8)}`);
    // Setup runs partly in parallel (Ceph and GlusterFS start at once): the layers' sum can exceed the total.
    const layers = layerTimes(this.outcomes);
    const layerWidth = Math.max(...layers.map((l) => l.layer.length), 5);
    this.write('# time per layer');
    for (const l of layers) {
      const stages = `${l.stages} stage${l.stages === 1 ? '' : 's'}${l.failed > 0 ? `, ${l.failed} FAILED` : ''}`;
      this.write(`#   ${l.layer.padEnd(layerWidth)}  ${seconds(l.durationMs).padStart(8)}  ${stages}`);
    }
    const passed = this.outcomes.length - this.failed;
    this.write(`# e2e: ${passed} passed, ${this.failed} failed`);
    return this.failed === 0 ? 0 : 1;
  }

  private write(line: string): void {
    this.out.write(`${line}\n`);
  }
}

/** The last `count` lines of a text, for a failed command's output. */
export function lastLines(text: string, count: number): string[] {
  const lines = text.replace(/\n$/, '').split('\n');
  return lines.length > count ? [`... (${lines.length - count} lines before)`, ...lines.slice(-count)] : lines;
}
