// extstorage-kit test: the reference providers pass the whole suite; --live uses the real backend
// and cleans up after itself, also when interrupted; backend files and options are checked.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { Verdict } from '../harness/conformance/verdict.js';
import { CLI, REPO_ROOT, runCli } from './helpers/cli.js';
import { tempDir } from './helpers/provider-dir.js';

function conformance(
  t: Parameters<typeof tempDir>[0],
  args: string[],
): { code: number | null; stdout: string; verdict: Verdict } {
  const json = join(tempDir(t), 'report.json');
  const r = runCli(['test', ...args, '--json', json]);
  const verdict = existsSync(json)
    ? (JSON.parse(readFileSync(json, 'utf8')) as { conformance: Verdict }).conformance
    : ({} as Verdict);
  return { code: r.code, stdout: r.stdout + r.stderr, verdict };
}

for (const provider of ['legacy', 'rbd', 'gluster']) {
  t.test(`the ${provider} reference provider passes the whole suite`, async (t) => {
    const r = conformance(t, [
      `providers/${provider}`,
      '--backend',
      `providers/${provider}/backend.yaml`,
      '--ganeti',
      '2.16',
      '--ganeti',
      '3.1',
    ]);
    t.equal(r.code, 0, r.stdout);
    t.same(r.verdict.mustFailures, []);
    const failed = r.verdict.checks.filter((c) => c.status === 'fail');
    t.same(failed, [], 'no check fails, ADVICE included');
    const byId = Object.fromEntries(r.verdict.checks.map((c) => [c.id, c]));
    for (const id of [
      'LAYOUT-VALID',
      'ATTACH-ACCEPTED',
      'ATTACH-IDEMPOTENT',
      'DETACH-IDEMPOTENT',
      'LIFECYCLE',
      'STDOUT-QUIET',
      'SNAPSHOT-VOLUME',
      'OPEN-CLOSE',
      'USAGE-HELP',
      'USAGE-ARGS',
    ]) {
      t.equal(byId[id]?.status, 'pass', id);
    }
    // rbd tells the backend the size; file providers truncate the file, which the sandbox shows.
    t.equal(byId['GROW-NEW-SIZE']?.status, 'pass', 'GROW-NEW-SIZE');
    t.same(r.verdict.unverified, [], 'every check was exercised');
    t.match(byId.LIFECYCLE?.exercised, [/^create: /, /^attach: \d+ simulated/, /^remove: /]);
    t.match(byId['BACKEND-FAILURE'], { status: 'pass' });
    const compat = Object.fromEntries(r.verdict.compatibility.map((c) => [c.behaviour, c.ok]));
    t.same(
      compat,
      provider === 'legacy' ? { A: true, B: true, C: true, D: true } : { A: false, B: true, C: true, D: true },
    );
    t.match(
      r.stdout,
      provider === 'legacy'
        ? /Verdict: compatible with every Ganeti release \(2\.7\.0 to 3\.1\.0\)\.\n/
        : /Verdict: compatible with Ganeti 2\.13\.0 to 3\.1\.0\.\n/,
    );
  });
}

t.test('a missing optional script skips its checks with the reason', async (t) => {
  const dir = tempDir(t);
  spawnSync('cp', ['-r', join(REPO_ROOT, 'dist/providers/rbd'), join(dir, 'rbd')]);
  for (const script of ['snapshot', 'open', 'close']) spawnSync('rm', [join(dir, 'rbd', script)]);
  const r = conformance(t, [join(dir, 'rbd'), '--backend', 'providers/rbd/backend.yaml']);
  t.equal(r.code, 0, r.stdout);
  const byId = Object.fromEntries(r.verdict.checks.map((c) => [c.id, c]));
  t.match(byId['SNAPSHOT-VOLUME'], { status: 'skip', reasons: [/no snapshot script/] });
  t.match(byId['OPEN-CLOSE'], { status: 'skip', reasons: [/no open or close script/] });
});

