// Running, watching and stopping the external commands the e2e backends depend on.
// Everything is spawned from argv arrays: no shell ever sees test data.

import { spawn } from 'node:child_process';
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  rmdirSync,
  statSync,
} from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ExecOptions {
  /** Killed with SIGKILL after this long; default 120 s. */
  timeoutMs?: number;
  /** Added on top of process.env. */
  env?: Record<string, string>;
  cwd?: string;
  /** Written to stdin; without it stdin is /dev/null. */
  input?: string;
  /** Resolve instead of throwing on a non-zero exit, a signal or a timeout. */
  allowFailure?: boolean;
}

export interface ExecResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
}

const DEFAULT_TIMEOUT_MS = 120_000;
const STREAM_CAP = 1024 * 1024;
// A command may leave a daemon holding our pipes (mount.glusterfs, daemonizing ceph-*):
// once the command itself has exited, we only wait this long for its streams to close.
const CLOSE_GRACE_MS = 1_000;

export class ExecError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly result: ExecResult,
    reason: string,
  ) {
    super(
      `${argv.join(' ')} failed: ${reason}${lastLines('stderr', result.stderr)}${lastLines('stdout', result.stdout)}`,
    );
    this.name = 'ExecError';
  }
}

function lastLines(label: string, text: string, count = 20): string {
  const lines = text.replace(/\n+$/, '').split('\n');
  if (lines.length === 1 && lines[0] === '') return '';
  return `\n--- ${label} (last ${Math.min(count, lines.length)} lines) ---\n${lines.slice(-count).join('\n')}`;
}

/** Collects a stream up to STREAM_CAP bytes, so a chatty command cannot exhaust memory. */
class Capture {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private dropped = 0;

  add(chunk: Buffer): void {
    const room = STREAM_CAP - this.size;
    if (room <= 0) {
      this.dropped += chunk.length;
      return;
    }
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.chunks.push(kept);
    this.size += kept.length;
    this.dropped += chunk.length - kept.length;
  }

  text(): string {
    const text = Buffer.concat(this.chunks).toString('utf8');
    return this.dropped > 0 ? `${text}\n[... ${this.dropped} more bytes dropped]\n` : text;
  }
}

export function exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  const [command, ...args] = argv;
  if (command === undefined) return Promise.reject(new Error('exec: empty argv'));
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const started = Date.now();

  return new Promise<ExecResult>((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ? { ...process.env, ...options.env } : process.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const stdout = new Capture();
    const stderr = new Capture();
    child.stdout?.on('data', (chunk: Buffer) => stdout.add(chunk));
    child.stderr?.on('data', (chunk: Buffer) => stderr.add(chunk));
    if (options.input !== undefined && child.stdin) {
      // A command that does not read its input closes the pipe early: not our error.
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input);
    }

    let timedOut = false;
    let exited: { code: number | null; signal: string | null } | undefined;
    let settled = false;
    let graceTimer: NodeJS.Timeout | undefined;
    const killTimer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);

    const finish = (): void => {
      if (settled || exited === undefined) return;
      settled = true;
      clearTimeout(killTimer);
      if (graceTimer) clearTimeout(graceTimer);
      child.stdout?.destroy();
      child.stderr?.destroy();
      const result: ExecResult = {
        code: exited.code,
        signal: exited.signal,
        stdout: stdout.text(),
        stderr: stderr.text(),
        durationMs: Date.now() - started,
        timedOut,
      };
      if (options.allowFailure || (result.code === 0 && !timedOut)) {
        resolve(result);
        return;
      }
      const reason = timedOut
        ? `killed after ${(timeoutMs / 1000).toFixed(timeoutMs % 1000 === 0 ? 0 : 1)} s`
        : result.signal !== null
          ? `killed by ${result.signal}`
          : `exit ${result.code}`;
      reject(new ExecError(argv, result, reason));
    };

    child.on('error', (error) => {
      // Spawn failures (ENOENT, EACCES) are setup bugs, so they throw even with allowFailure.
      if (settled) return;
      settled = true;
      clearTimeout(killTimer);
      if (graceTimer) clearTimeout(graceTimer);
      reject(new Error(`${argv.join(' ')} failed: ${error.message}`));
    });
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      graceTimer = setTimeout(finish, CLOSE_GRACE_MS);
    });
    child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
      exited ??= { code, signal };
      finish();
    });
  });
}

