// Running the external commands the e2e backends depend on, with execa. Everything is spawned
// from argv arrays: no shell ever sees test data.

import { once } from 'node:events';
import { accessSync, constants, createWriteStream } from 'node:fs';
import { delimiter, join } from 'node:path';
import { execa, type Result } from 'execa';

export interface ExecOptions {
  /** Killed with SIGKILL after this long; default 120 s. */
  timeoutMs?: number;
  /** Added on top of process.env. */
  env?: Record<string, string>;
  cwd?: string;
  /** Written to stdin; without it stdin is /dev/null. */
  input?: string;
  /** Resolve instead of throwing on a non-zero exit, a signal, a timeout or too much output. */
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
// Per stream, so a chatty command cannot exhaust memory: past it, execa stops reading and the
// command fails (isMaxBuffer), its output cut there.
const MAX_BUFFER = 16 * 1024 * 1024;
// How long the pipes may stay open once the command has exited (see exec).
const CLOSE_GRACE_MS = 1_000;

/** A command that failed, with execa's reason and the last lines of what it printed. */
export class ExecError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly result: ExecResult,
    cause: Result,
  ) {
    super(`${cause.shortMessage}${lastLines('stderr', result.stderr)}${lastLines('stdout', result.stdout)}`, {
      cause,
    });
    this.name = 'ExecError';
  }
}

function lastLines(label: string, text: string, count = 20): string {
  const lines = text.replace(/\n+$/, '').split('\n');
  if (lines.length === 1 && lines[0] === '') return '';
  return `\n--- ${label} (last ${Math.min(count, lines.length)} lines) ---\n${lines.slice(-count).join('\n')}`;
}

export async function exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  const [command, ...args] = argv;
  if (command === undefined) throw new Error('exec: empty argv');
  const subprocess = execa(command, args, {
    cwd: options.cwd,
    env: options.env,
    extendEnv: true,
    stdin: options.input === undefined ? 'ignore' : 'pipe',
    input: options.input,
    timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    killSignal: 'SIGKILL',
    maxBuffer: MAX_BUFFER,
    // The output as printed: the drift stages compare it byte for byte.
    stripFinalNewline: false,
    reject: false,
  });
  // execa settles once the command has exited and its pipes have closed, and on a timeout it kills
  // the command but still waits for the pipes: a daemon the command leaves holding them (a
  // daemonizing tool that keeps its stdio) would hang the run past every limit, and no execa option
  // changes that (`buffer: false` still waits for the streams to end). So once the command itself
  // has exited, its pipes get CLOSE_GRACE_MS to close, then are closed on our side (execa keeps what
  // it read). Today's daemons (ceph-mon, ceph-osd, the glusterfs client) let go of them at once.
  let grace: NodeJS.Timeout | undefined;
  subprocess.once('exit', () => {
    grace = setTimeout(() => {
      subprocess.stdout.destroy();
      subprocess.stderr.destroy();
    }, CLOSE_GRACE_MS);
  });
  let result;
  try {
    result = await subprocess;
  } finally {
    clearTimeout(grace);
  }
  const shaped: ExecResult = {
    code: result.exitCode ?? null,
    signal: result.signal ?? null,
    stdout: result.stdout,
    stderr: result.stderr,
    durationMs: result.durationMs,
    timedOut: result.timedOut,
  };
  if (!result.failed) return shaped;
  // Spawn failures (ENOENT, EACCES) are setup bugs, so they throw even with allowFailure.
  const ran = result.exitCode !== undefined || result.signal !== undefined || result.timedOut;
  if (options.allowFailure && ran) return shaped;
  throw new ExecError(argv, shaped, result);
}

export interface DetachedOptions {
  /** Receives the daemon's stdout and stderr (appended); without it, both are /dev/null. */
  logFile?: string;
  cwd?: string;
  env?: Record<string, string>;
}

/** Starts a daemon that outlives our event loop, in its own process group; its pid. */
export async function startDetached(argv: readonly string[], options: DetachedOptions = {}): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined) throw new Error('startDetached: empty argv');
  // An open file, handed over as it is (execa's "Node.js streams"), not a pipe: the daemon writes
  // its log itself and holds nothing of ours.
  const output = createWriteStream(options.logFile ?? '/dev/null', { flags: 'a' });
  await once(output, 'open');
  try {
    const daemon = execa(command, args, {
      cwd: options.cwd,
      env: options.env,
      extendEnv: true,
      // /dev/null: a daemon must not hold the caller's stdin.
      stdin: 'ignore',
      stdout: output,
      stderr: output,
      detached: true,
      cleanup: false,
      // Settles when the daemon ends, long after this call, quietly: it is stopped by pid.
      reject: false,
    });
    daemon.unref();
    if (daemon.pid === undefined) {
      const result = await daemon;
      throw new Error(`${argv.join(' ')} could not be started: ${result.shortMessage ?? 'no pid'}`);
    }
    return daemon.pid;
  } finally {
    output.close();
  }
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
