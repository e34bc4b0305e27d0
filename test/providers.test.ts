// The built reference providers (dist/providers/) as real processes: the runtime's validation,
// usage, the legacy provider's whole lifecycle on real loop devices (root only), the per-volume
// lock, and a build copied alone to another directory.

import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { REPO_ROOT } from './helpers/cli.js';
import { tempDir } from './helpers/provider-dir.js';

const BUILT = join(REPO_ROOT, 'dist', 'providers');
const BASE_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' };

interface ScriptResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function script(
  provider: string,
  action: string,
  env: Record<string, string>,
  args: string[] = [],
  dir = join(BUILT, provider),
): ScriptResult {
  const r = spawnSync(join(dir, action), args, {
    cwd: dir,
    env: { ...BASE_ENV, ...env },
    encoding: 'utf8',
    input: '',
    timeout: 30_000,
  });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const canLoop =
  process.getuid?.() === 0 && existsSync('/dev/loop-control') && spawnSync('losetup', ['--version']).status === 0;

t.test('every built provider is complete and valid', async (t) => {
  for (const provider of ['legacy', 'rbd', 'gluster']) {
    const dir = join(BUILT, provider);
    const files = readdirSync(dir).sort();
    t.same(
      files,
      [
        'README.md',
        'attach',
        'close',
        'create',
        'detach',
        'grow',
        'open',
        'package.json',
        'parameters.list',
        'remove',
        'setinfo',
        'snapshot',
        'verify',
      ],
      provider,
    );
    for (const action of [
      'create',
      'attach',
      'detach',
      'remove',
      'grow',
      'setinfo',
      'verify',
      'snapshot',
      'open',
      'close',
    ]) {
      const path = join(dir, action);
      t.equal(statSync(path).mode & 0o777, 0o755, `${provider}/${action} mode`);
      t.ok(readFileSync(path, 'utf8').startsWith('#!/usr/bin/env node\n'), `${provider}/${action} #!`);
      t.notMatch(
        readFileSync(path, 'utf8'),
        /require\("(?!node:)[^"]+"\)/,
        `${provider}/${action} needs only Node built-ins`,
      );
    }
    const check = spawnSync(process.execPath, [join(REPO_ROOT, 'dist/harness/cli.js'), 'check', dir, '--json'], {
      encoding: 'utf8',
    });
    t.match(JSON.parse(check.stdout), { valid: true, problems: [] }, `${provider} passes check without a warning`);
  }
});

t.test('the runtime refuses bad input before doing anything: one line on stderr, nothing on stdout', async (t) => {
  const dir = tempDir(t);
  const ok = { EXTP_DIR: dir, VOL_NAME: 'vol1.ext.disk0' };
  const cases: [string, string, Record<string, string>, RegExp][] = [
    ['legacy', 'create', { EXTP_DIR: dir, VOL_SIZE: '10' }, /VOL_NAME is not set/],
    ['legacy', 'create', { ...ok, VOL_NAME: 'a/b', VOL_SIZE: '10' }, /VOL_NAME must not contain "\/"/],
    ['legacy', 'create', { ...ok, VOL_NAME: '..', VOL_SIZE: '10' }, /VOL_NAME must not contain "\.\."/],
    ['legacy', 'create', { ...ok, VOL_NAME: 'x..y', VOL_SIZE: '10' }, /"\.\."/],
    ['legacy', 'create', { ...ok, VOL_NAME: 'vol\n1', VOL_SIZE: '10' }, /control character/],
    ['legacy', 'create', { ...ok, VOL_NAME: '-rf', VOL_SIZE: '10' }, /must start with a letter/],
    ['legacy', 'create', { ...ok, VOL_SIZE: '0' }, /VOL_SIZE must be a positive whole number/],
    ['legacy', 'create', { ...ok, VOL_SIZE: '-5' }, /positive whole number/],
    ['legacy', 'create', { ...ok, VOL_SIZE: '1.5' }, /positive whole number/],
    ['legacy', 'create', { ...ok, VOL_SIZE: '10G' }, /positive whole number/],
    ['legacy', 'create', ok, /VOL_SIZE is not set/],
    ['legacy', 'grow', { ...ok, VOL_SIZE: '10', VOL_NEW_SIZE: '10' }, /must be larger than VOL_SIZE/],
    ['legacy', 'grow', { ...ok, VOL_SIZE: '10', VOL_NEW_SIZE: '5' }, /never shrinks/],
    [
      'legacy',
      'create',
      { ...ok, VOL_SIZE: '10', EXTP_DRI: '/tmp' },
      /unknown parameter dri \(EXTP_DRI\): this provider takes dir/,
    ],
    ['legacy', 'create', { ...ok, VOL_SIZE: '10', EXTP_DIR: 'relative/dir' }, /EXTP_DIR must be an absolute path/],
    ['legacy', 'create', { ...ok, VOL_SIZE: '10', EXTP_DIR: '/srv/../etc' }, /\.\./],
    ['legacy', 'setinfo', { ...ok, VOL_METADATA: 'has space' }, /VOL_METADATA must be/],
    ['legacy', 'snapshot', { ...ok, VOL_SNAPSHOT_NAME: '../x' }, /VOL_SNAPSHOT_NAME/],
    ['legacy', 'open', { ...ok, VOL_OPEN_EXCLUSIVE: 'maybe' }, /VOL_OPEN_EXCLUSIVE must be one of true\/false/],
    ['rbd', 'attach', { VOL_NAME: 'v', EXTP_USERSPACE_ONLY: 'maybe' }, /EXTP_USERSPACE_ONLY must be one of/],
    ['rbd', 'attach', { VOL_NAME: 'v', EXTP_POOOL: 'fast' }, /unknown parameter poool/],
    ['rbd', 'attach', { VOL_NAME: 'v', EXTP_POOL: 'a/b' }, /EXTP_POOL must start with/],
    ['gluster', 'attach', { VOL_NAME: 'v' }, /parameter volume is required/],
    ['gluster', 'attach', { VOL_NAME: 'v', EXTP_VOLUME: 'gv0', EXTP_PORT: '70000' }, /EXTP_PORT must be a port/],
    [
      'gluster',
      'attach',
      { VOL_NAME: 'v', EXTP_VOLUME: 'gv0', EXTP_HOST: 'bad host' },
      /EXTP_HOST must be a host name/,
    ],
  ];
  for (const [provider, action, env, message] of cases) {
    const r = script(provider, action, env);
    const label = `${provider} ${action} ${JSON.stringify(env)}`;
    t.not(r.code, 0, label);
    t.equal(r.stdout, '', `${label}: nothing on stdout`);
    t.match(r.stderr, message, label);
    t.equal(r.stderr.trim().split('\n').length, 1, `${label}: one line`);
  }
  t.same(readdirSync(dir), [], 'nothing was created');
});

t.test("booleans in any spelling and case; Ganeti's own parameters always accepted", async (t) => {
  for (const value of ['TRUE', 'Yes', 'on', '1']) {
    const r = script('gluster', 'attach', {
      VOL_NAME: 'v',
      EXTP_VOLUME: 'gv0',
      EXTP_USERSPACE_ONLY: value,
      EXTP_PROVIDER: 'gluster',
      EXTP_ACCESS: 'userspace',
    });
    t.equal(r.code, 0, `${value}: ${r.stderr}`);
    t.equal(r.stdout, '\nkvm:gluster://127.0.0.1:24007/gv0/ganeti/v.img\n', value);
  }
  const v6 = script('gluster', 'attach', {
    VOL_NAME: 'v',
    EXTP_VOLUME: 'gv0',
    EXTP_USERSPACE_ONLY: 'yes',
    EXTP_HOST: '::1',
    EXTP_PORT: '24008',
  });
  t.equal(v6.stdout, '\nkvm:gluster://[::1]:24008/gv0/ganeti/v.img\n', 'IPv6 in brackets');
});

t.test('usage: -h/--help on stderr with exit 0; unexpected arguments exit 2; stdout stays empty', async (t) => {
  for (const provider of ['legacy', 'rbd', 'gluster']) {
    for (const action of [
      'create',
      'attach',
      'detach',
      'remove',
      'grow',
      'setinfo',
      'verify',
      'snapshot',
      'open',
      'close',
    ]) {
      for (const flag of ['-h', '--help']) {
        const r = script(provider, action, {}, [flag]);
        t.equal(r.code, 0, `${provider} ${action} ${flag}`);
        t.equal(r.stdout, '');
        t.match(r.stderr, new RegExp(`^Usage: ${action}`));
        t.match(r.stderr, /Parameters/);
      }
      if (action === 'verify') continue;
      const r = script(provider, action, {}, ['extra']);
      t.equal(r.code, 2, `${provider} ${action} extra`);
      t.equal(r.stdout, '');
      t.match(r.stderr, /unexpected argument "extra"/);
    }
    const bad = script(provider, 'verify', {}, ['no-such-check']);
    t.equal(bad.code, 2);
    t.match(bad.stderr, /unknown check "no-such-check"/);
  }
});

t.test('a build copied alone to another directory still runs', async (t) => {
  const dir = tempDir(t);
  const copy = join(dir, 'legacy');
  cpSync(join(BUILT, 'legacy'), copy, { recursive: true });
  const images = join(dir, 'images');
  cpSync(join(BUILT, 'legacy', 'README.md'), join(dir, 'marker'));
  spawnSync('mkdir', [images]);
  const env = { EXTP_DIR: images, VOL_NAME: 'copied.ext.disk0' };
  t.equal(script('legacy', 'create', { ...env, VOL_SIZE: '4' }, [], copy).code, 0);
  t.equal(statSync(join(images, 'copied.ext.disk0.img')).size, 4 * 1024 * 1024);
  t.equal(script('legacy', 'create', { ...env, VOL_SIZE: '4' }, [], copy).code, 1, 'never overwrites');
  t.equal(script('legacy', 'remove', env, [], copy).code, 0);
  t.equal(script('legacy', 'remove', env, [], copy).code, 0, 'remove of a removed volume succeeds');
});

t.test(
  'legacy: the whole lifecycle on real loop devices',
  { skip: canLoop ? false : 'needs root and loop devices (losetup): not run here' },
  async (t) => {
    const images = tempDir(t);
    const env = { EXTP_DIR: images, VOL_NAME: 'real.ext.disk0' };
    const image = join(images, 'real.ext.disk0.img');
    t.teardown(() => {
      script('legacy', 'remove', env);
      script('legacy', 'remove', { ...env, VOL_NAME: 'real.ext.disk0.snap' });
    });
    t.equal(script('legacy', 'create', { ...env, VOL_SIZE: '16' }).code, 0);
    const attach = script('legacy', 'attach', env);
    t.equal(attach.code, 0, attach.stderr);
    t.match(attach.stdout, /^\/dev\/loop\d+$/, 'one line, no trailing newline');
    const device = attach.stdout;
    t.ok(statSync(device).isBlockDevice(), `${device} is a real block device`);
    t.equal(script('legacy', 'attach', env).stdout, device, 'attach again: the same device');
    // A pattern written through the device is in the image file.
    const pattern = Buffer.from('extstorage-kit legacy pattern\n');
    writeFileSync(device, pattern);
    spawnSync('sync');
    t.same(readFileSync(image).subarray(0, pattern.length), pattern);
    t.equal(script('legacy', 'grow', { ...env, VOL_SIZE: '16', VOL_NEW_SIZE: '32' }).code, 0);
    const size = spawnSync('blockdev', ['--getsize64', device], { encoding: 'utf8' });
    t.equal(size.stdout.trim(), String(32 * 1024 * 1024), 'the loop device sees the new size');
    t.equal(script('legacy', 'setinfo', { ...env, VOL_METADATA: 'originstname+web1' }).code, 0);
    t.equal(readFileSync(join(images, 'real.ext.disk0.meta'), 'utf8'), 'originstname+web1\n');
    t.equal(
      script('legacy', 'snapshot', { ...env, VOL_SNAPSHOT_NAME: 'real.ext.disk0.snap', VOL_SNAPSHOT_SIZE: '32' }).code,
      0,
    );
    const snapAttach = script('legacy', 'attach', { ...env, VOL_NAME: 'real.ext.disk0.snap' });
    t.ok(statSync(snapAttach.stdout).isBlockDevice(), 'the snapshot attaches as a volume');
    t.same(readFileSync(snapAttach.stdout).subarray(0, pattern.length), pattern, 'with the data');
    t.equal(script('legacy', 'remove', { ...env, VOL_NAME: 'real.ext.disk0.snap' }).code, 0, 'and removes as one');
    t.equal(script('legacy', 'detach', env).code, 0);
    t.equal(script('legacy', 'detach', env).code, 0, 'detach twice');
    const left = spawnSync('losetup', ['--associated', image], { encoding: 'utf8' });
    t.equal(left.stdout, '', 'no loop device left');
    t.equal(script('legacy', 'remove', env).code, 0);
    t.notOk(existsSync(image));
    t.equal(script('legacy', 'remove', env).code, 0, 'remove twice');
  },
);

t.test(
  'the per-volume lock: concurrent attaches map the volume once',
  { skip: canLoop ? false : 'needs root and loop devices (losetup): not run here' },
  async (t) => {
    const images = tempDir(t);
    const env = { EXTP_DIR: images, VOL_NAME: 'locked.ext.disk0' };
    t.teardown(() => script('legacy', 'remove', env));
    t.equal(script('legacy', 'create', { ...env, VOL_SIZE: '8' }).code, 0);
    const dir = join(BUILT, 'legacy');
    const runs = await Promise.all(
      Array.from(
        { length: 8 },
        () =>
          new Promise<string>((resolve, reject) => {
            const child = spawn(join(dir, 'attach'), [], {
              cwd: dir,
              env: { ...BASE_ENV, ...env },
              stdio: ['ignore', 'pipe', 'pipe'],
            });
            let out = '';
            child.stdout.on('data', (d: Buffer) => (out += d.toString()));
            child.on('error', reject);
            child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`attach exited ${code}`))));
          }),
      ),
    );
    t.equal(new Set(runs).size, 1, `every attach printed the same device: ${runs.join(', ')}`);
    const devices = spawnSync('losetup', ['--associated', join(images, 'locked.ext.disk0.img')], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n');
    t.equal(devices.length, 1, 'one loop device');
  },
);