export interface DetachedOptions {
  /** Receives the daemon's stdout and stderr (appended). */
  logFile: string;
  cwd?: string;
  env?: Record<string, string>;
}

/** Starts a daemon that outlives our pipes and event loop; returns its pid. */
export function startDetached(argv: readonly string[], options: DetachedOptions): number {
  const [command, ...args] = argv;
  if (command === undefined) throw new Error('startDetached: empty argv');
  const fd = openSync(options.logFile, 'a');
  try {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ? { ...process.env, ...options.env } : process.env,
      // 'ignore' is /dev/null: a daemon must not hold the caller's stdin.
      stdio: ['ignore', fd, fd],
      detached: true,
    });
    // Without a listener, a failed spawn would crash the whole test process.
    child.on('error', () => undefined);
    child.unref();
    if (child.pid === undefined) throw new Error(`${argv.join(' ')} could not be started (see ${options.logFile})`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** The last lines of a (log) file, reading at most its last 256 KiB. */
export function tail(file: string, lines = 30): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return '(no such file)';
  }
  try {
    const size = statSync(file).size;
    const length = Math.min(size, 256 * 1024);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const all = buffer.toString('utf8').replace(/\n+$/, '').split('\n');
    return all.slice(-lines).join('\n');
  } finally {
    closeSync(fd);
  }
}

/** The tails of several log files, each under a header, for error messages. */
export function tails(files: readonly string[], lines = 30): string {
  return files.map((file) => `--- ${file} (last ${lines} lines) ---\n${tail(file, lines)}`).join('\n');
}

/** Where `name` is found on PATH, like `command -v`. */
export function findInPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

export interface ProcessInfo {
  pid: number;
  comm: string;
  /** argv as the process sees it. */
  argv: string[];
}

/** Every live (non-zombie) process on the host, read from /proc. */
export function listProcesses(): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
        .split('\0')
        .filter((a) => a !== '');
      if (!isAlive(pid)) continue;
      found.push({ pid, comm, argv });
    } catch {
      // exited while we looked
    }
  }
  return found;
}

/** True while the process exists and is not a zombie (an unreaped daemon counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state follows the parenthesised comm, which may itself contain ") ".
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/**
 * SIGTERM, then SIGKILL for whatever survives graceMs, then wait until all are gone.
 * Returns the pids that had to be SIGKILLed.
 */
export async function terminate(pids: readonly number[], graceMs = 3_000, killWaitMs = 5_000): Promise<number[]> {
  const signal = (pid: number, sig: NodeJS.Signals): void => {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  };
  const alive = (): number[] => pids.filter(isAlive);
  for (const pid of alive()) signal(pid, 'SIGTERM');
  const termDeadline = Date.now() + graceMs;
  while (alive().length > 0 && Date.now() < termDeadline) await sleep(50);
  const killed = alive();
  for (const pid of killed) signal(pid, 'SIGKILL');
  const killDeadline = Date.now() + killWaitMs;
  while (alive().length > 0) {
    if (Date.now() >= killDeadline) throw new Error(`processes ${alive().join(', ')} survived SIGKILL`);
    await sleep(50);
  }
  return killed;
}

/**
 * Makes `path` exist as a mount point on the host, and returns what undoes that: the folders this
 * call created, removed deepest first once unmounted (nothing of the run may stay behind).
 */
export function ensureMountPoint(path: string): () => void {
  const created: string[] = [];
  for (let dir = path; !existsSync(dir); dir = dirname(dir)) created.push(dir);
  if (created.length > 0) mkdirSync(path, { recursive: true });
  return () => {
    for (const dir of created) {
      try {
        rmdirSync(dir);
      } catch {
        // still mounted or not empty: the leak check reports what is left
      }
    }
  };
}

/** Times the phases of a setup, and remembers which one is running (for "did not start (phase X)"). */
export class Phases {
  current = 'setup';
  readonly timings: Record<string, number> = {};

  async run(name: string, body: () => Promise<void>): Promise<void> {
    this.current = name;
    const started = Date.now();
    await body();
    this.timings[name] = Date.now() - started;
  }
}
