// JUnit XML, the form CI systems (Jenkins, GitLab, GitHub test-report actions) read:
//
//   <testsuites name="extstorage-kit run: PROVIDER" tests failures errors skipped time>
//     <testsuite name=FILE tests failures errors skipped time>        one per scenario file
//       <testcase classname=FILE name=SCENARIO time file line>        one per scenario
//         <failure message=FIRST-MESSAGE type=assertion|timeout|lingering|spawn>the full account,
//           as the human report gives it (without stderr)</failure>
//         <skipped message=REASON/>
//         <system-err>the last lines of the failing run's stderr</system-err>
//
// Times are seconds. Characters XML 1.0 forbids (most C0 controls, U+FFFE, U+FFFF, lone
// surrogates) cannot even be written as character references, so they appear as \xNN / \uNNNN.

import type { RunSummary, ScenarioResult } from '../run/result.js';
import { escapeChar, failedScenarioLines, failingRun, failuresOf, noPaint, streamTail, tailText } from './format.js';
import type { Reporter } from '../run/events.js';
import { writeReportFile } from './output.js';

export class JunitReporter implements Reporter {
  constructor(private readonly path: string) {}

  start(): void {}
  scenarioStarted(): void {}
  scenarioFinished(): void {}

  async finish(summary: RunSummary): Promise<void> {
    await writeReportFile(this.path, junitDocument(summary));
  }
}

const FORBIDDEN = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]/gu;

/** Text for XML 1.0 element content (attr = false) or a double- or single-quoted attribute. */
export function xmlEscape(text: string, attr = false): string {
  const safe = text
    .replace(FORBIDDEN, escapeChar)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r/g, '&#13;');
  return attr
    ? safe.replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;')
    : safe;
}

function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}

function attrs(pairs: Record<string, string | number | undefined>): string {
  return Object.entries(pairs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${xmlEscape(String(v), true)}"`)
    .join('');
}

function testcase(result: ScenarioResult): string[] {
  const open = `    <testcase${attrs({ classname: result.file, name: result.name, time: seconds(result.durationMs), file: result.position.file, line: result.position.line })}`;
  if (result.status === 'pass') return [`${open}/>`];
  if (result.status === 'skip')
    return [`${open}>`, `      <skipped${attrs({ message: result.skipReason ?? '' })}/>`, '    </testcase>'];
  const all = failuresOf(result);
  const first = all[0]!.failure.message;
  const message = all.length > 1 ? `${first} (and ${all.length - 1} more)` : first;
  const fault = result.steps
    .map((s) => (s.status === 'fail' ? failingRun(s)?.run.fault : undefined))
    .find((f) => f !== undefined);
  const lines = [
    `${open}>`,
    `      <failure${attrs({ message, type: fault?.kind ?? 'assertion' })}>${xmlEscape(failedScenarioLines(result, '', noPaint, { stderr: false }).join('\n'))}</failure>`,
  ];
  const tails: string[] = [];
  const failing = result.steps.filter((s) => s.status === 'fail');
  for (const step of failing) {
    const chosen = failingRun(step);
    if (!chosen || chosen.run.stderr.totalBytes === 0) continue;
    const text = tailText(streamTail(chosen.run.stderr));
    tails.push(failing.length > 1 ? `[${step.label} at line ${step.position.line}]\n${text}` : text);
  }
  if (tails.length > 0) lines.push(`      <system-err>${xmlEscape(tails.join('\n'))}</system-err>`);
  lines.push('    </testcase>');
  return lines;
}

export function junitDocument(summary: RunSummary): string {
  const files = new Map<string, ScenarioResult[]>();
  for (const result of summary.results) {
    const list = files.get(result.file);
    if (list) list.push(result);
    else files.set(result.file, [result]);
  }
  const count = (results: readonly ScenarioResult[], status: ScenarioResult['status']) =>
    results.filter((r) => r.status === status).length;
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs({
      name: `extstorage-kit run: ${summary.provider}`,
      tests: summary.results.length,
      failures: summary.failed,
      errors: 0,
      skipped: summary.skipped,
      time: seconds(summary.durationMs),
    })}>`,
  ];
  if (summary.notRun > 0)
    out.push(
      `  <!-- ${summary.notRun} scenario${summary.notRun === 1 ? '' : 's'} not run: bail stopped the run at a failure -->`,
    );
  for (const [file, results] of files) {
    out.push(
      `  <testsuite${attrs({
        name: file,
        tests: results.length,
        failures: count(results, 'fail'),
        errors: 0,
        skipped: count(results, 'skip'),
        time: seconds(results.reduce((sum, r) => sum + r.durationMs, 0)),
      })}>`,
      ...results.flatMap(testcase),
      '  </testsuite>',
    );
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}
