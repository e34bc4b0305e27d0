// Judges a step's runs against its `expect:` block (spec/SCENARIOS.md). Every check that does not
// hold becomes a Failure with what was expected and what was found.

import { interpretAttachOutput } from '../attach/interpret.js';
import { readAttachOutput, uriFor } from '../attach/reading.js';
import { isPython2, REPRESENTATIVE_VERSIONS, parseGanetiVersion } from '../ganeti/versions.js';
import type { DeviceExpectation, Step, StreamExpectation } from '../scenario/model.js';
import { completeBytes, streamText } from './capture.js';
import type { CompatibilityRow, Failure, ScriptRun } from './result.js';
import { matchState } from './match-state.js';
import { renderCall } from '../backend/call-log.js';
import type { LoggedStubCall } from './stubs.js';

/** A run as the expectation checks see it: with the stub calls it made. */
export interface JudgedRun extends ScriptRun {
  readonly calls: readonly LoggedStubCall[];
  /** Each backend simulator's state after the run (spec/SCENARIOS.md), when the scenario has any. */
  readonly simulated?: Readonly<Record<string, unknown>>;
  /** Sandboxed runs (bwrap, unshare): the processes still running when the script ended, killed then. */
  readonly left?: readonly { readonly pid: number; readonly command: string }[];
}

const READING_VERSION = parseGanetiVersion('3.1');

export function faultFailure(run: ScriptRun): Failure | null {
  const fault = run.fault;
  if (fault === undefined) return null;
  switch (fault.kind) {
    case 'timeout':
      return {
        message: `killed after ${fault.seconds}s: the script did not finish (Ganeti has no timeout and would hang on it); its whole process group was killed`,
      };
    case 'lingering':
      return {
        message: `the script exited, but a process it started kept ${fault.stream} open: Ganeti would wait for it forever (redirect the background process's output, e.g. >/dev/null 2>&1)`,
      };
    case 'spawn':
      return { message: fault.message };
    case 'killed':
      return null; // the step's own kill: what it asked for
  }
}

/** A step with `kill` whose run was not killed: the script made fewer backend calls than the kill waited for. */
function killFailure(step: Step, run: ScriptRun): Failure | null {
  // exit: any (the explorer's steps, which a file cannot have with kill): a run the kill missed is recorded too.
  if (step.kill === undefined || run.fault?.kind === 'killed' || step.expect.exit === 'any') return null;
  if (run.fault !== undefined) return null; // faultFailure has said what went wrong, by name
  const made = run.calls.length;
  return {
    message: `the kill ${step.kill.when} backend call ${step.kill.call} never happened: the script made ${made} backend call${made === 1 ? '' : 's'} and ended by itself`,
    expected: `killed ${step.kill.when} call ${step.kill.call}`,
    actual: describeExit(run),
  };
}

function describeExit(run: ScriptRun): string {
  if (run.fault?.kind === 'timeout') return `killed after ${run.fault.seconds}s`;
  if (run.signal !== null) return `killed by ${run.signal}`;
  return run.exitCode === null ? 'did not run' : `exit ${run.exitCode}`;
}

function exitFailure(step: Step, run: ScriptRun): Failure | null {
  if (run.fault !== undefined) return null; // faultFailure has said what went wrong, by name
  const wanted = step.expect.exit;
  if (wanted === 'any') return null;
  const failed = run.exitCode !== 0 || run.signal !== null;
  const ok = wanted === 'nonzero' ? failed : run.exitCode === wanted && run.signal === null;
  if (ok) return null;
  return {
    message: 'wrong exit status',
    expected: wanted === 'nonzero' ? 'a non-zero exit' : `exit ${wanted}`,
    actual: describeExit(run),
  };
}

function matchesText(expected: DeviceExpectation, actual: string | null): boolean {
  if (expected === null || actual === null) return expected === actual;
  return typeof expected === 'string' ? expected === actual : expected.regex.test(actual);
}

