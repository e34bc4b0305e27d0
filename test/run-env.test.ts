// How `extstorage-kit run` runs each script (spec/SPEC.md §3, §4), seen from inside: the env-dump
// fixture provider records argv, cwd, stdin and its whole environment for every run.

import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { actionEnvironment } from '../harness/run/environment.js';
import { explain, providerDir, runWithJson, scenarioFile, type JsonScenario } from './helpers/run-fixtures.js';

interface Dump {
  readonly action: string;
  readonly argv: string[];
  readonly cwd: string;
  readonly stdin: string;
  readonly env: Record<string, string>;
}

const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const MARKER = 'EXTSTORAGE_KIT_SANDBOX';

/** What each step's script reported on stderr (one JSON line per run). */
function dumps(scenario: JsonScenario): Map<string, Dump> {
  return new Map(scenario.steps.map((step) => [step.label, JSON.parse(step.runs[0]!.stderr.head.trim()) as Dump]));
}

// The caller's environment must not leak in: these are set for the CLI only.
const callerEnv = {
  LEAK_CANARY: '1',
  VOL_NAME: 'from-the-caller',
  EXTP_POOL: 'from-the-caller',
  LANG: 'de_DE.UTF-8',
  LC_ALL: 'de_DE.UTF-8',
};

t.test('the environment of every action, exactly', async (t) => {
  const r = runWithJson([scenarioFile('env-dump'), '--keep'], { env: callerEnv });
  t.equal(r.code, 0, r.report.results.map(explain).join('\n'));
  const scenario = r.byName.get('every action, with a full volume')!;
  t.teardown(() => {
    for (const s of r.report.results) if (s.sandbox) rmSync(s.sandbox, { recursive: true, force: true });
  });
  const sandbox = scenario.sandbox!;
  const seen = dumps(scenario);
  const base = {
    PATH: `${join(sandbox, 'stubs')}:${SYSTEM_PATH}`,
    HOME: join(sandbox, 'home'),
    TMPDIR: join(sandbox, 'tmp'),
    LC_ALL: 'C',
    VOL_NAME: 'vol1',
    // Ganeti's own disk parameters reach every script: the provider and the disk's access mode.
    EXTP_ACCESS: 'kernelspace',
    EXTP_PROVIDER: 'env-dump',
    EXTP_POOL: 'fast',
    EXTP_MIXED_CASE: 'Value 1',
    EXTP_COUNT: '3',
    EXTP_FLAG: 'true',
    SCENARIO_EXTRA: 'from the scenario',
  };
  const named = { VOL_CNAME: 'disk0', VOL_UUID: '0c2f1a52-7c0e-4d2e-9a41-1b9a7f7f7e10' };
  const expected: Record<string, Record<string, string>> = {
    create: { ...base, ...named, VOL_SIZE: '2048' },
    attach: { ...base, ...named },
    detach: { ...base, ...named },
    remove: { ...base, ...named },
    grow: { ...base, ...named, VOL_SIZE: '2048', VOL_NEW_SIZE: '4096' },
    setinfo: { ...base, ...named, VOL_METADATA: '_web_1__' },
    verify: { ...base },
    snapshot: { ...base, VOL_SNAPSHOT_NAME: 'vol1.snap', VOL_SNAPSHOT_SIZE: '4096' },
    open: { ...base, ...named, VOL_OPEN_EXCLUSIVE: 'False' },
    'open exclusive': { ...base, ...named, VOL_OPEN_EXCLUSIVE: 'True' },
    close: { ...base, ...named, STEP_EXTRA: 'from the step' },
  };
  t.same([...seen.keys()], Object.keys(expected), 'every step ran');
  for (const [label, env] of Object.entries(expected)) {
    const dump = seen.get(label)!;
    const { [MARKER]: marker, ...rest } = dump.env;
    t.match(marker, /^[0-9a-f-]{36}$/, `${label}: the sandbox marker (used to find leftover processes)`);
    t.same(rest, env, `${label}: exactly the environment Ganeti builds, nothing else`);
    t.same(
      scenario.steps.find((s) => s.label === label)!.runs[0]!.env,
      env,
      `${label}: the report shows the same environment`,
    );
    t.same(dump.argv, [join(providerDir('env-dump'), dump.action)], `${label}: argv is the script path alone`);
    t.equal(dump.cwd, providerDir('env-dump'), `${label}: cwd is the provider directory`);
    t.equal(dump.stdin, '', `${label}: stdin is at end-of-file`);
  }
  t.notOk(Object.values(seen).some((d: Dump) => 'LEAK_CANARY' in d.env));
  t.equal(seen.get('attach')!.env.VOL_NAME, 'vol1', "the scenario's volume, not the caller's VOL_NAME");

  // The same records, written by the scripts into $HOME, which --keep leaves in place.
  const lines = readFileSync(join(sandbox, 'home', 'runs.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Dump);
  t.same(
    lines.map((l) => l.action),
    ['create', 'attach', 'detach', 'remove', 'grow', 'setinfo', 'verify', 'snapshot', 'open', 'open', 'close'],
  );
  t.same(
    lines.map((l) => l.env),
    [...seen.values()].map((d) => d.env),
    '$HOME persists across the steps of a scenario',
  );
});

t.test('defaults: a random volume name and uuid, no VOL_CNAME, the default metadata; step inputs', async (t) => {
  const r = runWithJson([scenarioFile('env-dump')], { env: callerEnv });
  const scenario = r.byName.get('defaults, and inputs a step may override')!;
  t.equal(scenario.status, 'pass', explain(scenario));
  const seen = dumps(scenario);
  const attach = seen.get('attach')!.env;
  t.match(attach.VOL_NAME!, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.ext\.disk0$/);
  t.match(attach.VOL_UUID, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  t.not(attach.VOL_NAME!.replace(/\.ext\.disk0$/, ''), attach.VOL_UUID, 'two different uuids');
  t.notOk('VOL_CNAME' in attach, 'no VOL_CNAME for a disk without a name');
  t.same(
    Object.keys(attach).filter((k) => k.startsWith('EXTP_')),
    ['EXTP_ACCESS', 'EXTP_PROVIDER'],
    "without params only Ganeti's own (the caller's EXTP_POOL stays out)",
  );
  for (const dump of seen.values())
    t.equal(dump.env.VOL_NAME, attach.VOL_NAME, `${dump.action}: the same volume throughout`);
  t.equal(seen.get('create')!.env.VOL_SIZE, '512', 'with: size');
  t.equal(seen.get('grow by default')!.env.VOL_SIZE, '512', 'grow starts from the size create made');
  t.equal(seen.get('setinfo without metadata')!.env.VOL_METADATA, 'originstname+instance1.example.com');
  t.match(seen.get('snapshot')!.env, { VOL_SNAPSHOT_NAME: 'backup-1', VOL_SNAPSHOT_SIZE: '100' });
  const last = seen.get('attach with VOL_UUID unset and argv')!;
  t.notOk('VOL_UUID' in last.env, 'with: unset');
  t.same(last.argv.slice(1), ['--debug', 'two words'], 'with: args, each one argument');

  // Another scenario gets another volume.
  const other = dumps(r.byName.get('every action, with a full volume')!).get('attach')!;
  t.not(other.env[MARKER], attach[MARKER], 'each scenario has its own sandbox');
  t.not(other.env.HOME, attach.HOME);
});

t.test('a default grow starts from the current size', async (t) => {
  const r = runWithJson([scenarioFile('repro-grow-default-new-size')]);
  for (const scenario of r.report.results) t.equal(scenario.status, 'pass', explain(scenario));
  const afterGrow = dumps(r.byName.get('a default grow after a grow starts from the new size')!).get(
    'grow by default',
  )!.env;
  t.equal(afterGrow.VOL_SIZE, '3072');
  t.ok(
    Number(afterGrow.VOL_NEW_SIZE) > Number(afterGrow.VOL_SIZE),
    `VOL_NEW_SIZE ${afterGrow.VOL_NEW_SIZE} > VOL_SIZE ${afterGrow.VOL_SIZE}, as Ganeti guarantees`,
  );
});

t.test("EXTP_ACCESS and EXTP_PROVIDER are built as Ganeti 3.0.2 builds the disk's ext parameters", async (t) => {
  const sandbox = { id: 'x', root: '/r', stubsDir: '/r/stubs', home: '/r/home', tmp: '/r/tmp' };
  const input = { args: [], unset: [], env: {} };
  const envOf = (params: Record<string, string>) => {
    const volume = { provider: 'rbd', name: 'v', size: 1, uuid: 'u', params };
    const env = actionEnvironment('attach', volume, input, {}, sandbox);
    return Object.entries(env).filter(([name]) => name.startsWith('EXTP_'));
  };
  t.same(envOf({}), [
    ['EXTP_ACCESS', 'kernelspace'],
    ['EXTP_PROVIDER', 'rbd'],
  ]);
  t.same(
    envOf({ pool: 'fast', access: 'userspace' }),
    [
      ['EXTP_ACCESS', 'userspace'],
      ['EXTP_PROVIDER', 'rbd'],
      ['EXTP_POOL', 'fast'],
    ],
    "the disk's access parameter, when it has one",
  );
  t.same(
    envOf({ provider: 'other' }),
    [
      ['EXTP_ACCESS', 'kernelspace'],
      ['EXTP_PROVIDER', 'rbd'],
    ],
    'provider is always the provider that runs (a disk cannot name another)',
  );
  t.same(
    Object.fromEntries(envOf({ Access: 'x' })),
    { EXTP_ACCESS: 'x', EXTP_PROVIDER: 'rbd' },
    "a user key that upper-cases onto Ganeti's comes later and wins, as in Ganeti's dict",
  );
});
