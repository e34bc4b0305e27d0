// The sweep of processes left at isolation none (harness/run/sweep.ts), on real processes: found
// by the marker in their environment, and named even when their command line is blank.

import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { lastPid, processCommand, sweepProcesses, sweepUntilQuiet } from '../harness/run/sweep.js';

t.test('a process found by its marker is killed and named, a blank argv by its program', async (t) => {
  const since = lastPid();
  const marker = `esk-sweep-${process.pid}`;
  const normal = spawn('sleep', ['7433'], { env: { ...process.env, ESK_SWEEP_TEST: marker }, stdio: 'ignore' });
  // perl's $0 = "" blanks argv and the comm, and its environment with them (perl reuses the whole
  // area): no marker sweep can find it (the orphan sweep is there for that), but it is named.
  const blank = spawn('perl', ['-e', '$0 = ""; sleep 60'], { stdio: 'ignore' });
  const other = spawn('sleep', ['7434'], { stdio: 'ignore' }); // no marker: left alone
  t.teardown(() => {
    for (const p of [normal, blank, other]) p.kill('SIGKILL');
  });
  await sleep(300);
  t.equal(processCommand(normal.pid ?? 0), 'sleep 7433');
  t.match(processCommand(blank.pid ?? 0), /^\[.*perl.*\]$/, 'blank argv: named in brackets');

  const gone = [once(normal)];
  const swept = sweepUntilQuiet((signal) => sweepProcesses('ESK_SWEEP_TEST', marker, since, signal));
  t.same(swept.map((p) => p.pid).sort(), [normal.pid], 'the marked process, and only it, was swept');
  t.ok(
    swept.every((p) => /\S/.test(p.command)),
    `each is named: ${swept.map((p) => p.command).join(', ')}`,
  );
  t.same(await Promise.all(gone), ['SIGKILL'], 'it died of SIGKILL');
  t.equal(other.exitCode, null, 'the unmarked process still runs');
  t.equal(blank.exitCode, null, 'the blank one too');
});

function once(p: ReturnType<typeof spawn>): Promise<NodeJS.Signals | null> {
  return new Promise((resolve) => p.once('exit', (_code, signal) => resolve(signal)));
}
