// The e2e run's stage filter (EXTSTORAGE_KIT_E2E_ONLY, e2e/stages.ts) and its time per layer
// (e2e/report.ts), on the real list of stages and a real report.

import { PassThrough } from 'node:stream';
import t from 'tap';
import { E2eReport, SETUP_LAYER, layerTimes } from '../e2e/report.js';
import { LAYERS, STAGES, backendsNeeded, selectStages } from '../e2e/stages.js';

t.test('without the variable, every stage; with it, those whose name contains it', async (t) => {
  t.equal(selectStages(STAGES, undefined), STAGES);
  const cluster = selectStages(STAGES, 'Ganeti cluster');
  t.equal(cluster.length, 2);
  t.ok(cluster.every((s) => s.layer === LAYERS.ganetiCluster));
  t.same(
    selectStages(STAGES, 'KVM').map((s) => s.name),
    STAGES.filter((s) => s.name.includes('KVM')).map((s) => s.name),
  );
});

t.test('an empty value, or one no stage name contains, is an error listing the stages', async (t) => {
  t.throws(() => selectStages(STAGES, ''), /EXTSTORAGE_KIT_E2E_ONLY is empty/);
  t.throws(() => selectStages(STAGES, '  '), /is empty/);
  const error = t.throws(() => selectStages(STAGES, 'ganeti CLUSTER')) as Error;
  t.match(error.message, /"ganeti CLUSTER" is in no stage's name \(case counts\)/);
  t.match(error.message, STAGES[0]!.name);
});

t.test('only the backends the chosen stages use are started', async (t) => {
  t.same([...backendsNeeded(selectStages(STAGES, 'fake hypervisor'))], []);
  t.same([...backendsNeeded(selectStages(STAGES, 'KVM'))], ['ceph']);
  t.same([...backendsNeeded(STAGES)].sort(), ['ceph', 'gluster']);
});

t.test('every stage has a layer; the layers sum their stages, setup where a stage has none', async (t) => {
  t.ok(STAGES.every((s) => Object.values(LAYERS).includes(s.layer)));
  t.same(
    layerTimes([
      { name: 'packages', ok: true, durationMs: 100 },
      { name: 'a', ok: true, durationMs: 1000, layer: 'L1' },
      { name: 'b', ok: false, durationMs: 500, layer: 'L2' },
      { name: 'c', ok: true, durationMs: 250, layer: 'L1' },
      { name: 'teardown', ok: true, durationMs: 50 },
    ]),
    [
      { layer: SETUP_LAYER, stages: 2, failed: 0, durationMs: 150 },
      { layer: 'L1', stages: 2, failed: 0, durationMs: 1250 },
      { layer: 'L2', stages: 1, failed: 1, durationMs: 500 },
    ],
  );
});

t.test("the report's end: the timing table, then the time per layer", async (t) => {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const report = new E2eReport(out);
  report.stage({ name: 'namespace', ok: true, durationMs: 100 });
  report.stage({ name: 'cluster fake', ok: true, durationMs: 60_000, layer: LAYERS.ganetiCluster });
  report.stage({ name: 'cluster kvm', ok: false, durationMs: 40_000, layer: LAYERS.ganetiCluster });
  t.equal(report.finish(), 1);
  const perLayer = text.slice(text.indexOf('# time per layer'));
  t.match(perLayer, /^# time per layer\n/);
  t.match(perLayer, new RegExp(`#   ${SETUP_LAYER} +0\\.1 s  1 stage\\n`));
  t.match(perLayer, /# {3}Ganeti cluster \(layer 2\) +100\.0 s {2}2 stages, 1 FAILED\n/);
  t.ok(text.indexOf('# timings') < text.indexOf('# time per layer'));
});
