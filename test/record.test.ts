// `extstorage-kit record` as real processes: the CLI, the fixture provider (test/fixtures/record/
// rec-bash, bash) and the spies in front of fake rbd/losetup in a fake "system" directory. What is
// checked: the spies pass stdin, stdout, stderr and the exit status or signal through unchanged (a
// script behaves the same with and without them), the scenario file written loads and its replay
// with `run` passes, masking hides a secret everywhere and the replay still passes, exit statuses.
// Plus the pure pieces (YAML quoting, masking) in-process.

import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import t, { type Test } from 'tap';
import { parse } from 'yaml';
import { anchoredRegex, compileMasks, escapeRegex, literalMask, maskText } from '../harness/record/mask.js';
import { recordAction, type Recording, type RecordRequest } from '../harness/record/recorder.js';
import { validUtf8Runs } from '../harness/record/scenario-writer.js';
import { isSpiedByDefault, RECORD_PATH_VARIABLE, selectSpies } from '../harness/record/spies.js';
import { doubleQuoted, regexScalar, scalar } from '../harness/record/yaml-text.js';
import type { Action } from '../harness/provider/layout.js';
import { actionEnvironment, providerName } from '../harness/run/environment.js';
import { loadScenarioFile, parseScenarioText } from '../harness/scenario/load.js';
import type { ScenarioFile } from '../harness/scenario/model.js';
import { SCHEMA_PATH } from '../harness/scenario/schema.js';
import { REPO_ROOT } from './helpers/cli.js';
import { makeProvider, tempDir } from './helpers/provider-dir.js';
import { cliCommand, cliEnvironment, explain, runWithJson } from './helpers/run-fixtures.js';

const FIXTURE = join(REPO_ROOT, 'test', 'fixtures', 'record');
const PROVIDER = join(FIXTURE, 'rec-bash');
const SYSTEM = join(FIXTURE, 'system');
const KEYRING = join(FIXTURE, 'keyring');
const SECRET = readFileSync(KEYRING, 'utf8').trim();
/** The "system" PATH spied on in these tests: the fakes first, then the real basics. */
const RECORD_PATH = `${SYSTEM}:/usr/bin:/bin`;
const UUID = '0b4d9a4e-4a8e-4c53-9d4e-6f1f3c2a9e11';

interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `extstorage-kit record ARGS` as a user's shell runs it, spying on RECORD_PATH. */
function record(args: readonly string[], env: Readonly<Record<string, string>> = {}): Result {
  const [command, argv] = cliCommand(
    ['record', ...args],
    cliEnvironment({ [RECORD_PATH_VARIABLE]: RECORD_PATH, ...env }),
  );
  const r = spawnSync(command, argv, { cwd: REPO_ROOT, input: '', encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function loaded(t: Test, path: string): ScenarioFile {
  const result = loadScenarioFile(path);
  if ('errors' in result) {
    t.fail(
      `${path} does not load:\n${result.errors.map((e) => `${e.position.line}:${e.position.col}: ${e.message}`).join('\n')}`,
    );
    throw new Error('does not load');
  }
  return result.file;
}

/** `extstorage-kit run PROVIDER FILE`: the replay; every scenario must pass. */
function replayPasses(t: Test, file: string, provider = PROVIDER): void {
  const r = runWithJson([provider, file]);
  t.equal(r.code, 0, `replay exits 0\n${r.stdout}${r.stderr}`);
  for (const scenario of r.report.results) t.equal(scenario.status, 'pass', explain(scenario));
}

// ---------------------------------------------------------------------------------------------
// The pure pieces

t.test('YAML scalars: plain only where YAML reads the same string back; anything round-trips', async (t) => {
  t.equal(scalar('device'), 'device');
  t.equal(scalar('/dev/rbd0'), '/dev/rbd0');
  t.equal(scalar('--format'), '--format');
  for (const text of [
    '1',
    '2048',
    'true',
    'null',
    '-1',
    '0x10',
    '1e3',
    '',
    '-',
    'a b',
    'a: b',
    '#x',
    '[x]',
    'a,b',
    '*x',
    '&x',
    '!x',
    '~',
  ]) {
    t.not(scalar(text), text, `${JSON.stringify(text)} is quoted`);
    t.equal((parse(`v: ${scalar(text)}`) as { v: string }).v, text, `${JSON.stringify(text)} round-trips`);
  }
  const tricky = [
    '\0\x01\x07\b\t\n\v\f\r\x1b\x7f',
    '\u0080\u0085\u009f\u00a0',
    '\u2028\u2029\ufeff\ufffe\uffff',
    'é ü 日本 😀',
    '"\\\'',
    '\r\nRemoving image: 100% complete...done.\n',
    '  lead and trail  ',
  ];
  for (const [i, text] of tricky.entries()) {
    t.equal((parse(`v: ${doubleQuoted(text)}`) as { v: string }).v, text, `tricky text ${i} round-trips double-quoted`);
    t.notMatch(doubleQuoted(text), /\n/, 'on one line');
    t.equal((parse(`v: [${scalar(text)}]`) as { v: string[] }).v[0], text, 'and in a flow list');
  }
  for (const source of ['^[\\s\\S]*?$', "it's", '^a\\nb$', 'tab\there']) {
    t.equal(
      (parse(`v: { regex: ${regexScalar(source)} }`) as { v: { regex: string } }).v.regex,
      source,
      `regex ${JSON.stringify(source)} round-trips`,
    );
  }
  t.equal(regexScalar('^a\\.b$'), "'^a\\.b$'", 'regexes are single-quoted where they can be: backslashes as written');
});

t.test('masking: every match becomes ***; the regex accepts the original and the masked text', async (t) => {
  const masks = compileMasks(['AQB[A-Za-z0-9+/=]+', 'x*']);
  const text = `--key=${SECRET} and again ${SECRET}.`;
  const masked = maskText(text, masks);
  t.equal(masked.text, '--key=*** and again ***.', 'empty matches are ignored');
  t.same(masked.parts, ['--key=', ' and again ', '.']);
  const regex = new RegExp(anchoredRegex(masked));
  t.ok(regex.test(text), 'matches the recorded text');
  t.ok(regex.test(masked.text), 'matches the text with *** in place');
  t.notOk(regex.test(`${text}!`), 'anchored at the end');
  t.notOk(regex.test(`x${text}`), 'anchored at the start');
  t.same(maskText('nothing here', masks), { text: 'nothing here', parts: ['nothing here'], masked: false });
  // Overlapping and adjacent matches merge into one ***; a --mask match wins over another label.
  const merged = maskText('/tmp/sbx/AQBkey', [literalMask('/tmp/sbx', '${SANDBOX}'), ...compileMasks(['sbx/AQ'])]);
  t.equal(merged.text, '***Bkey');
  t.equal(maskText('/tmp/sbx/data', [literalMask('/tmp/sbx', '${SANDBOX}')]).text, '${SANDBOX}/data');
  // Escaping: the regex of an unmasked text matches exactly that text.
  for (const special of ['a.b*c+d?e(f)g[h]i{j}k|l^m$n\\o', 'line\nnext\r\ttab\x00\u2028']) {
    t.ok(new RegExp(`^${escapeRegex(special)}$`).test(special), 'the escaped text matches itself');
    t.notMatch(escapeRegex(special), /[\n\r\t\0\u2028]/, 'the source stays on one line');
  }
  t.throws(() => compileMasks(['(']), /--mask "\(": Unterminated group/);
});

t.test('valid UTF-8 runs: the text between bytes that are not UTF-8', async (t) => {
  t.same(validUtf8Runs(Buffer.from('grown, caf\xe9\n', 'latin1')), ['grown, caf', '\n']);
  t.same(validUtf8Runs(Buffer.from([0xff, 0xfe])), []);
  t.same(validUtf8Runs(Buffer.from('é ok', 'utf8')), ['é ok']);
  t.same(
    validUtf8Runs(Buffer.from([0x61, 0xe2, 0x82, 0x62])),
    ['a', 'b'],
    'a truncated sequence is skipped byte by byte',
  );
});

t.test('what is spied by default: every executable but the basic utilities', async (t) => {
  for (const name of [
    'rbd',
    'losetup',
    'lvcreate',
    'zfs',
    'multipath',
    'ssh',
    'mount',
    'blockdev',
    'qemu-img',
    'gluster',
  ])
    t.ok(isSpiedByDefault(name), name);
  for (const name of [
    'sh',
    'bash',
    'cat',
    'sed',
    'awk',
    'grep',
    'mkdir',
    'rm',
    'flock',
    'logger',
    'python3',
    'python3.11',
    'perl',
    'node',
    'xargs',
    'timeout',
    'env',
    '[',
  ]) {
    t.notOk(isSpiedByDefault(name), name);
  }
  const selection = selectSpies(RECORD_PATH, ['cat', 'no-such-command'], ['losetup']);
  t.ok(selection.commands.includes('rbd'), 'the fake rbd');
  t.ok(selection.commands.includes('ceph-helper'));
  t.notOk(selection.commands.includes('losetup'), '--no-spy removes');
  t.ok(selection.commands.includes('cat'), '--spy adds a basic utility');
  t.notOk(selection.commands.includes('sed'));
  t.same(selection.notFound, ['no-such-command']);
});

// ---------------------------------------------------------------------------------------------
// The spies pass everything through: the script behaves the same with and without them

const SCRIPT_ACTIONS: readonly Action[] = ['create', 'attach', 'detach', 'remove', 'grow', 'setinfo', 'verify'];

function request(action: Action, params: Record<string, string> = { pool: 'rbd' }): RecordRequest {
  return {
    providerDir: PROVIDER,
    action,
    volume: { name: 'vol1', size: 1024, uuid: UUID, params },
    env: {},
    spy: [],
    noSpy: [],
    timeoutSeconds: 30,
  };
}

/** The script run directly, as Ganeti would, with the fakes on PATH and no spy. */
function runDirectly(t: Test, action: Action, params: Record<string, string> = { pool: 'rbd' }) {
  const root = tempDir(t, 'esk-direct-');
  const env = actionEnvironment(
    action,
    { provider: providerName(PROVIDER), name: 'vol1', size: 1024, uuid: UUID, params },
    { args: [], unset: [], env: {} },
    {},
    { id: 'direct', root, stubsDir: join(root, 'none'), home: root, tmp: root },
  );
  env.PATH = RECORD_PATH;
  const r = spawnSync(join(PROVIDER, action), [], { cwd: PROVIDER, env, input: '', timeout: 30_000 });
  if (r.error) throw r.error;
  return { stdout: r.stdout, stderr: r.stderr, status: r.status, signal: r.signal };
}

const kept = (stream: Recording['run']['stdout']) => Buffer.concat([stream.head, stream.tail]);

for (const action of SCRIPT_ACTIONS) {
  t.test(`${action}: the script prints and exits the same under record as without it`, async (t) => {
    const direct = runDirectly(t, action);
    const recording = await recordAction(request(action), RECORD_PATH);
    t.equal(recording.run.fault, undefined, 'no fault');
    t.equal(
      kept(recording.run.stdout).toString('latin1'),
      direct.stdout.toString('latin1'),
      'the same stdout, byte for byte',
    );
    t.equal(
      kept(recording.run.stderr).toString('latin1'),
      direct.stderr.toString('latin1'),
      'the same stderr, byte for byte',
    );
    t.equal(recording.run.exitCode, direct.status, `the same exit status (${direct.status})`);
    t.ok(recording.calls.length > 0, 'calls were recorded');
    t.notOk(
      recording.calls.some((c) => c.command === 'ceph-helper'),
      'a call made by a spied program is not recorded',
    );
    t.ok(
      recording.calls.every((c) => c.command === 'rbd' || c.command === 'losetup'),
      'only the backend commands: no basic utility',
    );
    t.ok(recording.spiedCount > 100, `every executable on the PATH is spied on (${recording.spiedCount})`);
  });
}

t.test(
  'the spies pass stdin, stdout bytes, stderr, exit statuses and signals through, and record them exactly',
  async (t) => {
    const fakeRbd = (args: string[], input = '') =>
      spawnSync(join(SYSTEM, 'rbd'), args, { input, env: { PATH: RECORD_PATH } });

    const verify = await recordAction(request('verify'), RECORD_PATH);
    const exported = fakeRbd(['export', 'rbd/vol1', '-']).stdout;
    t.ok(exported.includes(0xff), 'the fake prints bytes that are not UTF-8');
    t.same(
      verify.calls.map((c) => [c.command, ...c.argv]),
      [['rbd', 'export', 'rbd/vol1', '-']],
    );
    t.equal(verify.calls[0]!.stdout.toString('hex'), exported.toString('hex'), 'recorded stdout: the exact bytes');

    const setinfo = await recordAction(request('setinfo'), RECORD_PATH);
    t.equal(
      setinfo.calls[0]!.stdout.toString(),
      'read 34 bytes from stdin: originstname+instance1.example.com\n',
      'stdin reached the real program',
    );

    const detach = await recordAction(request('detach'), RECORD_PATH);
    t.same(
      detach.calls.map((c) => ({
        command: c.command,
        argv: c.argv,
        exit: c.exit,
        signal: c.signal,
        stderr: c.stderr.toString(),
      })),
      [
        {
          command: 'rbd',
          argv: ['device', 'unmap', 'rbd/vol1'],
          exit: 16,
          signal: null,
          stderr: 'rbd: sysfs write failed\nrbd: unmap failed: (16) Device or resource busy\n',
        },
        {
          command: 'losetup',
          argv: ['-d', '/dev/loop3'],
          exit: 1,
          signal: null,
          stderr: 'losetup: /dev/loop3: detach failed: No such device or address\n',
        },
        { command: 'losetup', argv: ['--die'], exit: 143, signal: 'SIGTERM', stderr: '' },
      ],
    );
    t.match(
      kept(detach.run.stderr).toString(),
      'unmap exit 16, losetup -d exit 1, losetup --die exit 143',
      'the script saw each status, and the signal',
    );
    t.equal(detach.run.exitCode, 3);
  },
);

// ---------------------------------------------------------------------------------------------
// The CLI: the file written, and its replay

t.test('record attach: the file loads, holds the calls and what attach printed, and its replay passes', async (t) => {
  const dir = tempDir(t, 'esk-record-');
  const out = join(dir, 'scenarios', 'attach.yaml');
  mkdirSync(dirname(out));
  const r = record([
    PROVIDER,
    '--action',
    'attach',
    '--volume',
    'vol1',
    '--param',
    'pool=rbd',
    '--uuid',
    UUID,
    '--output',
    out,
  ]);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, '', 'nothing on stdout with --output');
  t.match(
    r.stderr,
    /^recorded attach: exit 0; calls: rbd 2, losetup 1 \(\d+ commands spied\); written to .*attach\.yaml\n$/,
    'a one-line summary on stderr',
  );
  const text = readFileSync(out, 'utf8');
  const first = text.split('\n')[0]!;
  const schema = /^# yaml-language-server: \$schema=(.+)$/.exec(first);
  t.ok(schema, 'the first line names the schema');
  t.equal(resolve(dirname(out), schema![1]!), SCHEMA_PATH, 'relative to the output file');

  const file = loaded(t, out);
  t.equal(file.scenarios.length, 1);
  const scenario = file.scenarios[0]!;
  t.same(scenario.volume, { name: 'vol1', size: 1024, uuid: UUID, params: { pool: 'rbd' } });
  t.same(Object.keys(scenario.stubs), ['rbd', 'losetup'], 'only the commands called, no basic utility, no nested call');
  const entries = (command: string) =>
    scenario.stubs[command]!.map((e) => ({
      args: e.args.map((m) => ('equals' in m ? m.equals : m.source)),
      stdout: e.stdout,
      stderr: e.stderr,
      exit: e.exit,
      times: e.times,
    }));
  t.same(entries('rbd'), [
    { args: ['device', 'list', '--format', 'json'], stdout: '[]\n', stderr: '', exit: 0, times: 1 },
    {
      args: ['device', 'map', 'rbd/vol1'],
      stdout: '/dev/rbd0\n',
      stderr: 'rbd: mapping rbd/vol1\n',
      exit: 0,
      times: 1,
    },
  ]);
  t.same(entries('losetup'), [
    { args: ['--find', '--show', '/dev/rbd0'], stdout: '/dev/loop3\n', stderr: '', exit: 0, times: 1 },
  ]);
  const step = scenario.steps[0]!;
  t.equal(step.action, 'attach');
  t.equal(step.expect.exit, 0);
  t.equal(step.expect.stdout?.equals, '/dev/rbd0\nkvm:rbd:rbd/vol1\n');
  t.equal(step.expect.stderr?.equals, 'rbd: mapping rbd/vol1\nattach: rbd/vol1 mapped on /dev/rbd0, loop /dev/loop3\n');
  t.equal(step.expect.device, '/dev/rbd0');
  t.same(step.expect.uris, { kvm: 'rbd:rbd/vol1' });
  t.same(step.expect.acceptedBy, ['2.13.0', '2.16', '3.1']);
  t.same(step.expect.rejectedBy, ['2.12']);
  t.same(step.expect.calls, {
    rbd: [
      ['device', 'list', '--format', 'json'],
      ['device', 'map', 'rbd/vol1'],
    ],
    losetup: [['--find', '--show', '/dev/rbd0']],
  });

  const replay = runWithJson([PROVIDER, out]);
  t.equal(replay.code, 0, replay.stdout);
  const run = replay.report.results[0]!.steps[0]!.runs[0]!;
  t.same(
    run.calls.map((c) => [c.command, ...c.argv]),
    [
      ['rbd', 'device', 'list', '--format', 'json'],
      ['rbd', 'device', 'map', 'rbd/vol1'],
      ['losetup', '--find', '--show', '/dev/rbd0'],
    ],
    'the replay makes the recorded calls, answered by stubs',
  );
  t.match(run.env.PATH, /\/stubs:/, 'stubs, not spies nor fakes, answered');
});

for (const action of ['create', 'detach', 'remove', 'grow', 'setinfo', 'verify'] as const) {
  t.test(`record ${action}: the file loads and its replay passes`, async (t) => {
    const out = join(tempDir(t, 'esk-record-'), `${action}.yaml`);
    const r = record([PROVIDER, '-a', action, '--volume', 'vol1', '-o', out]);
    t.equal(r.code, 0, r.stderr);
    t.match(r.stderr, new RegExp(`recorded ${action}: exit ${action === 'detach' ? 3 : 0}; calls: `));
    const scenario = loaded(t, out).scenarios[0]!;
    t.notOk('ceph-helper' in scenario.stubs);
    replayPasses(t, out);
  });
}

t.test('what the file cannot hold exactly is said in comments, and the replay still passes', async (t) => {
  const dir = tempDir(t, 'esk-record-');
  // grow prints a Latin-1 byte on stderr: checked with contains, its valid text.
  const grow = record([PROVIDER, '-a', 'grow', '--volume', 'vol1', '--new-size', '4096', '-o', join(dir, 'grow.yaml')]);
  t.equal(grow.code, 0, grow.stderr);
  t.match(grow.stderr, 'note: the script printed bytes on stderr that are not UTF-8');
  const growText = readFileSync(join(dir, 'grow.yaml'), 'utf8');
  t.match(
    growText,
    '# stderr is not valid UTF-8 (1 of 63 bytes): YAML cannot hold it exactly, so only its valid text is checked',
  );
  const growStep = loaded(t, join(dir, 'grow.yaml')).scenarios[0]!.steps[0]!;
  t.same(growStep.expect.stderr?.contains, ['\rResizing image: 100% complete...done.\ngrown to 4096 MiB, caf', '\n']);
  t.equal(growStep.input.newSize, 4096);
  t.same(
    loaded(t, join(dir, 'grow.yaml')).scenarios[0]!.stubs.rbd![0]!.args.map((m) => ('equals' in m ? m.equals : '')),
    ['resize', '--size', '4096', 'rbd/vol1'],
  );
  replayPasses(t, join(dir, 'grow.yaml'));

  // verify checksums what rbd export printed (not UTF-8): the stub cannot print it, so stdout is not checked.
  const verify = record([PROVIDER, '-a', 'verify', '--volume', 'vol1', '-o', join(dir, 'verify.yaml')]);
  t.equal(verify.code, 0, verify.stderr);
  const verifyText = readFileSync(join(dir, 'verify.yaml'), 'utf8');
  t.match(
    verifyText,
    '# stdout was not valid UTF-8 (4 of 26 bytes): YAML cannot hold those bytes, so the stub prints U+FFFD in their place',
  );
  t.match(
    verifyText,
    /# stdout is not checked: a stub cannot print the bytes rbd printed \(not UTF-8\), so what the script prints may differ on replay\. Recorded: "\d+ 26\\n"/,
  );
  t.equal(loaded(t, join(dir, 'verify.yaml')).scenarios[0]!.steps[0]!.expect.stdout, undefined);
  replayPasses(t, join(dir, 'verify.yaml'));

  // detach: a call killed by SIGTERM is replayed as exit 143; the shell's report of it is not checked.
  const detach = record([PROVIDER, '-a', 'detach', '--volume', 'vol1', '-o', join(dir, 'detach.yaml')]);
  const detachText = readFileSync(join(dir, 'detach.yaml'), 'utf8');
  t.equal(detach.code, 0, 'a failing script is recorded: exit 0');
  t.match(detachText, '# killed by SIGTERM: the stub exits 143, as a shell sees it');
  t.match(detachText, '# stderr is not checked: a stub cannot die by a signal as losetup did');
  const detachScenario = loaded(t, join(dir, 'detach.yaml')).scenarios[0]!;
  t.equal(detachScenario.steps[0]!.expect.exit, 3, 'the script failed: the failure is what is expected');
  t.same(
    detachScenario.stubs.losetup!.map((e) => e.exit),
    [1, 143],
  );
  t.same(
    detachScenario.stubs.rbd!.map((e) => e.exit),
    [16],
  );
});

t.test('consecutive identical calls become one entry with times', async (t) => {
  const out = join(tempDir(t, 'esk-record-'), 'remove.yaml');
  t.equal(record([PROVIDER, '-a', 'remove', '--volume', 'vol1', '-o', out]).code, 0);
  const rbd = loaded(t, out).scenarios[0]!.stubs.rbd!;
  t.same(
    rbd.map((e) => e.times),
    [2, 1],
  );
  t.same(loaded(t, out).scenarios[0]!.steps[0]!.expect.calls?.rbd?.length, 3, 'calls lists all three');
  replayPasses(t, out);
});

t.test('without --output the scenario goes to stdout and the summary to stderr', async (t) => {
  const r = record([PROVIDER, '-a', 'attach', '--volume', 'vol1', '--param', 'pool=fast']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^# JSON Schema for editors: .*scenario\.schema\.json\n/);
  t.equal(r.stderr.split('\n').filter((l) => l !== '').length, 1, 'one line on stderr');
  const parsed = parseScenarioText(r.stdout, 'stdout.yaml');
  t.ok('file' in parsed, 'it loads');
  const dir = tempDir(t, 'esk-record-');
  writeFileSync(join(dir, 'attach.yaml'), r.stdout);
  replayPasses(t, join(dir, 'attach.yaml'));
});

t.test('--volume, --uuid default to new random values, written so the replay uses the same', async (t) => {
  const r = record([PROVIDER, '-a', 'create', '--size', '2048', '--env', 'DEBUG=1']);
  t.equal(r.code, 0, r.stderr);
  const scenario = (parseScenarioText(r.stdout, 'x.yaml') as { file: ScenarioFile }).file.scenarios[0]!;
  t.match(scenario.volume.name, /^[0-9a-f-]{36}\.ext\.disk0$/);
  t.match(scenario.volume.uuid, /^[0-9a-f-]{36}$/);
  t.equal(scenario.volume.size, 2048);
  t.same(scenario.env, { DEBUG: '1' });
  t.same(
    scenario.stubs.rbd!.map((e) => e.args.map((m) => ('equals' in m ? m.equals : ''))),
    [['create', '--size', '2048', `rbd/${scenario.volume.name}`]],
  );
});

// ---------------------------------------------------------------------------------------------
// Masking

t.test('--mask: a key read from a keyring is nowhere in the file, and the replay passes', async (t) => {
  const out = join(tempDir(t, 'esk-record-'), 'attach.yaml');
  const r = record([
    PROVIDER,
    '-a',
    'attach',
    '--volume',
    'vol1',
    '--param',
    `keyring=${KEYRING}`,
    '--mask',
    'AQB[A-Za-z0-9+/=]+',
    '-o',
    out,
  ]);
  t.equal(r.code, 0, r.stderr);
  const text = readFileSync(out, 'utf8');
  t.notMatch(text, SECRET, 'the secret is nowhere in the file');
  t.notMatch(text, 'AQB', 'not even its start');
  t.notMatch(r.stderr, 'AQB', 'nor in the summary');
  t.match(text, 'stderr: "rbd: mapping rbd/vol1 with key ***\\n"', 'a stub prints *** where the secret was');
  t.match(
    text,
    "- args: [--key, { regex: '^[\\s\\S]*?$' }, device, map, rbd/vol1]",
    'a masked argument matches anything',
  );
  t.match(
    text,
    "stdout: { regex: '^/dev/rbd0\\nkvm:rbd:rbd/vol1:key=[\\s\\S]*?\\n$' }",
    "the script's stdout is a regex",
  );
  t.match(text, "kvm: { regex: '^rbd:rbd/vol1:key=[\\s\\S]*?$' }");
  t.match(text, '# calls to rbd are checked by its stubs alone: some of its arguments are masked');
  const step = loaded(t, out).scenarios[0]!.steps[0]!;
  t.equal(step.expect.device, '/dev/rbd0', 'what is not masked stays exact');
  t.same(Object.keys(step.expect.calls ?? {}), ['losetup']);
  // The replay: the script reads the real key from the keyring again, and the regexes accept it.
  replayPasses(t, out);
});

t.test('--mask: a key given as a parameter is written and replayed as ***', async (t) => {
  const out = join(tempDir(t, 'esk-record-'), 'attach.yaml');
  const r = record([
    PROVIDER,
    '-a',
    'attach',
    '--volume',
    'vol1',
    '--param',
    `key=${SECRET}`,
    '--env',
    `CEPH_ARGS=--key ${SECRET}`,
    '--mask',
    'AQB[A-Za-z0-9+/=]+',
    '-o',
    out,
  ]);
  t.equal(r.code, 0, r.stderr);
  const text = readFileSync(out, 'utf8');
  t.notMatch(text, 'AQB', 'the secret is nowhere in the file');
  const scenario = loaded(t, out).scenarios[0]!;
  t.same(scenario.volume.params, { key: '***' });
  t.same(scenario.env, { CEPH_ARGS: '--key ***' });
  const r2 = runWithJson([PROVIDER, out]);
  t.equal(r2.code, 0, explain(r2.report.results[0]));
  const run = r2.report.results[0]!.steps[0]!.runs[0]!;
  t.equal(run.calls[1]!.argv[1], '***', 'on replay the script passes *** where the key was, and the stub accepts it');
});

t.test('--spy and --no-spy', async (t) => {
  const dir = tempDir(t, 'esk-record-');
  // --spy cat: the keyring read is recorded and replayed too.
  const spied = record([
    PROVIDER,
    '-a',
    'attach',
    '--volume',
    'vol1',
    '--param',
    `keyring=${KEYRING}`,
    '--spy',
    'cat',
    '--mask',
    'AQB[A-Za-z0-9+/=]+',
    '-o',
    join(dir, 'cat.yaml'),
  ]);
  t.equal(spied.code, 0, spied.stderr);
  t.match(spied.stderr, /calls: cat 1, rbd 2, losetup 1/);
  const scenario = loaded(t, join(dir, 'cat.yaml')).scenarios[0]!;
  t.same(
    scenario.stubs.cat!.map((e) => [e.args.map((m) => ('equals' in m ? m.equals : '')), e.stdout]),
    [[[KEYRING], '***\n']],
  );
  t.notMatch(readFileSync(join(dir, 'cat.yaml'), 'utf8'), 'AQB');
  replayPasses(t, join(dir, 'cat.yaml'));

  // --no-spy losetup: losetup runs unrecorded (it would run for real on replay too).
  const unspied = record([
    PROVIDER,
    '-a',
    'attach',
    '--volume',
    'vol1',
    '--no-spy',
    'losetup',
    '--spy',
    'no-such-tool',
    '-o',
    join(dir, 'no-losetup.yaml'),
  ]);
  t.equal(unspied.code, 0, unspied.stderr);
  t.match(unspied.stderr, 'warning: --spy no-such-tool: not found on');
  const stubs = loaded(t, join(dir, 'no-losetup.yaml')).scenarios[0]!.stubs;
  t.same(Object.keys(stubs), ['rbd']);
  t.match(
    loaded(t, join(dir, 'no-losetup.yaml')).scenarios[0]!.steps[0]!.expect.stderr?.equals,
    'loop /dev/loop3',
    'the real losetup answered',
  );
});

// ---------------------------------------------------------------------------------------------
// Exit statuses

t.test('--help, and record in the command list', async (t) => {
  const r = record(['--help']);
  t.equal(r.code, 0);
  t.match(r.stdout, /^Usage: extstorage-kit record <provider-dir> --action A/);
  t.match(r.stdout, 'by absolute path (/sbin/losetup) bypasses PATH and\ncannot be caught');
  t.match(r.stdout, '--mask REGEX');
  t.match(r.stdout, RECORD_PATH_VARIABLE);
  t.match(r.stdout, 'Examples:');
  const [command, argv] = cliCommand(['--help'], cliEnvironment());
  t.match(spawnSync(command, argv, { encoding: 'utf8' }).stdout, /\n {2}record +run a provider once for real/);
});

t.test('usage errors exit 2 and run nothing', async (t) => {
  const dir = tempDir(t, 'esk-record-');
  const marker = join(dir, 'ran');
  // A provider whose every script leaves a mark: a usage error must be found before anything runs.
  const PROVIDER = makeProvider(dir, 'marks');
  for (const script of ['create', 'attach', 'detach', 'remove', 'grow', 'setinfo', 'verify'])
    writeFileSync(join(PROVIDER, script), `#!/bin/sh\ntouch '${marker}'\n`);
  t.equal(
    record([PROVIDER, '-a', 'verify', '--volume', 'v', '-o', join(dir, 'ok.yaml')]).code,
    0,
    'valid arguments run the script',
  );
  t.ok(existsSync(marker), 'which leaves its mark');
  rmSync(marker);
  const cases: [string[], RegExp][] = [
    [[], /missing <provider-dir>/],
    [['-a', 'attach'], /missing <provider-dir>/],
    [[PROVIDER], /missing --action/],
    [[PROVIDER, PROVIDER, '-a', 'attach'], /expected one <provider-dir>, got 2/],
    [[PROVIDER, '-a', 'atach'], /unknown action "atach"/],
    [[PROVIDER, '-a', 'attach', '--size', '0'], /--size takes a size in MiB/],
    [[PROVIDER, '-a', 'attach', '--size', '1.5'], /--size takes a size in MiB/],
    [[PROVIDER, '-a', 'attach', '--new-size', '2048'], /--new-size applies to grow only/],
    [[PROVIDER, '-a', 'attach', '--param', 'pool'], /--param takes NAME=VALUE/],
    [[PROVIDER, '-a', 'attach', '--param', '=rbd'], /--param takes NAME=VALUE/],
    [[PROVIDER, '-a', 'attach', '--param', 'my pool=rbd'], /no whitespace/],
    [[PROVIDER, '-a', 'attach', '--env', 'PATH=/opt/bin'], /PATH is not yours to set/],
    [[PROVIDER, '-a', 'attach', '--mask', '('], /--mask "\(": Unterminated group/],
    [[PROVIDER, '-a', 'attach', '--spy', '/sbin/losetup'], /--spy takes a command name/],
    [[PROVIDER, '-a', 'attach', '--no-spy=-x'], /--no-spy takes a command name/],
    [[PROVIDER, '-a', 'attach', '--timeout', '10x'], /--timeout takes a duration/],
    [[PROVIDER, '-a', 'attach', '--volume', ''], /--volume must not be empty/],
    [
      [PROVIDER, '-a', 'attach', '-o', join(dir, 'missing', 'x.yaml')],
      /--output folder .*missing does not exist \(missing folders are created only inside the working directory\)/,
    ],
    [[PROVIDER, '-a', 'attach', '--bogus'], /Unknown option '--bogus'/],
  ];
  for (const [args, message] of cases) {
    const r = record(args);
    t.equal(r.code, 2, `${args.join(' ')}: exit 2`);
    t.match(r.stderr, message, args.join(' '));
    t.match(r.stderr, 'Run "extstorage-kit record --help" for usage.');
    t.equal(r.stdout, '');
  }
  t.notOk(existsSync(marker), 'no script ran');
});

t.test('a provider that cannot be run exits 1 and writes nothing', async (t) => {
  const dir = tempDir(t, 'esk-record-');
  const out = join(dir, 'out.yaml');
  // Not a provider at all.
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  let r = record([empty, '-a', 'attach', '-o', out]);
  t.equal(r.code, 1);
  t.match(r.stderr, 'is not a provider Ganeti would load, so nothing was run');
  t.match(r.stderr, 'required script attach is missing');
  r = record([join(dir, 'nowhere'), '-a', 'attach', '-o', out]);
  t.equal(r.code, 1);
  t.match(r.stderr, 'does not exist');
  // A script without the execute bit: Ganeti refuses the provider.
  const noExec = makeProvider(dir, 'noexec');
  chmodSync(join(noExec, 'attach'), 0o644);
  r = record([noExec, '-a', 'attach', '-o', out]);
  t.equal(r.code, 1);
  t.match(r.stderr, 'lacks the owner-execute bit');
  // An optional script that is missing.
  r = record([PROVIDER, '-a', 'snapshot', '-o', out]);
  t.equal(r.code, 1);
  t.match(r.stderr, 'the provider has no snapshot script');
  // A script past --timeout.
  const slow = makeProvider(dir, 'slow');
  writeFileSync(join(slow, 'attach'), '#!/bin/sh\nsleep 30\n');
  const started = Date.now();
  r = record([slow, '-a', 'attach', '--timeout', '1s', '-o', out]);
  t.equal(r.code, 1);
  t.match(r.stderr, 'attach did not finish within 1s; its process group was killed: nothing was written');
  t.ok(Date.now() - started < 15_000, 'killed, not waited for');
  t.notOk(existsSync(out), 'no file was written');
});

t.test("paths in the run's temporary directory (HOME, TMPDIR) are matched as anything on replay", async (t) => {
  const dir = tempDir(t, 'esk-record-');
  const provider = makeProvider(dir, 'tmpdir-user');
  writeFileSync(
    join(provider, 'attach'),
    '#!/bin/sh\nset -e\nrbd device map "$TMPDIR/vol.img"\necho "home is $HOME" >&2\n',
  );
  const out = join(dir, 'attach.yaml');
  const r = record([provider, '-a', 'attach', '--volume', 'v', '-o', out]);
  t.equal(r.code, 0, r.stderr);
  const text = readFileSync(out, 'utf8');
  t.notMatch(text, 'extstorage-kit-record-', 'the temporary directory is not in the file');
  t.match(text, "- args: [device, map, { regex: '^[\\s\\S]*?/tmp/vol\\.img$' }]");
  t.match(text, 'stderr: "rbd: mapping ${SANDBOX}/tmp/vol.img\\n"', 'a stub prints ${SANDBOX} in its place');
  t.match(text, "stderr: { regex: '^rbd: mapping [\\s\\S]*?/tmp/vol\\.img\\nhome is [\\s\\S]*?/home\\n$' }");
  replayPasses(t, out, provider);
});
