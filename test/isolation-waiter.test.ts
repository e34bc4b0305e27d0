// The waiter (harness/run/isolation/waiter.ts) run for real in a PID namespace of its own: what it
// says on fd 3 about the processes a script leaves. A process the waiter lists while it is inside
// execve has an empty command line for a moment; before, it was dropped from the report, so a
// daemon the kernel then killed was not named (a flake seen in CI: `setsid env -i sleep` missing).

import { spawnSync } from 'node:child_process';
import t from 'tap';
import { probeIsolation } from '../harness/run/isolation/probe.js';
import { WAITER_SCRIPT, WaiterReader } from '../harness/run/isolation/waiter.js';

// Asked of unshare itself, not of the kit's probe: the probe runs the waiter too, and a waiter
// that does not parse would make the probe say "no unshare" and this test skip.
const unshare =
  spawnSync('unshare', ['--pid', '--fork', '--mount', '--mount-proc', 'true'], { stdio: 'ignore' }).status === 0;

t.test('the waiter is valid POSIX sh, and the probe finds the levels unshare allows', async (t) => {
  const r = spawnSync('/bin/sh', ['-n', '-c', WAITER_SCRIPT], { encoding: 'utf8' });
  t.equal(r.status, 0, `sh -n: ${r.stderr}`);
  if (unshare) t.equal(probeIsolation({ EXTSTORAGE_KIT_ISOLATION: 'unshare' }).level, 'unshare');
});

/** Runs `script` (sh) through the waiter in a new PID namespace; the waiter's report. */
function waiter(script: string) {
  const r = spawnSync(
    'unshare',
    [
      '--pid',
      '--fork',
      '--mount',
      '--mount-proc',
      '/bin/sh',
      '-c',
      WAITER_SCRIPT,
      'sh',
      '--',
      '/',
      '/bin/sh',
      '-c',
      script,
    ],
    { stdio: ['ignore', 'pipe', 'pipe', 'pipe'], timeout: 20_000 },
  );
  const reader = new WaiterReader(() => undefined);
  reader.write((r.output[3] as Buffer | null) ?? Buffer.alloc(0));
  return { report: reader.report, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

t.test(
  'the waiter names what it leaves to the kernel',
  { skip: unshare ? false : 'unshare is not available here' },
  async (t) => {
    t.test('a daemon in a new session with a cleared environment, by its command line', async (t) => {
      const { report } = waiter('setsid env -i sleep 7431 </dev/null >/dev/null 2>&1 & echo /dev/loop0');
      t.equal(report.exit, 0);
      t.ok(report.closed);
      const commands = report.left.map((p) => p.command);
      // Read right after the script exits, the daemon may still be any program of its exec chain.
      t.ok(
        commands.some((c) => /^(setsid env -i sleep 7431|env -i sleep 7431|sleep 7431)$/.test(c)),
        `named: ${commands.join(', ')}`,
      );
    });

    t.test('a process with a blank command line is named by its program, in brackets', async (t) => {
      // perl's $0 = "" blanks argv and the comm: only the executable is left to name it.
      const { report } = waiter(`perl -e '$0 = ""; sleep 60' </dev/null >/dev/null 2>&1 & sleep 0.3`);
      const commands = report.left.map((p) => p.command);
      t.equal(commands.length, 1, `one process left: ${commands.join(', ')}`);
      t.match(commands[0] ?? '', /^\[.*perl.*\]$/, 'named by its comm or executable');
    });

    t.test('a program caught inside execve is read again, not dropped', async (t) => {
      // Many processes exec-ing in a loop while the script exits: each one listed has a name.
      const { report } = waiter(
        'for i in 1 2 3 4 5 6 7 8; do (while :; do /bin/true; done) </dev/null >/dev/null 2>&1 & done',
      );
      t.equal(report.left.length >= 8, true, `every looping subshell is listed (${report.left.length})`);
      for (const p of report.left) t.match(p.command, /\S/, `pid ${p.pid} has a name`);
    });

    t.test('a zombie is dead already: not listed', async (t) => {
      // The subshell exec's sleep, which never waits for its child `true`: a zombie under a live parent.
      const { report } = waiter('(true & exec sleep 60) </dev/null >/dev/null 2>&1 & sleep 0.3');
      const commands = report.left.map((p) => p.command);
      t.same(commands, ['sleep 60'], `only the sleep: ${commands.join(', ')}`);
    });
  },
);
