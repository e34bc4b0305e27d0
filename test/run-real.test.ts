// `run --real losetup` (spec/SCENARIOS.md §12.7): the reference providers' simulated scenarios on
// real loop devices, as root. The real state answers expect.simulated (a wrong expectation fails),
// calls are still logged, scenarios the real backend cannot play are skipped with the reason, and
// no loop device is left. rbd against a real Ceph is in the e2e tests (e2e/, npm run test:e2e).

import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { REPO_ROOT } from './helpers/cli.js';
import { tempDir } from './helpers/provider-dir.js';
import { runRun, runWithJson } from './helpers/run-fixtures.js';

const canLoop =
  process.getuid?.() === 0 && existsSync('/dev/loop-control') && spawnSync('losetup', ['--version']).status === 0;
const skip = canLoop ? false : 'needs root and loop devices (losetup): not run here';
const LEGACY = join(REPO_ROOT, 'dist', 'providers', 'legacy');

/** Loop devices backed by a file under `dir`. */
function loopsUnder(dir: string): string[] {
  const out = spawnSync('losetup', ['--list', '--noheadings', '--output', 'NAME,BACK-FILE'], {
    encoding: 'utf8',
  }).stdout;
  return out.split('\n').filter((line) => line.includes(dir));
}

t.test(
  'the legacy provider scenarios pass on real loop devices; the simulator-only ones are skipped, saying why',
  { skip },
  async (t) => {
    const r = runWithJson(['providers/legacy/scenarios', '--real', 'losetup']);
    t.equal(r.code, 0, r.stdout + r.stderr);
    t.match(r.stderr, /\(1 job\)/, '--real runs one scenario at a time');
    const skipped = r.report.results.filter((s) => s.status === 'skip').map((s) => [s.name, s.skipReason]);
    t.same(skipped, [
      ['no free loop device', '--real losetup: it needs exactly 0 loop devices, and a real host has its own'],
      ['losetup prints garbage', '--real losetup: it injects failures, which only the simulator can'],
      ['losetup refuses to detach (not root)', '--real losetup: it injects failures, which only the simulator can'],
    ]);
    const lifecycle = r.byName.get('the whole lifecycle')!;
    t.equal(lifecycle.status, 'pass');
    const attach = lifecycle.steps.find((s) => s.action === 'attach')!;
    const call = attach.runs[0]!.calls.find((c) => c.command === 'losetup');
    t.ok(call, 'calls of the real losetup are logged');
    t.notMatch(JSON.stringify(attach.runs[0]!.calls), /unexpected/);
    t.same(loopsUnder('/extstorage-kit-'), [], 'no loop device over a sandbox file is left');
  },
);

t.test(
  'expect.simulated reads the real devices: a wrong count fails, and the device is still detached',
  { skip },
  async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'real.yaml');
    writeFileSync(
      file,
      `provider: ${LEGACY}
scenarios:
  - name: wrong count
    volume: { name: vol1, size: 64, params: { dir: "\${SANDBOX}/data" } }
    simulate: [losetup]
    steps:
      - action: create
      - action: attach
        expect:
          simulated: { losetup: { attached: 2 } }
  - name: right size
    volume: { name: vol1, size: 64, params: { dir: "\${SANDBOX}/data" } }
    simulate: [losetup]
    steps:
      - action: create
      - action: attach
        expect:
          simulated: { losetup: { attached: 1 } }
      - name: the device has the volume's size
        command: [blockdev, --getsize64, "\${DEVICE}"]
        expect: { stdout: { equals: "67108864\\n" } }
`,
    );
    const r = runWithJson([file, '--real', 'losetup', '--keep']);
    t.equal(r.code, 1);
    const wrong = r.byName.get('wrong count')!;
    t.equal(wrong.status, 'fail');
    t.match(wrong.steps[1]!.failures[0]!.message, /losetup/);
    t.equal(
      r.byName.get('right size')!.status,
      'pass',
      JSON.stringify(r.byName.get('right size')!.steps.map((s) => s.failures)),
    );
    for (const scenario of r.report.results)
      t.same(loopsUnder(scenario.sandbox!), [], `${scenario.name}: its loop device is detached`);
    for (const scenario of r.report.results) t.teardown(() => spawnSync('rm', ['-rf', scenario.sandbox!]));
  },
);

t.test('--real takes the simulated commands only', async (t) => {
  const r = runRun(['providers/legacy/scenarios', '--real', 'lvm']);
  t.equal(r.code, 2);
  t.match(r.stderr, '--real takes rbd or losetup (the simulated commands), got "lvm"');
});
