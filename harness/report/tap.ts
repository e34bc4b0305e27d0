// TAP version 14 on stdout: one test point per scenario in the stable order, failures with a YAML
// diagnostic block. Scenarios finish out of order, so the document is written at the end.
//
// The YAML is kept to what both node-tap's parser (YAML 1.2) and Perl's prove (TAP::Parser's
// YAMLish reader) read the same way: plain keys; strings always double-quoted, escaping only with
// \\ \" \n \r \t and \xNN (plus \uNNNN for the few characters YAML forbids raw); numbers,
// booleans; maps and lists of maps. No block scalars and no lists of strings (YAMLish misreads a
// "- " item that holds ": ").
//
// Note: Test::Harness before 3.48 (e.g. Debian 12's prove 3.44) reports "TAP version 14" as a parse
// error; everything after that line is plain TAP 13, so `--reporter tap13` writes the same document
// with a version 13 line for those.

import type { RunSummary, ScenarioResult } from '../run/result.js';
import {
  describeExit,
  describeFault,
  failingRun,
  failuresOf,
  formatPosition,
  streamTail,
  tailText,
  visible,
} from './format.js';
import type { Reporter } from '../run/events.js';
import { type OutputStream, writeAll } from './output.js';

export type TapVersion = 13 | 14;

/** Longest string put in a YAML block; the middle of longer ones is left out (JSON keeps all). */
const MAX_YAML_STRING = 8192;

export class TapReporter implements Reporter {
  constructor(
    private readonly stdout: OutputStream,
    private readonly version: TapVersion = 14,
  ) {}

  start(): void {}
  scenarioStarted(): void {}
  scenarioFinished(): void {}

  async finish(summary: RunSummary): Promise<void> {
    await writeAll(this.stdout, tapDocument(summary, this.version));
  }
}

/** Escapes a test point's description as TAP 14 says: backslash and #; no line breaks. */
export function tapEscape(text: string): string {
  return visible(text).replace(/\\/g, '\\\\').replace(/#/g, '\\#');
}

/** The whole TAP document for a run. */
export function tapDocument(summary: RunSummary, version: TapVersion = 14): string {
  const out = [`TAP version ${version}`, `1..${summary.results.length}`];
  summary.results.forEach((result, i) => {
    const description = tapEscape(`${result.file}: ${result.name}`);
    if (result.status === 'skip') {
      out.push(`ok ${i + 1} - ${description} # SKIP${result.skipReason ? ` ${visible(result.skipReason)}` : ''}`);
    } else if (result.status === 'pass') {
      out.push(`ok ${i + 1} - ${description}`);
    } else {
      out.push(`not ok ${i + 1} - ${description}`, '  ---', ...yamlLines(diagnostics(result), '  '), '  ...');
    }
  });
  if (summary.notRun > 0)
    out.push(`Bail out! ${summary.notRun} scenario${summary.notRun === 1 ? '' : 's'} not run (--bail)`);
  return `${out.join('\n')}\n`;
}

type YamlValue =
  string | number | boolean | null | readonly YamlValue[] | { readonly [key: string]: YamlValue | undefined };

/** The diagnostics of a failed scenario: the first failure up top, every failure in `failures`. */
function diagnostics(result: ScenarioResult): Record<string, YamlValue | undefined> {
  const all = failuresOf(result);
  const first = all[0]!;
  const step = first.step;
  const chosen = step ? failingRun(step) : undefined;
  const diag: Record<string, YamlValue | undefined> = {
    message: first.failure.message,
    at: formatPosition(first.at),
    expected: first.failure.expected,
    actual: first.failure.actual,
    scenario: result.name,
    step: step?.label,
    action: step?.action,
    run: chosen && step!.runs.length > 1 ? chosen.number : undefined,
    fault: chosen?.run.fault ? describeFault(chosen.run.fault) : undefined,
    exit: chosen ? describeExit(chosen.run) : undefined,
    compatibility:
      step?.compatibility && step.compatibility.length > 0
        ? Object.fromEntries(step.compatibility.map((c) => [c.ganeti, c.ok]))
        : undefined,
    stderr: chosen && chosen.run.stderr.totalBytes > 0 ? tailText(streamTail(chosen.run.stderr)) : undefined,
    failures:
      all.length > 1
        ? all.map((f) => ({
            at: formatPosition(f.at),
            step: f.step?.label,
            message: f.failure.message,
            expected: f.failure.expected,
            actual: f.failure.actual,
          }))
        : undefined,
    duration_ms: Math.round(result.durationMs),
    sandbox: result.sandbox,
  };
  return diag;
}

/** A YAML double-quoted scalar that YAML 1.2 and TAP::Parser's YAMLish read the same way. */
export function yamlString(text: string): string {
  if (text.length > MAX_YAML_STRING) {
    const half = MAX_YAML_STRING / 2;
    text = `${text.slice(0, half)}\n[... ${text.length - 2 * half} characters not shown ...]\n${text.slice(-half)}`;
  }
  let out = '"';
  for (const c of text) {
    const code = c.codePointAt(0)!;
    if (c === '"') out += '\\"';
    else if (c === '\\') out += '\\\\';
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code >= 0xd800 && code <= 0xdfff) out += '\ufffd';
    else if (
      (code >= 0x80 && code <= 0x9f) ||
      code === 0x2028 ||
      code === 0x2029 ||
      code === 0xfeff ||
      code === 0xfffe ||
      code === 0xffff
    )
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += c;
  }
  return `${out}"`;
}

function yamlKey(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : yamlString(key);
}

function yamlScalar(value: string | number | boolean | null): string {
  if (value === null) return '~';
  if (typeof value === 'string') return yamlString(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : yamlString(String(value));
  return value ? 'true' : 'false';
}

function isMap(value: YamlValue): value is Readonly<Record<string, YamlValue | undefined>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A map as YAML lines at `indent`; undefined values are left out. */
function yamlLines(map: Readonly<Record<string, YamlValue | undefined>>, indent: string): string[] {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(map)) {
    if (value === undefined) continue;
    const k = yamlKey(key);
    if (Array.isArray(value)) {
      if (value.length === 0) lines.push(`${indent}${k}: []`);
      else lines.push(`${indent}${k}:`, ...yamlList(value, `${indent}  `));
    } else if (isMap(value)) {
      if (Object.values(value).every((v) => v === undefined)) lines.push(`${indent}${k}: {}`);
      else lines.push(`${indent}${k}:`, ...yamlLines(value, `${indent}  `));
    } else {
      lines.push(`${indent}${k}: ${yamlScalar(value as string | number | boolean | null)}`);
    }
  }
  return lines;
}

function yamlList(items: readonly YamlValue[], indent: string): string[] {
  const lines: string[] = [];
  for (const item of items) {
    if (isMap(item) && Object.values(item).some((v) => v !== undefined)) {
      const [first = '', ...rest] = yamlLines(item, `${indent}  `);
      lines.push(`${indent}- ${first.slice(indent.length + 2)}`, ...rest);
    } else if (Array.isArray(item)) {
      lines.push(`${indent}-`, ...yamlList(item, `${indent}  `));
    } else {
      lines.push(`${indent}- ${isMap(item) ? '{}' : yamlScalar(item as string | number | boolean | null)}`);
    }
  }
  return lines;
}
