// The verdict's "not verified" mechanics on tiny providers: a check whose backend could not show
// what it judges is NOT VERIFIED and fails the run unless accepted with --allow-unverified; and
// `with: { fail_backend: true }` makes a stubbed command fail, logged as injected.

import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from './helpers/cli.js';
import { makeProvider, tempDir } from './helpers/provider-dir.js';

interface Conformance {
  checks: { id: string; status: string; reasons: string[] }[];
  unverified: string[];
  allowedUnverified: string[];
  mustFailures: string[];
  passed: boolean;
}

/** Every script calls `tool <action> "$VOL_NAME" ...`; attach then prints /dev/tool0. */
function statelessProvider(parent: string): string {
  const dir = makeProvider(parent, 'stateless');
  const body: Record<string, string> = {
    create: 'tool create "$VOL_NAME" "$VOL_SIZE" >&2',
    attach: 'tool attach "$VOL_NAME" >&2\nprintf %s /dev/tool0',
    detach: 'tool detach "$VOL_NAME" >&2',
    remove: 'tool remove "$VOL_NAME" >&2',
    grow: 'tool grow "$VOL_NAME" "$VOL_NEW_SIZE" >&2',
    setinfo: 'tool setinfo "$VOL_NAME" >&2',
  };
  for (const [script, text] of Object.entries(body)) {
    writeFileSync(join(dir, script), `#!/bin/sh\nset -e\n[ -n "$VOL_NAME" ] || exit 1\n${text}\n`);
    chmodSync(join(dir, script), 0o755);
  }
  return dir;
}

/** A stateless `tool` that says yes to everything, in every scenario. */
const STATELESS_BACKEND = `volume: { params: { pool: p } }
stubs:
  tool:
    - args: [{ regex: '^[a-z]+$' }, { regex: '' }]
    - args: [{ regex: '^[a-z]+$' }, { regex: '' }, { regex: '^[0-9]+$' }]
`;

/** The checks that need state: each one a stateless stub can only answer "yes" to. */
const STATEFUL = [
  'ATTACH-IDEMPOTENT',
  'ATTACH-MISSING',
  'DETACH-IDEMPOTENT',
  'DETACH-UNATTACHED',
  'LIFECYCLE',
  'REMOVE-TWICE',
];

function testStateless(t: Parameters<typeof tempDir>[0], extra: string[] = []) {
  const tmp = tempDir(t);
  const dir = statelessProvider(tmp);
  writeFileSync(join(tmp, 'backend.yaml'), STATELESS_BACKEND);
  const json = join(tmp, 'report.json');
  const only = [...STATEFUL, 'GROW-NEW-SIZE'].flatMap((id) => ['--only', id]);
  const r = runCli(['test', dir, '--backend', join(tmp, 'backend.yaml'), '--json', json, ...only, ...extra]);
  const conformance = (JSON.parse(readFileSync(json, 'utf8')) as { conformance: Conformance }).conformance;
  const status = (id: string) => conformance.checks.find((c) => c.id === id)?.status;
  const ids = (s: string) =>
    conformance.checks
      .filter((c) => c.status === s)
      .map((c) => c.id)
      .sort();
  return { ...r, conformance, status, ids };
}

t.test('stateless stubs: the stateful checks are NOT VERIFIED and the run fails', async (t) => {
  const r = testStateless(t);
  t.equal(r.code, 1, 'not verified fails the run');
  t.same(r.ids('unverified'), STATEFUL, 'exactly the stateful checks are not verified');
  t.same(r.ids('fail'), [], 'what the stubs made fail (attach of a missing volume succeeds) is no failure');
  t.equal(r.status('GROW-NEW-SIZE'), 'pass', 'grow named 3072 to a stub: that needs no state');
  t.same([...r.conformance.unverified].sort(), STATEFUL);
  t.same(r.conformance.allowedUnverified, []);
  t.equal(r.conformance.passed, false);
  for (const id of STATEFUL) t.match(r.stdout, new RegExp(`^ {2}NOT VERIFIED +(MUST|SHOULD) +${id} `, 'm'), id);
  const closing = r.stdout.split('\n').find((l) => l.startsWith('Verdict: '));
  t.match(closing, /^Verdict: not verified: /, 'the closing line');
  for (const id of STATEFUL) t.match(closing, `${id} (`, `the closing line names ${id}`);
  t.match(
    r.conformance.checks.find((c) => c.id === 'REMOVE-TWICE')?.reasons.join('\n'),
    /remove's backend commands \(tool\) were answered by stateless stubs/,
  );
});

t.test('--allow-unverified for each of them: exit 0, recorded in the report', async (t) => {
  const r = testStateless(
    t,
    STATEFUL.flatMap((id) => ['--allow-unverified', id]),
  );
  t.equal(r.code, 0, r.stdout);
  t.same(r.ids('unverified'), STATEFUL, 'still not verified');
  t.same([...r.conformance.allowedUnverified].sort(), STATEFUL, 'and accepted');
  t.equal(r.conformance.passed, true);
  t.notMatch(r.stdout, /^Verdict: not verified/m);
});