function renderExpected(expected: DeviceExpectation): string {
  if (expected === null) return 'none';
  return typeof expected === 'string' ? JSON.stringify(expected) : `/${expected.source}/`;
}

const renderActual = (actual: string | null) => (actual === null ? 'none' : JSON.stringify(actual));

function streamFailures(
  name: 'stdout' | 'stderr',
  expectation: StreamExpectation | undefined,
  run: ScriptRun,
): Failure[] {
  if (expectation === undefined) return [];
  const stream = run[name];
  const text = streamText(stream);
  const failures: Failure[] = [];
  const fail = (message: string, expected: string) =>
    failures.push({ message: `${name} ${message}`, expected, actual: text });
  if (stream.droppedBytes > 0 && (expectation.equals !== undefined || expectation.lines !== undefined)) {
    failures.push({
      message: `${name} was too large to compare whole (${stream.totalBytes} bytes; only the head and tail were kept)`,
    });
    return failures;
  }
  if (expectation.empty === true && stream.totalBytes > 0) fail('should be empty', '(nothing)');
  if (expectation.empty === false && stream.totalBytes === 0) fail('should not be empty', '(some output)');
  if (expectation.equals !== undefined && text !== expectation.equals) fail('differs', expectation.equals);
  for (const part of expectation.contains ?? []) if (!text.includes(part)) fail('does not contain the text', part);
  if (expectation.regex !== undefined && !expectation.regex.test(text))
    fail('does not match', `/${expectation.regex.source}/`);
  if (expectation.lines !== undefined) {
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    if (JSON.stringify(lines) !== JSON.stringify(expectation.lines))
      fail('has other lines', expectation.lines.join('\n'));
  }
  return failures;
}

function callFailures(step: Step, runs: readonly JudgedRun[]): Failure[] {
  const failures: Failure[] = [];
  const calls = runs.flatMap((r) => r.calls);
  for (const call of calls) {
    if (call.entry === null && !call.simulated && !call.injected) {
      failures.push({
        message: `unexpected call to stubbed ${call.command}`,
        expected: call.expected ?? 'no further call',
        actual: renderCall(call.command, call.argv),
      });
    }
  }
  for (const [command, wanted] of Object.entries(step.expect.calls ?? {})) {
    const made = calls.filter((c) => c.command === command).map((c) => c.argv);
    if (JSON.stringify(made) !== JSON.stringify(wanted)) {
      failures.push({
        message: `calls to ${command} differ`,
        expected: wanted.length === 0 ? '(no call)' : wanted.map((argv) => renderCall(command, argv)).join('\n'),
        actual: made.length === 0 ? '(no call)' : made.map((argv) => renderCall(command, argv)).join('\n'),
      });
    }
  }
  return failures;
}

/** expect.simulated, after every run: each simulator's state holds the expected subset. */
function simulatedFailures(step: Step, runs: readonly JudgedRun[]): Failure[] {
  const failures: Failure[] = [];
  const wanted = Object.entries(step.expect.simulated ?? {});
  runs.forEach((run, i) => {
    const label = runs.length > 1 ? `run ${i + 1} of ${runs.length}: ` : '';
    for (const [name, subset] of wanted) {
      for (const m of matchState(subset ?? null, run.simulated?.[name])) {
        failures.push({
          message: `${label}simulated ${name} state differs at ${m.path}`,
          expected: m.expected,
          actual: m.actual,
        });
      }
    }
  });
  return failures;
}

/** The versions shown in an attach step's compatibility row: one per behaviour, plus those named. */
function rowVersions(step: Step): string[] {
  const named = [...step.ganeti, ...(step.expect.acceptedBy ?? []), ...(step.expect.rejectedBy ?? [])];
  const all = [...new Set([...REPRESENTATIVE_VERSIONS, ...named])];
  return all.sort((a, b) => compareReleases(parseGanetiVersion(a).release, parseGanetiVersion(b).release));
}

function compareReleases(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
  return 0;
}

