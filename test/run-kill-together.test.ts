// Scenario files with several volumes, a kill at a backend call and its retry, and steps started
// together (spec/SCENARIOS.md §6.5, §6.6), run by the real CLI over the losetup simulator with
// small bash providers (test/fixtures/explore/).

import { join } from 'node:path';
import t from 'tap';
import { runCli } from './helpers/cli.js';
import { EXPLORE_FIXTURES, fixtureScenarioFile } from './helpers/explore-fixtures.js';

t.test('volumes, kills and together steps run as written', async (t) => {
  const r = runCli(['run', join(EXPLORE_FIXTURES, 'format.yaml'), '--reporter', 'tap']);
  t.equal(r.code, 0, r.stdout + r.stderr);
  t.match(r.stdout, /^1\.\.3\nok 1 .*\nok 2 .*\nok 3 /m);
});

const TOGETHER = `  - name: attach two volumes at once
    simulate: [losetup]
    volumes: { a: { name: vol-a }, b: { name: vol-b } }
    steps:
      - { action: create, volume: a }
      - { action: create, volume: b }
      - together: [{ action: attach, volume: a }, { action: attach, volume: b }]
`;

t.test('two attaches started together: their calls interleave the same way on every run', async (t) => {
  // The racy attach (losetup --find, then losetup DEV FILE) loses every time: both find /dev/loop0.
  for (let i = 0; i < 3; i++) {
    const racy = runCli(['run', fixtureScenarioFile(t, 'attach-race', TOGETHER)]);
    t.equal(racy.code, 1, racy.stdout + racy.stderr);
    t.match(racy.stdout, /vol-b\.img: failed to set up loop device: Device or resource busy/);
  }
  const sound = runCli(['run', fixtureScenarioFile(t, 'sound', TOGETHER)]);
  t.equal(sound.code, 0, sound.stdout + sound.stderr);
});

t.test('a kill that is never reached fails the step, saying why', async (t) => {
  const file = fixtureScenarioFile(
    t,
    'sound',
    `  - name: verify makes no backend call
    simulate: [losetup]
    steps:
      - action: create
      - action: verify
        kill: { call: 1, when: before }
`,
  );
  const r = runCli(['run', file]);
  t.equal(r.code, 1, r.stdout + r.stderr);
  t.match(
    r.stdout,
    /the kill before backend call 1 never happened: the script made 0 backend calls and ended by itself/,
  );
});

t.test('the grow killed after its size change, then retried, keeps the size VOL_NEW_SIZE says', async (t) => {
  const body = (provider: string) =>
    fixtureScenarioFile(
      t,
      provider,
      `  - name: grow killed, then retried
    simulate: [losetup]
    volume: { name: vol1 }
    steps:
      - action: create
      - action: attach
      - { action: grow, with: { new_size: 16 }, kill: { call: 2, when: before } }
      - { action: grow, with: { new_size: 16 } }
      - command: [stat, -c, "%s", "\${SANDBOX}/data/vol1.img"]
        expect: { stdout: { equals: "16777216\\n" } }
`,
    );
  t.equal(runCli(['run', body('sound')]).code, 0);
  const buggy = runCli(['run', body('grow-delta')]);
  t.equal(buggy.code, 1);
  t.match(buggy.stdout, /25165824/); // 8 + 8 + 8 MiB: grown twice
});

t.test('mistakes in the new keys are file:line:col errors', async (t) => {
  const file = fixtureScenarioFile(
    t,
    'sound',
    `  - name: mistakes
    simulate: [losetup]
    volumes: { a: { name: vol-a } }
    steps:
      - { action: create, volume: c }
      - together: [{ action: attach, volume: a }, { action: attach, volume: a }]
      - { action: attach, kill: { call: 1, when: after }, expect: { exit: 0 } }
      - { together: [{ action: attach }, { command: ["true"] }], timeout: 1 }
`,
  );
  const r = runCli(['run', file]);
  t.equal(r.code, 2);
  t.match(r.stderr, /s\.yaml:10:35: unknown volume "c": expected one of "a" \(the keys of "volumes"\)/);
  t.match(r.stderr, /the steps of "together" act on different volumes: step 1 of this group already acts on "a"/);
  t.match(r.stderr, /"exit" cannot be expected of a killed step/);
  t.match(r.stderr, /"timeout" does not apply to a "together" step/);
  t.match(r.stderr, /the steps of "together" are action steps/);
});
