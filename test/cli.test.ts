// The CLI as a real process: parse and check, exit codes, --json shapes, help, the package entry.

import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { REPO_ROOT, runCli } from './helpers/cli.js';
import { makeProvider, tempDir } from './helpers/provider-dir.js';

t.test('parse: the README example', async (t) => {
  const r = runCli(['parse'], { input: '/dev/rbd0\nkvm:rbd:rbd/vol' });
  t.equal(r.code, 1, 'one version rejects, so exit 1');
  const rows = Object.fromEntries(
    r.stdout
      .split('\n')
      .slice(1, 5)
      .map((line) => [line.split(/\s+/)[0]!, line] as const),
  );
  t.match(rows['2.12'], /rejects/);
  for (const v of ['2.13.0', '2.16', '3.1']) t.match(rows[v], /accepts\s+\/dev\/rbd0\s+rbd:rbd\/vol$/, v);
  t.match(r.stdout, /line 2\s+error\s+legacy-extra-lines\s+2\.12\s/);
});

t.test('parse: exit 0 when every version accepts; --json', async (t) => {
  const r = runCli(['parse', '--json', '-g', '2.12', '--ganeti', '3.1'], { input: '/dev/loop0' });
  t.equal(r.code, 0);
  const json = JSON.parse(r.stdout) as Record<string, unknown>[];
  t.equal(json.length, 2);
  t.match(json[0], { ganeti: '2.12', ok: true, device: '/dev/loop0', uris: [], problems: [] });
  t.same(Object.keys(json[1]!).sort(), ['device', 'ganeti', 'ok', 'problems', 'select', 'uris']);
});

t.test('parse: --file, --hypervisor, and escaping of invisible characters', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'out');
  writeFileSync(file, '\nkvm:rbd:a/b\r\nxen-pvm:phy:/dev/x\n');
  const r = runCli(['parse', '--file', file, '--hypervisor', 'xen-pvm', '-g', '3.1']);
  t.equal(r.code, 0);
  t.match(r.stdout, /3\.1\s+accepts\s+\(none: userspace only\)\s+phy:\/dev\/x/);
  // 2.x keeps the CR in the URI (3.x reads CRLF as a line break).
  const k = runCli(['parse', '--file', file, '-g', '2.16']);
  t.match(k.stdout, /"rbd:a\/b\\r"/, 'the CR is shown, not printed');
});

t.test('parse: usage errors exit 2 and say what is wrong', async (t) => {
  const cases: [string[], RegExp][] = [
    [['parse', '--ganeti', '2.6'], /2\.7\.0 to 3\.1\.0/],
    [['parse', '--hypervisor', 'vmware'], /unknown hypervisor/],
    [['parse', '--bogus'], /Unknown option '--bogus'/],
    [['parse', 'extra'], /unexpected argument/],
    [['parse', '--file', '/no/such/file'], /cannot read \/no\/such\/file: ENOENT/],
    [['frobnicate'], /unknown command "frobnicate"/],
  ];
  for (const [args, message] of cases) {
    const r = runCli(args, { input: '/dev/x' });
    t.equal(r.code, 2, args.join(' '));
    t.match(r.stderr, message, args.join(' '));
  }
});

t.test('check: valid, invalid, --json shape', async (t) => {
  const parent = tempDir(t);
  const good = makeProvider(parent, 'good');
  const ok = runCli(['check', good]);
  t.equal(ok.code, 0);
  t.match(ok.stdout, /provider good: valid/);
  const bad = makeProvider(parent, 'bad');
  chmodSync(join(bad, 'attach'), 0o644);
  const r = runCli(['check', bad, '--json']);
  t.equal(r.code, 1);
  const json = JSON.parse(r.stdout) as Record<string, unknown>;
  t.same(Object.keys(json).sort(), ['optional', 'parameters', 'problems', 'provider', 'valid']);
  t.match(json, {
    provider: 'bad',
    valid: false,
    problems: [{ code: 'not-executable', severity: 'error', file: 'attach' }],
  });
  t.equal(runCli(['check']).code, 2);
  t.equal(runCli(['check', 'a', 'b']).code, 2);
});

