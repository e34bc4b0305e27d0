// `extstorage-kit run` as a real process on the fixture providers: the sound providers pass,
// stub plans judge calls, exit codes, scenario-file errors, --filter, --shard, --bail, --keep,
// --jobs and the stable report order.

import { chmodSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from './helpers/cli.js';
import { makeProvider, tempDir } from './helpers/provider-dir.js';
import {
  allFailures,
  explain,
  failureMessages,
  FIXTURES,
  providerDir,
  runRun,
  runWithJson,
  scenarioFile,
  tapPlan,
  tapPoints,
} from './helpers/run-fixtures.js';

const SOUND = ['sound-bash', 'sound-sh', 'sound-python'] as const;

for (const name of SOUND) {
  t.test(`${name}: every scenario passes`, async (t) => {
    const r = runWithJson([scenarioFile(name), '--reporter', 'tap']);
    t.equal(r.code, 0, `exit 0\n${r.stdout}`);
    t.ok(r.report.results.length >= 5, 'the file has real content');
    for (const scenario of r.report.results) t.equal(scenario.status, 'pass', explain(scenario));
    t.equal(r.report.failed, 0);
    t.equal(r.report.passed, r.report.results.length);
    const points = tapPoints(r.stdout);
    t.equal(tapPlan(r.stdout), r.report.results.length, 'TAP plan');
    t.equal(points.length, r.report.results.length, 'one TAP test point per scenario');
    t.ok(
      points.every((p) => p.ok),
      'every TAP point is ok',
    );
    t.match(r.stdout, /^TAP version 14\n/);
  });
}

t.test('the sound fixtures are valid providers without a single warning', async (t) => {
  for (const name of [...SOUND, 'env-dump']) {
    const r = runCli(['check', '--json', providerDir(name)]);
    t.equal(r.code, 0, name);
    const report = JSON.parse(r.stdout) as { valid: boolean; problems: unknown[] };
    t.equal(report.valid, true, name);
    t.same(report.problems, [], `${name}: no problem at all`);
  }
});

t.test('sound-bash: attach is idempotent and maps once; the compatibility row is complete', async (t) => {
  const r = runWithJson([scenarioFile('sound-bash'), '--filter', '^attach maps once']);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.report.results.length, 1);
  const step = r.report.results[0]!.steps[0]!;
  t.equal(step.runs.length, 3, 'repeat: 3 runs the script three times');
  t.same(
    step.runs.map((run) => run.calls.map((c) => [c.command, ...c.argv])),
    [[['rbd', 'map', 'rbd/vol1']], [], []],
    'rbd map only on the first run: the state in $HOME persists between runs of a scenario',
  );
  for (const run of step.runs)
    t.equal(Buffer.from(run.stdout.headBase64, 'base64').toString(), '/dev/rbd0\nkvm:rbd:rbd/vol1\n');
  const row = Object.fromEntries(step.compatibility!.map((c) => [c.ganeti, c.ok]));
  t.match(row, {
    '2.7.0': false,
    '2.12': false,
    '2.13.0': true,
    '2.14.2': true,
    '2.16': true,
    '3.0': true,
    '3.1': true,
  });
});

t.test('the provider directory on the command line wins over provider: in the file', async (t) => {
  // sound-python's scenarios, run against the env-dump provider: scripts run, stubs go unused.
  const r = runWithJson([providerDir('env-dump'), scenarioFile('sound-python'), '--filter', 'create makes a VDI']);
  t.equal(r.code, 1);
  t.equal(r.report.provider, providerDir('env-dump'));
  const scenario = r.report.results[0]!;
  t.match(scenario.steps[0]!.runs[0]!.env.PATH, /\/stubs:/);
  t.match(failureMessages(scenario).join('\n'), /calls to dog differ/);
  t.match((JSON.parse(scenario.steps[0]!.runs[0]!.stderr.head) as { argv: string[] }).argv[0], /\/env-dump\/create$/);
});