t.test('--only, --skip, --idempotent-count and --reporter tap', async (t) => {
  const r = runCli([
    'test',
    'providers/rbd',
    '--backend',
    'providers/rbd/backend.yaml',
    '--only',
    'ATTACH-IDEMPOTENT',
    '--idempotent-count',
    '3',
    '--reporter',
    'tap',
  ]);
  t.equal(r.code, 0, r.stdout);
  t.match(r.stdout, /^TAP version 14\n1\.\.1\n/);
  t.match(r.stdout, /^# {3}pass {2}MUST {3}ATTACH-IDEMPOTENT/m);
  t.match(r.stdout, /^# {3}skip {2}MUST {3}LIFECYCLE/m);
  t.match(r.stdout, /^# {3}skip {2}MUST {3}LAYOUT-VALID/m, 'checks outside --only are skipped, the layout too');
  t.match(runCli(['test', 'providers/rbd', '--backend', 'providers/rbd/backend.yaml', '--only', 'NO-SUCH-CHECK']), {
    code: 2,
    stderr: /unknown check "NO-SUCH-CHECK"/,
  });
});

t.test('usage errors and bad backend files exit 2 with file:line:col', async (t) => {
  t.match(runCli(['test', 'providers/rbd']), { code: 2, stderr: /either --backend FILE .* or --live/ });
  t.match(runCli(['test', 'providers/rbd', '--live', '--backend', 'x.yaml']), { code: 2 });
  t.match(runCli(['test', 'providers/rbd', '--live', '--ganeti', '2.6']), { code: 2, stderr: /2\.7\.0 to 3\.1\.0/ });
  const dir = tempDir(t);
  const bad = join(dir, 'backend.yaml');
  writeFileSync(bad, 'volume: { params: { pool: rbd } }\nsimulate: [ceph]\nsteps: []\n');
  const r = runCli(['test', 'providers/rbd', '--backend', bad]);
  t.equal(r.code, 2);
  t.match(r.stderr, new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:3:1: unknown key "steps"`));
  writeFileSync(bad, 'volume: { params: { pool: rbd }, name: fixed }\n');
  t.match(runCli(['test', 'providers/rbd', '--backend', bad]), {
    code: 2,
    stderr: /backend\.yaml:1:34: "volume\.name" cannot be set in a backend file/,
  });
  writeFileSync(bad, 'volume: { params: { pool: rbd } }\nsimulate: [ceph]\n');
  t.match(runCli(['test', 'providers/rbd', '--backend', bad]), { code: 2, stderr: /backend\.yaml:2:\d+: .*ceph/ });
});

const canLoop =
  process.getuid?.() === 0 && existsSync('/dev/loop-control') && spawnSync('losetup', ['--version']).status === 0;

t.test(
  '--live: the legacy provider on real loop devices, and nothing left behind',
  { skip: canLoop ? false : 'needs root and loop devices: not run here' },
  async (t) => {
    const images = tempDir(t);
    const live = ['providers/legacy', '--live', '-p', `dir=${images}`];
    // A live run neither sees nor fails the real commands: these two stay not verified.
    const refused = conformance(t, live);
    t.equal(refused.code, 1, refused.stdout);
    t.same(refused.verdict.unverified, ['BACKEND-FAILURE', 'GROW-NEW-SIZE']);
    t.same(refused.verdict.mustFailures, []);
    t.match(refused.stdout, /Verdict: not verified: BACKEND-FAILURE \(a live run cannot make the real backend fail/);
    const r = conformance(t, [...live, '--allow-unverified', 'BACKEND-FAILURE', '--allow-unverified', 'GROW-NEW-SIZE']);
    t.equal(r.code, 0, r.stdout);
    t.same(r.verdict.allowedUnverified, ['BACKEND-FAILURE', 'GROW-NEW-SIZE']);
    t.match(r.stdout, /not verified, accepted with --allow-unverified: BACKEND-FAILURE, GROW-NEW-SIZE\.\n/);
    t.same(readdirSync(images), [], 'no image left');
    const loops = spawnSync('losetup', ['--list', '--noheadings', '--output', 'BACK-FILE'], {
      encoding: 'utf8',
    }).stdout;
    t.notMatch(loops, new RegExp(images), 'no loop device left');
  },
);

t.test(
  '--live: interrupted, it still detaches and removes what it made',
  { skip: canLoop ? false : 'needs root and loop devices: not run here' },
  async (t) => {
    const images = tempDir(t);
    const child = spawn(
      process.execPath,
      [CLI, 'test', 'providers/legacy', '--live', '-p', `dir=${images}`, '--jobs', '1', '--idempotent-count', '40'],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    // Interrupt once a volume exists.
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (readdirSync(images).some((f) => f.endsWith('.img'))) {
          clearInterval(poll);
          resolve();
        }
      }, 20);
    });
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    t.equal(code, 130, err);
    t.match(err, /cleaning up \d+ volume names/);
    t.same(
      readdirSync(images).filter((f) => !f.includes('.partial')),
      [],
      'every volume it made is gone',
    );
  },
);
