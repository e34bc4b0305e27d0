// The losetup simulator against the real losetup (util-linux), byte for byte: the same command
// lines, in the same order, on the same backing files, as root, while no other loop device is in
// use (the simulator's device numbers are the lowest free ones, as the kernel's are).

import { mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execaSync, type SyncResult } from 'execa';
import { installSimulators } from '../../harness/simulate/install.js';
import { detachLoopsUnder } from '../backends/leaks.js';

/** Backing files made in the comparison's folder, with their sizes. */
const FILES: readonly (readonly [string, number])[] = [
  ['a.img', 10 << 20],
  ['small.img', 1000],
  ['tiny.img', 100],
  ['sp ace.img', 4 << 20],
];

/** Command lines, run in this order on both sides, in the folder of the backing files. */
export const LOSETUP_DRIFT_CASES: readonly (readonly string[])[] = [
  ['-a'],
  ['-f', '--show', 'a.img'],
  ['-f', '--show', '--sizelimit', '1M', 'small.img'],
  ['--find', '--show', '-o', '512', 'a.img'],
  ['-f', '--show', 'tiny.img'],
  ['-f', '--show', 'sp ace.img'],
  ['-f', '--show', '-r', '-P', 'a.img'],
  ['-a'],
  ['-l'],
  ['-l', '-n'],
  ['--raw'],
  ['-J'],
  ['-J', '-O', 'NAME,MAJ:MIN,BACK-MAJ:MIN,BACK-INO,PARTSCAN'],
  ['-j', 'a.img'],
  ['-j', 'a.img', '-o', '512'],
  ['/dev/loop0'],
  ['-l', '/dev/loop7'],
  ['/dev/loop7'],
  ['-c', '/dev/loop0'],
  ['-c', '/dev/loop7'],
  ['-d', '/dev/loop7'],
  ['-d', '/dev/loop1', '/dev/loop1'],
  ['-f', '--show', 'none.img'],
  ['/dev/loop6', 'a.img'],
  ['-L', '-f', '--show', 'a.img'],
  ['-l', '-O', 'NAME,FOO'],
  ['--sizelimit', '1.5K', '-f', '--show', 'a.img'],
  ['-o', '10', '-l'],
  ['-D'],
  ['-a'],
  ['-J'],
];

/** Per command, on each side: a hung command must not hang the run (this comparison is synchronous). */
const TIMEOUT_MS = 60_000;

/** Exit status, stdout and stderr of one side, as one comparable string. */
function outcome(result: SyncResult): string {
  return JSON.stringify([result.exitCode, result.signal, result.stdout, result.stderr]);
}

/** Why the comparison cannot run on this host, or null. */
export function losetupDriftUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'the real losetup needs root';
  const attached = execaSync('losetup', ['-a'], { reject: false, timeout: TIMEOUT_MS, stripFinalNewline: false });
  if (attached.failed) return `losetup -a failed: ${attached.stderr.trim() || attached.shortMessage}`;
  if (attached.stdout !== '')
    return `loop devices are in use on this host (${attached.stdout.trim().split('\n').length}): the device numbers would differ`;
  return null;
}

/** Runs every case on both sides; one message per command line whose outcomes differ. */
export function compareLosetup(workDir: string): { compared: number; mismatches: string[] } {
  const root = join(workDir, 'losetup-drift');
  const files = join(root, 'files');
  mkdirSync(files, { recursive: true });
  for (const [name, size] of FILES) {
    writeFileSync(join(files, name), '');
    truncateSync(join(files, name), size);
  }
  const stubs = join(root, 'stubs');
  installSimulators(
    { losetup: { devices: 8, fail: [] } },
    root,
    stubs,
    join(root, 'calls.jsonl'),
    'EXTSTORAGE_KIT_DRIFT',
  );
  const mismatches: string[] = [];
  try {
    for (const argv of LOSETUP_DRIFT_CASES) {
      // Each side with only its own environment, and its output exactly as printed.
      const run = (program: string, path: string) =>
        execaSync(program, argv, {
          cwd: files,
          env: { PATH: path, LC_ALL: 'C' },
          extendEnv: false,
          timeout: TIMEOUT_MS,
          stripFinalNewline: false,
          reject: false,
        });
      const real = run('losetup', '/usr/sbin:/sbin:/usr/bin:/bin');
      const sim = run(join(stubs, 'losetup'), `${stubs}:/usr/bin:/bin`);
      if (outcome(real) === outcome(sim)) continue;
      const show = (r: SyncResult) =>
        `${r.exitCode === undefined ? r.shortMessage : `exit ${r.exitCode}`}\n  stdout: ${JSON.stringify(r.stdout)}\n  stderr: ${JSON.stringify(r.stderr)}`;
      mismatches.push(`losetup ${argv.join(' ')}\n real:      ${show(real)}\n simulated: ${show(sim)}`);
    }
  } finally {
    // Whatever happened above: no device stays attached to the comparison's files.
    detachLoopsUnder([files]);
  }
  return { compared: LOSETUP_DRIFT_CASES.length, mismatches };
}
