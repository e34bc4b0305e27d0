// The losetup backend simulator: the generated executable run as a real process in a temp sandbox
// with real backing files (every command, exact output, streams and exit statuses, the state kept
// between calls, every injected failure), and scenarios run through `extstorage-kit run` with a
// tiny bash provider (test/fixtures/simulate/loop-bash). The byte-for-byte comparison with the real
// losetup is in the e2e run (e2e/drift/losetup.ts), which has root and free loop devices.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { LoggedCall } from '../harness/backend/call-log.js';
import type { LosetupSimulation, SimulatedFailureKind } from '../harness/scenario/model.js';
import {
  installSimulators,
  simulatorViews,
  unusedInjectedFailures,
  type SimulatorSandbox,
} from '../harness/simulate/install.js';
import { parseSize } from '../harness/simulate/losetup/sizes.js';
import { GARBAGE } from '../harness/simulate/runtime.js';
import { CLI, REPO_ROOT } from './helpers/cli.js';
import { tempDir } from './helpers/provider-dir.js';

const AT = { file: 'scenario.yaml', line: 5, col: 9 };

interface Sandbox {
  readonly root: string;
  readonly stubs: string;
  readonly log: string;
  readonly files: string;
  readonly sims: SimulatorSandbox;
}

function sandbox(t: Parameters<typeof tempDir>[0], options: Partial<LosetupSimulation> = {}): Sandbox {
  const root = tempDir(t, 'esk-sim-loop-');
  mkdirSync(join(root, 'stub-state'));
  const log = join(root, 'stub-state', 'calls.jsonl');
  writeFileSync(log, '');
  const files = join(root, 'files');
  mkdirSync(files);
  const sims = installSimulators(
    { losetup: { devices: 8, fail: [], ...options } },
    root,
    join(root, 'stubs'),
    log,
    'EXTSTORAGE_KIT_SANDBOX',
  )!;
  return { root, stubs: join(root, 'stubs'), log, files, sims };
}

