// Runs one provider script the way Ganeti does (spec/SPEC.md §3): argv is the script alone, the
// working directory is the provider directory, stdin is a pipe closed at once. Unlike Ganeti it
// never waits forever: a timeout kills the whole process group, and a background process that
// keeps stdout or stderr open after the script exited is reported and killed.
//
// node:child_process rather than execa: this module does its own stream capture, timeout, process
// group and linger handling, so execa added only cost on the hottest path of the harness. With it,
// 500 attach scenarios took 2.76 s; without, 2.12 s (bench/harness, bench/README.md).

import { spawn } from 'node:child_process';
import { BoundedCapture } from './capture.js';
import type { Fault, ScriptRun } from './result.js';

export interface InvokeOptions {
  readonly script: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
  /** How long stdout/stderr may stay open after the script exited. */
  readonly lingerGraceMs?: number;
}

export type InvokeResult = Omit<ScriptRun, 'calls' | 'env'>;

export const DEFAULT_LINGER_GRACE_MS = 1000;

/** Process groups of scripts still running, so an interrupted run can kill them all. */
const running = new Set<number>();
let exitHookInstalled = false;

/** Kills every script still running (and its group): for Ctrl-C and fatal errors. */
export function killAllRunning(): void {
  for (const pid of running) killGroup(pid);
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // the group is already gone
  }
}

export async function invokeScript(options: InvokeOptions): Promise<InvokeResult> {
  const started = performance.now();
  const stdout = new BoundedCapture();
  const stderr = new BoundedCapture();
  const subprocess = spawn(options.script, [...options.args], {
    cwd: options.cwd,
    env: { ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true, // its own process group, so a timeout can kill grandchildren too
    windowsHide: true,
  });
  let spawnError: NodeJS.ErrnoException | undefined;
  subprocess.on('error', (error) => (spawnError = error));
  if (subprocess.pid !== undefined) {
    // Whatever way the harness ends, no script it started outlives it.
    if (running.size === 0 && !exitHookInstalled) {
      process.once('exit', killAllRunning);
      exitHookInstalled = true;
    }
    running.add(subprocess.pid);
  }
  subprocess.stdin.end(); // Ganeti's stdin: a pipe that reads EOF at once
  subprocess.stdin.on('error', () => undefined); // a script that exits first closes it: EPIPE is no news

  const streamEnded = (stream: NodeJS.ReadableStream | null, capture: BoundedCapture) =>
    new Promise<void>((resolve) => {
      if (stream === null) {
        resolve();
        return;
      }
      stream.on('data', (chunk: Buffer) => capture.write(chunk));
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', () => resolve());
    });
  // Cleared by the streams' callbacks, where TypeScript's flow analysis does not look.
  let stdoutOpen = true as boolean;
  let stderrOpen = true as boolean;
  const stdoutDone = streamEnded(subprocess.stdout, stdout).then(() => void (stdoutOpen = false));
  const stderrDone = streamEnded(subprocess.stderr, stderr).then(() => void (stderrOpen = false));

  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    subprocess.once('exit', (code, signal) => resolve({ code, signal }));
    subprocess.once('error', () => resolve({ code: null, signal: null }));
  });

  let fault: Fault | undefined;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), options.timeoutSeconds * 1000);
  });

  const first = await Promise.race([exited, timedOut]);
  let exit: { code: number | null; signal: string | null };
  if (first === 'timeout') {
    fault = { kind: 'timeout', seconds: options.timeoutSeconds };
    killGroup(subprocess.pid);
    exit = await exited;
  } else {
    exit = first;
    const grace = options.lingerGraceMs ?? DEFAULT_LINGER_GRACE_MS;
    const streamsDone = Promise.all([stdoutDone, stderrDone]).then(() => 'closed' as const);
    const graceOver = new Promise<'lingering'>((resolve) => setTimeout(() => resolve('lingering'), grace).unref());
    // Ganeti waits for EOF on both pipes; so do we, for a while, within the same timeout.
    const outcome = await Promise.race([streamsDone, graceOver, timedOut]);
    if (outcome !== 'closed') {
      const stream = stdoutOpen && stderrOpen ? 'stdout and stderr' : stdoutOpen ? 'stdout' : 'stderr';
      fault = { kind: 'lingering', stream };
      killGroup(subprocess.pid);
    }
  }
  clearTimeout(timer);
  if (subprocess.pid !== undefined) running.delete(subprocess.pid);
  // Whatever still holds the pipes was killed (or escaped the group: the sandbox sweep gets it).
  subprocess.stdout.destroy();
  subprocess.stderr.destroy();
  await Promise.all([stdoutDone, stderrDone]);
  if (spawnError !== undefined && exit.code === null) {
    fault = { kind: 'spawn', message: `cannot run ${options.script}: ${spawnError.code ?? spawnError.message}` };
  }
  return {
    exitCode: exit.code,
    signal: exit.signal,
    durationMs: performance.now() - started,
    stdout: stdout.result(),
    stderr: stderr.result(),
    ...(fault ? { fault } : {}),
  };
}