t.test('--allow-unverified for some of them: still exit 1, naming the others', async (t) => {
  const r = testStateless(t, ['--allow-unverified', 'LIFECYCLE']);
  t.equal(r.code, 1);
  t.same(r.conformance.allowedUnverified, ['LIFECYCLE']);
  t.equal(r.conformance.passed, false);
  const closing = r.stdout.split('\n').find((l) => l.startsWith('Verdict: '));
  t.match(closing, /^Verdict: not verified: ATTACH-IDEMPOTENT \(/);
  t.notMatch(closing, /LIFECYCLE/, 'the accepted one is not in the closing line');
});

t.test('--allow-unverified with an unknown id is a usage error listing the ids', async (t) => {
  const tmp = tempDir(t);
  const dir = statelessProvider(tmp);
  writeFileSync(join(tmp, 'backend.yaml'), STATELESS_BACKEND);
  const r = runCli(['test', dir, '--backend', join(tmp, 'backend.yaml'), '--allow-unverified', 'NOPE']);
  t.equal(r.code, 2);
  t.match(r.stderr, /unknown check "NOPE": the checks are /);
  for (const id of ['LAYOUT-VALID', 'ATTACH-MISSING', 'BACKEND-FAILURE', 'REMOVE-TWICE', 'PROCESS-TIMEOUT'])
    t.match(r.stderr, id);
  t.notMatch(r.stdout, /Verdict/, 'nothing ran');
});

t.test('run: fail_backend makes the stubbed command fail, and the call is logged as injected', async (t) => {
  const tmp = tempDir(t);
  const dir = statelessProvider(tmp);
  // The first create's call is failed on purpose (it uses no stub entry); the second is answered.
  writeFileSync(
    join(tmp, 'scenario.yaml'),
    `provider: ./stateless
defaults:
  volume: { name: vol1.ext.disk0, size: 64, params: { pool: p } }
scenarios:
  - name: create with a failing backend, then again
    stubs:
      tool:
        - args: [create, vol1.ext.disk0, "64"]
    steps:
      - action: create
        with: { fail_backend: true }
        expect: { exit: 1, stderr: { contains: "failed on purpose" } }
      - action: create
`,
  );
  t.ok(dir.endsWith('stateless'));
  const json = join(tmp, 'report.json');
  const r = runCli(['run', join(tmp, 'scenario.yaml'), '--json', json]);
  t.equal(r.code, 0, r.stdout + r.stderr);
  interface Call {
    command: string;
    argv: string[];
    exit?: number;
    injected?: boolean;
  }
  const report = JSON.parse(readFileSync(json, 'utf8')) as {
    results: {
      status: string;
      steps: { action: string; runs: { exitCode: number | null; stderr: { head: string }; calls: Call[] }[] }[];
    }[];
  };
  const [failed, retried] = report.results[0]!.steps;
  const run = failed!.runs[0]!;
  t.equal(run.exitCode, 1, 'create exited 1 (set -e, the stub failed)');
  t.match(run.stderr.head, /^tool: failed on purpose \(extstorage-kit: this step has fail_backend\)$/m);
  t.same(
    run.calls.map((c) => ({ command: c.command, argv: c.argv, exit: c.exit, injected: c.injected })),
    [{ command: 'tool', argv: ['create', 'vol1.ext.disk0', '64'], exit: 1, injected: true }],
    'the failed call is logged, injected',
  );
  const normal = retried!.runs[0]!;
  t.equal(normal.exitCode, 0);
  t.same(
    normal.calls.map((c) => ({ exit: c.exit, injected: c.injected })),
    [{ exit: 0, injected: undefined }],
    'a step without fail_backend: the stub answers, nothing injected',
  );
});

t.test('run: fail_backend where the script ignores the failure fails the step', async (t) => {
  const tmp = tempDir(t);
  const dir = makeProvider(tmp, 'careless');
  writeFileSync(join(dir, 'create'), '#!/bin/sh\ntool create "$VOL_NAME" >&2\nexit 0\n');
  chmodSync(join(dir, 'create'), 0o755);
  writeFileSync(
    join(tmp, 'scenario.yaml'),
    `provider: ./careless
defaults:
  volume: { name: vol1.ext.disk0, size: 64, params: { pool: p } }
scenarios:
  - name: create must fail when tool does
    stubs: { tool: [] }
    steps:
      - action: create
        with: { fail_backend: true }
        expect: { exit: nonzero }
`,
  );
  const r = runCli(['run', join(tmp, 'scenario.yaml')]);
  t.equal(r.code, 1);
  t.match(r.stdout, /wrong exit status/);
  t.match(r.stdout, /tool: failed on purpose/, 'the stub failed, and said why');
});
