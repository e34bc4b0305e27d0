// The scenario file loader: YAML files -> the model, with every default applied, or every problem
// as file:line:col: message. Files are real temp files; positions are checked exactly.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import t from 'tap';
import { loadScenarioFile, loadScenarioPaths, parseDuration } from '../harness/scenario/load.js';
import { formatFileError, type ScenarioFile } from '../harness/scenario/model.js';
import { KNOWN_SIMULATORS, SCHEMA_PATH, scenarioSchema } from '../harness/scenario/schema.js';
import { REPO_ROOT } from './helpers/cli.js';
import { tempDir } from './helpers/provider-dir.js';

/** What the helpers need of a test. */
interface Test {
  teardown(fn: () => void): void;
  fail(message: string): boolean;
  ok(value: unknown, message: string): boolean;
}

/** Writes `text` as `name` in a fresh temp dir and returns its path. */
function write(t: Test, text: string, name = 's.yaml'): string {
  const path = join(tempDir(t), name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/** The loaded file; fails the test with the errors when there are any. */
function loaded(t: Test, text: string): ScenarioFile {
  const path = write(t, text);
  const result = loadScenarioFile(path);
  if ('errors' in result) {
    t.fail(`unexpected errors:\n${result.errors.map(formatFileError).join('\n')}`);
    throw new Error('did not load');
  }
  return result.file;
}

/** The errors, as "line:col: message" (the file name, checked here, is left out). */
function errors(t: Test, text: string): string[] {
  const path = write(t, text);
  const result = loadScenarioFile(path);
  if ('file' in result) {
    t.fail('the file loaded without errors');
    return [];
  }
  return result.errors.map((error) => {
    const line = formatFileError(error);
    t.ok(line.startsWith(`${path}:`), 'positions carry the path as given');
    return line.slice(path.length + 1);
  });
}

const MINIMAL = 'scenarios:\n  - name: a\n    steps: [{ action: attach }]\n';

t.test('a full file loads into the exact model, defaults applied and merged', async (t) => {
  const path = write(
    t,
    `# yaml-language-server: $schema=../spec/scenario.schema.json
provider: ../providers/rbd
defaults:
  ganeti: ["2.16", 3.1]
  timeout: 5s
  volume: { size: 2048, cname: d0, params: { pool: rbd, access: kernelspace } }
  env: { A: "1", B: "2" }
x-list: &list
  - args: ["device", "list", "--format", "json"]
    stdout: "[]"
scenarios:
  - name: attach maps
    volume: { name: vol1, uuid: u-1, params: { access: userspace, n: 010, f: true, r: 1.50 } }
    env: { B: "3" }
    stubs:
      rbd:
        - args: ["device", "map", { regex: "^rbd/" }]
          stdout: "/dev/rbd0\\n"
          stderr: warn
          exit: 3
          times: any
      modprobe: *list
    simulate: [losetup]
    steps:
      - action: attach
        repeat: 3
        timeout: 500ms
        expect:
          device: /dev/rbd0
          uris: { kvm: "rbd:rbd/vol1", xen-pvm: null, lxc: { regex: "^/dev/" } }
          accepted_by: ["2.13.0"]
          rejected_by: [2.12]
          lint: clean
          stdout: { contains: rbd0, regex: "^/dev", lines: ["/dev/rbd0"] }
          stderr: { empty: true, equals: "" }
          calls: { rbd: [["device", "map", "rbd/vol1"]], modprobe: [] }
      - { action: grow }
      - action: open
        name: open shared
        ganeti: ["2.15"]
        with: { exclusive: false, args: [--help], unset: [VOL_CNAME], env: { X: "y" } }
        expect: { exit: nonzero, stderr: { contains: [a, b] } }
  - name: second
    skip: not yet
    timeout: 1m
    ganeti: ["3.0"]
    volume: { size: 100, params: { pool: other } }
    steps:
      - { action: grow, with: { size: 200 } }
      - { action: grow, with: { new_size: 5000 }, timeout: 2 }
      - { action: open }
      - action: snapshot
        with: { snapshot_name: s1, snapshot_size: 7 }
      - { action: setinfo, with: { metadata: "originstname+web1" } }
      - { action: create, with: { size: 10 } }
`,
  );
  const result = loadScenarioFile(path);
  t.notOk('errors' in result && result.errors.map(formatFileError));
  const file = (result as { file: ScenarioFile }).file;
  const at = (line: number, col: number) => ({ file: path, line, col });
  const none = { args: [], unset: [], env: {} };
  t.strictSame(file, {
    file: path,
    provider: join(dirname(dirname(path)), 'providers', 'rbd'),
    scenarios: [
      {
        name: 'attach maps',
        file: path,
        index: 0,
        volume: {
          name: 'vol1',
          size: 2048,
          cname: 'd0',
          uuid: 'u-1',
          params: { pool: 'rbd', access: 'userspace', n: '010', f: 'true', r: '1.50' },
        },
        env: { A: '1', B: '3' },
        stubs: {
          rbd: [
            {
              args: [{ equals: 'device' }, { equals: 'map' }, { regex: /^rbd\//, source: '^rbd/' }],
              stdout: '/dev/rbd0\n',
              stderr: 'warn',
              exit: 3,
              times: 'any',
              position: at(17, 11),
            },
          ],
          modprobe: [
            {
              args: [{ equals: 'device' }, { equals: 'list' }, { equals: '--format' }, { equals: 'json' }],
              stdout: '[]',
              stderr: '',
              exit: 0,
              times: 1,
              position: at(9, 5),
            },
          ],
        },
        simulate: ['losetup'],
        simulators: { losetup: { devices: 8, fail: [] } },
        requires: [],
        steps: [
          {
            action: 'attach',
            input: none,
            repeat: 3,
            timeout: 0.5,
            expect: {
              exit: 0,
              device: '/dev/rbd0',
              uris: { kvm: 'rbd:rbd/vol1', 'xen-pvm': null, lxc: { regex: /^\/dev\//, source: '^/dev/' } },
              acceptedBy: ['2.13.0'],
              rejectedBy: ['2.12'],
              lint: 'clean',
              stdout: { contains: ['rbd0'], regex: /^\/dev/, lines: ['/dev/rbd0'] },
              stderr: { equals: '', empty: true },
              calls: { rbd: [['device', 'map', 'rbd/vol1']], modprobe: [] },
            },
            ganeti: ['2.16', '3.1'],
            position: at(25, 9),
          },
          {
            action: 'grow',
            input: { ...none },
            repeat: 1,
            timeout: 5,
            expect: { exit: 0 },
            ganeti: ['2.16', '3.1'],
            position: at(37, 9),
          },
          {
            action: 'open',
            name: 'open shared',
            input: { exclusive: false, args: ['--help'], unset: ['VOL_CNAME'], env: { X: 'y' } },
            repeat: 1,
            timeout: 5,
            expect: { exit: 'nonzero', stderr: { contains: ['a', 'b'] } },
            ganeti: ['2.15'],
            position: at(38, 9),
          },
        ],
        position: at(12, 5),
      },
      {
        name: 'second',
        file: path,
        index: 1,
        skip: 'not yet',
        volume: { size: 100, cname: 'd0', params: { pool: 'other', access: 'kernelspace' } },
        env: { A: '1', B: '2' },
        stubs: {},
        simulate: [],
        simulators: {},
        requires: [],
        steps: [
          {
            action: 'grow',
            input: { size: 200, ...none },
            repeat: 1,
            timeout: 60,
            expect: { exit: 0 },
            ganeti: ['3.0'],
            position: at(49, 9),
          },
          {
            action: 'grow',
            input: { newSize: 5000, ...none },
            repeat: 1,
            timeout: 2,
            expect: { exit: 0 },
            ganeti: ['3.0'],
            position: at(50, 9),
          },
          {
            action: 'open',
            input: { exclusive: true, ...none },
            repeat: 1,
            timeout: 60,
            expect: { exit: 0 },
            ganeti: ['3.0'],
            position: at(51, 9),
          },
          {
            action: 'snapshot',
            input: { snapshotName: 's1', snapshotSize: 7, ...none },
            repeat: 1,
            timeout: 60,
            expect: { exit: 0 },
            ganeti: ['3.0'],
            position: at(52, 9),
          },
          {
            action: 'setinfo',
            input: { metadata: 'originstname+web1', ...none },
            repeat: 1,
            timeout: 60,
            expect: { exit: 0 },
            ganeti: ['3.0'],
            position: at(54, 9),
          },
          {
            action: 'create',
            input: { size: 10, ...none },
            repeat: 1,
            timeout: 60,
            expect: { exit: 0 },
            ganeti: ['3.0'],
            position: at(55, 9),
          },
        ],
        position: at(43, 5),
      },
    ],
  });
});

t.test('a minimal file gets every built-in default', async (t) => {
  const file = loaded(t, MINIMAL);
  t.equal(file.provider, undefined);
  t.notOk('provider' in file, 'no provider key at all');
  const [scenario] = file.scenarios;
  t.strictSame(scenario!.volume, { size: 1024, params: {} });
  t.strictSame(scenario!.env, {});
  t.strictSame(scenario!.stubs, {});
  t.strictSame(scenario!.simulate, []);
  t.notOk('skip' in scenario!);
  const [step] = scenario!.steps;
  t.strictSame(step, {
    action: 'attach',
    input: { args: [], unset: [], env: {} },
    repeat: 1,
    timeout: 10,
    expect: { exit: 0 },
    ganeti: ['3.1'],
    position: { file: step!.position.file, line: 3, col: 13 },
  });
  t.notOk('name' in step!);
});

t.test('grow without new_size leaves it to the runner (the size at that point + 1024)', async (t) => {
  const file = loaded(
    t,
    'defaults: { volume: { size: 300 } }\nscenarios:\n  - name: a\n    steps: [{ action: grow }, { action: grow, with: { size: 50, new_size: 70 } }]\n',
  );
  t.same(
    file.scenarios[0]!.steps.map((s) => s.input.newSize),
    [undefined, 70],
  );
});

t.test('versions are kept as written, unquoted ones from their text', async (t) => {
  const file = loaded(
    t,
    'defaults: { ganeti: [2.10, "2.15.0", 3.0, 2.7] }\nscenarios:\n  - name: a\n    steps: [{ action: attach, expect: { accepted_by: [2.10], rejected_by: ["2.7.0"] } }]\n',
  );
  const [step] = file.scenarios[0]!.steps;
  t.strictSame(step!.ganeti, ['2.10', '2.15.0', '3.0', '2.7']);
  t.strictSame(step!.expect.acceptedBy, ['2.10']);
  t.strictSame(step!.expect.rejectedBy, ['2.7.0']);
});

t.test('durations', async (t) => {
  t.equal(parseDuration(10), 10);
  t.equal(parseDuration(0.25), 0.25);
  t.equal(parseDuration('10s'), 10);
  t.equal(parseDuration('1.5s'), 1.5);
  t.equal(parseDuration('500ms'), 0.5);
  t.equal(parseDuration('2m'), 120);
  for (const bad of ['0s', 0, -1, '10', '10 s', '1h', 's', '.5s', ''])
    t.equal(parseDuration(bad), undefined, String(bad));
});

t.test('provider is resolved against the file directory, file kept as given', async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'sc'));
  writeFileSync(join(dir, 'sc', 'a.yaml'), `provider: ../prov\n${MINIMAL}`);
  const cwd = process.cwd();
  process.chdir(dir);
  t.teardown(() => process.chdir(cwd));
  const result = loadScenarioFile('sc/a.yaml');
  t.ok('file' in result);
  if (!('file' in result)) return;
  t.equal(result.file.file, 'sc/a.yaml');
  t.equal(result.file.scenarios[0]!.file, 'sc/a.yaml');
  t.equal(result.file.scenarios[0]!.position.file, 'sc/a.yaml');
  t.equal(result.file.provider, join(dir, 'prov'));
  const absolute = write(t, `provider: /opt/p\n${MINIMAL}`);
  t.equal((loadScenarioFile(absolute) as { file: ScenarioFile }).file.provider, '/opt/p');
});

t.test('anchors, aliases and merge keys', async (t) => {
  const file = loaded(
    t,
    `x-vol: &vol { size: 5, params: { pool: p } }
scenarios:
  - name: a
    volume: { <<: *vol, name: n }
    stubs: { rbd: &rbd [{ args: [x] }] }
    steps: [{ action: attach }]
  - name: b
    volume: *vol
    stubs: { rbd: *rbd }
    steps: [{ action: attach }]
`,
  );
  t.strictSame(file.scenarios[0]!.volume, { name: 'n', size: 5, params: { pool: 'p' } });
  t.strictSame(file.scenarios[1]!.volume, { size: 5, params: { pool: 'p' } });
  t.strictSame(file.scenarios[1]!.stubs.rbd![0]!.position, file.scenarios[0]!.stubs.rbd![0]!.position);
  t.strictSame(errors(t, 'scenarios:\n  - name: a\n    volume: { <<: 5 }\n    steps: [{ action: attach }]\n'), [
    '3:19: YAML: "<<" merges a map, an alias of a map, or a list of them',
  ]);
  // An error inside merged content points where it is written.
  t.strictSame(
    errors(
      t,
      'x-v: &v { size: big }\nscenarios:\n  - name: a\n    volume: { <<: *v }\n    steps: [{ action: attach }]\n',
    ),
    ['1:17: "size" must be a positive integer, got "big"'],
  );
});

t.test('YAML syntax errors', async (t) => {
  t.strictSame(errors(t, 'scenarios:\n\t- name: x\n'), ['2:1: YAML: Tabs are not allowed as indentation']);
  const unclosed = errors(t, 'scenarios: [\n  { name: a, steps: [{ action: attach }] }\n');
  t.equal(unclosed.length >= 1, true);
  t.match(unclosed[0], /^\d+:\d+: YAML: /);
  t.strictSame(errors(t, 'a: 1\n---\nb: 2\n'), [
    '2:1: YAML: a scenario file holds one document; this "---" starts a second one',
  ]);
  // After a syntax error nothing else is reported: the parse may be off.
  t.notMatch(errors(t, 'scenarios: [{ name: a, steps: [], bad: 1 }\nfoo: "\n').join('\n'), /unknown key/);
});

t.test('duplicate keys, and checking goes on after them', async (t) => {
  t.strictSame(errors(t, 'scenarios:\n  - name: a\n    steps: [{ action: attach }]\n    name: b\n    skip: 1\n'), [
    '4:5: duplicate key "name" (first at line 2)',
    '5:11: "skip" must be a string, got 1 (quote it: "1")',
  ]);
  t.strictSame(
    errors(t, 'scenarios:\n  - name: a\n    steps:\n      - action: attach\n        expect: { exit: 1, exit: 2 }\n'),
    ['5:28: duplicate key "exit" (first at line 5)'],
  );
});

t.test('an empty file, and a file that is not a map', async (t) => {
  t.strictSame(errors(t, ''), ['1:1: the file is empty: expected a map with a "scenarios" key']);
  t.strictSame(errors(t, '# nothing\n'), ['1:1: the file is empty: expected a map with a "scenarios" key']);
  t.strictSame(errors(t, '- a\n'), ['1:1: the file must be a map with a "scenarios" key, got a list']);
  t.strictSame(errors(t, 'provider: x\n'), ['1:1: missing required key "scenarios" at the top level']);
  t.strictSame(errors(t, 'scenarios: []\n'), [
    '1:12: "scenarios" must be a non-empty list of scenarios, got an empty list',
  ]);
  t.strictSame(errors(t, 'scenarios:\n'), ['1:1: "scenarios" must be a non-empty list of scenarios, got nothing']);
});

t.test('unknown keys are reported at the key, with the keys expected', async (t) => {
  t.strictSame(errors(t, 'scenarios:\n  - name: a\n    steps:\n      - action: attach\n        expct: { exit: 0 }\n'), [
    '5:9: unknown key "expct" in step (expected one of: action, command, together, name, volume, kill, with, repeat, timeout, ganeti, expect)',
  ]);
  t.strictSame(errors(t, `provder: x\n${MINIMAL}`), [
    '1:1: unknown key "provder" at the top level (expected one of: provider, defaults, scenarios, or x-<anything> for YAML anchors)',
  ]);
  t.strictSame(errors(t, 'scenarios:\n  - name: a\n    volum: {}\n    steps: [{ action: attach }]\n'), [
    '3:5: unknown key "volum" in scenario (expected one of: name, check, requires, skip, volume, volumes, env, stubs, simulate, install_path, devices, scratch, ganeti, timeout, steps)',
  ]);
  t.strictSame(
    errors(t, 'defaults: { volume: { sise: 1 } }\nscenarios:\n  - name: a\n    steps: [{ action: attach }]\n'),
    ['1:23: unknown key "sise" in "volume" (expected one of: name, size, cname, uuid, params)'],
  );
  t.strictSame(
    errors(t, 'scenarios:\n  - name: a\n    stubs: { rbd: [{ arg: [] }] }\n    steps: [{ action: attach }]\n'),
    ['3:22: unknown key "arg" in stub entry (expected one of: args, stdout, stderr, exit, times)'],
  );
  t.strictSame(
    errors(t, 'scenarios:\n  - name: a\n    steps: [{ action: attach, expect: { stdout: { contain: x } } }]\n'),
    ['3:51: unknown key "contain" in "stdout" (expected one of: equals, contains, regex, lines, empty)'],
  );
  t.strictSame(errors(t, 'scenarios:\n  - name: a\n    steps: [{ action: attach, with: { new_sise: 1 } }]\n'), [
    '3:39: unknown key "new_sise" in "with" (expected one of: new_size, size, metadata, exclusive, snapshot_name, snapshot_size, args, unset, env, fail_backend)',
  ]);
  t.strictSame(errors(t, 'scenarios:\n  - name: a\n    steps: [{ action: attach, expect: { uris: { kvmm: a } } }]\n'), [
    '3:49: unknown hypervisor "kvmm" in "uris" (expected one of: kvm, xen-pvm, xen-hvm, lxc, chroot, fake)',
  ]);
});

t.test('wrong types and values are reported at the value, one message each', async (t) => {
  t.strictSame(errors(t, 'scenarios:\n  - name: a\n    volume: { size: big }\n    steps: [{ action: attach }]\n'), [
    '3:21: "size" must be a positive integer, got "big"',
  ]);
  t.strictSame(errors(t, 'scenarios:\n  - name: a\n    volume: { size: -1.5 }\n    steps: [{ action: attach }]\n'), [
    '3:21: "size" must be a positive integer, got -1.5',
  ]);
  t.strictSame(errors(t, 'scenarios:\n  - name: a\n    steps:\n      - action: atach\n'), [
    '4:17: unknown action "atach": expected one of create, attach, detach, remove, grow, setinfo, verify, snapshot, open, close',
  ]);
  t.strictSame(errors(t, 'scenarios:\n  - name: a\n    steps: [{ action: attach, repeat: 0 }]\n'), [
    '3:39: "repeat" must be a positive integer, got 0',
  ]);
  t.strictSame(errors(t, 'scenarios:\n  - name: a\n    steps: [{ action: attach, expect: { exit: 256 } }]\n'), [
    '3:47: "exit" must be an integer from 0 to 255, "nonzero" or "any", got 256',
  ]);
  t.strictSame(errors(t, 'scenarios:\n  - name: a\n    steps: [{ action: attach, expect: { exit: fail } }]\n'), [
    '3:47: "exit" must be an integer from 0 to 255, "nonzero" or "any", got "fail"',
  ]);
  t.strictSame(
    errors(t, 'scenarios:\n  - name: a\n    steps: [{ action: attach, expect: { device: 5, lint: strict } }]\n'),
    [
      '3:49: "device" must be a string, null or {regex: "..."}, got 5',
      '3:58: "lint" must be "clean" or "no-errors", got "strict"',
    ],
  );
  t.strictSame(
    errors(
      t,
      'scenarios:\n  - name: a\n    stubs: { rbd: [{ args: [a, 5, [x]], times: many }] }\n    steps: [{ action: attach }]\n',
    ),
    [
      '3:32: item 2 of "args" must be a string or {regex: "..."}, got 5',
      '3:35: item 3 of "args" must be a string or {regex: "..."}, got a list',
      '3:48: "times" must be a positive integer or "any", got "many"',
    ],
  );
  t.strictSame(
    errors(t, 'scenarios:\n  - name: a\n    env: { DEBUG: 1, "A=B": x }\n    steps: [{ action: attach }]\n'),
    [
      '3:19: "DEBUG" must be a string, got 1 (quote it: "1")',
      '3:22: "A=B" in "env" is not a variable name (not empty, no "=")',
    ],
  );
  t.strictSame(errors(t, 'scenarios:\n  - name: a\n    stubs: { "bin/rbd": [] }\n    steps: [{ action: attach }]\n'), [
    '3:14: "bin/rbd" in "stubs" is not a command name (letters, digits and _ . + -) or an absolute path',
  ]);
  t.strictSame(errors(t, 'scenarios:\n  - name: a\n    steps: [{ action: attach, with: 5 }]\n'), [
    '3:37: "with" must be a map, got 5',
  ]);
  t.strictSame(
    errors(t, 'scenarios:\n  - name: a\n    steps: [{ action: attach, expect: { stdout: { contains: [a, 1] } } }]\n'),
    ['3:65: item 2 of "contains" must be a string, got 1 (quote it: "1")'],
  );
  t.strictSame(errors(t, 'scenarios:\n  - name: a\n    steps: [{ action: attach, ganeti: "3.1" }]\n'), [
    '3:39: "ganeti" must be a non-empty list of Ganeti versions such as ["2.16", "3.1"], got "3.1"',
  ]);
  t.strictSame(
    errors(
      t,
      'scenarios:\n  - null\n  - name: b\n    stubs: { rbd: }\n    steps:\n      - action: attach\n        expect: ~\n',
    ),
    [
      '2:5: item 1 of "scenarios" must be a map, got null',
      '4:14: "rbd" must be a list of stub entries, got nothing',
      '7:17: "expect" must be a map, got null',
    ],
  );
  t.strictSame(
    errors(
      t,
      'scenarios:\n  - name: a\n    volume: { params: { "a b": 1, x: [1] } }\n    steps: [{ action: attach }]\n',
    ),
    [
      '3:25: "a b" in "params" is not a parameter name: no whitespace, no "="',
      '3:38: "x" must be a string, a number or a boolean (true or false), got a list',
    ],
  );
  t.strictSame(errors(t, 'scenarios:\n  - name: a\n    steps:\n      - action: attach\n        with:\n'), [
    '5:9: "with" must be a map, got nothing',
  ]);
});

t.test('oneOf alternatives: the errors inside the alternative the value looks like', async (t) => {
  t.strictSame(
    errors(t, 'scenarios:\n  - name: a\n    steps: [{ action: attach, expect: { device: { regex: a, rx: b } } }]\n'),
    ['3:61: unknown key "rx" in "device" (expected one of: regex)'],
  );
  t.strictSame(errors(t, 'scenarios:\n  - name: a\n    steps: [{ action: attach, expect: { device: {} } }]\n'), [
    '3:49: missing required key "regex" in "device"',
  ]);
  t.strictSame(
    errors(
      t,
      'scenarios:\n  - name: a\n    stubs: { rbd: [{ args: [{ regex: 5 }] }] }\n    steps: [{ action: attach }]\n',
    ),
    ['3:38: "regex" must be a string, got 5 (quote it: "5")'],
  );
});

t.test('missing required keys are reported at the map', async (t) => {
  t.strictSame(errors(t, 'scenarios:\n  - steps: [{ action: attach }]\n  - name: b\n'), [
    '2:5: missing required key "name" in scenario',
    '3:5: missing required key "steps" in scenario',
  ]);
  t.strictSame(errors(t, 'scenarios:\n  - name: a\n    steps: [{ name: x }]\n'), [
    '3:13: missing required key "action" in step (or "command", to run a check between actions)',
  ]);
});

t.test('unsupported Ganeti versions name the supported range', async (t) => {
  const range = "expected a release from 2.7.0 to 3.1.0, written X.Y (that series' last release) or X.Y.Z";
  t.strictSame(
    errors(
      t,
      'defaults: { ganeti: ["2.6"] }\nscenarios:\n  - name: a\n    ganeti: [3.2]\n    steps:\n      - { action: attach, ganeti: ["2.07"], expect: { accepted_by: ["2.16.3"], rejected_by: [x] } }\n',
    ),
    [
      `1:22: unsupported Ganeti version "2.6": ${range}`,
      `4:14: unsupported Ganeti version "3.2": ${range}`,
      `6:36: unsupported Ganeti version "2.07": ${range}`,
      `6:69: unsupported Ganeti version "2.16.3": ${range}`,
      `6:94: unsupported Ganeti version "x": ${range}`,
    ],
  );
  t.strictSame(errors(t, 'defaults: { ganeti: [] }\nscenarios:\n  - name: a\n    steps: [{ action: attach }]\n'), [
    '1:21: "ganeti" must be a non-empty list of Ganeti versions such as ["2.16", "3.1"], got an empty list',
  ]);
  t.strictSame(errors(t, 'defaults: { ganeti: [true] }\nscenarios:\n  - name: a\n    steps: [{ action: attach }]\n'), [
    '1:22: item 1 of "ganeti" must be a Ganeti version such as "3.1" or "2.13.0", got true',
  ]);
});

t.test('regexes that do not compile give the JavaScript reason', async (t) => {
  t.strictSame(
    errors(
      t,
      `scenarios:
  - name: a
    stubs: { rbd: [{ args: [{ regex: "(" }] }] }
    steps:
      - action: attach
        expect:
          device: { regex: "[" }
          uris: { kvm: { regex: "+" } }
          stdout: { regex: "a{2,1}" }
          stderr: { regex: "(?<x" }
`,
    ),
    [
      '3:38: invalid regular expression "(": Unterminated group',
      '7:28: invalid regular expression "[": Unterminated character class',
      '8:33: invalid regular expression "+": Nothing to repeat',
      '9:28: invalid regular expression "a{2,1}": numbers out of order in {} quantifier',
      '10:28: invalid regular expression "(?<x": Invalid capture group name',
    ],
  );
});

t.test('bad durations', async (t) => {
  const wanted = 'a duration: a number of seconds, or a string like "10s", "500ms", "1.5s", "2m"';
  t.strictSame(
    errors(
      t,
      'defaults: { timeout: 10x }\nscenarios:\n  - name: a\n    timeout: 0s\n    steps: [{ action: attach, timeout: 0 }, { action: detach, timeout: "5 s" }]\n',
    ),
    [
      `1:22: "timeout" must be ${wanted}, got "10x"`,
      '4:14: bad duration "0s": must be more than 0, as a number of seconds or a string like "10s", "500ms", "1.5s", "2m"',
      `5:40: "timeout" must be ${wanted}, got 0`,
      `5:72: "timeout" must be ${wanted}, got "5 s"`,
    ],
  );
});

t.test("with keys an action does not use are accepted and change nothing (as in the issue's example)", async (t) => {
  const file = loaded(
    t,
    `scenarios:
  - name: a
    steps:
      - { action: attach, with: { new_size: 2048, metadata: "originstname+web1", exclusive: false, args: [] } }
      - { action: create, with: { exclusive: true } }
      - { action: remove, with: { size: 1 } }
      - { action: snapshot, with: { snapshot_name: s, snapshot_size: 1, args: [x], unset: [A], env: { A: b } } }
`,
  );
  t.equal(file.scenarios[0]!.steps.length, 4);
  t.same(file.scenarios[0]!.steps[0]!.input.args, []);
});

t.test('attach-only expectations on other actions', async (t) => {
  t.strictSame(
    errors(
      t,
      `scenarios:
  - name: a
    steps:
      - action: detach
        expect:
          device: null
          uris: { kvm: null }
          accepted_by: ["3.1"]
          rejected_by: ["2.12"]
          lint: clean
          stdout: { empty: true }
`,
    ),
    ['device', 'uris', 'accepted_by', 'rejected_by', 'lint'].map(
      (key, i) => `${6 + i}:11: "${key}" does not apply to detach: only the output of attach is read by Ganeti`,
    ),
  );
});

t.test('a version both accepted and rejected', async (t) => {
  t.strictSame(
    errors(
      t,
      'scenarios:\n  - name: a\n    steps: [{ action: attach, expect: { accepted_by: ["2.12", "2.15"], rejected_by: ["2.12", "2.15.2", "2.15.0"] } }]\n',
    ),
    [
      '3:86: Ganeti "2.12" is in both accepted_by and rejected_by',
      '3:94: Ganeti "2.15.2" is in both accepted_by (as "2.15": both mean 2.15.2) and rejected_by',
    ],
  );
});

t.test('duplicate scenario names within a file', async (t) => {
  t.strictSame(
    errors(t, `${MINIMAL}  - name: b\n    steps: [{ action: attach }]\n  - name: a\n    steps: [{ action: attach }]\n`),
    ['6:11: duplicate scenario name "a" (first at line 2)'],
  );
});

t.test('simulators: known names only, each once', async (t) => {
  t.strictSame(
    errors(t, 'scenarios:\n  - name: a\n    simulate: [rbd, ceph, rbd]\n    steps: [{ action: attach }]\n'),
    ['3:21: unknown simulator "ceph": expected one of rbd, losetup', '3:27: "rbd" is listed twice in "simulate"'],
  );
  t.same(
    loaded(t, 'scenarios:\n  - name: a\n    simulate: [losetup, rbd]\n    steps: [{ action: attach }]\n').scenarios[0]!
      .simulate,
    ['losetup', 'rbd'],
  );
});

t.test('every error of a file is reported, sorted by position', async (t) => {
  const found = errors(
    t,
    `defaults:
  timeout: 10x
scenarios:
  - name: one
    volume: { size: 0 }
    steps:
      - action: attach
        expect: { device: { regex: "(" }, exit: x }
      - action: atach
        bogus: 1
  - name: one
    steps:
      - { action: grow, with: { exclusive: false } }
`,
  );
  t.strictSame(found, [
    '2:12: "timeout" must be a duration: a number of seconds, or a string like "10s", "500ms", "1.5s", "2m", got "10x"',
    '5:21: "size" must be a positive integer, got 0',
    '8:36: invalid regular expression "(": Unterminated group',
    '8:49: "exit" must be an integer from 0 to 255, "nonzero" or "any", got "x"',
    '9:17: unknown action "atach": expected one of create, attach, detach, remove, grow, setinfo, verify, snapshot, open, close',
    '10:9: unknown key "bogus" in step (expected one of: action, command, together, name, volume, kill, with, repeat, timeout, ganeti, expect)',
    '11:11: duplicate scenario name "one" (first at line 4)',
  ]);
});

t.test('paths: directories recursively and sorted, missing paths, files once', async (t) => {
  const dir = tempDir(t);
  const scenario = (name: string) => `scenarios:\n  - name: ${name}\n    steps: [{ action: attach }]\n`;
  mkdirSync(join(dir, 'b', 'deep'), { recursive: true });
  mkdirSync(join(dir, 'a'));
  mkdirSync(join(dir, 'empty'));
  writeFileSync(join(dir, 'z.yaml'), scenario('z'));
  writeFileSync(join(dir, 'b', 'deep', 'x.yml'), scenario('bx'));
  writeFileSync(join(dir, 'b', 'a.yaml'), scenario('ba'));
  writeFileSync(join(dir, 'a', 'y.yaml'), scenario('ay'));
  writeFileSync(join(dir, 'a', 'notes.txt'), 'not a scenario');
  writeFileSync(join(dir, 'a', 'broken.yaml'), 'scenarios: 5\n');
  symlinkSync(join(dir, 'a'), join(dir, 'b', 'loop'));

  const result = loadScenarioPaths([dir, join(dir, 'z.yaml'), join(dir, 'nope.yaml'), join(dir, 'empty')]);
  t.strictSame(
    result.files.map((f) => f.file),
    [join(dir, 'a', 'y.yaml'), join(dir, 'b', 'a.yaml'), join(dir, 'b', 'deep', 'x.yml'), join(dir, 'z.yaml')],
  );
  t.strictSame(result.errors.map(formatFileError), [
    `${join(dir, 'a', 'broken.yaml')}:1:12: "scenarios" must be a non-empty list of scenarios, got 5`,
    `${join(dir, 'nope.yaml')}:1:1: no such file or directory`,
    `${join(dir, 'empty')}:1:1: no scenario files (*.yaml, *.yml) in this directory`,
  ]);

  const explicit = join(dir, 'a', 'notes.txt');
  writeFileSync(explicit, scenario('txt'));
  t.strictSame(
    loadScenarioPaths([explicit]).files.map((f) => f.scenarios[0]!.name),
    ['txt'],
    'a file named explicitly loads whatever its name',
  );
  t.strictSame(loadScenarioFile(join(dir, 'missing.yaml')), {
    errors: [{ position: { file: join(dir, 'missing.yaml'), line: 1, col: 1 }, message: 'no such file or directory' }],
  });
});

t.test('the schema file', async (t) => {
  type Schema = Record<string, unknown>;
  const onDisk = JSON.parse(readFileSync(join(REPO_ROOT, 'spec', 'scenario.schema.json'), 'utf8')) as Schema & {
    definitions: Record<string, Schema>;
  };
  t.equal(SCHEMA_PATH, join(REPO_ROOT, 'spec', 'scenario.schema.json'));
  t.strictSame(
    onDisk.definitions.simulator!.enum,
    [...KNOWN_SIMULATORS],
    'the file lists KNOWN_SIMULATORS for editors',
  );
  t.strictSame(scenarioSchema().definitions, onDisk.definitions);

  // Every key has a description (editors show it), and every map rejects unknown keys.
  const missing: string[] = [];
  const visit = (schema: Record<string, unknown>, where: string): void => {
    if (schema.type === 'object' && schema.additionalProperties === undefined)
      missing.push(`${where}: additionalProperties`);
    for (const [key, sub] of Object.entries((schema.properties ?? {}) as Record<string, Record<string, unknown>>)) {
      if (typeof sub.description !== 'string') missing.push(`${where}.${key}: description`);
      visit(sub, `${where}.${key}`);
    }
    for (const keyword of ['items', 'additionalProperties']) {
      const sub = schema[keyword];
      if (sub && typeof sub === 'object') visit(sub as Record<string, unknown>, `${where}[${keyword}]`);
    }
    for (const sub of (schema.oneOf ?? []) as Record<string, unknown>[]) visit(sub, `${where}|`);
  };
  visit(onDisk, '');
  for (const [name, schema] of Object.entries(onDisk.definitions)) visit(schema, name);
  t.strictSame(missing, []);

  // The compiled module finds the schema from dist/ too.
  const r = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      "import('./dist/harness/scenario/schema.js').then((m) => { m.scenarioValidator(); console.log(m.SCHEMA_PATH); })",
    ],
    { cwd: REPO_ROOT, encoding: 'utf8' },
  );
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout.trim(), join(REPO_ROOT, 'spec', 'scenario.schema.json'));
});

t.test('the examples in spec/SCENARIOS.md load', async (t) => {
  const doc = readFileSync(join(REPO_ROOT, 'spec', 'SCENARIOS.md'), 'utf8');
  const examples = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((y) => /^scenarios:/m.test(y));
  t.ok(examples.length >= 2, 'the worked example and the anchors example');
  for (const example of examples) {
    const file = loaded(t, example);
    t.ok(file.scenarios.length >= 1);
  }
});