t.test('every command has --help with examples', async (t) => {
  for (const command of ['parse', 'check']) {
    const r = runCli([command, '--help']);
    t.equal(r.code, 0, command);
    t.match(r.stdout, new RegExp(`^Usage: extstorage-kit ${command}`), command);
    t.match(r.stdout, /Examples:\n {2}\S/, command);
  }
  const main = runCli(['--help']);
  t.equal(main.code, 0);
  t.match(main.stdout, /parse\s+show how each Ganeti version/);
  t.equal(runCli([]).code, 2, 'no command is a usage error');
  t.match(runCli(['--version']).stdout, /^\d+\.\d+\.\d+\n$/);
});

t.test("the package entry: import { interpretAttachOutput } from 'extstorage-kit'", async (t) => {
  const script =
    "import { interpretAttachOutput } from 'extstorage-kit'; console.log(JSON.stringify(interpretAttachOutput('/dev/rbd0\\nkvm:rbd:rbd/vol', '3.1').select.kvm))";
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT, encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout.trim(), '"rbd:rbd/vol"');
});

t.test('usage errors name the mistake, before anything runs', async (t) => {
  t.match(runCli(['help', 'nope']), {
    code: 2,
    stdout: '',
    stderr: /no command "nope"; the commands are parse, check, run/,
  });
  t.match(runCli(['run', 'providers/rbd/scenarios', '--jobs', '-1']), {
    code: 2,
    stderr: /--jobs takes a value that does not start with "-"/,
  });
  t.match(runCli(['run', 'providers/rbd/scenarios', '--jobs=-1']), {
    code: 2,
    stderr: /--jobs takes a whole number from 1 to 256, got "-1"/,
  });
  t.match(runCli(['run', 'providers/rbd/scenarios', '--jobs', '1000000000']), {
    code: 2,
    stderr: /--jobs takes a whole number from 1 to 256, got "1000000000"/,
  });
  t.match(runCli(['run', 'providers/legacy/scenarios', '--real', 'losetup', '--jobs', '4']), {
    code: 2,
    stderr: /--real runs one scenario at a time .* drop --jobs 4/,
  });
  const missing = runCli(['test', '/nonexistent-provider', '--backend', 'providers/rbd/backend.yaml']);
  t.match(missing, { code: 2, stderr: /\/nonexistent-provider: no such provider directory/ });
  t.notMatch(missing.stdout, /running \d+ scenarios/, 'no check ran');
});

t.test('run <provider project>: its build with its scenarios/, or how to build it', async (t) => {
  const r = runCli(['run', 'providers/legacy', '--filter', 'grow']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^\d+ passed, 0 failed/m);
  t.notMatch(r.stderr, /backend\.yaml/, 'the backend file is not read as a scenario file');
  const dir = tempDir(t);
  mkdirSync(join(dir, 'mine', 'scenarios'), { recursive: true });
  writeFileSync(join(dir, 'mine', 'provider.ts'), '');
  const unbuilt = runCli(['run', join(dir, 'mine')]);
  t.equal(unbuilt.code, 2);
  t.match(
    unbuilt.stderr,
    /mine is a provider project; build it first \("npm run build" or "extstorage-kit build .*mine"\)/,
  );
});

t.test('test --backend reads a regular file only: /dev/null and a FIFO are refused before anything runs', async (t) => {
  const dir = tempDir(t);
  const p = makeProvider(dir);
  const fifo = join(dir, 'backend.yaml');
  spawnSync('mkfifo', [fifo]);
  for (const [file, kind] of [
    ['/dev/null', 'character device'],
    [fifo, 'FIFO'],
  ] as const) {
    const r = runCli(['test', p, '--backend', file]);
    t.equal(r.code, 2, `${file}: ${r.stderr}`);
    t.match(r.stderr, new RegExp(`cannot read the backend file: .*${kind}`));
    t.notMatch(r.stderr, /running \d+ scenarios/, 'nothing ran');
  }
});
