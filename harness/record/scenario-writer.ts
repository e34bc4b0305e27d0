// Turns a recording into a scenario file (spec/SCENARIOS.md) with one scenario: the volume and
// environment the script got, stubs that replay every recorded call in order, and one step whose
// `expect` holds what the script did. Masked text is written as "***" and matched by regexes, so
// the replay still passes; text that is not UTF-8 cannot go into YAML and is said so in comments.

import { interpretAttachOutput } from '../attach/interpret.js';
import { firstInvalidUtf8 } from '../attach/bytes.js';
import { readAttachOutput, uriFor, type AttachLine } from '../attach/reading.js';
import { HYPERVISORS } from '../ganeti/hypervisors.js';
import { parseGanetiVersion, REPRESENTATIVE_VERSIONS } from '../ganeti/versions.js';
import { completeBytes } from '../run/capture.js';
import { anchoredRegex, literalMask, maskText, type Mask, type MaskedText } from './mask.js';
import type { Recording } from './recorder.js';
import type { RecordedCall } from './spies.js';
import { commentLines, doubleQuoted, flowList, regexScalar, scalar } from './yaml-text.js';

export interface WriteOptions {
  /** The --mask patterns. */
  readonly masks: readonly Mask[];
  /** The first line: the yaml-language-server $schema line, or a comment saying where the schema is. */
  readonly schemaLine: string;
  /** Shown in the header comment (masked too). */
  readonly providerLabel: string;
  readonly recordedAt: Date;
}

export interface WrittenScenario {
  readonly text: string;
  /** Things the file could not hold exactly, also written as comments in it. */
  readonly notes: readonly string[];
}

/** ${SANDBOX}: what the run's temporary directory is written as (HOME and TMPDIR are in it). */
export const SANDBOX_LABEL = '${SANDBOX}';

const READING_VERSION = parseGanetiVersion('3.1');
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** The valid UTF-8 runs of `bytes`, decoded; the ill-formed bytes between them are left out. */
export function validUtf8Runs(bytes: Uint8Array): string[] {
  const runs: string[] = [];
  let rest = bytes;
  while (rest.length > 0) {
    const bad = firstInvalidUtf8(rest);
    if (bad < 0) {
      runs.push(decoder.decode(rest));
      break;
    }
    runs.push(decoder.decode(rest.subarray(0, bad)));
    rest = rest.subarray(bad + 1);
  }
  return runs.filter((run) => run !== '');
}

/** How many bytes are not valid UTF-8, for messages. */
function invalidByteCount(bytes: Uint8Array): number {
  return bytes.length - validUtf8Runs(bytes).reduce((n, run) => n + Buffer.byteLength(run), 0);
}

function versionList(versions: readonly string[]): string {
  return flowList(versions.map((v) => doubleQuoted(v)));
}

function regexMatcher(masked: MaskedText): string {
  return `{ regex: ${regexScalar(anchoredRegex(masked))} }`;
}

class ScenarioText {
  readonly lines: string[] = [];
  readonly notes: string[] = [];

  constructor(private readonly allMasks: readonly Mask[]) {}

  mask(text: string): MaskedText {
    return maskText(text, this.allMasks);
  }

  /** A string matched exactly where nothing is masked, else by an anchored regex. */
  matcher(text: string): string {
    const masked = this.mask(text);
    return masked.masked ? regexMatcher(masked) : scalar(text);
  }

  comment(text: string, indent: string): void {
    this.lines.push(...commentLines(text, indent));
  }

  /** A comment and a note for the summary. */
  warn(text: string, indent: string, note: string): void {
    this.comment(text, indent);
    this.notes.push(note);
  }
}

