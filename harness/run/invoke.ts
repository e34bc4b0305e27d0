// Runs one provider script the way Ganeti does (spec/SPEC.md §3): argv is the script alone, the
// working directory is the provider directory, stdin is a pipe closed at once. Unlike Ganeti it
// never waits forever: a timeout kills the whole process group, and a background process that
// keeps stdout or stderr open after the script exited is reported and killed.
//
// node:child_process rather than execa: this module does its own stream capture, timeout, process
// group and linger handling, so execa added only cost on the hottest path of the harness. With it,
// 500 attach scenarios took 2.76 s; without, 2.12 s (bench/harness, bench/README.md).

import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { execFailureCause } from '../provider/check.js';
import { BoundedCapture } from './capture.js';
import { WaiterReader } from './isolation/waiter.js';
import type { Fault, ScriptRun } from './result.js';
import type { StepKill } from '../scenario/model.js';

export interface InvokeOptions {
  readonly script: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
  /** How long stdout/stderr may stay open after the script exited. */
  readonly lingerGraceMs?: number;
  /**
   * Whether Ganeti waits for end-of-file on stdout and stderr (default true): it does for attach,
   * whose output it reads through pipes; the other actions write both to a log file, and Ganeti
   * returns when the script exits (extstorage.py _ExtStorageAction, utils/process.py _RunCmdFile).
   * When false, a process still holding the streams after the grace is killed but is no fault.
   */
  readonly streamsAwaited?: boolean;
  /**
   * The sandbox's argv around the script (isolation/sandbox.ts): the program spawned is then the
   * sandbox, the script runs under the waiter (isolation/waiter.ts) in its PID namespace.
   */
  readonly wrap?: { readonly file: string; readonly args: readonly string[] } | null;
  /** The script as the host sees it, checked before a sandboxed run (inside, it may be at its install path). */
  readonly hostScript?: string;
  /**
   * Given, once the script runs, the function that kills its process group on purpose (a step's
   * `kill` at a backend call, call-gate.ts): the run then ends with the fault "killed" at `kill`.
   */
  readonly onSpawn?: (kill: () => void) => void;
  readonly kill?: StepKill;
}

export type InvokeResult = Omit<ScriptRun, 'calls' | 'env'> & {
  /** Sandboxed runs: processes left in the namespace when the script's run ended; the kernel killed them. */
  readonly killed?: readonly { readonly pid: number; readonly command: string }[];
  /** Sandboxed runs: mounts the sandbox could not make. */
  readonly unmounted?: readonly string[];
};

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

/** Why `script` cannot be executed, as spawn() would say it (ENOENT, EACCES), or null. */
function notRunnable(script: string, cwd: string, path: string | undefined): string | null {
  const runnable = (file: string): string | null => {
    try {
      if (!statSync(file).isFile()) return 'EACCES';
      accessSync(file, constants.X_OK);
      return execFailureCause(file);
    } catch (error) {
      return (error as NodeJS.ErrnoException).code ?? 'ENOENT';
    }
  };
  if (script.includes('/')) return runnable(isAbsolute(script) ? script : resolve(cwd, script));
  for (const dir of (path ?? '').split(':').filter((d) => d !== ''))
    if (runnable(join(dir, script)) === null) return null;
  return 'ENOENT';
}