/** What an attach output gives, read line by line as Ganeti 2.13 and later do. */
export interface AttachedVolume {
  /** The first line; null when it is empty (userspace access only). */
  readonly device: string | null;
  /** The URI the hypervisor would get, or null. */
  uri(hypervisor: string): string | null;
}

export function readDeviceAndUris(bytes: Uint8Array): AttachedVolume {
  const reading = readAttachOutput(bytes, READING_VERSION);
  const firstLine = reading.lines[0]!.text;
  return {
    device: firstLine === '' ? null : firstLine,
    uri(hypervisor) {
      for (const line of reading.lines.slice(1)) {
        const uri = uriFor(line, hypervisor, false);
        if (uri !== null) return uri;
      }
      return null;
    },
  };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The problem an ill-formed UTF-8 byte on attach's stderr is for Ganeti 3.x, or null: it decodes
 * both pipes (utils/process.py, encoding="utf-8") and the attach fails with UnicodeDecodeError
 * whatever stdout said (spec/SPEC.md §5.4). A stderr cut short cannot be judged.
 */
function stderrNotUtf8(run: ScriptRun): { code: string; severity: 'error'; line: number; message: string } | null {
  const bytes = completeBytes(run.stderr);
  if (bytes === null) return null;
  try {
    strictUtf8.decode(bytes);
    return null;
  } catch {
    return {
      code: 'stderr-invalid-utf8',
      severity: 'error',
      line: 1,
      message:
        "stderr is not well-formed UTF-8: Ganeti 3.x decodes attach's stderr too and fails the attach with UnicodeDecodeError",
    };
  }
}

function attachFailures(step: Step, run: ScriptRun): { failures: Failure[]; compatibility: CompatibilityRow } {
  const failures: Failure[] = [];
  const bytes = completeBytes(run.stdout);
  if (bytes === null) {
    return {
      failures: [
        {
          message: `attach printed ${run.stdout.totalBytes} bytes: too much to judge (Ganeti would take it all as the device path and URIs)`,
        },
      ],
      compatibility: [],
    };
  }
  const versions = rowVersions(step);
  const stderrRejects = stderrNotUtf8(run);
  const results = new Map(
    versions.map((v) => {
      const r = interpretAttachOutput(bytes, v);
      // Ganeti 3.x reads attach's stderr as UTF-8 too: an ill-formed byte there fails the attach.
      if (stderrRejects === null || isPython2(parseGanetiVersion(v))) return [v, r];
      return [v, { ...r, ok: false, problems: [...r.problems, stderrRejects] }];
    }),
  );
  const compatibility = versions.map((v) => ({ ganeti: v, ok: results.get(v)!.ok }));
  const expect = step.expect;

  // device and uris: read line by line as Ganeti 2.13 and later do, whatever the verdict.
  const attached = readDeviceAndUris(bytes);
  if (expect.device !== undefined) {
    const actual = attached.device;
    if (!matchesText(expect.device, actual))
      failures.push({
        message: 'attach printed another device',
        expected: renderExpected(expect.device),
        actual: renderActual(actual),
      });
  }
  for (const [hypervisor, wanted] of Object.entries(expect.uris ?? {})) {
    const actual = attached.uri(hypervisor);
    if (!matchesText(wanted, actual))
      failures.push({
        message: `attach offers another URI to ${hypervisor}`,
        expected: renderExpected(wanted),
        actual: renderActual(actual),
      });
  }

  // The step's versions (unless it pins one as rejecting), plus those it names in accepted_by.
  const rejected = new Set((expect.rejectedBy ?? []).map((v) => parseGanetiVersion(v).release));
  const promised = expect.exit === 0 ? step.ganeti.filter((v) => !rejected.has(parseGanetiVersion(v).release)) : [];
  const mustAccept = [...new Set([...promised, ...(expect.acceptedBy ?? [])])];
  for (const v of mustAccept) {
    const r = results.get(v)!;
    if (!r.ok) {
      const why = r.problems.filter((p) => p.severity === 'error').map((p) => `line ${p.line}: ${p.message}`);
      failures.push({
        message: `Ganeti ${v} rejects this attach output`,
        expected: `accepted by ${v}`,
        actual: why.length > 0 ? why.join('\n') : 'rejected',
      });
    }
  }
  for (const v of expect.rejectedBy ?? []) {
    if (results.get(v)!.ok)
      failures.push({
        message: `Ganeti ${v} accepts this attach output`,
        expected: `rejected by ${v}`,
        actual: 'accepted',
      });
  }
  if (expect.lint !== undefined) {
    // The versions the step promises to work with: never one it pins as rejecting.
    const checked = [
      ...new Set([
        ...step.ganeti.filter((v) => !rejected.has(parseGanetiVersion(v).release)),
        ...(expect.acceptedBy ?? []),
      ]),
    ];
    for (const v of checked) {
      const problems = results.get(v)!.problems.filter((p) => expect.lint === 'clean' || p.severity === 'error');
      for (const p of problems) {
        failures.push({
          message: `lint (${v}): line ${p.line}: ${p.severity} ${p.code}: ${p.message}`,
          expected: expect.lint === 'clean' ? 'no lint problem' : 'no lint error',
        });
      }
    }
  }
  return { failures, compatibility };
}

export interface StepVerdict {
  readonly failures: Failure[];
  readonly compatibility?: CompatibilityRow;
}

/** `expect.processes_left: none`: a run that left processes running (the sandbox killed them). */
function leftFailures(step: Step, runs: readonly JudgedRun[]): Failure[] {
  if (step.expect.processesLeft !== 'none') return [];
  return runs.flatMap((run, i) => {
    const left = run.left ?? [];
    if (left.length === 0) return [];
    const which = runs.length > 1 ? `run ${i + 1} of ${runs.length}: ` : '';
    return [
      {
        message: `${which}the script left ${left.length === 1 ? 'a process' : `${left.length} processes`} running when it ended (killed by the sandbox): ${left.map((p) => p.command).join(', ')}`,
        expected: 'no process left running',
        actual: left.map((p) => `${p.command} (pid ${p.pid})`).join(', '),
      },
    ];
  });
}

export function judgeStep(step: Step, runs: readonly JudgedRun[]): StepVerdict {
  const failures: Failure[] = [];
  const first = runs[0]!;
  const label = (i: number) => (runs.length > 1 ? `run ${i + 1} of ${runs.length}: ` : '');
  runs.forEach((run, i) => {
    for (const failure of [faultFailure(run), exitFailure(step, run), killFailure(step, run)]) {
      if (failure !== null) failures.push({ ...failure, message: label(i) + failure.message });
    }
  });
  // Idempotency: every run prints what the first one printed.
  runs.slice(1).forEach((run, k) => {
    const a = completeBytes(first.stdout);
    const b = completeBytes(run.stdout);
    const same =
      a !== null && b !== null
        ? Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0
        : first.stdout.totalBytes === run.stdout.totalBytes;
    if (!same) {
      failures.push({
        message: `run ${k + 2} printed other stdout than run 1: ${step.action} is not idempotent`,
        expected: streamText(first.stdout),
        actual: streamText(run.stdout),
      });
    }
  });
  failures.push(
    ...streamFailures('stdout', step.expect.stdout, first),
    ...streamFailures('stderr', step.expect.stderr, first),
  );
  failures.push(...callFailures(step, runs), ...simulatedFailures(step, runs), ...leftFailures(step, runs));
  // The attach output is only judged when attach succeeded, as Ganeti only reads it then.
  const succeeded = first.exitCode === 0 && first.signal === null && first.fault === undefined;
  // A usage call (with.args) is not attach's answer: Ganeti never passes arguments.
  // Nor is the output of an attach that was meant to fail (a bad VOL_NAME): nothing to judge there.
  if (step.action !== 'attach' || !succeeded || step.input.args.length > 0 || step.expect.exit === 'nonzero')
    return { failures };
  const attach = attachFailures(step, first);
  return { failures: [...failures, ...attach.failures], compatibility: attach.compatibility };
}