export function writeScenario(recording: Recording, options: WriteOptions): WrittenScenario {
  const { request, run } = recording;
  const userMasks = options.masks;
  // The run's temporary directory differs on every run: matched as anything, written as ${SANDBOX}.
  const out = new ScenarioText([...userMasks, literalMask(recording.sandboxRoot, SANDBOX_LABEL)]);
  const lines = out.lines;
  const masked = (text: string) => maskText(text, userMasks).text;

  lines.push(options.schemaLine);
  out.comment(
    [
      `Recorded by "extstorage-kit record": ${request.action} of ${masked(options.providerLabel)},`,
      `run once for real on ${options.recordedAt.toISOString()}. Replay it with no storage:`,
      `  extstorage-kit run <provider-dir> <this file>`,
      `The stubs answer exactly the calls the script made, in order; expect holds what it did.`,
      ...(userMasks.length > 0
        ? [`Text matching --mask is written as *** and matched by {regex: ...} (any text where *** is).`]
        : []),
    ].join('\n'),
    '',
  );
  lines.push('scenarios:');
  lines.push(`  - name: ${scalar(`${request.action}, as recorded`)}`);

  // The volume and environment, as given (masked: a masked value is replayed as ***).
  const volume = request.volume;
  lines.push('    volume:');
  lines.push(`      name: ${scalar(masked(volume.name))}`);
  lines.push(`      size: ${volume.size}`);
  if (volume.cname !== undefined) lines.push(`      cname: ${scalar(masked(volume.cname))}`);
  lines.push(`      uuid: ${scalar(masked(volume.uuid))}`);
  const params = Object.entries(volume.params);
  if (params.length > 0) {
    lines.push('      params:');
    for (const [name, value] of params) lines.push(`        ${scalar(name)}: ${scalar(masked(value))}`);
  }
  const env = Object.entries(request.env);
  if (env.length > 0) {
    lines.push('    env:');
    for (const [name, value] of env) lines.push(`      ${scalar(name)}: ${scalar(masked(value))}`);
  }

  writeStubs(out, recording.calls, recording.spiedCount);
  writeStep(out, recording, run);
  return { text: lines.join('\n') + '\n', notes: [...new Set(out.notes)] };
}

function commandsInOrder(calls: readonly RecordedCall[]): string[] {
  return [...new Set(calls.map((c) => c.command))];
}

/** A recorded stream as the text a stub prints: exact for UTF-8, else with U+FFFD (and a comment). */
function stubText(out: ScenarioText, bytes: Buffer, stream: string, command: string, indent: string): string {
  if (firstInvalidUtf8(bytes) >= 0) {
    out.warn(
      `${stream} was not valid UTF-8 (${invalidByteCount(bytes)} of ${bytes.length} bytes): YAML cannot hold those bytes, so the stub prints U+FFFD in their place`,
      indent,
      `a call to ${command} printed bytes on ${stream} that are not UTF-8: the stub prints U+FFFD in their place`,
    );
  }
  return out.mask(decoder.decode(bytes)).text;
}

function writeStubs(out: ScenarioText, calls: readonly RecordedCall[], spiedCount: number): void {
  const lines = out.lines;
  if (calls.length === 0) {
    out.comment(`No stubs: the script called none of the ${spiedCount} commands spied on.`, '    ');
    return;
  }
  lines.push('    stubs:');
  for (const command of commandsInOrder(calls)) {
    lines.push(`      ${scalar(command)}:`);
    // Consecutive calls written the same are one entry with times: N.
    const entries: { text: string[]; times: number }[] = [];
    for (const call of calls.filter((c) => c.command === command)) {
      const before = out.lines.length;
      if (call.signal !== null)
        out.comment(`killed by ${call.signal}: the stub exits ${call.exit}, as a shell sees it`, '        ');
      const stdout = stubText(out, call.stdout, 'stdout', command, '        ');
      const stderr = stubText(out, call.stderr, 'stderr', command, '        ');
      const comments = out.lines.splice(before);
      const text = [
        ...comments,
        `        - args: ${flowList(call.argv.map((arg) => out.matcher(arg)))}`,
        ...(stdout !== '' ? [`          stdout: ${doubleQuoted(stdout)}`] : []),
        ...(stderr !== '' ? [`          stderr: ${doubleQuoted(stderr)}`] : []),
        ...(call.exit !== 0 ? [`          exit: ${call.exit}`] : []),
      ];
      const last = entries[entries.length - 1];
      if (last?.text.join('\n') === text.join('\n')) last.times += 1;
      else entries.push({ text, times: 1 });
    }
    for (const entry of entries)
      lines.push(...entry.text, ...(entry.times > 1 ? [`          times: ${entry.times}`] : []));
  }
}

