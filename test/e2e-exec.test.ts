// How the e2e run and `run --real` run their commands (e2e/lib/exec.ts, harness/real/backend.ts,
// both on execa): real processes, the output exactly as printed, failures told with the command's
// own words, and a process left holding the pipes never hangs the caller.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { ExecError, exec, startDetached } from '../e2e/lib/exec.js';
import { isAlive, terminate } from '../e2e/lib/processes.js';
import { runCommand } from '../harness/real/backend.js';

t.test('exec: output as printed, env on top of ours, cwd and input', async (t) => {
  const r = await exec(['sh', '-c', 'printf "%s|%s|" "$E2E_X" "$(pwd)"; cat; printf "err\\n\\n" >&2'], {
    env: { E2E_X: 'x y' },
    cwd: '/',
    input: 'in\n',
  });
  t.same(
    { code: r.code, signal: r.signal, stdout: r.stdout, stderr: r.stderr, timedOut: r.timedOut },
    { code: 0, signal: null, stdout: 'x y|/|in\n', stderr: 'err\n\n', timedOut: false },
  );
  t.equal((await exec(['sh', '-c', 'echo "$PATH"'])).stdout, `${process.env.PATH ?? ''}\n`, 'our environment is kept');
  t.equal((await exec(['sh', '-c', 'cat; echo end'])).stdout, 'end\n', 'without input, stdin is empty');
});

t.test('exec: a failure throws ExecError with the reason and the last lines; allowFailure returns it', async (t) => {
  const argv = ['sh', '-c', 'echo out; for i in $(seq 1 30); do echo "line $i" >&2; done; exit 3'];
  const error = await exec(argv).then(
    () => null,
    (e: unknown) => e,
  );
  t.ok(error instanceof ExecError);
  const e = error as ExecError;
  t.same(e.argv, argv);
  t.equal(e.result.code, 3);
  t.match(e.message, /^Command failed with exit code 3: sh -c /);
  t.match(e.message, '--- stderr (last 20 lines) ---\nline 11\n');
  t.match(e.message, /line 30\n--- stdout \(last 1 lines\) ---\nout$/);
  t.equal((await exec(argv, { allowFailure: true })).code, 3);
});

t.test('exec: a timeout kills the command with SIGKILL', async (t) => {
  const r = await exec(['sleep', '30'], { timeoutMs: 200, allowFailure: true });
  t.same([r.code, r.signal, r.timedOut], [null, 'SIGKILL', true]);
  await t.rejects(exec(['sleep', '30'], { timeoutMs: 200 }), {
    name: 'ExecError',
    message: /^Command timed out after 200 milliseconds: sleep 30$/,
  });
});

t.test('exec: a command that cannot start throws, even with allowFailure', async (t) => {
  await t.rejects(exec(['/nonexistent/e2e-command'], { allowFailure: true }), { message: /ENOENT/ });
  await t.rejects(exec([]), { message: 'exec: empty argv' });
});

t.test('exec: output past the cap fails the command, it does not fill memory', async (t) => {
  await t.rejects(exec(['sh', '-c', `yes 0123456789abcdef | head -c ${17 * 1024 * 1024}`]), {
    name: 'ExecError',
    message: /stdout was larger than 16777216/,
  });
});

t.test('exec: a process left holding the pipes does not keep the caller waiting for it', async (t) => {
  // The command exits at once; the sleep it started keeps its stdout and stderr open for 20 s.
  const r = await exec(['sh', '-c', 'sleep 20 & echo $!'], { timeoutMs: 10_000 });
  const holder = Number(r.stdout.trim());
  t.teardown(() => terminate([holder], 1_000));
  t.same([r.code, r.timedOut], [0, false]);
  t.ok(isAlive(holder), 'the holder still runs: exec did not wait for it');
});

t.test('startDetached: the daemon writes its own log, and a command that cannot start is told', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'esk-e2e-exec-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'daemon.log');
  const pid = await startDetached(['sh', '-c', 'echo started; echo warned >&2; exec sleep 30'], { logFile: log });
  t.teardown(() => terminate([pid], 1_000));
  t.ok(isAlive(pid));
  for (let i = 0; i < 100 && !readFileSync(log, 'utf8').includes('warned'); i++) await sleep(20);
  t.equal(readFileSync(log, 'utf8'), 'started\nwarned\n');
  await t.rejects(startDetached(['/nonexistent/e2e-daemon']), {
    message: /^\/nonexistent\/e2e-daemon could not be started: .*ENOENT/,
  });
});

t.test('runCommand (run --real): exactly the given environment; failures as exit codes', async (t) => {
  // env -0: one NUL-terminated entry each (tap's own variables hold newlines).
  const env = await runCommand(['env', '-0'], { PATH: '/usr/bin:/bin', E2E_Y: '1' });
  // tap puts its own hooks back into the environment of every process the test starts.
  const ours = env.stdout.split('\0').filter((entry) => !/^(_TAPJS_|NODE_OPTIONS=|TAP)/.test(entry));
  t.same([env.code, ours, env.stderr], [0, ['PATH=/usr/bin:/bin', 'E2E_Y=1', ''], '']);
  t.same(await runCommand(['sh', '-c', 'echo no >&2; exit 4'], { PATH: '/usr/bin:/bin' }), {
    code: 4,
    stdout: '',
    stderr: 'no\n',
  });
  const missing = await runCommand(['e2e-no-such-command'], { PATH: '/usr/bin:/bin' });
  t.equal(missing.code, 1);
  t.match(missing.stderr, /ENOENT/);
});
