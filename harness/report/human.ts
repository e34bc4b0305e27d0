// The human report. Progress goes to stderr: on a terminal one status line rewritten in place
// ("[12/40] 1 failed · running: a, b"); elsewhere one plain line per finished scenario. At the end,
// stdout gets a block for each failed scenario (stable order) and the counts. Each failure is told
// once: where stdout and stderr reach the same place (a terminal, one CI log), a failure's block is
// not announced by a progress line as well: on a terminal the status line counts it, in a log its
// block is printed when it happens (in place of the progress line) and not again at the end.
// Conformance checks are named by their id first; scenario files by a short path.

import { fstatSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { paint } from '../text/display.js';
import type { RunSummary, ScenarioResult } from '../run/result.js';
import {
  clip,
  countsText,
  failedScenarioLines,
  formatDuration,
  noPaint,
  type Painter,
  STYLE,
  visible,
} from './format.js';
import type { Reporter, RunStart, ScenarioStart } from '../run/events.js';
import { colorFor, type OutputStream, writeAll } from './output.js';

const CLEAR_LINE = '\r\x1b[2K';

/** How a scenario file is named in the human report. */
export type PathLabel = (file: string) => string;

/** Relative to cwd when the file is inside it (./x.yaml reads better than /home/.../x.yaml). */
export function cwdPathLabel(cwd: string): PathLabel {
  return (file) => {
    if (!isAbsolute(file)) return file;
    const rel = relative(resolve(cwd), file);
    return rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel) ? file : rel;
  };
}

/**
 * Whether two streams reach the same place (the same terminal, pipe or file), so that a line on
 * each is read twice. Streams without a file descriptor (tests' fakes) are taken as apart.
 */
export function sameDestination(a: OutputStream, b: OutputStream): boolean {
  const fdA = (a as { fd?: unknown }).fd;
  const fdB = (b as { fd?: unknown }).fd;
  if (typeof fdA !== 'number' || typeof fdB !== 'number') return false;
  try {
    const [x, y] = [fstatSync(fdA), fstatSync(fdB)];
    return x.dev === y.dev && x.ino === y.ino && x.rdev === y.rdev;
  } catch {
    return false;
  }
}

export interface HumanOptions {
  readonly pathLabel?: PathLabel;
  /** stdout and stderr reach the same place (see sameDestination()). */
  readonly merged?: boolean;
  /** false: the processes killed are not listed under the counts (test's verdict lists them by check). */
  readonly killed?: boolean;
}

export class HumanReporter implements Reporter {
  private total = 0;
  private done = 0;
  private failed = 0;
  private readonly running = new Map<string, string>();
  private statusShown = false;
  /** Progress rewritten in place: stderr is a terminal. */
  private readonly live: boolean;
  private readonly merged: boolean;
  private readonly label: PathLabel;
  private readonly listKilled: boolean;
  private readonly paintOut: Painter;
  private readonly paintErr: Painter;
  /** Failures already told in full as they happened (merged, not live). */
  private readonly told = new Set<string>();

  constructor(
    private readonly stdout: OutputStream,
    private readonly stderr: OutputStream,
    env: NodeJS.ProcessEnv,
    options: HumanOptions = {},
  ) {
    this.live = stderr.isTTY === true;
    this.merged = options.merged ?? false;
    this.label = options.pathLabel ?? ((file) => file);
    this.listKilled = options.killed ?? true;
    const outColor = colorFor(stdout, env);
    const errColor = colorFor(stderr, env);
    this.paintOut = outColor ? (code, text) => paint(true, code, text) : noPaint;
    this.paintErr = errColor ? (code, text) => paint(true, code, text) : noPaint;
  }

  start(info: RunStart): void {
    this.total = info.total;
    if (this.live) this.drawStatus();
    else
      this.stderr.write(
        `running ${info.total} scenario${info.total === 1 ? '' : 's'} of ${visible(this.label(info.provider))} (${info.jobs} job${info.jobs === 1 ? '' : 's'})\n`,
      );
  }

  scenarioStarted(scenario: ScenarioStart): void {
    this.running.set(key(scenario), visible(scenario.name));
    if (this.live) this.drawStatus();
  }

  scenarioFinished(result: ScenarioResult): void {
    this.running.delete(key(result));
    this.done++;
    if (result.status === 'fail') this.failed++;
    if (!this.live) {
      if (result.status === 'fail' && this.merged) {
        this.told.add(key(result));
        this.stderr.write(`${failureBlock(result, this.paintErr, this.label)}\n\n`);
      } else this.stderr.write(`${progressLine(result, noPaint, this.label)}\n`);
      return;
    }
    if (result.status === 'fail' && !this.merged) {
      this.clearStatus();
      this.stderr.write(`${progressLine(result, this.paintErr, this.label)}\n`);
    }
    this.drawStatus();
  }