/** stdout/stderr of the script: equals, regex where masked, contains for what is not UTF-8. */
function writeStream(out: ScenarioText, name: 'stdout' | 'stderr', bytes: Uint8Array | null, total: number): void {
  const indent = '          ';
  if (bytes === null) {
    out.warn(
      `${name}: ${total} bytes, too many to keep whole, so it is not checked`,
      indent,
      `${name} was too large to record (${total} bytes): not checked`,
    );
    return;
  }
  if (firstInvalidUtf8(bytes) >= 0) {
    const pieces = validUtf8Runs(bytes)
      .flatMap((run) => out.mask(run).parts)
      .filter((p) => p !== '');
    out.warn(
      `${name} is not valid UTF-8 (${invalidByteCount(bytes)} of ${bytes.length} bytes): YAML cannot hold it exactly, so only its valid text is checked`,
      indent,
      `the script printed bytes on ${name} that are not UTF-8: only its valid text is checked`,
    );
    out.lines.push(
      pieces.length > 0
        ? `${indent}${name}: { contains: ${flowList(pieces.map((p) => doubleQuoted(p)))} }`
        : `${indent}${name}: { empty: false }`,
    );
    return;
  }
  const masked = out.mask(decoder.decode(bytes));
  out.lines.push(
    masked.masked
      ? `${indent}${name}: { regex: ${regexScalar(anchoredRegex(masked))} }`
      : `${indent}${name}: { equals: ${doubleQuoted(masked.text)} }`,
  );
}

/** A stream of the script that replay cannot reproduce: said so, with what was recorded, in a comment. */
function uncheckedStream(out: ScenarioText, name: 'stdout' | 'stderr', bytes: Uint8Array | null, why: string): void {
  const recorded = bytes === null ? 'too much to keep' : doubleQuoted(out.mask(decoder.decode(bytes)).text);
  out.warn(
    `${name} is not checked: ${why}. Recorded: ${recorded.length > 400 ? `${recorded.slice(0, 400)}...` : recorded}`,
    '          ',
    `${name} of the script is not checked: ${why}`,
  );
}

/** What a text of attach output is expected to be: exact, regex where masked; skipped when not UTF-8. */
function attachText(out: ScenarioText, line: AttachLine, text: string, what: string, indent: string): string | null {
  if (firstInvalidUtf8(line.bytes) >= 0) {
    out.warn(
      `${what}: line ${line.number} is not valid UTF-8, so it is not checked`,
      indent,
      `${what} is not valid UTF-8: not checked`,
    );
    return null;
  }
  return out.matcher(text);
}

