// The faults `extstorage-kit run` must catch, name and never hang on (issue 3, item 4), each on a
// fixture provider: a timeout, a process left holding stdout, 50 MB of output, invalid UTF-8,
// a script without its execute bit, a missing script, a script reading stdin. And no process
// started by a scenario outlives the run, even when the run is interrupted.

import { spawn, spawnSync } from 'node:child_process';
import { lstatSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { REPO_ROOT, runCli } from './helpers/cli.js';
import { tempDir } from './helpers/provider-dir.js';
import {
  allFailures,
  cliCommand,
  cliEnvironment,
  explain,
  failureMessages,
  FIXTURES,
  keptBytes,
  providerDir,
  runRun,
  runWithJson,
  scenarioFile,
} from './helpers/run-fixtures.js';

/** Processes whose command line is exactly `command` (pgrep -f -x). */
function processes(command: string): string[] {
  const r = spawnSync('pgrep', ['-a', '-f', '-x', command], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((line) => line !== '');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

t.test('timeout: the script is killed with its whole process group, "killed after"', async (t) => {
  const r = runWithJson([scenarioFile('fault-timeout')]);
  t.equal(r.code, 1);
  t.equal(r.byName.get('the other scripts finish')?.status, 'pass', explain(r.byName.get('the other scripts finish')));
  const killed = r.byName.get('attach is killed after its timeout');
  t.equal(killed?.status, 'fail');
  t.match(
    failureMessages(killed)[0],
    /^killed after 1s: the script did not finish \(Ganeti has no timeout and would hang on it\); its whole process group was killed$/,
  );
  const run = killed!.steps[0]!.runs[0]!;
  t.same(run.fault, { kind: 'timeout', seconds: 1 });
  t.equal(run.signal, 'SIGKILL');
  t.equal(run.exitCode, null);
  const expected = r.byName.get('the timeout is reported even when a failure is expected');
  t.equal(expected?.status, 'fail', 'exit: nonzero does not excuse a hang');
  t.same(failureMessages(expected), [
    'killed after 0.5s: the script did not finish (Ganeti has no timeout and would hang on it); its whole process group was killed',
  ]);
  t.same(processes('sleep 86399'), [], "the script's sleep (a grandchild) was killed too");
});

t.test('lingering: a background process holding stdout, "Ganeti would wait for it forever"', async (t) => {
  const r = runWithJson([scenarioFile('fault-lingering')]);
  t.equal(r.code, 1);
  const lingering = r.byName.get('attach leaves a process holding its output open');
  t.equal(lingering?.status, 'fail');
  const messages = failureMessages(lingering);
  t.match(
    messages[0],
    /^the script exited, but a process it started kept stdout and stderr open: Ganeti would wait for it forever \(redirect the background process's output, e\.g\. >\/dev\/null 2>&1\)$/,
  );
  const run = lingering!.steps[0]!.runs[0]!;
  t.same(run.fault, { kind: 'lingering', stream: 'stdout and stderr' });
  t.equal(run.exitCode, 0, 'attach itself exited 0');
  t.equal(keptBytes(run.stdout).toString(), '/dev/nbd0', 'what attach printed was kept');
  const detached = r.byName.get('a helper that is detached properly is fine, and does not outlive the scenario');
  t.equal(detached?.status, 'pass', explain(detached));
  t.same(processes('sleep 300'), [], 'the helper holding stdout was killed');
  t.same(processes('sleep 301'), [], 'the helper in its own session (setsid) was killed by the sandbox sweep');
});

t.test('lingering: the wrong-exit message does not contradict itself', async (t) => {
  // With a lingering fault the fault alone says what is wrong; no "expected exit 0, actual exit 0".
  const r = runWithJson([scenarioFile('fault-lingering'), '--filter', 'holding its output open']);
  const failures = allFailures(r.report.results[0]);
  const selfContradicting = failures.filter((f) => f.expected !== undefined && f.expected === f.actual);
  t.same(selfContradicting, [], 'no failure whose expected and actual are the same');
});

t.test('huge output: 50 MB on stdout is counted, a bounded head and tail kept, and judged', async (t) => {
  const r = runWithJson([scenarioFile('fault-huge-output')]);
  t.equal(r.code, 1);
  const create = r.byName.get('create may log a lot on stderr');
  t.equal(create?.status, 'pass', explain(create));
  const stderr = create!.steps[0]!.runs[0]!.stderr;
  t.equal(stderr.totalBytes, 52428800, 'every byte of stderr was counted');
  t.ok(stderr.droppedBytes > 50_000_000, 'most were dropped');
  t.ok(keptBytes(stderr).length < 1024 * 1024, `a bounded part was kept (${keptBytes(stderr).length} bytes)`);

  const attach = r.byName.get('attach printing 50 MiB cannot be judged');
  t.equal(attach?.status, 'fail');
  const stdout = attach!.steps[0]!.runs[0]!.stdout;
  t.equal(stdout.totalBytes, 52428810, '/dev/rbd0\\n and 50 MiB of trace');
  t.ok(stdout.droppedBytes > 0);
  t.equal(stdout.totalBytes, stdout.droppedBytes + keptBytes(stdout).length);
  t.ok(keptBytes(stdout).length < 1024 * 1024);
  t.match(stdout.head, /^\/dev\/rbd0\nrbd: map: trace: /, 'the head is the start of the output');
  t.match(stdout.tail, /waiting for the kernel to report the device\nrbd: map: trace: w/, 'the tail its end');
  t.same(failureMessages(attach), [
    'attach printed 52428810 bytes: too much to judge (Ganeti would take it all as the device path and URIs)',
  ]);
});

t.test('invalid UTF-8: accepted by 2.16, rejected by 3.1', async (t) => {
  const r = runWithJson([scenarioFile('fault-invalid-utf8')]);
  t.equal(r.code, 1);
  const row = r.byName.get('accepted by 2.x from 2.13 on, rejected by 3.x');
  t.equal(row?.status, 'pass', explain(row));
  const step = row!.steps[0]!;
  const compatibility = Object.fromEntries(step.compatibility!.map((c) => [c.ganeti, c.ok]));
  t.same(
    compatibility,
    { '2.12': false, '2.13.0': true, '2.16': true, '3.0': false, '3.1': false },
    'the full row, with the versions the step names',
  );
  const bytes = keptBytes(step.runs[0]!.stdout);
  t.ok(bytes.includes(0xff), 'the report keeps the exact bytes (base64)');
  t.match(step.runs[0]!.stdout.head, /kvm:rbd:caf\uFFFD\/vol1/, 'and shows them as text with U+FFFD');

  const strict = r.byName.get('attach must work on Ganeti 3.1');
  t.equal(strict?.status, 'fail');
  t.same(allFailures(strict), [
    {
      message: 'Ganeti 3.1 rejects this attach output',
      expected: 'accepted by 3.1',
      actual: 'line 2: byte 0xff at offset 21 is not valid UTF-8: Ganeti 3.x fails the whole attach call',
    },
  ]);
});

t.test('not executable: the check verdict, and no action runs', async (t) => {
  t.equal(
    statSync(join(providerDir('fault-not-executable'), 'attach')).mode & 0o777,
    0o644,
    'the fixture keeps mode 0644',
  );
  const r = runWithJson([scenarioFile('fault-not-executable')]);
  t.equal(r.code, 1);
  const verdict =
    'Ganeti would refuse this provider, so no action runs:\nattach: attach lacks the owner-execute bit (mode 0644): chmod u+x attach';
  for (const scenario of r.report.results) {
    t.same(failureMessages(scenario), [verdict], scenario.name);
    t.same(scenario.steps[0]!.runs, [], `${scenario.name}: nothing ran`);
  }
  const check = runCli(['check', providerDir('fault-not-executable')]);
  t.equal(check.code, 1);
  t.match(
    check.stdout + check.stderr,
    'attach lacks the owner-execute bit (mode 0644): chmod u+x attach',
    'the same words as `check`',
  );
});

t.test('missing script: the check verdict', async (t) => {
  const r = runWithJson([scenarioFile('fault-missing-script')]);
  t.equal(r.code, 1);
  t.same(failureMessages(r.report.results[0]), [
    'Ganeti would refuse this provider, so no action runs:\nverify: required script verify is missing',
  ]);
  const check = runCli(['check', providerDir('fault-missing-script')]);
  t.match(check.stdout + check.stderr, 'required script verify is missing');
});

t.test('stdin: a script reading stdin gets end-of-file at once and passes', async (t) => {
  const r = runWithJson([scenarioFile('fault-reads-stdin')]);
  t.equal(r.code, 0, explain(r.report.results[0]));
  const runs = r.report.results[0]!.steps[0]!.runs;
  t.equal(runs.length, 2);
  for (const run of runs) {
    t.equal(run.fault, undefined);
    t.equal(run.exitCode, 0);
  }
});

t.test('no process started by a scenario outlives the run', async (t) => {
  t.same(processes('sleep 86399'), []);
  t.same(processes('sleep 300'), []);
  t.same(processes('sleep 301'), []);
  const r = runRun([scenarioFile('fault-timeout'), scenarioFile('fault-lingering'), '-j', '4']);
  t.equal(r.code, 1);
  t.same(processes('sleep 86399'), []);
  t.same(processes('sleep 300'), []);
  t.same(processes('sleep 301'), []);
});

t.test('an interrupted run kills the scripts it started and exits 130', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'slow.yaml');
  writeFileSync(
    file,
    `provider: ${providerDir('fault-timeout')}\ndefaults: { timeout: 60s }\nscenarios:\n  - name: hangs\n    steps:\n      - action: attach\n`,
  );
  const [command, argv] = cliCommand(['run', file], cliEnvironment());
  const child = spawn(command, argv, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  for (let i = 0; i < 200 && processes('sleep 86399').length === 0; i++) await sleep(50);
  t.equal(processes('sleep 86399').length, 1, 'the script is running');
  child.kill('SIGTERM');
  t.equal(await exited, 130, stderr);
  t.match(stderr, /interrupted/);
  t.same(processes('sleep 86399'), [], 'and its process is gone');
});

t.test('every fixture script is executable, except the one that must not be', async (t) => {
  const root = join(FIXTURES, 'providers');
  const scripts = ['create', 'attach', 'detach', 'remove', 'grow', 'setinfo', 'verify', 'snapshot', 'open', 'close'];
  for (const provider of readdirSync(root)) {
    for (const script of scripts) {
      const path = join(root, provider, script);
      let mode: number;
      try {
        mode = statSync(path).mode; // follows the symlinks of the Python providers
      } catch {
        continue;
      }
      const executable = (mode & 0o100) !== 0;
      const expected = !(provider === 'fault-not-executable' && script === 'attach');
      t.equal(executable, expected, `${provider}/${script} ${expected ? 'is' : 'is not'} executable`);
      if (lstatSync(path).isSymbolicLink())
        t.ok(provider === 'sound-python' || provider === 'env-dump', `${provider}/${script} may be a symlink`);
    }
  }
  // git keeps modes: when the fixtures are tracked, the index must say so too.
  const ls = spawnSync('git', ['ls-files', '-s', 'test/fixtures/providers/fault-not-executable'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  const tracked = Object.fromEntries(
    ls.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.split('\t')[1]!.replace(/^.*\//, ''), l.split(' ')[0]]),
  );
  if (Object.keys(tracked).length > 0) {
    t.equal(tracked.attach, '100644', 'git has attach as 100644');
    t.equal(tracked.create, '100755', 'git has create as 100755');
  }
});
