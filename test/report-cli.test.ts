// The reports as a person and a CI job get them from the real CLI: report paths checked before
// anything runs, a report that cannot be written saved elsewhere (nothing lost), each failure told
// once where stdout and stderr meet, conformance checks named by id with short paths, the
// processes a provider left behind named, and a provider's terminal escapes never obeyed.

import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { CLI, cleanEnv, runCli } from './helpers/cli.js';
import { makeProvider, tempDir } from './helpers/provider-dir.js';

/** A provider whose attach prints `stdout` and exits `code`; every other script succeeds quietly. */
function provider(dir: string, attach: string): string {
  const p = makeProvider(dir, 'p', { optional: false, parameters: '' });
  writeFileSync(join(p, 'attach'), `#!/bin/sh\n${attach}\n`);
  chmodSync(join(p, 'attach'), 0o755);
  return p;
}

function scenarioFile(dir: string, names: readonly string[]): string {
  const file = join(dir, 's.yaml');
  const scenarios = names.map((n) => `  - name: ${JSON.stringify(n)}\n    steps:\n      - action: attach\n`).join('');
  writeFileSync(file, `scenarios:\n${scenarios}`);
  return file;
}

t.test('report paths are checked before anything runs (exit 2, nothing run)', async (t) => {
  const dir = tempDir(t);
  const p = provider(dir, 'touch "$TMPDIR/../../ran" ; printf /dev/loop0');
  const file = scenarioFile(dir, ['one']);
  writeFileSync(join(dir, 'plain'), '');
  const cases: [string[], RegExp][] = [
    [['--junit', dir], /--junit .* is a directory \(name a file in it\)/],
    [['--json', join(dir, 'plain', 'r.json')], /--json .*plain is not a directory/],
    [
      ['--json', '/nonexistent-esk/dir/r.json'],
      /--json folder \/nonexistent-esk\/dir does not exist \(missing folders/,
    ],
    [['--json', 'r.json', '--junit', './r.json'], /--junit and --json name the same file/],
  ];
  for (const [flags, message] of cases) {
    for (const command of [
      ['run', p, file],
      ['test', p, '--backend', file],
    ]) {
      const r = runCli([...command, ...flags], { cwd: dir });
      t.equal(r.code, 2, `${command[0]} ${flags.join(' ')}: usage error`);
      t.match(r.stderr, message);
      t.notMatch(r.stderr, /running|at .*\.js:\d+/, 'before running, no stack trace');
    }
  }
  t.notOk(existsSync('/nonexistent-esk'), 'no folder made outside the working directory');
  // Inside the working directory, missing folders are made (CI's reports/).
  const r = runCli(['run', p, file, '--junit', 'reports/ci/junit.xml'], { cwd: dir });
  t.equal(r.code, 0, r.stderr);
  t.match(readFileSync(join(dir, 'reports/ci/junit.xml'), 'utf8'), /<testsuites/);
});

t.test(
  'a report that cannot be written after the run is saved elsewhere: exit 74, nothing lost',
  { skip: process.getuid?.() === 0 ? false : 'needs root to mount a tiny tmpfs' },
  async (t) => {
    const dir = tempDir(t);
    const full = join(dir, 'full');
    mkdirSync(full);
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4k', 'tmpfs', full]);
    t.equal(mount.status, 0, `a 4 KiB tmpfs: ${mount.stderr.toString().trim()}`);
    t.teardown(() => spawnSync('umount', [full]));
    const p = provider(dir, 'printf /dev/loop0');
    // Enough scenarios that the JSON report outgrows 4 KiB; the path itself is fine before the run.
    const file = scenarioFile(
      dir,
      Array.from({ length: 8 }, (_, i) => `scenario ${i}`),
    );
    const r = runCli(['run', p, file, '--json', join(full, 'r.json')], { cwd: dir });
    t.equal(r.code, 74, r.stderr);
    const saved = /it was saved to (\S+)\n/.exec(r.stderr)?.[1];
    t.ok(saved, `the saved copy is named: ${r.stderr}`);
    t.teardown(() => rmSync(saved!, { force: true }));
    t.match(r.stderr, /could not write the report .*r\.json: ENOSPC/);
    t.equal((JSON.parse(readFileSync(saved!, 'utf8')) as { passed: number }).passed, 8, 'the whole report');
    t.match(r.stdout, /8 passed, 0 failed/, 'and the console report');
  },
);

t.test('each failure is told once where stdout and stderr reach the same place', async (t) => {
  const dir = tempDir(t);
  const p = provider(dir, 'echo broken >&2; exit 3');
  const file = scenarioFile(dir, ['fails', 'also fails']);
  const log = join(dir, 'log');
  const fd = openSync(log, 'w');
  // As a CI log or `2>&1`: one file behind both.
  spawnSync('/usr/bin/env', ['-i', ...envArgs(), process.execPath, CLI, 'run', p, file, '--jobs', '1'], {
    cwd: dir,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const text = readFileSync(log, 'utf8');
  t.equal(text.match(/FAIL s\.yaml: fails /g)?.length, 1, text);
  t.equal(text.match(/FAIL s\.yaml: also fails /g)?.length, 1);
  t.equal(text.match(/exit 3 after/g)?.length, 2, 'with the details of each');
  t.match(text, /0 passed, 2 failed, 0 skipped/);
  // Apart (stdout to a file): progress on stderr, the blocks on stdout, each complete.
  const apart = runCli(['run', p, file, '--jobs', '1'], { cwd: dir });
  t.match(apart.stderr, /FAIL s\.yaml: fails /);
  t.match(apart.stdout, /FAIL s\.yaml: fails [^]*exit 3 after/);
});

t.test('test: checks by id first, suite files by their path in the kit, leftover processes named', async (t) => {
  const dir = tempDir(t);
  // A duration no other test uses: run-faults looks for its own sleeps machine-wide.
  const p = provider(dir, 'setsid sleep 3017 >/dev/null 2>&1 </dev/null & exit 1');
  const backend = join(dir, 'backend.yaml');
  writeFileSync(backend, 'volume: {}\n');
  const r = runCli(['test', p, '--backend', backend, '--only', 'ATTACH-ACCEPTED'], { cwd: dir });
  t.equal(r.code, 1);
  t.match(r.stderr, /^FAIL ATTACH-ACCEPTED: /m, 'the progress line starts with the check id');
  t.notMatch(r.stdout + r.stderr, /\/spec\/conformance\//, 'no long absolute path of the suite');
  t.match(r.stdout, /^ {2}spec\/conformance\/attach\.yaml:\d+:\d+: attach/m, 'the step where the kit has it');
  t.match(r.stdout, /Processes the provider left running, killed by the harness \(\d+;/);
  t.match(r.stdout, /ATTACH-ACCEPTED: pid \d+ (setsid )?sleep 3017 \(left by attach\)/);
  t.notMatch(r.stdout, /killed 1 process/, 'once: in the verdict, not also under the counts');
  // On GitHub, a failing check is annotated on the provider's script, inside the workspace.
  const gh = runCli(['test', p, '--backend', backend, '--only', 'ATTACH-ACCEPTED'], {
    cwd: dir,
    env: { GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: dir },
  });
  t.match(gh.stdout, /^::error file=p\/attach,line=1,col=1,title=ATTACH-ACCEPTED%3A /m);
  const json = join(dir, 'r.json');
  runCli(['test', p, '--backend', backend, '--only', 'ATTACH-ACCEPTED', '--json', json], { cwd: dir });
  const report = JSON.parse(readFileSync(json, 'utf8')) as { conformance: { killed: { command: string }[] } };
  t.ok(
    report.conformance.killed.some((k) => k.command.endsWith('sleep 3017')),
    'the JSON verdict lists them',
  );
});

t.test("a provider's terminal escapes are shown, never obeyed, in every human and CI report", async (t) => {
  const dir = tempDir(t);
  const p = provider(dir, String.raw`printf '\033]0;owned\007\033[2J\302\23331m' >&2; printf '/dev/\033[31mloop0'`);
  const file = scenarioFile(dir, ['esc \u001b[32m name']);
  for (const env of [{}, { GITHUB_ACTIONS: 'true' }]) {
    const r = runCli(['run', p, file], { cwd: dir, env });
    t.equal(r.code, 1);
    t.notMatch(
      r.stdout + r.stderr,
      /[\x00-\x08\x0b-\x1f\x7f-\x9f]/u,
      `no raw control character (${JSON.stringify(env)})`,
    );
    t.match(r.stdout, /\\x1b\]0;owned\\x07\\x1b\[2J/, 'shown as escapes');
  }
  const json = join(dir, 'r.json');
  runCli(['run', p, file, '--json', json], { cwd: dir });
  const stderr = (
    JSON.parse(readFileSync(json, 'utf8')) as { results: { steps: { runs: { stderr: { headBase64: string } }[] }[] }[] }
  ).results[0]!.steps[0]!.runs[0]!.stderr.headBase64;
  t.equal(
    Buffer.from(stderr, 'base64').toString('latin1'),
    '\x1b]0;owned\x07\x1b[2J\xc2\x9b31m',
    'the JSON keeps the exact bytes',
  );
});

function envArgs(): string[] {
  return Object.entries({ ...cleanEnv(), NO_COLOR: '1' }).map(([k, v]) => `${k}=${v}`);
}

t.test(
  'an attach whose stderr is not UTF-8 is refused by Ganeti 3.x (it decodes both pipes), not by 2.x',
  async (t) => {
    const dir = tempDir(t);
    const p = provider(dir, String.raw`printf 'warn \377\n' >&2; printf /dev/loop0`);
    const file = join(dir, 'g.yaml');
    writeFileSync(
      file,
      'scenarios:\n  - name: three\n    ganeti: ["3.1"]\n    steps: [{ action: attach }]\n  - name: two\n    ganeti: ["2.16"]\n    steps: [{ action: attach }]\n',
    );
    const r = runCli(['run', p, file, '--jobs', '1'], { cwd: dir });
    t.equal(r.code, 1);
    t.match(
      r.stdout,
      /FAIL g\.yaml: three[^]*Ganeti 3\.1 rejects this attach output[^]*stderr is not well-formed UTF-8/,
    );
    t.notMatch(r.stdout, /FAIL g\.yaml: two/, '2.16 reads stdout only');
  },
);