export async function invokeScript(options: InvokeOptions): Promise<InvokeResult> {
  const started = performance.now();
  const stdout = new BoundedCapture();
  const stderr = new BoundedCapture();
  const wrap = options.wrap ?? null;
  if (wrap !== null) {
    // Inside the sandbox a missing script is the shell's "not found" (exit 127): say it as spawn() would.
    const problem = notRunnable(options.hostScript ?? options.script, options.cwd, options.env.PATH);
    if (problem !== null) {
      const empty = new BoundedCapture().result();
      return {
        exitCode: null,
        signal: null,
        durationMs: performance.now() - started,
        stdout: empty,
        stderr: empty,
        fault: { kind: 'spawn', message: `cannot run ${options.script}: ${problem}` },
      };
    }
  }
  // Called on each line of the waiter (sandboxed runs), where TypeScript's flow analysis does not look.
  let waiterChanged = (): void => undefined;
  const waiter = new WaiterReader(() => {
    waiterChanged();
  });
  const subprocess = spawn(wrap?.file ?? options.script, wrap ? [...wrap.args] : [...options.args], {
    cwd: wrap ? '/' : options.cwd,
    env: { ...options.env },
    stdio: wrap ? ['pipe', 'pipe', 'pipe', 'pipe'] : ['pipe', 'pipe', 'pipe'],
    detached: true, // its own process group, so a timeout can kill grandchildren too
    windowsHide: true,
  });
  const status = wrap ? (subprocess.stdio[3] as NodeJS.ReadableStream | null) : null;
  status?.on('data', (chunk: Buffer) => {
    waiter.write(chunk);
  });
  status?.on('error', () => undefined);
  // Every line of the waiter read: the process's exit event can come before the last of them.
  const statusRead = new Promise<void>((resolve) => {
    if (status === null) resolve();
    else {
      status.on('end', resolve);
      status.on('close', resolve);
      status.on('error', () => resolve());
    }
  });
  const waiterSays = (ready: () => boolean) =>
    new Promise<void>((resolve) => {
      const previous = waiterChanged;
      waiterChanged = () => {
        previous();
        if (ready()) resolve();
      };
      if (ready()) resolve();
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
  // Set by the kill function, where TypeScript's flow analysis does not look.
  let killedOnPurpose = false as boolean;
  options.onSpawn?.(() => {
    killedOnPurpose = true;
    killGroup(subprocess.pid);
  });
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

  const processExited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    subprocess.once('exit', (code, signal) => resolve({ code, signal }));
    subprocess.once('error', () => resolve({ code: null, signal: null }));
  });
  // Sandboxed, the script's end is the waiter's "exit N" line: the sandbox lives on until the
  // streams are released, so that a process holding them can still be caught.
  const exited = wrap
    ? Promise.race([
        waiterSays(() => waiter.report.exit !== undefined).then(() => ({
          code: waiter.report.exit ?? null,
          signal: null,
        })),
        processExited,
      ])
    : processExited;

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
    exit = await processExited;
  } else {
    exit = first;
    const grace = options.lingerGraceMs ?? DEFAULT_LINGER_GRACE_MS;
    const released = wrap
      ? waiterSays(() => waiter.report.closed || waiter.report.exit === undefined).then(() =>
          Promise.all([stdoutDone, stderrDone]),
        )
      : Promise.all([stdoutDone, stderrDone]);
    const streamsDone = released.then(() => 'closed' as const);
    const graceOver = new Promise<'lingering'>((resolve) => setTimeout(() => resolve('lingering'), grace).unref());
    // Ganeti waits for EOF on both pipes; so do we, for a while, within the same timeout.
    const outcome = await Promise.race([streamsDone, graceOver, timedOut]);
    if (outcome !== 'closed' && options.streamsAwaited === false) {
      // Ganeti would have returned at the exit: what still runs is a leftover, killed with the group.
      killGroup(subprocess.pid);
    } else if (outcome !== 'closed') {
      const stream = wrap
        ? (waiter.report.held ?? 'stdout and stderr')
        : stdoutOpen && stderrOpen
          ? 'stdout and stderr'
          : stdoutOpen
            ? 'stdout'
            : 'stderr';
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
  if (wrap) {
    await processExited;
    // Read the waiter to its end before judging it (bounded: a process that escaped could hold fd 3).
    await Promise.race([statusRead, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    (status as { destroy?: () => void } | null)?.destroy?.();
  }
  if (wrap && spawnError === undefined && fault === undefined && waiter.report.exit === undefined) {
    const said = Buffer.from(stderr.result().head).toString().trim().split('\n').pop() ?? '';
    fault = { kind: 'spawn', message: `the sandbox (${wrap.file}) did not start ${options.script}: ${said}` };
  }
  if (killedOnPurpose && options.kill !== undefined && fault?.kind !== 'timeout')
    fault = { kind: 'killed', call: options.kill.call, when: options.kill.when };
  if (spawnError !== undefined && exit.code === null) {
    // ENOENT for a script that exists is its #! interpreter missing: say so, as `check` does.
    const cause = execFailureCause(options.script);
    fault = {
      kind: 'spawn',
      message: `cannot run ${options.script}: ${cause ?? spawnError.code ?? spawnError.message}`,
    };
  }
  return {
    ...(wrap ? { killed: waiter.report.left, unmounted: waiter.report.unmounted } : {}),
    exitCode: exit.code,
    signal: exit.signal,
    durationMs: performance.now() - started,
    stdout: stdout.result(),
    stderr: stderr.result(),
    ...(fault ? { fault } : {}),
  };
}
