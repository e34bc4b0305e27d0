// The loader's last stage (harness/scenario/build-model.ts): a file that passed every check, into
// the model with every default applied (spec/SCENARIOS.md).

import { dirname, join } from 'node:path';
import t from 'tap';
import {
  buildModel,
  DEFAULT_GANETI,
  DEFAULT_LOOP_DEVICES,
  DEFAULT_RBD_POOLS,
  DEFAULT_TIMEOUT_SECONDS,
  DEFAULT_VOLUME_SIZE,
} from '../harness/scenario/build-model.js';
import type { RawFile } from '../harness/scenario/raw-document.js';
import { parsedFile } from './helpers/scenario-stage.js';

function model(t: { teardown(fn: () => void): void }, text: string) {
  const { data, source, path } = parsedFile(t, text);
  return { file: buildModel(data as RawFile, source), path };
}

t.test('the defaults', async (t) => {
  const { file, path } = model(
    t,
    'scenarios:\n  - name: a\n    simulate: [rbd, losetup]\n    steps: [{action: open}]\n',
  );
  t.equal(file.file, path);
  t.notOk('provider' in file, 'no provider given: none');
  const [s] = file.scenarios;
  t.strictSame(s!.volume, { size: DEFAULT_VOLUME_SIZE, params: {} });
  t.strictSame(s!.requires, []);
  const step = s!.steps[0]!;
  t.equal(step.timeout, DEFAULT_TIMEOUT_SECONDS);
  t.strictSame(step.ganeti, DEFAULT_GANETI);
  t.equal(step.repeat, 1);
  t.strictSame(step.input, { exclusive: true, args: [], unset: [], env: {} }, 'open is exclusive unless told');
  t.strictSame(step.expect, { exit: 0 });
  t.strictSame(step.position, { file: path, line: 4, col: 13 });
  t.strictSame(s!.simulators.rbd!.pools, DEFAULT_RBD_POOLS);
  t.equal(s!.simulators.losetup!.devices, DEFAULT_LOOP_DEVICES);
});

t.test('defaults, the scenario and the step, each over the one before', async (t) => {
  const text = [
    'provider: ../prov',
    'defaults:',
    '  ganeti: ["3.0"]',
    '  timeout: 2s',
    '  volume: {size: 10, params: {ratio: 1.50, on: true}}',
    '  env: {A: "1", B: "1"}',
    'scenarios:',
    '  - name: a',
    '    ganeti: [2.10]',
    '    env: {B: "2"}',
    '    volume: {name: v, params: {on: false}}',
    '    steps:',
    '      - action: grow',
    '        timeout: 500ms',
    '        expect: {stdout: {contains: ok, regex: "^a"}}',
    '      - command: [true]',
    '        expect: {exit: nonzero}',
    '',
  ].join('\n');
  const { file, path } = model(t, text);
  t.equal(file.provider, join(dirname(path), '..', 'prov'), 'relative to the file');
  const s = file.scenarios[0]!;
  t.strictSame(s.volume, { name: 'v', size: 10, params: { ratio: '1.50', on: 'false' } }, 'params as written');
  t.strictSame(s.env, { A: '1', B: '2' });
  t.equal(s.steps[0]!.timeout, 0.5);
  t.equal(s.steps[1]!.timeout, 2);
  t.strictSame(s.steps[0]!.ganeti, ['2.10'], 'a version as written');
  t.strictSame(s.steps[0]!.expect.stdout, { contains: ['ok'], regex: /^a/ });
  t.equal(s.steps[1]!.action, 'command');
  t.equal(s.steps[1]!.expect.exit, 'nonzero');
});
