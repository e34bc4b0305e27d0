// The reference providers (dist/providers/) under faults, as real processes on real file systems:
// a GlusterFS mount point with nothing (or the wrong thing) mounted, a full or read-only file
// system, a volume larger than the free space, stale and held volume locks, and actions killed with
// SIGKILL half-way and run again, as Ganeti retries them. The mounts (tmpfs, a GlusterFS FUSE client
// on a local brick) need root; those tests say so and are skipped elsewhere.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
  truncateSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t, { type Test } from 'tap';
import { REPO_ROOT } from './helpers/cli.js';
import { tempDir } from './helpers/provider-dir.js';

const BUILT = join(REPO_ROOT, 'dist', 'providers');
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Long enough for any action here; a run past it is a failure (a lock waited for 10 minutes). */
const GUARD_MS = 60_000;

type Env = Record<string, string>;

interface ActionResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `env -i`: nothing of tap's process hooks (NODE_OPTIONS) reaches the provider. */
function envArgv(env: Env): string[] {
  return ['-i', ...Object.entries({ PATH: SYSTEM_PATH, LC_ALL: 'C', ...env }).map(([k, v]) => `${k}=${v}`)];
}

function action(provider: string, name: string, env: Env): ActionResult {
  const dir = join(BUILT, provider);
  const r = spawnSync('/usr/bin/env', [...envArgv(env), join(dir, name)], {
    cwd: dir,
    encoding: 'utf8',
    input: '',
    timeout: GUARD_MS,
    killSignal: 'SIGKILL',
  });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Started, not awaited: env execs the script, so the child's pid is the action's. */
function startAction(t: Test, provider: string, name: string, env: Env): { child: ChildProcess; stderr: () => string } {
  const dir = join(BUILT, provider);
  const child = spawn('/usr/bin/env', [...envArgv(env), join(dir, name)], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.resume();
  return { child, stderr: () => stderr };
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.on('exit', (code) => resolve(code));
  });
}

async function waitFor(what: string, ready: () => boolean): Promise<void> {
  for (let waited = 0; !ready(); waited += 20) {
    if (waited > GUARD_MS) throw new Error(`gave up waiting for ${what}`);
    await sleep(20);
  }
}

/** The message is one line: no stack trace, no "internal error". */
function clean(t: Test, stderr: string, what: string): void {
  t.equal(stderr.trim().split('\n').length, 1, `${what}: one line on stderr`);
  t.notMatch(stderr, /internal error|\n\s+at |Object\.\w+Sync/, `${what}: no stack trace`);
}

function partials(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.includes('.partial-'));
}

/** A pid no process has any more: a child that has exited and been reaped. */
function deadPid(): number {
  return spawnSync('true').pid;
}

/** Runs argv (a host tool) and waits for it. */
function run(argv: readonly string[]): ActionResult {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: GUARD_MS });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function executable(path: string, text: string): void {
  writeFileSync(path, text);
  chmodSync(path, 0o755);
}

const root = process.getuid?.() === 0;
const canMount = root && run(['mount', '--version']).code === 0;
const canGluster = canMount && run(['glusterfs', '--version']).code === 0 && existsSync('/dev/fuse');
const NEEDS_MOUNT = canMount ? false : 'needs root to mount a tmpfs: not run here';
const NEEDS_GLUSTER = canGluster
  ? false
  : 'needs root, /dev/fuse and the GlusterFS client (glusterfs) for a real FUSE mount: not run here';

