// What a spied command runs under `extstorage-kit record`: find the real program further along
// PATH, run it with the same arguments, stdin and environment, pass its stdout and stderr through
// unchanged while keeping a copy, end the way it ended (exit status or signal), and log the call.
// Kept to node built-ins so a spy starts fast.

import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { findReal } from '../backend/find-real.js';

export interface SpyConfig {
  /** The command's name: what the provider called, and the spy's file name. */
  readonly command: string;
  /** The directory holding the spies: skipped when looking for the real program. */
  readonly spyDir: string;
  /** The JSONL call log every spy appends to. */
  readonly logFile: string;
  /** One empty file per spy process running, named by its PID: tells nested calls apart. */
  readonly activeDir: string;
}

/** One line of the call log. stdout and stderr are the exact bytes, base64. */
export interface SpyLogEntry {
  readonly command: string;
  readonly argv: string[];
  /** base64 of every byte the program wrote on stdout. */
  readonly stdout: string;
  /** base64 of every byte the program wrote on stderr. */
  readonly stderr: string;
  /** The exit status; for a program killed by a signal, 128 + the signal's number (as a shell sees it). */
  readonly exit: number;
  /** The signal that killed the program, or null. */
  readonly signal: string | null;
  /** When the call began (process.hrtime, nanoseconds, system-wide monotonic): the log's order. */
  readonly started: string;
}

/** How long stdout/stderr may stay open after the program exited (a daemon it left holding them). */
const STREAM_GRACE_MS = 2000;

/** Signals passed on to the real program when the spy gets them. */
const FORWARDED: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGINT'];

function parentOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ")".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[1]) || 0;
  } catch {
    return 0;
  }
}

/** Whether another spy is an ancestor of this process: the call is made by a spied program itself. */
function insideSpy(activeDir: string): boolean {
  let pid = process.ppid;
  for (let depth = 0; pid > 1 && depth < 64; depth++) {
    if (existsSync(join(activeDir, String(pid)))) return true;
    pid = parentOf(pid);
  }
  return false;
}

/** Ends this process the way the real program ended: the same signal, else the same status. */
function endLike(exit: number, signal: NodeJS.Signals | null): void {
  if (signal === null) {
    process.exitCode = exit;
    return;
  }
  // Node ignores or handles some signals itself (SIGPIPE, SIGUSR1); adding and removing a
  // listener gives every signal its default action back.
  process.on(signal, () => undefined);
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
  // Signals whose default is not to end a process: end with the status a shell would show.
  setTimeout(() => process.exit(exit), 200).unref();
}

export function runSpy(config: SpyConfig, argv: string[]): void {
  const started = process.hrtime.bigint().toString();
  const nested = insideSpy(config.activeDir);
  const marker = join(config.activeDir, String(process.pid));
  try {
    writeFileSync(marker, '');
  } catch {
    // the recording is over (its directory is gone): still pass the call through
  }
  const stdoutChunks: Buffer[] = [];
  const stderrChunks: Buffer[] = [];
  const finish = (exit: number, signal: NodeJS.Signals | null) => {
    rmSync(marker, { force: true });
    if (!nested) {
      const entry: SpyLogEntry = {
        command: config.command,
        argv,
        stdout: Buffer.concat(stdoutChunks).toString('base64'),
        stderr: Buffer.concat(stderrChunks).toString('base64'),
        exit,
        signal,
        started,
      };
      try {
        appendFileSync(config.logFile, JSON.stringify(entry) + '\n');
      } catch {
        // the recording is over: nothing to log to
      }
    }
    endLike(exit, signal);
  };
  const fail = (message: string, exit: number) => {
    const text = Buffer.from(`${config.command}: ${message}\n`);
    stderrChunks.push(text);
    process.stderr.write(text);
    finish(exit, null);
  };

  const real = findReal(config.command, process.env.PATH ?? '', config.spyDir);
  if (real === null) {
    fail('command not found', 127);
    return;
  }

  const child = spawn(real, argv, { argv0: config.command, env: process.env, stdio: ['inherit', 'pipe', 'pipe'] });
  let spawnError: NodeJS.ErrnoException | undefined;
  child.on('error', (error) => (spawnError = error));
  for (const signal of FORWARDED) process.on(signal, () => child.kill(signal));

  // Pass each chunk on at once; when the reader of our stdout goes away, close the program's
  // pipe too, so it gets SIGPIPE as it would have without the spy.
  const relay = (from: NodeJS.ReadableStream | null, to: NodeJS.WriteStream, chunks: Buffer[]) =>
    new Promise<void>((done) => {
      if (from === null) {
        done();
        return;
      }
      let open = true;
      to.on('error', () => {
        open = false;
        (from as NodeJS.ReadableStream & { destroy(): void }).destroy();
      });
      from.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        if (open) to.write(chunk);
      });
      from.on('end', done);
      from.on('close', done);
      from.on('error', () => done());
    });
  const streams = Promise.all([
    relay(child.stdout, process.stdout, stdoutChunks),
    relay(child.stderr, process.stderr, stderrChunks),
  ]);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.once('exit', (code, signal) => done({ code, signal }));
    child.once('error', () => done({ code: null, signal: null }));
  });

  void exited.then(async ({ code, signal }) => {
    if (spawnError !== undefined && code === null && signal === null) {
      const why =
        spawnError.code === 'EACCES'
          ? 'Permission denied'
          : spawnError.code === 'ENOEXEC'
            ? 'Exec format error'
            : spawnError.message;
      fail(why, spawnError.code === 'ENOENT' ? 127 : 126);
      return;
    }
    // A daemon the program started may hold its pipes: wait a little, then stop listening.
    const grace = new Promise<void>((done) => setTimeout(done, STREAM_GRACE_MS).unref());
    await Promise.race([streams, grace]);
    child.stdout.destroy();
    child.stderr.destroy();
    for (const forwarded of FORWARDED) process.removeAllListeners(forwarded);
    const number = signal === null ? 0 : osConstants.signals[signal];
    finish(signal === null ? (code ?? 1) : 128 + number, signal);
  });
}