t.test('stubs: an unexpected call shows what was called next to what was expected', async (t) => {
  const r = runWithJson([scenarioFile('stubs')]);
  t.equal(r.code, 1);
  const scenario = r.byName.get('an unexpected call shows what was called next to what was expected');
  t.equal(scenario?.status, 'fail');
  const failure = allFailures(scenario).find((f) => f.message === 'unexpected call to stubbed rbd');
  t.ok(failure, explain(scenario));
  t.equal(failure?.actual, 'rbd map rbd/vol1', 'what was called');
  t.equal(
    failure?.expected,
    `rbd map /^rbd/vol2$/ (${scenarioFile('stubs')}:11:11)`,
    'what the plan expected, and where',
  );
  const run = scenario!.steps[0]!.runs[0]!;
  t.equal(run.exitCode, 127, 'the stub answers an unexpected call with 127');
  t.match(run.stderr.head, 'extstorage-kit stub: unexpected call: rbd map rbd/vol1\n  expected: rbd map /^rbd/vol2$/');
  t.same(
    run.calls.map((c) => [c.command, c.argv, c.entry]),
    [['rbd', ['map', 'rbd/vol1'], null]],
  );
});

t.test('stubs: unused plan entries are reported; times and any; argv and env recorded', async (t) => {
  const r = runWithJson([scenarioFile('stubs')]);
  const unused = r.byName.get('a plan entry that is never called is reported');
  t.equal(unused?.status, 'fail');
  t.equal(unused?.steps[0]?.status, 'pass', 'the step itself passed');
  t.same(unused?.failures, [
    {
      message: `stub entry never used: rbd unmap /dev/rbd0 (${scenarioFile('stubs')}:21:11)`,
      expected: '1 more call to rbd matching it',
      actual: 'none',
    },
  ]);
  const times = r.byName.get('times answers that many calls, any answers zero or more');
  t.equal(times?.status, 'pass', explain(times));
  const recorded = r.byName.get("each call's argv is recorded for calls");
  t.equal(recorded?.status, 'pass', explain(recorded));
  const call = recorded!.steps[0]!.runs[0]!.calls[0]!;
  t.same(call.argv, ['image-meta', 'set', 'rbd/vol1', 'ganeti.metadata', 'originstname+a_b']);
  t.equal(call.entry, 0);
  t.equal(call.env.VOL_METADATA, 'originstname+a_b', "the stub sees the script's environment");
  t.equal(call.env.EXTSTORAGE_KIT_SANDBOX, undefined, "the harness's marker is not shown");
});

t.test('exit codes: 0 all pass, 1 a failure, 2 usage errors', async (t) => {
  t.equal(runRun([scenarioFile('sound-sh')]).code, 0);
  const failing = runRun([scenarioFile('bug-detach-prints')]);
  t.equal(failing.code, 1);
  t.match(failing.stdout + failing.stderr, /stdout should be empty/);
  const usage: [string[], RegExp][] = [
    [['run'], /no scenario file or directory given/],
    [['run', scenarioFile('sound-sh'), '--jobs', '0'], /--jobs takes a whole number from 1 to 256, got "0"/],
    [['run', scenarioFile('sound-sh'), '--shard', '3/2'], /--shard takes I\/N/],
    [['run', scenarioFile('sound-sh'), '--filter', '('], /--filter/],
    [['run', scenarioFile('sound-sh'), '--reporter', 'xml'], /--reporter takes .*got "xml"/],
    [['run', scenarioFile('sound-sh'), '--no-such-option'], /no-such-option/],
    [['run', '/no/such/file.yaml'], /no\/such\/file\.yaml/],
    [['run', '--provider', '/tmp', scenarioFile('sound-sh')], /is not a provider directory/],
  ];
  for (const [args, message] of usage) {
    const r = runCli(args);
    t.equal(r.code, 2, args.join(' '));
    t.match(r.stderr, message, args.join(' '));
  }
});

