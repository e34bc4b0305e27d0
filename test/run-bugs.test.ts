// The classic provider bugs (issue 3, item 7), each on a fixture provider: a scenario that shows
// what the buggy script does passes, and the scenario stating the right behaviour fails with a
// precise message.

import t from 'tap';
import {
  allFailures,
  explain,
  failureMessages,
  runRun,
  runWithJson,
  scenarioFile,
  tapPoints,
} from './helpers/run-fixtures.js';

t.test('trailing newline: fine for 2.13 and later, rejected by 2.12', async (t) => {
  const r = runWithJson([scenarioFile('bug-trailing-newline')]);
  t.equal(r.code, 1);
  const documented = r.byName.get('fine for 2.13 and later, rejected by 2.12');
  t.equal(documented?.status, 'pass', explain(documented));
  const row = Object.fromEntries(documented!.steps[0]!.compatibility!.map((c) => [c.ganeti, c.ok]));
  t.same(
    row,
    { '2.7.0': false, '2.12': false, '2.13.0': true, '2.16': true, '3.1': true },
    'one version per behaviour, and those the step names',
  );

  const caught = r.byName.get('attach must work on 2.12 as well');
  t.equal(caught?.status, 'fail');
  t.same(allFailures(caught), [
    {
      message: 'Ganeti 2.12 rejects this attach output',
      expected: 'accepted by 2.12',
      actual:
        "line 1: trailing newline: Ganeti 2.12 (like all of 2.7.0-2.12.6) takes the whole output as the device path, newline included; print it with printf '%s' or echo -n",
    },
  ]);
});

t.test('CRLF: 2.x keeps the CR in the device path and the URI; 3.x reads it as a line break', async (t) => {
  const r = runWithJson([scenarioFile('bug-crlf')]);
  t.equal(r.code, 1);
  const documented = r.byName.get('what Ganeti makes of CRLF output');
  t.equal(documented?.status, 'pass', explain(documented));
  t.same(
    documented!.steps[0]!.compatibility!.filter((c) => c.ok).map((c) => c.ganeti),
    ['3.0', '3.1'],
    'only 3.x accepts it',
  );

  const caught = r.byName.get('attach prints the device and a kvm URI');
  t.same(allFailures(caught), [
    {
      message: 'Ganeti 2.16 rejects this attach output',
      expected: 'accepted by 2.16',
      actual:
        'line 1: CRLF line endings (lines 1, 2): Ganeti 2.16 splits on LF only, so the CR stays in the device path (3.x would read it as a line break)',
    },
  ]);
});

t.test('grow to VOL_SIZE: caught by calls, by the stub plan, and by the size the backend reports', async (t) => {
  const r = runWithJson([scenarioFile('bug-grow-vol-size')]);
  t.equal(r.code, 1);
  const documented = r.byName.get('what grow really does');
  t.equal(documented?.status, 'pass', explain(documented));
  t.equal(documented!.steps[0]!.runs[0]!.env.VOL_SIZE, '1024');
  t.equal(documented!.steps[0]!.runs[0]!.env.VOL_NEW_SIZE, '2048');

  t.same(allFailures(r.byName.get('grow resizes to VOL_NEW_SIZE (calls)')), [
    {
      message: 'calls to resize-tool differ',
      expected: 'resize-tool rbd/vol1 2048',
      actual: 'resize-tool rbd/vol1 1024',
    },
  ]);

  const plan = allFailures(r.byName.get('grow resizes to VOL_NEW_SIZE (stub plan)'));
  t.same(
    plan.find((f) => f.message === 'unexpected call to stubbed resize-tool'),
    {
      message: 'unexpected call to stubbed resize-tool',
      expected: `resize-tool rbd/vol1 2048 (${scenarioFile('bug-grow-vol-size')}:29:11)`,
      actual: 'resize-tool rbd/vol1 1024',
    },
  );
  t.same(
    plan.find((f) => f.message === 'wrong exit status'),
    { message: 'wrong exit status', expected: 'exit 0', actual: 'exit 1' },
    'grow failed as the stub refused the call',
  );

  const size = allFailures(r.byName.get('after grow the backend holds the new size'));
  t.equal(size.length, 1);
  t.equal(size[0]!.message, 'stderr does not contain the text');
  t.equal(size[0]!.expected, 'vol1 is 2048 MiB');
  t.match(size[0]!.actual, 'attach: vol1 is 1024 MiB');
});

t.test('attach not idempotent: repeat shows each run mapping a new device', async (t) => {
  const r = runWithJson([scenarioFile('bug-attach-not-idempotent')]);
  t.equal(r.code, 1);
  t.equal(r.byName.get('one attach is fine')?.status, 'pass', explain(r.byName.get('one attach is fine')));
  t.same(allFailures(r.byName.get('attach is idempotent')), [
    {
      message: 'run 2 printed other stdout than run 1: attach is not idempotent',
      expected: '/dev/rbd0',
      actual: '/dev/rbd1',
    },
    {
      message: 'run 3 printed other stdout than run 1: attach is not idempotent',
      expected: '/dev/rbd0',
      actual: '/dev/rbd2',
    },
  ]);
  t.same(allFailures(r.byName.get('a second attach maps nothing')), [
    { message: 'calls to rbd differ', expected: '(no call)', actual: 'rbd map rbd/vol1' },
  ]);
});

t.test('detach prints on stdout', async (t) => {
  const r = runWithJson([scenarioFile('bug-detach-prints')]);
  t.equal(r.code, 1);
  t.equal(r.byName.get('what detach prints')?.status, 'pass');
  t.same(allFailures(r.byName.get('detach prints nothing on stdout')), [
    { message: 'stdout should be empty', expected: '(nothing)', actual: 'detached\n' },
  ]);
});

t.test('the human report names each bug; TAP carries the same messages', async (t) => {
  const files = [
    'bug-trailing-newline',
    'bug-crlf',
    'bug-grow-vol-size',
    'bug-attach-not-idempotent',
    'bug-detach-prints',
  ].map(scenarioFile);
  const human = runRun([...files, '-j', '2']);
  t.equal(human.code, 1);
  const text = human.stdout + human.stderr;
  for (const message of [
    'Ganeti 2.12 rejects this attach output',
    'Ganeti 2.16 rejects this attach output',
    'calls to resize-tool differ',
    'unexpected call to stubbed resize-tool',
    'run 2 printed other stdout than run 1: attach is not idempotent',
    'stdout should be empty',
  ]) {
    t.match(text, message);
  }
  const tap = runRun([...files, '--reporter', 'tap']);
  const points = tapPoints(tap.stdout);
  t.equal(points.filter((p) => p.ok).length, 5, 'one passing "what it does" scenario per bug');
  t.equal(points.filter((p) => !p.ok).length, 8);
  t.match(tap.stdout, /message: "run 2 printed other stdout than run 1: attach is not idempotent"/);
});

t.test('a clean run of the classic bugs finds nothing else', async (t) => {
  // Every failing scenario fails only for its bug: no fault, no harness error.
  const files = [
    'bug-trailing-newline',
    'bug-crlf',
    'bug-grow-vol-size',
    'bug-attach-not-idempotent',
    'bug-detach-prints',
  ].map(scenarioFile);
  const r = runWithJson(files);
  for (const scenario of r.report.results) {
    t.notOk(
      failureMessages(scenario).some((m) => /harness failed|killed after|would wait for it forever/.test(m)),
      scenario.name,
    );
  }
});