  async finish(summary: RunSummary): Promise<void> {
    if (this.live) this.clearStatus();
    const results = summary.results.filter((r) => !this.told.has(key(r)));
    await writeAll(
      this.stdout,
      renderHumanSummary({ ...summary, results }, this.paintOut, this.label, summary, this.listKilled),
    );
  }

  private drawStatus(): void {
    const width = Math.max(20, (this.stderr.columns ?? 80) - 1);
    const names = [...this.running.values()].join(', ');
    const parts = [`[${this.done}/${this.total}]`];
    if (this.failed > 0) parts.push(`${this.failed} failed`);
    const head = parts.join(' ');
    const text = truncate(names === '' ? head : `${head}${this.failed > 0 ? ' ·' : ''} running: ${names}`, width);
    this.stderr.write(`${CLEAR_LINE}${text}`);
    this.statusShown = true;
  }

  private clearStatus(): void {
    if (!this.statusShown) return;
    this.stderr.write(CLEAR_LINE);
    this.statusShown = false;
  }
}

/** A scenario's name in a report line: a conformance check by its name (id first), else file: name. */
function scenarioTitle(result: ScenarioResult, label: PathLabel): string {
  return result.check ? visible(result.name) : `${visible(label(result.file))}: ${visible(result.name)}`;
}

function progressLine(result: ScenarioResult, p: Painter, label: PathLabel): string {
  const word =
    result.status === 'pass'
      ? p(STYLE.green, 'ok  ')
      : result.status === 'fail'
        ? p(STYLE.red, 'FAIL')
        : p(STYLE.yellow, 'skip');
  const after =
    result.status === 'skip'
      ? `skipped: ${visible(result.skipReason ?? 'no reason given')}`
      : formatDuration(result.durationMs);
  return `${word} ${scenarioTitle(result, label)} (${after})`;
}

function failureBlock(result: ScenarioResult, p: Painter, label: PathLabel): string {
  const head = `${p(STYLE.red, 'FAIL')} ${p(STYLE.bold, scenarioTitle(result, label))} (${formatDuration(result.durationMs)})`;
  return [head, ...failedScenarioLines(result, '  ', p, { pathLabel: label })].join('\n');
}

function key(s: { file: string; index: number }): string {
  return `${s.file}\0${s.index}`;
}

/** At most `width` code points, ending in "…" when cut. */
function truncate(text: string, width: number): string {
  const points = [...text];
  return points.length <= width ? text : `${points.slice(0, width - 1).join('')}…`;
}

/**
 * What the human reporter prints at the end: failed scenarios in stable order, then the counts
 * (of `all`, when the blocks shown are only some of its results).
 */
export function renderHumanSummary(
  summary: RunSummary,
  p: Painter = noPaint,
  label: PathLabel = (file) => file,
  all: RunSummary = summary,
  listKilled = true,
): string {
  const blocks: string[] = [];
  for (const result of summary.results) if (result.status === 'fail') blocks.push(failureBlock(result, p, label));
  const counts = countsText(all)
    .replace(/^(\d+) passed/, (m, n: string) => (n === '0' ? m : p(STYLE.green, m)))
    .replace(/(\d+) failed/, (m, n: string) => (n === '0' ? m : p(STYLE.red, m)))
    .replace(/(\d+) skipped/, (m, n: string) => (n === '0' ? m : p(STYLE.yellow, m)));
  const total = `${counts} in ${formatDuration(all.durationMs)}${isolationText(all, listKilled)}`;
  return `${blocks.map((b) => `${b}\n\n`).join('')}${total}\n`;
}

/**
 * "; isolation: bwrap" on the counts line, then one line for each thing not contained and the host
 * commands the provider runs by absolute path (once each); nothing when no result says (hand-made
 * summaries).
 */
function isolationText(summary: RunSummary, listKilled: boolean): string {
  const reports = summary.results.flatMap((r) => (r.isolation ? [r.isolation] : []));
  if (reports.length === 0) return '';
  const levels = [...new Set(reports.map((r) => r.level))].join(', ');
  const notes = [...new Set(reports.flatMap((r) => r.notContained))];
  const commands = [...new Set(reports.flatMap((r) => r.hostCommands))];
  const killed = listKilled ? summary.results.flatMap((r) => r.isolation?.killed ?? []) : [];
  const lines = [
    ...(killed.length > 0
      ? [
          `  killed ${killed.length} process${killed.length === 1 ? '' : 'es'} the provider left running: ${killed
            .slice(0, 5)
            .map((k) => `${visible(clip(k.command, 60))} (after ${visible(k.after)})`)
            .join(', ')}${killed.length > 5 ? `, ... and ${killed.length - 5} more (all in --json)` : ''}`,
        ]
      : []),
    ...notes.map((note) => `  not contained: ${visible(note)}`),
    ...(commands.length > 0
      ? [`  host commands this provider runs by absolute path: ${commands.map((c) => visible(c)).join(', ')}`]
      : []),
  ];
  return `; isolation: ${levels}${lines.map((line) => `\n${line}`).join('')}`;
}