t.test('scenario-file errors: file:line:col, exit 2, nothing runs', async (t) => {
  const dir = tempDir(t);
  // A provider whose create leaves a mark, so the test can tell whether anything ran.
  const provider = makeProvider(dir, 'marker');
  const mark = join(dir, 'ran');
  writeFileSync(join(provider, 'create'), `#!/bin/sh\ntouch '${mark}'\n`);
  chmodSync(join(provider, 'create'), 0o755);
  const good = join(dir, 'good.yaml');
  writeFileSync(good, 'provider: marker\nscenarios:\n  - name: ok\n    steps:\n      - action: create\n');
  t.equal(runRun([good]).code, 0, 'the good file alone runs');
  t.ok(existsSync(mark), 'and create ran');
  rmSync(mark);

  const cases: [string, string, RegExp][] = [
    ['yaml-syntax', 'scenarios:\n  - name: x\n    steps: [\n', /^.*yaml-syntax\.yaml:\d+:\d+: /m],
    [
      'unknown-key',
      'scenarios:\n  - name: x\n    steps:\n      - action: create\n        exepct: { exit: 0 }\n',
      /unknown-key\.yaml:6:9: unknown key "exepct"/,
    ],
    [
      'wrong-type',
      'scenarios:\n  - name: x\n    steps:\n      - action: create\n        repeat: twice\n',
      /wrong-type\.yaml:6:17: "repeat" must be a positive integer, got "twice"/,
    ],
    [
      'unknown-action',
      'scenarios:\n  - name: x\n    steps:\n      - action: mount\n',
      /unknown-action\.yaml:5:17: unknown action "mount"/,
    ],
    [
      'unknown-version',
      'scenarios:\n  - name: x\n    steps:\n      - action: attach\n        expect: { accepted_by: ["2.6"] }\n',
      /unknown-version\.yaml:6:33: unsupported Ganeti version "2\.6"/,
    ],
    [
      'bad-regex',
      'scenarios:\n  - name: x\n    steps:\n      - action: attach\n        expect: { device: { regex: "([" } }\n',
      /bad-regex\.yaml:6:36: invalid regular expression "\(\["/,
    ],
    [
      'bad-stub-regex',
      'scenarios:\n  - name: x\n    stubs:\n      rbd:\n        - args: [{ regex: "*" }]\n    steps:\n      - action: create\n',
      /bad-stub-regex\.yaml:6:27: invalid regular expression "\*"/,
    ],
  ];
  for (const [name, body, message] of cases) {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, `provider: marker\n${body}`); // so the body starts on line 2
    const r = runRun([good, file]);
    t.equal(r.code, 2, `${name}: exit 2`);
    t.match(r.stderr, message, `${name}: ${r.stderr}`);
    t.match(r.stderr, /error(s)? in scenario files?; nothing was run/, name);
    t.equal(r.stdout, '', `${name}: no report at all`);
    t.notOk(existsSync(mark), `${name}: nothing ran, not even the good file's scenario`);
    rmSync(mark, { force: true });
  }
});

t.test('--filter selects by name or by "file: name"', async (t) => {
  const r = runRun([scenarioFile('sound-bash'), '--reporter', 'tap', '--filter', '^attach']);
  t.equal(r.code, 0, r.stdout);
  const names = tapPoints(r.stdout).map((p) => p.name);
  t.ok(names.length >= 3, names.join('\n'));
  for (const name of names) t.match(name, /: attach/);
  const byFile = runRun([
    scenarioFile('sound-bash'),
    scenarioFile('sound-sh'),
    '--reporter',
    'tap',
    '--filter',
    'sound-sh\\.yaml: usage$',
  ]);
  t.same(
    tapPoints(byFile.stdout).map((p) => p.name),
    [`${scenarioFile('sound-sh')}: usage`],
  );
});

t.test('--shard I/N splits the scenarios into disjoint parts that cover them all', async (t) => {
  const files = [scenarioFile('sound-bash'), scenarioFile('sound-sh'), scenarioFile('sound-python')];
  const all = tapPoints(runRun([...files, '--reporter', 'tap']).stdout).map((p) => p.name);
  t.ok(all.length > 20);
  const parts = [1, 2, 3].map((i) =>
    tapPoints(runRun([...files, '--reporter', 'tap', '--shard', `${i}/3`]).stdout).map((p) => p.name),
  );
  for (const part of parts)
    t.ok(
      part.length >= Math.floor(all.length / 3) && part.length <= Math.ceil(all.length / 3),
      `equal parts: ${part.length} of ${all.length}`,
    );
  t.same([...parts.flat()].sort(), [...all].sort(), 'together the shards run every scenario once');
  t.equal(new Set(parts.flat()).size, all.length, 'no scenario in two shards');
});