function writeAttach(out: ScenarioText, bytes: Uint8Array): void {
  const indent = '          ';
  const reading = readAttachOutput(bytes, READING_VERSION);
  const first = reading.lines[0]!;
  if (first.text === '') out.lines.push(`${indent}device: null`);
  else {
    const device = attachText(out, first, first.text, 'the device', indent);
    if (device !== null) out.lines.push(`${indent}device: ${device}`);
  }
  const uris: string[] = [];
  for (const hypervisor of HYPERVISORS) {
    for (const line of reading.lines.slice(1)) {
      const uri = uriFor(line, hypervisor, false);
      if (uri === null) continue;
      const written = attachText(out, line, uri, `the ${hypervisor} URI`, indent);
      if (written !== null) uris.push(`${indent}  ${hypervisor}: ${written}`);
      break;
    }
  }
  if (uris.length > 0) out.lines.push(`${indent}uris:`, ...uris);
  const verdicts = REPRESENTATIVE_VERSIONS.map((v) => ({ v, ok: interpretAttachOutput(bytes, v).ok }));
  const accepted = verdicts.filter((x) => x.ok).map((x) => x.v);
  const rejected = verdicts.filter((x) => !x.ok).map((x) => x.v);
  if (accepted.length > 0) out.lines.push(`${indent}accepted_by: ${versionList(accepted)}`);
  if (rejected.length > 0) out.lines.push(`${indent}rejected_by: ${versionList(rejected)}`);
}

function writeStep(out: ScenarioText, recording: Recording, run: Recording['run']): void {
  const { request, calls } = recording;
  const lines = out.lines;
  lines.push('    steps:');
  lines.push(`      - action: ${request.action}`);
  if (request.action === 'grow')
    lines.push(`        with: { new_size: ${request.newSize ?? request.volume.size + 1024} }`);
  // A slow script (not its backend, which the stubs replace) needs the time it took.
  if (run.durationMs > 5000)
    lines.push(`        timeout: ${doubleQuoted(`${Math.max(10, Math.ceil((run.durationMs / 1000) * 2))}s`)}`);
  lines.push('        expect:');
  const indent = '          ';
  if (run.signal !== null) {
    out.comment(`killed by ${run.signal}`, indent);
    lines.push(`${indent}exit: nonzero`);
  } else {
    lines.push(`${indent}exit: ${run.exitCode ?? 1}`);
  }
  const stdout = completeBytes(run.stdout);
  const stderr = completeBytes(run.stderr);
  // What a stub cannot replay changes what the script prints on replay: those streams are not checked.
  const lossy = calls
    .filter((c) => firstInvalidUtf8(c.stdout) >= 0 || firstInvalidUtf8(c.stderr) >= 0)
    .map((c) => c.command);
  const killed = calls.filter((c) => c.signal !== null).map((c) => c.command);
  const lossyWhy = `a stub cannot print the bytes ${[...new Set(lossy)].join(', ')} printed (not UTF-8), so what the script prints may differ on replay`;
  const killedWhy = `a stub cannot die by a signal as ${[...new Set(killed)].join(', ')} did (it exits 128+N), so what the shell says about it may differ on replay`;
  if (lossy.length > 0) uncheckedStream(out, 'stdout', stdout, lossyWhy);
  else writeStream(out, 'stdout', stdout, run.stdout.totalBytes);
  if (lossy.length > 0 || killed.length > 0)
    uncheckedStream(out, 'stderr', stderr, lossy.length > 0 ? lossyWhy : killedWhy);
  else writeStream(out, 'stderr', stderr, run.stderr.totalBytes);
  const succeeded = run.exitCode === 0 && run.signal === null;
  if (request.action === 'attach' && succeeded && stdout !== null) {
    if (lossy.length > 0) out.comment(`the attach output is not checked: ${lossyWhy}`, indent);
    else writeAttach(out, stdout);
  }
  const entries: string[] = [];
  for (const command of commandsInOrder(calls)) {
    const argvs = calls.filter((c) => c.command === command).map((c) => c.argv);
    if (argvs.some((argv) => argv.some((arg) => out.mask(arg).masked))) {
      out.comment(`calls to ${command} are checked by its stubs alone: some of its arguments are masked`, indent);
      continue;
    }
    entries.push(`${indent}  ${scalar(command)}:`);
    for (const argv of argvs) entries.push(`${indent}    - ${flowList(argv.map((arg) => scalar(arg)))}`);
  }
  // Every command masked: no calls key, which would hold nothing.
  if (entries.length > 0) lines.push(`${indent}calls:`, ...entries);
}
