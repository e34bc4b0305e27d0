// The rbd simulator against the real rbd, command by command: the same command lines, run in
// the same order against a real Ceph 16 (in the e2e namespace) and against the simulator (in a
// sandbox of its own), must give the same exit status, stdout and stderr. Only what differs from
// run to run is masked (image ids, times, thread ids, addresses), plus the differences
// spec/SCENARIOS.md §12.6 documents, each named below; anything else is drift.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { SYSTEM_PATH } from '../../harness/run/environment.js';
import { hostHasRbdModule } from '../../harness/real/rbd.js';
import { installSimulators } from '../../harness/simulate/install.js';
import type { Namespace } from '../backends/namespace.js';

/** Command lines, run in this order on both sides (images named drift-* in the pool rbd). */
export const RBD_DRIFT_CASES: readonly (readonly string[])[] = [
  ['create', '--size', '64', 'rbd/drift-a'],
  ['create', '--size', '64', 'rbd/drift-a'],
  ['create', '--size', '1G', '--image-feature', 'layering', 'drift-b'],
  ['ls'],
  ['ls', '-l'],
  ['ls', '--format', 'json', 'rbd'],
  ['info', 'rbd/drift-a'],
  ['info', '--format', 'json', 'rbd/drift-a'],
  ['info', '--format', 'json', '--pretty-format', 'drift-b'],
  ['info', 'rbd/drift-missing'],
  ['info', 'nosuchpool/drift-a'],
  ['resize', '--size', '128', 'rbd/drift-a'],
  ['resize', '--size', '32', 'rbd/drift-a'],
  ['resize', '--size', '128', 'rbd/drift-a'],
  ['image-meta', 'set', 'rbd/drift-a', 'ganeti.metadata', 'originstname+web1'],
  ['image-meta', 'get', 'rbd/drift-a', 'ganeti.metadata'],
  ['image-meta', 'get', 'rbd/drift-a', 'missing.key'],
  ['image-meta', 'list', 'rbd/drift-a'],
  ['image-meta', 'list', '--format', 'json', 'rbd/drift-a'],
  ['image-meta', 'list', '--format', 'json', 'rbd/drift-b'],
  ['image-meta', 'remove', 'rbd/drift-a', 'ganeti.metadata'],
  ['snap', 'create', 'rbd/drift-a@s1'],
  ['snap', 'create', 'rbd/drift-a@s1'],
  ['snap', 'ls', 'rbd/drift-a'],
  ['snap', 'ls', '--format', 'json', 'rbd/drift-a'],
  ['snap', 'protect', 'rbd/drift-a@s1'],
  ['snap', 'protect', 'rbd/drift-a@s1'],
  ['snap', 'rm', 'rbd/drift-a@s1'],
  ['clone', 'rbd/drift-a@s1', 'rbd/drift-c'],
  ['clone', 'rbd/drift-b@nosnap', 'rbd/drift-d'],
  ['children', 'rbd/drift-a@s1'],
  ['children', '--format', 'json', 'rbd/drift-a@s1'],
  ['info', 'rbd/drift-c'],
  ['snap', 'unprotect', 'rbd/drift-a@s1'],
  ['rm', 'rbd/drift-a'],
  ['rm', 'rbd/drift-c'],
  ['snap', 'unprotect', 'rbd/drift-a@s1'],
  ['snap', 'rm', 'rbd/drift-a@s1'],
  ['snap', 'purge', 'rbd/drift-a'],
  ['snap', 'purge', 'rbd/drift-a'],
  ['rm', 'rbd/drift-a'],
  ['rm', 'rbd/drift-a'],
  ['rm', 'nosuchpool/drift-a'],
  ['snap', 'create', 'rbd/drift-b@p1'],
  ['snap', 'create', 'rbd/drift-b@p2'],
  ['snap', 'create', 'rbd/drift-b@p3'],
  ['snap', 'protect', 'rbd/drift-b@p1'],
  ['snap', 'protect', 'rbd/drift-b@p3'],
  ['snap', 'purge', 'rbd/drift-b'],
  ['snap', 'purge', '--no-progress', 'rbd/drift-b'],
  ['children', 'rbd/drift-b'],
  ['children', 'rbd/drift-b@nosnap'],
  ['snap', 'unprotect', 'rbd/drift-b@p1'],
  ['snap', 'unprotect', 'rbd/drift-b@p3'],
  ['snap', 'purge', 'rbd/drift-b'],
  ['device', 'list'],
  ['device', 'list', '--format', 'json'],
  ['device', 'unmap', 'rbd/drift-b'],
  ['device', 'map', 'rbd/drift-b'],
  ['--version'],
  ['resize', 'rbd/drift-b'],
  ['create', 'rbd/drift-e'],
  ['info', '--bogus', 'rbd/drift-b'],
  ['rm', 'rbd/drift-b'],
  ['ls', '--format', 'json'],
];

/**
 * Differences that are documented, not drift (spec/SCENARIOS.md §12.6): the command line, what is
 * still compared, and why the rest is not.
 */