function file(sb: Sandbox, name: string, size: number): string {
  const path = join(sb.files, name);
  writeFileSync(path, '');
  truncateSync(path, size);
  return path;
}

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function losetup(sb: Sandbox, ...args: string[]): Ran {
  const r = spawnSync(join(sb.stubs, 'losetup'), args, {
    cwd: sb.files,
    env: { PATH: `${sb.stubs}:/usr/bin:/bin`, LC_ALL: 'C' },
    timeout: 30_000,
  });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/** A loop device in the losetup simulator's documented view (losetupView in harness/simulate/state.ts). */
interface LoopDeviceView {
  readonly file: string;
  readonly size: number;
  readonly bytes: number;
  readonly offset: number;
  readonly sizelimit: number;
  readonly read_only: boolean;
  readonly autoclear: boolean;
  readonly partscan: boolean;
  readonly direct_io: boolean;
  readonly sector_size: number;
}

/** The losetup simulator's documented view (what expect.simulated compares with). */
interface LosetupView {
  readonly count: number;
  readonly attached: number;
  readonly devices: Readonly<Record<string, LoopDeviceView>>;
}

function state(sb: Sandbox): LosetupView {
  return simulatorViews(sb.sims).losetup! as unknown as LosetupView;
}

/** "[65024]:2146353": the device and inode losetup -j shows for a file. */
function devIno(path: string): string {
  const st = statSync(path);
  return `[${String(st.dev).padStart(4, '0')}]:${st.ino}`;
}

const failure = (when: string[], error: SimulatedFailureKind, times: number | 'any' = 'any') => ({
  when: when.map((w) => ({ equals: w })),
  error,
  times,
  position: AT,
});

t.test('--find --show, -j, -a, show one: as losetup 2.38 prints them', async (t) => {
  const sb = sandbox(t);
  const a = file(sb, 'a.img', 10 << 20);
  const b = file(sb, 'b.img', 1 << 20);
  t.strictSame(losetup(sb, '--find', '--show', a), { code: 0, stdout: '/dev/loop0\n', stderr: '' });
  t.strictSame(
    losetup(sb, '-f', '--show', '--sizelimit', '1M', 'b.img'),
    { code: 0, stdout: '/dev/loop1\n', stderr: '' },
    'relative to the working directory',
  );
  t.strictSame(
    losetup(sb, '-fP', '-o', '512', a, '--show'),
    { code: 0, stdout: '/dev/loop2\n', stderr: '' },
    'grouped options, --show after the file',
  );
  t.strictSame(
    losetup(sb, '-j', a).stdout,
    `/dev/loop2: ${devIno(a)} (${a}), offset 512\n/dev/loop0: ${devIno(a)} (${a})\n`,
    'in /sys/block order',
  );
  t.strictSame(losetup(sb, '--associated', 'b.img').stdout, `/dev/loop1: ${devIno(b)} (${b}), sizelimit 1048576\n`);
  t.strictSame(losetup(sb, '--associated=a.img', '-o', '512').stdout, `/dev/loop2: ${devIno(a)} (${a}), offset 512\n`);
  t.strictSame(losetup(sb, '-j', join(sb.files, 'none.img')), { code: 0, stdout: '', stderr: '' });
  t.strictSame(
    losetup(sb, '-a').stdout,
    `/dev/loop1: ${devIno(b)} (${b}), sizelimit 1048576\n/dev/loop2: ${devIno(a)} (${a}), offset 512\n/dev/loop0: ${devIno(a)} (${a})\n`,
  );
  t.strictSame(losetup(sb, '/dev/loop0'), { code: 0, stdout: `/dev/loop0: ${devIno(a)} (${a})\n`, stderr: '' });
  t.strictSame(losetup(sb, '/dev/loop5'), {
    code: 1,
    stdout: '',
    stderr: 'losetup: /dev/loop5: No such file or directory\n',
  });
  t.strictSame(losetup(sb, '/dev/loop9'), {
    code: 1,
    stdout: '',
    stderr: 'losetup: /dev/loop9: failed to use device: No such device\n',
  });
  t.match(state(sb), {
    count: 8,
    attached: 3,
    devices: {
      '/dev/loop0': { file: a, size: 10, offset: 0, sizelimit: 0, read_only: false, partscan: false },
      '/dev/loop1': { file: b, size: 1, sizelimit: 1048576 },
      '/dev/loop2': { file: a, offset: 512, partscan: true, bytes: (10 << 20) - 512 },
    },
  });
});

t.test('--list: table, --noheadings, --output, --raw, --json', async (t) => {
  const sb = sandbox(t);
  const a = file(sb, 'a.img', 1 << 20);
  const spaced = file(sb, 'sp ace.img', 1 << 20);
  t.strictSame(
    losetup(sb, '-J'),
    { code: 0, stdout: '{\n   "loopdevices": [\n\n   ]\n}\n', stderr: '' },
    'nothing attached',
  );
  t.strictSame(losetup(sb), { code: 0, stdout: '', stderr: '' }, 'no argument: --list --all, nothing to show');
  losetup(sb, '-f', a);
  losetup(sb, '-f', '-r', spaced);
  const w = Math.max(a.length, spaced.length);
  const pad = (s: string) => s + ' '.repeat(w - s.length);
  t.strictSame(
    losetup(sb, '--list').stdout,
    `NAME       SIZELIMIT OFFSET AUTOCLEAR RO ${pad('BACK-FILE')} DIO LOG-SEC\n` +
      `/dev/loop1         0      0         0  1 ${pad(spaced)}   0     512\n` +
      `/dev/loop0         0      0         0  0 ${pad(a)}   0     512\n`,
  );
  t.strictSame(
    losetup(sb, '--list', '--noheadings', '--output', 'NAME,BACK-FILE').stdout,
    `/dev/loop1 ${spaced}\n/dev/loop0 ${a}\n`,
    'the last column is not padded',
  );
  t.strictSame(
    losetup(sb, '-l', '-n', '-O', 'RO,NAME').stdout,
    ' 1 /dev/loop1\n 0 /dev/loop0\n',
    'headings count for widths even when not shown',
  );
  t.strictSame(
    losetup(sb, '-l', '-O', '+BACK-INO', '/dev/loop0').stdout.split('\n')[0],
    `NAME       SIZELIMIT OFFSET AUTOCLEAR RO ${'BACK-FILE'.padEnd(a.length)} DIO LOG-SEC BACK-INO`,
  );
  t.strictSame(
    losetup(sb, '--raw', '-O', 'NAME,BACK-FILE').stdout,
    `NAME BACK-FILE\n/dev/loop1 ${spaced.replace(' ', '\\x20')}\n/dev/loop0 ${a}\n`,
  );
  t.strictSame(
    losetup(sb, '-J', '-l').stdout,
    '{\n   "loopdevices": [\n      {\n         "name": "/dev/loop1",\n         "sizelimit": 0,\n         "offset": 0,\n         "autoclear": false,\n' +
      `         "ro": true,\n         "back-file": "${spaced}",\n         "dio": false,\n         "log-sec": 512\n      },{\n` +
      '         "name": "/dev/loop0",\n         "sizelimit": 0,\n         "offset": 0,\n         "autoclear": false,\n' +
      `         "ro": false,\n         "back-file": "${a}",\n         "dio": false,\n         "log-sec": 512\n      }\n   ]\n}\n`,
  );
  const st = statSync(a);
  t.strictSame(
    losetup(sb, '-J', '-O', 'NAME,MAJ:MIN,BACK-MAJ:MIN,BACK-INO,PARTSCAN', '/dev/loop0').stdout,
    `{\n   "loopdevices": [\n      {\n         "name": "/dev/loop0",\n         "maj:min": "  7:0  ",\n` +
      `         "back-maj:min": "${String(Number((BigInt(st.dev) >> 8n) & 0xfffn)).padStart(8)}:${String(Number(BigInt(st.dev) & 0xffn)).padEnd(3)}",\n` +
      `         "back-ino": ${st.ino},\n         "partscan": false\n      }\n   ]\n}\n`,
  );
  t.strictSame(
    losetup(sb, '-l', '/dev/loop5').stdout,
    'NAME       SIZELIMIT OFFSET AUTOCLEAR RO BACK-FILE DIO LOG-SEC\n/dev/loop5                          0  0             0     512\n',
    'an unused device',
  );
  t.strictSame(
    losetup(sb, '-J', '-O', 'NAME,SIZELIMIT,BACK-FILE', '/dev/loop5').stdout,
    '{\n   "loopdevices": [\n      {\n         "name": "/dev/loop5",\n         "sizelimit": null,\n         "back-file": null\n      }\n   ]\n}\n',
  );
  t.strictSame(
    losetup(sb, '--raw', '-l', '/dev/loop5').stdout,
    'NAME SIZELIMIT OFFSET AUTOCLEAR RO BACK-FILE DIO LOG-SEC\n/dev/loop5   0 0  0 512\n',
  );
  t.strictSame(
    losetup(sb, '--output-all'),
    { code: 1, stdout: '', stderr: 'losetup: no loop device specified\n' },
    '2.38: --output-all alone is not --list',
  );
  t.strictSame(losetup(sb, '-l', '-O', 'NAME,FOO'), { code: 1, stdout: '', stderr: 'losetup: unknown column: FOO\n' });
  t.strictSame(
    losetup(sb, '-l', '-O', 'FOO,NAME').stderr,
    'losetup: unknown column: FOO,NAME\n',
    'warnx prints the rest of the list',
  );
  t.strictSame(losetup(sb, '-l', '-O', 'NAME,,RO'), { code: 1, stdout: '', stderr: '' });
});

t.test('detach, detach-all, set-capacity, a deleted backing file', async (t) => {
  const sb = sandbox(t);
  const a = file(sb, 'a.img', 1 << 20);
  const gone = file(sb, 'gone.img', 1 << 20);
  losetup(sb, '-f', a);
  losetup(sb, '-f', gone);
  rmSync(gone);
  t.match(
    losetup(sb, '/dev/loop1').stdout,
    new RegExp(`^/dev/loop1: \\[\\d{4,}\\]:\\d+ \\(${gone} \\(deleted\\)\\)\n$`),
  );
  t.strictSame(losetup(sb, '-j', gone).stdout, '', 'a deleted file is no longer found by -j');
  t.strictSame(losetup(sb, '-l', '-n', '-O', 'BACK-FILE', '/dev/loop1').stdout, `${gone} (deleted)\n`);

  truncateSync(a, 4 << 20);
  t.equal(state(sb).devices['/dev/loop0']!.size, 1, 'the size read at setup');
  t.strictSame(losetup(sb, '--set-capacity', '/dev/loop0'), { code: 0, stdout: '', stderr: '' });
  t.equal(state(sb).devices['/dev/loop0']!.size, 4, 'refreshed');
  t.strictSame(losetup(sb, '-c', '/dev/loop3'), {
    code: 1,
    stdout: '',
    stderr: 'losetup: /dev/loop3: set capacity failed: No such device or address\n',
  });
  t.strictSame(losetup(sb, '-c', '/dev/loop99'), {
    code: 1,
    stdout: '',
    stderr: 'losetup: /dev/loop99: failed to use device: No such device\n',
  });

  t.strictSame(losetup(sb, '-d', '/dev/loop0', '/dev/loop0'), {
    code: 1,
    stdout: '',
    stderr: 'losetup: /dev/loop0: detach failed: No such device or address\n',
  });
  t.strictSame(losetup(sb, '-d', 'loop1'), {
    code: 1,
    stdout: '',
    stderr: 'losetup: loop1: failed to use device: No such device\n',
  });
  losetup(sb, '-f', a);
  t.strictSame(
    losetup(sb, '-d', '/dev/loop0', 'bogus'),
    {
      code: 1,
      stdout: '',
      stderr:
        'losetup: bogus: failed to use device: No such device\nlosetup: /dev/loop0: detach failed: No such device or address\n',
    },
    'a bad name after a good one: losetup tries the previous device again',
  );
  t.strictSame(losetup(sb, '-D'), { code: 0, stdout: '', stderr: '' });
  t.strictSame(state(sb).attached, 0);
});

t.test('setup errors and warnings', async (t) => {
  const sb = sandbox(t, { devices: 2 });
  const tiny = file(sb, 'tiny.img', 100);
  const odd = file(sb, 'odd.img', 1000);
  t.strictSame(losetup(sb, '-f', '--show', 'none.img'), {
    code: 1,
    stdout: '',
    stderr: 'losetup: none.img: failed to set up loop device: No such file or directory\n',
  });
  t.strictSame(losetup(sb, '-f', '--show', sb.files), {
    code: 1,
    stdout: '',
    stderr: `losetup: ${sb.files}: failed to set up loop device: Is a directory\n`,
  });
  t.strictSame(losetup(sb, '-f', '--show', '/dev/null'), {
    code: 1,
    stdout: '',
    stderr: 'losetup: /dev/null: failed to set up loop device: Invalid argument\n',
  });
  t.strictSame(losetup(sb, '-f', '--show', tiny), {
    code: 0,
    stdout: '/dev/loop0\n',
    stderr: `losetup: ${tiny}: Warning: file is smaller than 512 bytes; the loop device may be useless or invisible for system tools.\n`,
  });
  t.strictSame(losetup(sb, '-f', 'odd.img'), {
    code: 0,
    stdout: '',
    stderr:
      'losetup: odd.img: Warning: file does not fit into a 512-byte sector; the end of the file will be ignored.\n',
  });
  t.strictSame(
    losetup(sb, '-f', '--show', odd),
    { code: 1, stdout: '', stderr: 'losetup: cannot find an unused loop device\n' },
    'every device in use',
  );
  t.strictSame(losetup(sb, '-f'), {
    code: 1,
    stdout: '',
    stderr: 'losetup: cannot find an unused loop device: No such file or directory\n',
  });
  t.strictSame(losetup(sb, '/dev/loop1', tiny), {
    code: 1,
    stdout: '',
    stderr: `losetup: ${tiny}: failed to set up loop device: Device or resource busy\n`,
  });
  t.strictSame(losetup(sb, '/dev/loop7', tiny), {
    code: 1,
    stdout: '',
    stderr: 'losetup: /dev/loop7: failed to set up loop device: No such file or directory\n',
  });
  losetup(sb, '-D');
  t.strictSame(losetup(sb, '/dev/loop1', tiny).code, 0, 'losetup <device> <file>');
  t.strictSame(losetup(sb, '-L', '-f', '--show', tiny).stdout, '/dev/loop1\n', '--nooverlap reuses the device');
  t.strictSame(
    losetup(sb, '-L', '-f', '--show', '--sizelimit', '512', tiny).stderr,
    `losetup: ${tiny}: overlapping loop device exists\n`,
  );
});

t.test('option parsing as glibc getopt_long and util-linux', async (t) => {
  const sb = sandbox(t);
  const a = file(sb, 'a.img', 1 << 20);
  const help = losetup(sb, '-h');
  t.equal(help.code, 0);
  t.match(help.stdout, /^\nUsage:\n losetup \[options\] \[<loopdev>\]\n/);
  t.strictSame(losetup(sb, '--version').stdout, 'losetup from util-linux 2.38.1\n');
  const tryHelp = "Try 'losetup --help' for more information.\n";
  t.strictSame(losetup(sb, '--bogus'), {
    code: 1,
    stdout: '',
    stderr: `losetup: unrecognized option '--bogus'\n${tryHelp}`,
  });
  t.strictSame(losetup(sb, '-x').stderr, `losetup: invalid option -- 'x'\n${tryHelp}`);
  t.strictSame(losetup(sb, '-l', '-O').stderr, `losetup: option requires an argument -- 'O'\n${tryHelp}`);
  t.strictSame(losetup(sb, '--detach').stderr, `losetup: option '--detach' requires an argument\n${tryHelp}`);
  t.strictSame(losetup(sb, '--al=x').stderr, `losetup: option '--all' doesn't allow an argument\n${tryHelp}`);
  t.strictSame(
    losetup(sb, '--s').stderr,
    `losetup: option '--s' is ambiguous; possibilities: '--set-capacity' '--sector-size' '--sizelimit' '--show'\n${tryHelp}`,
  );
  t.strictSame(
    losetup(sb, '--list', '--jso').stdout,
    '{\n   "loopdevices": [\n\n   ]\n}\n',
    'unambiguous abbreviations',
  );
  t.strictSame(
    losetup(sb, '-d', '/dev/loop0', '-f').stderr,
    'losetup: mutually exclusive arguments: --detach-all --all --set-capacity --detach --find --associated\n',
  );
  t.strictSame(losetup(sb, '-J', '--raw').stderr, 'losetup: mutually exclusive arguments: --json --raw\n');
  t.strictSame(
    losetup(sb, '-f', '--show').stderr,
    'losetup: the options --{sizelimit,partscan,read-only,show} are allowed during loop device setup only\n',
  );
  t.strictSame(losetup(sb, '-o', '10', '-l').stderr, 'losetup: the option --offset is not allowed in this context\n');
  t.strictSame(losetup(sb, '-n').stderr, 'losetup: no loop device specified\n');
  t.strictSame(losetup(sb, '-f', a, 'extra').stderr, 'losetup: unexpected arguments\n');
  t.strictSame(
    losetup(sb, '--sizelimit', 'abc', '-f', a).stderr,
    "losetup: failed to parse size: 'abc': Invalid argument\n",
  );
  t.strictSame(
    losetup(sb, '--offset', '1.5', '-f', a).stderr,
    "losetup: failed to parse offset: '1.5': Invalid argument\n",
  );
  t.strictSame(losetup(sb, '--direct-io=maybe').stderr, "losetup: argument error: 'maybe'\n");
  t.strictSame(losetup(sb, '-f', '--', a).code, 0, '-- ends the options');
  t.strictSame(
    ['1K', '1KiB', '1KB', '1.5K', '0x200', '010', '1M', '2G'].map((s) => parseSize(s)),
    [
      { value: 1024 },
      { value: 1024 },
      { value: 1000 },
      { value: 1536 },
      { value: 512 },
      { value: 8 },
      { value: 1048576 },
      { value: 2147483648 },
    ],
  );
  t.strictSame(
    ['abc', '1.5', '-1', '08', '1X', ''].map((s) => 'errno' in parseSize(s)),
    [true, true, true, true, true, true],
  );
});

t.test('devices are listed in /sys/block order (kernfs hashes of their names)', async (t) => {
  const sb = sandbox(t, { devices: 12 });
  const a = file(sb, 'a.img', 1 << 20);
  for (let i = 0; i < 12; i++) losetup(sb, '-f', a);
  t.strictSame(
    losetup(sb, '-l', '-n', '-O', 'NAME').stdout.split('\n').filter(Boolean),
    ['loop1', 'loop8', 'loop6', 'loop4', 'loop11', 'loop2', 'loop0', 'loop9', 'loop7', 'loop5', 'loop3', 'loop10'].map(
      (n) => `/dev/${n}`,
    ),
  );
});

t.test('injected failures', async (t) => {
  const busy = sandbox(t, { fail: [failure(['-d'], 'busy', 1), failure(['-f'], 'busy', 1)] });
  const a = file(busy, 'a.img', 1 << 20);
  t.strictSame(losetup(busy, '-f', a), {
    code: 1,
    stdout: '',
    stderr: `losetup: ${a}: failed to set up loop device: Device or resource busy\n`,
  });
  losetup(busy, '-f', a);
  t.strictSame(
    losetup(busy, '-d', '/dev/loop0'),
    { code: 0, stdout: '', stderr: '' },
    'a busy device: detach only sets autoclear',
  );
  t.match(state(busy), { attached: 1, devices: { '/dev/loop0': { autoclear: true } } });
  t.strictSame(losetup(busy, '-l', '-n', '-O', 'AUTOCLEAR').stdout, '        1\n');
  t.strictSame(losetup(busy, '-d', '/dev/loop0').code, 0);
  t.strictSame(state(busy).attached, 0);
  t.strictSame(unusedInjectedFailures(busy.sims), []);

  const notFound = sandbox(t, {
    fail: [failure(['-j'], 'not-found', 1), failure(['--find'], 'not-found', 1), failure(['-d'], 'not-found')],
  });
  const b = file(notFound, 'b.img', 1 << 20);
  losetup(notFound, '-f', b);
  t.strictSame(losetup(notFound, '-j', b).stdout, '', 'no device at all');
  t.strictSame(losetup(notFound, '-j', b).stdout, `/dev/loop0: ${devIno(b)} (${b})\n`);
  t.strictSame(
    losetup(notFound, '--find', '--show', b).stderr,
    `losetup: ${b}: failed to set up loop device: No such file or directory\n`,
  );
  t.strictSame(
    losetup(notFound, '-d', '/dev/loop0').stderr,
    'losetup: /dev/loop0: detach failed: No such device or address\n',
  );

  const permission = sandbox(t, { fail: [failure([], 'permission')] });
  const c = file(permission, 'c.img', 1 << 20);
  t.strictSame(losetup(permission, '-f', '--show', c), {
    code: 1,
    stdout: '',
    stderr: 'losetup: cannot find an unused loop device\n',
  });
  t.strictSame(losetup(permission, '-f').stderr, 'losetup: cannot find an unused loop device: Permission denied\n');

  const permitted = sandbox(t, { fail: [failure(['-j'], 'permission'), failure(['-d'], 'permission')] });
  const d = file(permitted, 'd.img', 1 << 20);
  losetup(permitted, '-f', d);
  t.strictSame(
    losetup(permitted, '-j', d).stdout,
    `/dev/loop0: []: (${d})\n`,
    'without LOOP_GET_STATUS, as a user who is not root',
  );
  t.strictSame(
    losetup(permitted, '-d', '/dev/loop0').stderr,
    'losetup: /dev/loop0: detach failed: Permission denied\n',
  );

  const garbage = sandbox(t, { fail: [failure(['-j'], 'garbage', 1)] });
  const g = spawnSync(join(garbage.stubs, 'losetup'), ['-j', 'x'], { env: { PATH: '/usr/bin:/bin' } });
  t.equal(g.status, 0);
  t.ok(g.stdout.equals(Buffer.from(GARBAGE)));

  const timeout = sandbox(t, { fail: [failure(['-f'], 'timeout')] });
  const h = spawnSync(join(timeout.stubs, 'losetup'), ['-f'], { env: { PATH: '/usr/bin:/bin' }, timeout: 1000 });
  t.equal(h.signal, 'SIGTERM', 'hangs until killed');

  const unused = sandbox(t, { fail: [failure(['-c'], 'busy', 3)] });
  t.match(unusedInjectedFailures(unused.sims), [
    {
      message: 'injected busy failure never triggered: losetup -c (scenario.yaml:5:9)',
      expected: '3 more calls to losetup starting with those arguments',
    },
  ]);
});

t.test('calls are logged as simulated', async (t) => {
  const sb = sandbox(t);
  losetup(sb, '-a');
  const logged = readFileSync(sb.log, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as LoggedCall);
  t.match(logged, [{ command: 'losetup', argv: ['-a'], entry: null, exit: 0, simulated: true }]);
});

t.test('scenarios with the losetup simulator pass through extstorage-kit run', async (t) => {
  const json = join(tempDir(t), 'report.json');
  const r = spawnSync(
    process.execPath,
    [CLI, 'run', join(REPO_ROOT, 'test', 'fixtures', 'simulate', 'loop.yaml'), '--json', json],
    {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 120_000,
    },
  );
  t.equal(r.status, 0, r.stdout + r.stderr);
  const report = JSON.parse(readFileSync(json, 'utf8')) as {
    results: { name: string; status: string; steps: { runs: { simulated?: unknown }[] }[] }[];
  };
  t.equal(report.results.length, 5);
  for (const result of report.results) t.equal(result.status, 'pass', result.name);
  t.match(report.results.find((x) => x.name.startsWith('the whole lifecycle'))!.steps[1]!.runs[0]!.simulated, {
    losetup: { attached: 1, devices: { '/dev/loop0': { file: /\/data\/vol1\.img$/ } } },
  });
});