/** A fresh folder with a file system mounted on it, unmounted and removed when the test ends. */
function mounted(t: Test, mount: (dir: string) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'esk-mnt-'));
  t.teardown(() => {
    run(['umount', dir]);
    if (run(['mountpoint', '-q', dir]).code === 0) run(['umount', '-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  mount(dir);
  t.equal(run(['mountpoint', '-q', dir]).code, 0, `something is mounted at ${dir}`);
  return dir;
}

function tmpfs(t: Test, options: string): string {
  return mounted(t, (dir) => {
    const r = run(['mount', '-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
    if (r.code !== 0) throw new Error(`mount -t tmpfs: ${r.stderr}`);
  });
}

/** A real GlusterFS FUSE client (type fuse.glusterfs) serving a local folder: no glusterd, no network. */
function glusterMount(t: Test, volume: string, subdir?: string): { mountpoint: string; brick: string } {
  const work = tempDir(t);
  const brick = join(work, 'brick');
  mkdirSync(join(brick, subdir ?? ''), { recursive: true });
  writeFileSync(
    join(work, 'local.vol'),
    `volume ${volume}\n    type storage/posix\n    option directory ${brick}\nend-volume\n`,
  );
  const mountpoint = mounted(t, (dir) => {
    const log = join(work, 'client.log');
    const r = run([
      'glusterfs',
      `--volfile=${join(work, 'local.vol')}`,
      `--volfile-id=${volume}`,
      ...(subdir === undefined ? [] : [`--subdir-mount=/${subdir}`]),
      `--log-file=${log}`,
      dir,
    ]);
    if (r.code !== 0) throw new Error(`glusterfs: ${r.stderr}`);
  });
  return { mountpoint, brick };
}

/** Fills the file system of `dir` until it refuses another byte. */
function fill(dir: string): void {
  const fd = openSync(join(dir, 'filler'), 'w');
  const chunk = Buffer.alloc(4096, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}

// ---------------------------------------------------------------------------------------------
// gluster: refuse a mount point where the GlusterFS volume is not mounted

const ACTIONS_THAT_TOUCH_IMAGES: readonly [string, Env][] = [
  ['create', { VOL_NAME: 'new.ext.disk0', VOL_SIZE: '4' }],
  ['attach', {}],
  ['grow', { VOL_SIZE: '4', VOL_NEW_SIZE: '8' }],
  ['setinfo', { VOL_METADATA: 'new' }],
  ['snapshot', { VOL_SNAPSHOT_NAME: 'vol1.ext.disk0.snap' }],
  ['open', {}],
  ['verify', {}],
  ['remove', {}],
];

/** Volume `volume` of 4 MiB with the metadata "old", as the provider makes them. */
function seedVolume(folder: string, volume: string): void {
  writeFileSync(join(folder, `${volume}.img`), '');
  truncateSync(join(folder, `${volume}.img`), 4 * 1024 * 1024);
  writeFileSync(join(folder, `${volume}.meta`), 'old\n');
}

t.test('gluster: a mount point with nothing mounted is refused by every action that touches images', async (t) => {
  const mountpoint = join(tempDir(t), 'mnt');
  mkdirSync(join(mountpoint, 'ganeti'), { recursive: true });
  const env = { VOL_NAME: 'vol1.ext.disk0', EXTP_VOLUME: 'gv0', EXTP_MOUNTPOINT: mountpoint };
  const folder = join(mountpoint, 'ganeti');
  seedVolume(folder, 'vol1.ext.disk0');
  const before = readdirSync(folder).sort();
  for (const [name, extra] of ACTIONS_THAT_TOUCH_IMAGES) {
    const r = action('gluster', name, { ...env, ...extra });
    t.equal(r.code, 1, `${name} refuses`);
    t.equal(r.stdout, '', `${name}: nothing on stdout`);
    t.match(
      r.stderr,
      `${mountpoint} is not a mounted GlusterFS volume gv0 (the image folder ${folder}): nothing is mounted there: it is a plain folder on /`,
      `${name}: the folder and what was found there`,
    );
    clean(t, r.stderr, name);
  }
  t.same(readdirSync(folder).sort(), before, 'nothing was created, changed or removed');
  t.equal(readFileSync(join(folder, 'vol1.ext.disk0.meta'), 'utf8'), 'old\n', 'the metadata is the old one');
  const detach = action('gluster', 'detach', env);
  t.equal(detach.code, 0, `detach only releases loop devices, mounted or not: ${detach.stderr}`);
});

t.test('gluster: check_mount=false works on a plain folder, and says so on stderr', async (t) => {
  const mountpoint = join(tempDir(t), 'mnt');
  mkdirSync(join(mountpoint, 'ganeti'), { recursive: true });
  const env = { VOL_NAME: 'vol1.ext.disk0', EXTP_VOLUME: 'gv0', EXTP_MOUNTPOINT: mountpoint, EXTP_CHECK_MOUNT: 'no' };
  const r = action('gluster', 'create', { ...env, VOL_SIZE: '4' });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, `gluster create: warning: check_mount=false: not checking that ${mountpoint} is where GlusterFS`);
  t.ok(existsSync(join(mountpoint, 'ganeti', 'vol1.ext.disk0.img')));
});

t.test('gluster: another file system mounted there is named, and refused', { skip: NEEDS_MOUNT }, async (t) => {
  const mountpoint = tmpfs(t, 'size=16m');
  mkdirSync(join(mountpoint, 'ganeti'));
  const r = action('gluster', 'create', {
    VOL_NAME: 'vol1.ext.disk0',
    VOL_SIZE: '4',
    EXTP_VOLUME: 'gv0',
    EXTP_MOUNTPOINT: mountpoint,
  });
  t.equal(r.code, 1);
  t.match(r.stderr, `${mountpoint} is not a mounted GlusterFS volume gv0`);
  t.match(r.stderr, 'found tmpfs (tmpfs) mounted there, not fuse.glusterfs');
  t.same(readdirSync(join(mountpoint, 'ganeti')), [], 'no image');
});

t.test(
  'gluster: on a real GlusterFS FUSE mount of the volume, every action works',
  { skip: NEEDS_GLUSTER },
  async (t) => {
    const { mountpoint, brick } = glusterMount(t, 'gv0');
    mkdirSync(join(mountpoint, 'ganeti'));
    const env = { VOL_NAME: 'vol1.ext.disk0', EXTP_VOLUME: 'gv0', EXTP_MOUNTPOINT: mountpoint };
    for (const [name, extra] of [
      ['verify', {}],
      ['create', { VOL_SIZE: '4' }],
      ['setinfo', { VOL_METADATA: 'web1' }],
      ['grow', { VOL_SIZE: '4', VOL_NEW_SIZE: '8' }],
      ['snapshot', { VOL_SNAPSHOT_NAME: 'vol1.ext.disk0.snap' }],
      ['open', {}],
    ] as const) {
      const r = action('gluster', name, { ...env, ...extra });
      t.equal(r.code, 0, `${name}: ${r.stderr}`);
      t.equal(r.stderr, '', `${name}: no warning`);
    }
    t.equal(statSync(join(brick, 'ganeti', 'vol1.ext.disk0.img')).size, 8 * 1024 * 1024, 'the image is on the brick');
    t.equal(readFileSync(join(brick, 'ganeti', 'vol1.ext.disk0.meta'), 'utf8'), 'web1\n');
    t.ok(existsSync(join(brick, 'ganeti', 'vol1.ext.disk0.snap.img')), 'and so is the snapshot');
    t.equal(action('gluster', 'remove', env).code, 0);
    t.equal(action('gluster', 'remove', { ...env, VOL_NAME: 'vol1.ext.disk0.snap' }).code, 0);
    t.same(readdirSync(join(brick, 'ganeti')), [], 'remove went through the mount too');

    const other = action('gluster', 'create', { ...env, VOL_SIZE: '4', EXTP_VOLUME: 'gv1' });
    t.equal(other.code, 1, 'the mounted volume is gv0, not gv1');
    t.match(other.stderr, 'found GlusterFS volume gv0 (glusterfs:gv0) mounted there, not gv1');
    mkdirSync(join(mountpoint, 'ganeti', 'x'));
    const sub = action('gluster', 'create', {
      ...env,
      VOL_SIZE: '4',
      EXTP_MOUNTPOINT: join(mountpoint, 'ganeti'),
      EXTP_DIR: 'x',
    });
    t.equal(sub.code, 1, 'a folder inside the mount is not where the volume is mounted');
    t.match(
      sub.stderr,
      `nothing is mounted there: it is a plain folder on ${mountpoint}, fuse.glusterfs (glusterfs:gv0)`,
    );
  },
);

t.test('gluster: a sub-directory mount of the volume is refused', { skip: NEEDS_GLUSTER }, async (t) => {
  const { mountpoint } = glusterMount(t, 'gv0', 'sub');
  mkdirSync(join(mountpoint, 'ganeti'));
  const r = action('gluster', 'create', {
    VOL_NAME: 'vol1.ext.disk0',
    VOL_SIZE: '4',
    EXTP_VOLUME: 'gv0',
    EXTP_MOUNTPOINT: mountpoint,
  });
  t.equal(r.code, 1, 'the gluster:// URI would name another file than the loop device');
  t.match(r.stderr, 'found only a sub-folder of the volume mounted there, fuse.glusterfs (glusterfs:gv0/sub)');
  t.same(readdirSync(join(mountpoint, 'ganeti')), [], 'no image');
});

// ---------------------------------------------------------------------------------------------
// legacy: full, read-only and too small file systems

t.test(
  'legacy: setinfo on a full file system: one clear line, nothing left, the old metadata kept',
  { skip: NEEDS_MOUNT },
  async (t) => {
    const dir = tmpfs(t, 'size=1m');
    const env = { VOL_NAME: 'vol1.ext.disk0', EXTP_DIR: dir };
    seedVolume(dir, 'vol1.ext.disk0');
    fill(dir);
    const r = action('legacy', 'setinfo', { ...env, VOL_METADATA: 'new' });
    t.equal(r.code, 1);
    t.match(
      r.stderr,
      `legacy setinfo: cannot write the metadata of volume vol1.ext.disk0 (${dir}/vol1.ext.disk0.meta): no space left on the file system (ENOSPC); the old content is unchanged`,
    );
    clean(t, r.stderr, 'setinfo');
    t.same(partials(dir), [], 'no partial file left');
    t.equal(readFileSync(join(dir, 'vol1.ext.disk0.meta'), 'utf8'), 'old\n', 'the old metadata is intact');
  },
);

t.test('legacy: a snapshot copy that fills the file system is undone', { skip: NEEDS_MOUNT }, async (t) => {
  const dir = tmpfs(t, 'size=2m');
  const env = { VOL_NAME: 'vol1.ext.disk0', EXTP_DIR: dir };
  seedVolume(dir, 'vol1.ext.disk0');
  rmSync(join(dir, 'vol1.ext.disk0.meta'));
  const fd = openSync(join(dir, 'vol1.ext.disk0.img'), 'r+');
  writeSync(fd, Buffer.alloc(1024 * 1024, 0x5a), 0, 1024 * 1024, 0);
  closeSync(fd);
  fill(dir); // the copy of that 1 MiB cannot fit
  const snap = { ...env, VOL_SNAPSHOT_NAME: 'vol1.ext.disk0.snap' };
  const refused = action('legacy', 'snapshot', snap);
  t.equal(refused.code, 1, 'without thin, the free space check refuses first');
  t.match(refused.stderr, /has [\d.]+ MiB free, less than the 4 MiB the volume needs; .*thin=true/);
  const r = action('legacy', 'snapshot', { ...snap, EXTP_THIN: 'true' });
  t.equal(r.code, 1);
  t.match(r.stderr, `cannot copy ${dir}/vol1.ext.disk0.img to ${dir}/vol1.ext.disk0.snap.img`);
  t.match(r.stderr, /No space left on device/);
  clean(t, r.stderr, 'snapshot');
  t.same(readdirSync(dir).sort(), ['filler', 'vol1.ext.disk0.img'], 'no partial copy, no snapshot');
});

t.test('legacy: create when no inode is left: one clear line, nothing left', { skip: NEEDS_MOUNT }, async (t) => {
  const dir = tmpfs(t, 'size=1m,nr_inodes=8');
  try {
    for (let i = 0; ; i++) writeFileSync(join(dir, `f${i}`), '');
  } catch (error) {
    t.equal((error as NodeJS.ErrnoException).code, 'ENOSPC', 'the inodes are used up');
  }
  const before = readdirSync(dir).sort();
  const r = action('legacy', 'create', { VOL_NAME: 'vol1.ext.disk0', VOL_SIZE: '1', EXTP_DIR: dir });
  t.equal(r.code, 1);
  t.match(
    r.stderr,
    `legacy create: cannot create ${dir}/vol1.ext.disk0.img (1 MiB): no space left on the file system (ENOSPC)`,
  );
  clean(t, r.stderr, 'create');
  t.same(readdirSync(dir).sort(), before, 'nothing left');
});

t.test(
  'legacy: a read-only file system: every write is one clear line, nothing changes',
  { skip: NEEDS_MOUNT },
  async (t) => {
    const dir = tmpfs(t, 'size=8m');
    const env = { VOL_NAME: 'vol1.ext.disk0', EXTP_DIR: dir };
    t.equal(action('legacy', 'create', { ...env, VOL_SIZE: '4' }).code, 0);
    t.equal(action('legacy', 'setinfo', { ...env, VOL_METADATA: 'old' }).code, 0);
    t.equal(run(['mount', '-o', 'remount,ro', dir]).code, 0, 'remounted read-only');
    for (const [name, extra, words] of [
      ['create', { VOL_NAME: 'vol2.ext.disk0', VOL_SIZE: '1' }, `cannot create ${dir}/vol2.ext.disk0.img (1 MiB)`],
      ['setinfo', { VOL_METADATA: 'new' }, 'cannot write the metadata of volume vol1.ext.disk0'],
      ['grow', { VOL_SIZE: '4', VOL_NEW_SIZE: '6' }, `cannot grow ${dir}/vol1.ext.disk0.img to 6 MiB`],
      ['snapshot', { VOL_SNAPSHOT_NAME: 'vol1.ext.disk0.snap' }, 'cannot copy'],
      ['remove', {}, `cannot delete ${dir}/vol1.ext.disk0.img`],
    ] as const) {
      const r = action('legacy', name, { ...env, ...extra });
      t.equal(r.code, 1, `${name} fails`);
      t.match(r.stderr, words, `${name}: what and where`);
      t.match(r.stderr, /read-only/i, `${name}: why`);
      clean(t, r.stderr, name);
    }
    t.same(readdirSync(dir).sort(), ['vol1.ext.disk0.img', 'vol1.ext.disk0.meta'], 'nothing changed');
    t.equal(statSync(join(dir, 'vol1.ext.disk0.img')).size, 4 * 1024 * 1024);
  },
);

t.test(
  'legacy: a volume larger than the free space is refused unless thin=true, on create and grow',
  { skip: NEEDS_MOUNT },
  async (t) => {
    const dir = tmpfs(t, 'size=24m');
    const env = { VOL_NAME: 'vol1.ext.disk0', EXTP_DIR: dir };
    const r = action('legacy', 'create', { ...env, VOL_SIZE: '64' });
    t.equal(r.code, 1, '64 MiB on a 24 MiB file system');
    t.match(
      r.stderr,
      `legacy create: cannot create volume vol1.ext.disk0 of 64 MiB: the file system of ${dir} has 24.0 MiB free, less than the 64 MiB the volume needs`,
    );
    t.match(r.stderr, 'set the parameter thin=true to allow thin-provisioned (sparse) volumes');
    clean(t, r.stderr, 'create');
    t.same(readdirSync(dir), [], 'nothing created');
    t.equal(action('legacy', 'create', { ...env, VOL_SIZE: '16' }).code, 0, '16 MiB fits');
    const grow = action('legacy', 'grow', { ...env, VOL_SIZE: '16', VOL_NEW_SIZE: '64' });
    t.equal(grow.code, 1, 'growing by 48 MiB does not fit');
    t.match(grow.stderr, 'cannot grow volume vol1.ext.disk0 from 16 to 64 MiB: the file system');
    t.equal(statSync(join(dir, 'vol1.ext.disk0.img')).size, 16 * 1024 * 1024, 'not grown');
    t.equal(action('legacy', 'grow', { ...env, VOL_SIZE: '16', VOL_NEW_SIZE: '64', EXTP_THIN: 'true' }).code, 0);
    const thin = action('legacy', 'create', { ...env, VOL_NAME: 'vol2.ext.disk0', VOL_SIZE: '64', EXTP_THIN: 'true' });
    t.equal(thin.code, 0, `thin=true: ${thin.stderr}`);
    t.equal(statSync(join(dir, 'vol2.ext.disk0.img')).size, 64 * 1024 * 1024);
  },
);

// ---------------------------------------------------------------------------------------------
// the volume lock

/** A losetup for attach that never touches the host: no device yet, then /dev/loop7. */
function fakeLosetup(t: Test, options: { slowMarker?: string; log?: string } = {}): string {
  const bin = tempDir(t);
  executable(
    join(bin, 'losetup'),
    `#!/bin/sh
${options.log ? `echo "$*" >> '${options.log}'` : ''}
case "$1" in
  --associated) ${options.log ? `printf '/dev/loop7: [0]:1 (%s)\\n' "$2"` : ':'} ;;
  --find) ${options.slowMarker ? `echo $$ > '${options.slowMarker}'; exec sleep 3023` : 'echo /dev/loop7'} ;;
esac
exit 0
`,
  );
  return `${bin}:${SYSTEM_PATH}`;
}

const LOCK_DIRS = ['/run/lock/extstorage', join(tmpdir(), 'extstorage-locks')];

/** Where the lock file of `volume` goes: in the first of the provider's lock folders it made. */
function lockFile(volume: string): string {
  const dir = LOCK_DIRS.find((d) => existsSync(d));
  if (dir === undefined) throw new Error(`no lock folder (${LOCK_DIRS.join(', ')})`);
  return join(dir, `legacy--${volume}.lock`);
}

function removeLockFiles(t: Test, volume: string): void {
  t.teardown(() => {
    for (const dir of LOCK_DIRS) rmSync(join(dir, `legacy--${volume}.lock`), { force: true });
  });
}

t.test('legacy: a stale lock file (empty, or naming a dead process) does not block attach', async (t) => {
  const images = tempDir(t);
  const volume = `stale-${process.pid}.ext.disk0`;
  const env = { VOL_NAME: volume, EXTP_DIR: images, PATH: fakeLosetup(t) };
  t.equal(action('legacy', 'create', { ...env, VOL_SIZE: '4' }).code, 0);
  removeLockFiles(t, volume);
  const lock = lockFile(volume);
  for (const [what, content] of [
    ['an empty lock file (its owner died before writing its pid)', ''],
    ['a lock file naming a dead process', `${deadPid()}\n`],
  ] as const) {
    writeFileSync(lock, content);
    const r = action('legacy', 'attach', env);
    t.equal(r.code, 0, `${what}: attach goes ahead: ${r.stderr}`);
    t.equal(r.stdout, '/dev/loop7');
    t.equal(r.stderr, '', `${what}: nothing to wait for`);
  }
});

t.test('legacy: attach killed with SIGKILL while it holds the lock: the next attach does not wait', async (t) => {
  const images = tempDir(t);
  const volume = `killed-${process.pid}.ext.disk0`;
  const marker = join(images, 'losetup-started');
  const env = { VOL_NAME: volume, EXTP_DIR: images };
  t.equal(action('legacy', 'create', { ...env, VOL_SIZE: '4' }).code, 0);
  removeLockFiles(t, volume);
  const run = startAction(t, 'legacy', 'attach', { ...env, PATH: fakeLosetup(t, { slowMarker: marker }) });
  await waitFor(
    'attach to reach losetup, holding the lock',
    () => existsSync(marker) && readFileSync(marker, 'utf8') !== '',
  );
  run.child.kill('SIGKILL');
  await exited(run.child);
  process.kill(Number(readFileSync(marker, 'utf8')), 'SIGKILL'); // the orphaned losetup
  const r = action('legacy', 'attach', { ...env, PATH: fakeLosetup(t) });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, '/dev/loop7');
  t.notMatch(r.stderr, 'waiting', 'the dead owner held nothing');
});

t.test('legacy: a lock held by a live process is waited for, said on stderr, then taken', async (t) => {
  const images = tempDir(t);
  const volume = `held-${process.pid}.ext.disk0`;
  const env = { VOL_NAME: volume, EXTP_DIR: images, PATH: fakeLosetup(t) };
  t.equal(action('legacy', 'create', { ...env, VOL_SIZE: '4' }).code, 0);
  removeLockFiles(t, volume);
  const lock = lockFile(volume);
  // The holder: flock(1) holding the file's lock while cat waits for its stdin to close.
  const [flock, ...holding] = ['flock', '--exclusive', lock, 'cat'];
  const holder = spawn(flock, holding, { stdio: ['pipe', 'ignore', 'inherit'] });
  t.teardown(() => holder.kill('SIGKILL'));
  await waitFor('the holder to take the lock', () => run(['flock', '--nonblock', lock, 'true']).code !== 0);
  const attach = startAction(t, 'legacy', 'attach', env);
  await waitFor('attach to say it waits', () => attach.stderr().includes('waiting up to 600 s'));
  t.match(attach.stderr(), `legacy attach: volume ${volume} is locked by`, 'it names the volume');
  t.match(attach.stderr(), lock, 'and the lock file');
  t.equal(attach.child.exitCode, null, 'attach is still waiting');
  holder.stdin.end(); // cat exits, flock exits, the lock is free
  t.equal(await exited(attach.child), 0, 'attach took the lock and finished');
});

// ---------------------------------------------------------------------------------------------
// killed half-way, run again

t.test('legacy: snapshot killed with SIGKILL mid-copy, run again: a whole snapshot, nothing left', async (t) => {
  const images = tempDir(t);
  const env = { VOL_NAME: 'vol1.ext.disk0', EXTP_DIR: images, VOL_SNAPSHOT_NAME: 'vol1.ext.disk0.snap' };
  t.equal(action('legacy', 'create', { ...env, VOL_SIZE: '4' }).code, 0);
  const data = Buffer.alloc(256 * 1024, 0x5a);
  const fd = openSync(join(images, 'vol1.ext.disk0.img'), 'r+');
  writeSync(fd, data, 0, data.length, 1024 * 1024);
  closeSync(fd);
  // cp copies, then stalls (as a large copy would), so the action is killed while cp has written its file.
  const bin = tempDir(t);
  const marker = join(bin, 'copied');
  const realCp = spawnSync('sh', ['-c', 'command -v cp'], { encoding: 'utf8' }).stdout.trim();
  executable(join(bin, 'cp'), `#!/bin/sh\n'${realCp}' "$@" || exit $?\necho $$ > '${marker}'\nexec sleep 3029\n`);
  const run = startAction(t, 'legacy', 'snapshot', { ...env, PATH: `${bin}:${SYSTEM_PATH}` });
  await waitFor('the copy to be written', () => existsSync(marker) && readFileSync(marker, 'utf8') !== '');
  run.child.kill('SIGKILL');
  await exited(run.child);
  process.kill(Number(readFileSync(marker, 'utf8')), 'SIGKILL');
  t.same(partials(images), [`vol1.ext.disk0.snap.img.partial-${run.child.pid}`], 'killed mid-way: a partial copy');
  t.notOk(existsSync(join(images, 'vol1.ext.disk0.snap.img')), 'and no snapshot volume');

  const again = action('legacy', 'snapshot', env);
  t.equal(again.code, 0, `run again: ${again.stderr}`);
  t.same(partials(images), [], 'nothing left behind');
  const copy = readFileSync(join(images, 'vol1.ext.disk0.snap.img'));
  t.equal(copy.length, 4 * 1024 * 1024);
  t.ok(copy.subarray(1024 * 1024, 1024 * 1024 + data.length).equals(data), 'the whole data');
});

t.test('legacy: setinfo and create run again after a killed run remove its partial files', async (t) => {
  const images = tempDir(t);
  const env = { VOL_NAME: 'vol1.ext.disk0', EXTP_DIR: images };
  const dead = deadPid();
  writeFileSync(join(images, `vol1.ext.disk0.img.partial-${dead}`), 'half an image');
  t.equal(action('legacy', 'create', { ...env, VOL_SIZE: '4' }).code, 0);
  writeFileSync(join(images, `vol1.ext.disk0.meta.partial-${dead}`), 'half');
  t.equal(action('legacy', 'setinfo', { ...env, VOL_METADATA: 'web1' }).code, 0);
  t.same(partials(images), [], 'the dead writer left nothing');
  t.equal(readFileSync(join(images, 'vol1.ext.disk0.meta'), 'utf8'), 'web1\n');
  writeFileSync(join(images, `vol1.ext.disk0.meta.partial-${dead}`), 'half');
  t.equal(action('legacy', 'remove', env).code, 0);
  t.same(readdirSync(images), [], 'remove takes what killed runs left too');
});

t.test('legacy: grow killed after resizing the file, run again: the loop device learns the size', async (t) => {
  const images = tempDir(t);
  const log = join(images, 'losetup.log');
  const env = { VOL_NAME: 'vol1.ext.disk0', EXTP_DIR: images, PATH: fakeLosetup(t, { log }) };
  t.equal(action('legacy', 'create', { ...env, VOL_SIZE: '4' }).code, 0);
  // What the killed run did: the file has the new size; losetup --set-capacity never ran.
  truncateSync(join(images, 'vol1.ext.disk0.img'), 8 * 1024 * 1024);
  const r = action('legacy', 'grow', { ...env, VOL_SIZE: '4', VOL_NEW_SIZE: '8' });
  t.equal(r.code, 0, r.stderr);
  t.match(readFileSync(log, 'utf8'), /^--set-capacity \/dev\/loop7$/m, 'the device is refreshed on the retry');
});