const KNOWN: readonly {
  readonly argv: readonly string[];
  readonly compare: 'exit and stdout';
  readonly why: string;
}[] = [
  {
    argv: ['device', 'map', 'rbd/drift-b'],
    compare: 'exit and stdout',
    why: "without the kernel module, stderr says what the host's modinfo/modprobe say (here: not installed); the simulator prints a host with kmod",
  },
];

/** What differs from run to run, masked on both sides. */
export function maskVolatile(text: string): string {
  return (
    text
      // librbd's log lines: "<date>T<time>+0000 <thread> -1 librbd::..."
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4} [0-9a-f]+ /g, '<time> <thread> ')
      .replace(
        /\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d\d:\d\d:\d\d \d{4}\b/g,
        '<date>',
      )
      .replace(/(\bid: |"id": ?"|rbd_data\.)[0-9a-f]+/g, '$1<id>')
      .replace(/\[[0-9a-f]+\] in pool/g, '[<id>] in pool')
      .replace(/0x[0-9a-f]{6,}/g, '0x<address>')
      // Progress: the real rbd prints intermediate percentages as it goes; compare the last one.
      .replace(
        /(?:\r?[A-Z][a-z]+(?: [a-z]+)*: \d+% complete\.\.\.)+(?=\r?[A-Z][a-z]+(?: [a-z]+)*: \d+% complete\.\.\.(?:done|failed)\.)/g,
        '',
      )
  );
}

interface Outcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function show(outcome: Outcome): string {
  return `exit ${outcome.code}\n  stdout: ${JSON.stringify(outcome.stdout)}\n  stderr: ${JSON.stringify(outcome.stderr)}`;
}

/**
 * librbd's log lines reach stderr from Ceph's log thread, so where they land among rbd's own
 * messages (even inside one) varies from run to run: they are compared as a sorted list, apart from
 * the rest of stderr, which is compared in order.
 */
export function separateLog(stderr: string): string {
  // librbd's log thread writes each log line, and the blank line after it, whenever it likes: in
  // the middle of one of rbd's own lines too (seen in CI: "Removing snap<log line>\n: \n0%..."). So
  // where there is a log line, every one is taken out wherever it lands, and the line breaks of
  // what is left are not compared (they cannot be told from librbd's); the text itself is.
  const log = stderr.match(/<time> <thread> -?\d+ [^\n]*/g);
  if (log === null) return stderr;
  const rest = stderr.replace(/<time> <thread> -?\d+ [^\n]*/g, '').replaceAll('\n', '');
  return `${rest}\n[librbd log, sorted; line breaks not compared]\n${[...log].sort().join('\n')}\n`;
}

/** Snapshot ids count up per pool, so they depend on the pool's history: masked in snap ls. */
function maskSnapshotIds(argv: readonly string[], text: string): string {
  if (argv[0] !== 'snap' || (argv[1] !== 'ls' && argv[1] !== 'list')) return text;
  return text.replace(/"id":\d+/g, '"id":<snap>').replace(/^ *\d+( {2})/gm, '<snap>$1');
}

/** Runs every case on both sides; one message per command line whose outcomes differ. */
export async function compareRbd(
  ns: Namespace,
  workDir: string,
): Promise<{ compared: number; mismatches: string[]; known: string[] }> {
  const root = join(workDir, 'rbd-drift');
  mkdirSync(root, { recursive: true });
  const stubsDir = join(root, 'stubs');
  installSimulators(
    { rbd: { pools: ['rbd'], images: [], kernelModule: hostHasRbdModule(), fail: [] } },
    root,
    stubsDir,
    join(root, 'calls.jsonl'),
    'EXTSTORAGE_KIT_DRIFT',
  );
  const simEnv = { PATH: `${stubsDir}:${SYSTEM_PATH}`, LC_ALL: 'C', HOME: root };
  const mismatches: string[] = [];
  const known: string[] = [];
  for (const argv of RBD_DRIFT_CASES) {
    const real = await ns.exec(['env', 'LC_ALL=C', 'rbd', ...argv], { allowFailure: true, timeoutMs: 60_000 });
    const sim = await execa(join(stubsDir, 'rbd'), argv, {
      env: simEnv,
      extendEnv: false,
      stdin: 'ignore',
      timeout: 60_000,
      stripFinalNewline: false,
      reject: false,
    });
    const mask = (text: string) => maskSnapshotIds(argv, maskVolatile(text));
    const a: Outcome = { code: real.code, stdout: mask(real.stdout), stderr: separateLog(mask(real.stderr)) };
    const b: Outcome = { code: sim.exitCode ?? null, stdout: mask(sim.stdout), stderr: separateLog(mask(sim.stderr)) };
    const line = `rbd ${argv.join(' ')}`;
    const documented = KNOWN.find((k) => k.argv.join('\0') === argv.join('\0'));
    const same = a.code === b.code && a.stdout === b.stdout && (documented !== undefined || a.stderr === b.stderr);
    if (documented) known.push(`${line}: stderr not compared: ${documented.why}`);
    if (!same) mismatches.push(`${line}\n real:      ${show(a)}\n simulated: ${show(b)}`);
  }
  return { compared: RBD_DRIFT_CASES.length, mismatches, known };
}
