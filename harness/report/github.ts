// GitHub Actions annotations (when GITHUB_ACTIONS=true): at the end, one `::error` workflow command
// per failing step (and per scenario with failures outside its steps), pointing at the step's line
// in the scenario file so the failure shows in the pull request's diff.
//
//   ::error file=F,line=L,col=C,title=T::message
//
// Escaping as the Actions runner unescapes: in the message % \r \n; in properties also : and ,.

import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { Failure, RunSummary, StepResult } from '../run/result.js';
import type { SourcePosition } from '../scenario/model.js';
import { describeExit, describeFault, failingRun, streamTail, tailText, visible } from './format.js';
import type { Reporter } from '../run/events.js';
import { type OutputStream, writeAll } from './output.js';

export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export interface Annotation {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly title: string;
  readonly message: string;
}

/** GitHub shows a few kilobytes of an annotation; the rest of a long value is left out. */
function cut(text: string, max = 2000): string {
  return text.length <= max ? text : `${text.slice(0, max)}... (${text.length - max} more characters)`;
}

function failureText(failure: Failure): string {
  const lines = [failure.message];
  if (failure.expected !== undefined) lines.push(`expected: ${cut(failure.expected)}`);
  if (failure.actual !== undefined) lines.push(`actual: ${cut(failure.actual)}`);
  return lines.join('\n');
}

/**
 * Where a failing step is annotated, when not at its line in the scenario file (test: the suite's
 * files are the kit's, outside the author's workspace, so the provider's script for the action).
 */
export type AnnotationPlace = (step: StepResult) => SourcePosition | undefined;

/** The annotations for a run; paths relative to GITHUB_WORKSPACE (else as the results name them). */
export function annotations(
  summary: RunSummary,
  env: NodeJS.ProcessEnv = {},
  cwd = process.cwd(),
  place?: AnnotationPlace,
): Annotation[] {
  const where = (position: SourcePosition) => ({
    file: workspacePath(position.file, env, cwd),
    line: position.line,
    col: position.col,
  });
  const out: Annotation[] = [];
  for (const result of summary.results) {
    if (result.status !== 'fail') continue;
    let any = false;
    for (const step of result.steps) {
      if (step.status !== 'fail') continue;
      any = true;
      const chosen = failingRun(step);
      const parts = step.failures.length > 0 ? step.failures.map(failureText) : [`${step.action} failed`];
      if (chosen?.run.fault) parts.push(describeFault(chosen.run.fault));
      if (chosen) parts.push(describeExit(chosen.run));
      if (chosen && chosen.run.stderr.totalBytes > 0) parts.push(`stderr:\n${tailText(streamTail(chosen.run.stderr))}`);
      const run = chosen && step.runs.length > 1 ? ` (run ${chosen.number})` : '';
      out.push({
        ...where(place?.(step) ?? step.position),
        title: `${result.name}: ${step.label || step.action}${run}`,
        message: parts.join('\n'),
      });
    }
    if (result.failures.length > 0 || !any) {
      const message = result.failures.length > 0 ? result.failures.map(failureText).join('\n') : 'the scenario failed';
      out.push({ ...where(result.position), title: result.name, message });
    }
  }
  return out;
}

/**
 * The workflow command. Terminal escapes a provider printed are shown as escapes (the log viewer
 * would obey them): control characters but newlines become \xNN, as in the human report.
 */
export function formatAnnotation(a: Annotation): string {
  const safe = (text: string) => text.split('\n').map(visible).join('\n');
  return `::error file=${escapeProperty(safe(a.file))},line=${a.line},col=${a.col},title=${escapeProperty(safe(a.title))}::${escapeData(safe(a.message))}`;
}

function workspacePath(file: string, env: NodeJS.ProcessEnv, cwd: string): string {
  const workspace = env.GITHUB_WORKSPACE;
  if (!workspace) return file;
  const rel = relative(resolve(workspace), resolve(cwd, file));
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return file;
  return rel.split(sep).join('/');
}

export class GithubReporter implements Reporter {
  constructor(
    private readonly stdout: OutputStream,
    private readonly env: NodeJS.ProcessEnv,
    private readonly cwd: string,
    private readonly place?: AnnotationPlace,
  ) {}

  start(): void {}
  scenarioStarted(): void {}
  scenarioFinished(): void {}

  async finish(summary: RunSummary): Promise<void> {
    const lines = annotations(summary, this.env, this.cwd, this.place).map(formatAnnotation);
    await writeAll(this.stdout, lines.map((l) => `${l}\n`).join(''));
  }
}
