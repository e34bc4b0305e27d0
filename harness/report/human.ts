// The human report. Progress goes to stderr: on a terminal one status line rewritten in place
// ("[12/40] running: a, b") plus a line for each failure as it happens; elsewhere one plain line per
// finished scenario. At the end, stdout gets a block for each failed scenario (stable order) and the
// counts.

import { paint } from '../cli/display.js';
import type { RunSummary, ScenarioResult } from '../run/result.js';
import { countsText, failedScenarioLines, formatDuration, noPaint, type Painter, STYLE, visible } from './format.js';
import { colorFor, type OutputStream, type Reporter, type RunStart, type ScenarioStart, writeAll } from './reporter.js';

const CLEAR_LINE = '\r\x1b[2K';

export class HumanReporter implements Reporter {
  private total = 0;
  private done = 0;
  private readonly running = new Map<string, string>();
  private statusShown = false;
  /** Progress rewritten in place: stderr is a terminal. */
  private readonly live: boolean;
  private readonly paintOut: Painter;
  private readonly paintErr: Painter;

  constructor(
    private readonly stdout: OutputStream,
    private readonly stderr: OutputStream,
    env: NodeJS.ProcessEnv,
  ) {
    this.live = stderr.isTTY === true;
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
        `running ${info.total} scenario${info.total === 1 ? '' : 's'} of ${visible(info.provider)} (${info.jobs} job${info.jobs === 1 ? '' : 's'})\n`,
      );
  }

  scenarioStarted(scenario: ScenarioStart): void {
    this.running.set(key(scenario), visible(scenario.name));
    if (this.live) this.drawStatus();
  }

  scenarioFinished(result: ScenarioResult): void {
    this.running.delete(key(result));
    this.done++;
    if (!this.live) {
      this.stderr.write(`${this.progressLine(result, noPaint)}\n`);
      return;
    }
    if (result.status === 'fail') {
      this.clearStatus();
      this.stderr.write(`${this.progressLine(result, this.paintErr)}\n`);
    }
    this.drawStatus();
  }

  async finish(summary: RunSummary): Promise<void> {
    if (this.live) this.clearStatus();
    await writeAll(this.stdout, renderHumanSummary(summary, this.paintOut));
  }

  private progressLine(result: ScenarioResult, p: Painter): string {
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
    return `${word} ${visible(result.file)}: ${visible(result.name)} (${after})`;
  }

  private drawStatus(): void {
    const width = Math.max(20, (this.stderr.columns ?? 80) - 1);
    const names = [...this.running.values()].join(', ');
    const text = truncate(`[${this.done}/${this.total}]${names === '' ? '' : ` running: ${names}`}`, width);
    this.stderr.write(`${CLEAR_LINE}${text}`);
    this.statusShown = true;
  }

  private clearStatus(): void {
    if (!this.statusShown) return;
    this.stderr.write(CLEAR_LINE);
    this.statusShown = false;
  }
}

function key(s: { file: string; index: number }): string {
  return `${s.file}\0${s.index}`;
}

/** At most `width` code points, ending in "…" when cut. */
function truncate(text: string, width: number): string {
  const points = [...text];
  return points.length <= width ? text : `${points.slice(0, width - 1).join('')}…`;
}

/** What the human reporter prints at the end: failed scenarios in stable order, then the counts. */
export function renderHumanSummary(summary: RunSummary, p: Painter = noPaint): string {
  const blocks: string[] = [];
  for (const result of summary.results) {
    if (result.status !== 'fail') continue;
    const head = `${p(STYLE.red, 'FAIL')} ${p(STYLE.bold, `${visible(result.file)}: ${visible(result.name)}`)} (${formatDuration(result.durationMs)})`;
    blocks.push([head, ...failedScenarioLines(result, '  ', p)].join('\n'));
  }
  const counts = countsText(summary)
    .replace(/^(\d+) passed/, (m, n: string) => (n === '0' ? m : p(STYLE.green, m)))
    .replace(/(\d+) failed/, (m, n: string) => (n === '0' ? m : p(STYLE.red, m)))
    .replace(/(\d+) skipped/, (m, n: string) => (n === '0' ? m : p(STYLE.yellow, m)));
  const total = `${counts} in ${formatDuration(summary.durationMs)}${isolationText(summary)}`;
  return `${blocks.map((b) => `${b}\n\n`).join('')}${total}\n`;
}

/**
 * "; isolation: bwrap" on the counts line, then one line for each thing not contained and the host
 * commands the provider runs by absolute path (once each); nothing when no result says (hand-made
 * summaries).
 */
function isolationText(summary: RunSummary): string {
  const reports = summary.results.flatMap((r) => (r.isolation ? [r.isolation] : []));
  if (reports.length === 0) return '';
  const levels = [...new Set(reports.map((r) => r.level))].join(', ');
  const notes = [...new Set(reports.flatMap((r) => r.notContained))];
  const commands = [...new Set(reports.flatMap((r) => r.hostCommands))];
  const lines = [
    ...notes.map((note) => `  not contained: ${visible(note)}`),
    ...(commands.length > 0
      ? [`  host commands this provider runs by absolute path: ${commands.map((c) => visible(c)).join(', ')}`]
      : []),
  ];
  return `; isolation: ${levels}${lines.map((line) => `\n${line}`).join('')}`;
}