t.test('--bail starts no new scenario after a failure', async (t) => {
  // bug-grow-vol-size: scenario 1 passes, 2 to 4 fail; one job makes the order certain.
  const r = runWithJson([scenarioFile('bug-grow-vol-size'), '--bail', '-j', '1']);
  t.equal(r.code, 1);
  t.same(
    r.report.results.map((s) => s.status),
    ['pass', 'fail'],
  );
  t.equal(r.report.notRun, 2);
  const full = runWithJson([scenarioFile('bug-grow-vol-size'), '-j', '1']);
  t.equal(full.report.results.length, 4);
  t.equal(full.report.notRun, 0);
  const tap = runRun([scenarioFile('bug-grow-vol-size'), '--bail', '-j', '1', '--reporter', 'tap']);
  t.equal(tap.code, 1);
  t.same(
    tapPoints(tap.stdout)
      .slice(0, 2)
      .map((p) => p.ok),
    [true, false],
  );
});

t.test('--keep keeps each sandbox; without it nothing is left', async (t) => {
  const kept = runWithJson([scenarioFile('sound-sh'), '--keep', '--filter', 'loop device once']);
  t.equal(kept.code, 0);
  const sandbox = kept.report.results[0]!.sandbox;
  t.type(sandbox, 'string');
  t.teardown(() => rmSync(sandbox!, { recursive: true, force: true }));
  t.ok(statSync(sandbox!).isDirectory(), 'the sandbox is still there');
  t.ok(statSync(join(sandbox!, 'home', 'volumes', 'vol1')).isFile(), 'with the volume file create made in $HOME');
  t.equal(kept.report.results[0]!.steps[0]!.runs[0]!.env.HOME, join(sandbox!, 'home'));

  const plain = runWithJson([scenarioFile('sound-sh'), '--filter', 'loop device once']);
  t.equal(plain.report.results[0]!.sandbox, undefined);
  const home = plain.report.results[0]!.steps[0]!.runs[0]!.env.HOME!;
  t.match(home, /\/home$/);
  t.notOk(existsSync(home), 'the sandbox was removed');
  t.notOk(existsSync(join(home, '..')), 'the sandbox was removed');
});

t.test('--jobs: the report order is the same whatever the parallelism', async (t) => {
  const files = [
    scenarioFile('sound-python'),
    scenarioFile('bug-crlf'),
    scenarioFile('sound-bash'),
    scenarioFile('fault-invalid-utf8'),
    scenarioFile('bug-attach-not-idempotent'),
  ];
  const one = runRun([...files, '--reporter', 'tap', '-j', '1']);
  const four = runRun([...files, '--reporter', 'tap', '-j', '4']);
  t.equal(one.code, 1);
  t.equal(four.code, 1);
  const order = (stdout: string) => tapPoints(stdout).map((p) => `${p.id} ${p.ok ? 'ok' : 'not ok'} ${p.name}`);
  t.ok(order(one.stdout).length > 25);
  t.same(order(four.stdout), order(one.stdout));
  // file order, then position in the file
  const names = tapPoints(one.stdout).map((p) => p.name);
  const fileOf = (n: string) => n.slice(0, n.indexOf(': '));
  const files2 = names.map(fileOf).filter((f, i, a) => a.indexOf(f) === i);
  t.same(files2, [...files2].sort(), 'files in sorted order');
  const bash = readFileSync(join(FIXTURES, 'scenarios', 'sound-bash.yaml'), 'utf8');
  const declared = [...bash.matchAll(/^ {2}- name: (.*)$/gm)].map((m) => m[1]);
  t.same(
    names.filter((n) => fileOf(n) === scenarioFile('sound-bash')).map((n) => n.slice(n.indexOf(': ') + 2)),
    declared.map((d) => d!.replace(/\\"/g, '"')),
    'scenarios of a file in the order they are written',
  );
});

t.test('a directory argument runs every scenario file below it', async (t) => {
  const dir = tempDir(t);
  writeFileSync(
    join(dir, 'a.yaml'),
    `provider: ${providerDir('sound-sh')}\nscenarios:\n  - name: verify\n    steps:\n      - action: verify\n`,
  );
  writeFileSync(
    join(dir, 'b.yml'),
    `provider: ${providerDir('sound-python')}\nscenarios:\n  - name: verify too\n    steps:\n      - action: verify\n`,
  );
  writeFileSync(join(dir, 'notes.txt'), 'not a scenario');
  const r = runRun([dir, '--reporter', 'tap']);
  t.equal(r.code, 0, r.stderr);
  t.same(
    tapPoints(r.stdout).map((p) => p.name.replace(/^.*\//, '')),
    ['a.yaml: verify', 'b.yml: verify too'],
  );
});
