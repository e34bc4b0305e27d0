// A per-volume lock, so two concurrent attach/detach/... calls on one volume on this node run one
// after the other (two attaches could otherwise map the volume twice). It is a flock(2) lock on a
// file per volume, taken by util-linux's flock(1) on a descriptor this process shares with it: the
// lock belongs to the open file, so it stays held after flock exits and the kernel releases it when
// this process ends, however it ends (SIGKILL included). A lock file left behind, empty or naming
// a dead process, is never mistaken for a held lock, and there is no window between creating the
// file and writing an owner into it. The owner's pid in the file is only for the messages; it is
// written alone on its line, as the pid-file lock of earlier versions did, so that a rollback to
// one of them sees a dead owner's file as stale instead of waiting for it.

import { spawnSync } from 'node:child_process';
import { accessSync, closeSync, constants, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileFailure, ProviderError } from './errors.js';

const SYSTEM_LOCK_DIR = '/run/lock/extstorage';
export const LOCK_TIMEOUT_MS = 10 * 60 * 1000;
/** flock's exit status when the lock is taken (chosen to differ from its own errors, 1). */
const CONFLICT = 75;

function lockDirectory(): string {
  for (const dir of [SYSTEM_LOCK_DIR, join(tmpdir(), 'extstorage-locks')]) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      accessSync(dir, constants.W_OK);
      return dir;
    } catch {
      // not ours to write: try the next place
    }
  }
  throw new ProviderError(`no writable lock directory (${SYSTEM_LOCK_DIR}, ${tmpdir()})`);
}

/** Takes the lock on `fd` (shared with flock as its fd 3): true when taken, false when still held at the end. */
function flock(fd: number, path: string, waitSeconds: number): boolean {
  const wait = waitSeconds === 0 ? ['--nonblock'] : ['--timeout', String(waitSeconds)];
  const [program, ...args] = ['flock', '--exclusive', ...wait, '--conflict-exit-code', String(CONFLICT), '3'];
  const result = spawnSync(program, args, {
    stdio: ['ignore', 'ignore', 'pipe', fd],
    encoding: 'utf8',
  });
  if (result.error) {
    if ((result.error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new ProviderError(`flock not found on PATH (${process.env.PATH ?? ''}): install util-linux on this node`);
    throw new ProviderError(`cannot run flock for ${path}: ${result.error.message}`);
  }
  if (result.status === 0) return true;
  if (result.status === CONFLICT) return false;
  throw new ProviderError(`flock could not lock ${path}: ${result.stderr.trim() || `exit status ${result.status}`}`);
}

/** Who the lock file says took it last: for messages only. */
function lastOwner(path: string): string {
  try {
    const pid = readFileSync(path, 'utf8').trim();
    if (/^[1-9][0-9]*$/.test(pid)) return `process ${pid}`;
  } catch {
    // unreadable: say nothing about the owner
  }
  return 'another process';
}

export interface LockOptions {
  readonly timeoutMs?: number;
  /** Called once when the lock is held by someone else, before waiting for it. */
  readonly onWait?: (message: string) => void;
}

export function withVolumeLock<T>(provider: string, volume: string, fn: () => T, options: LockOptions): T {
  const path = join(lockDirectory(), `${provider}--${volume}.lock`);
  const timeoutMs = options.timeoutMs ?? LOCK_TIMEOUT_MS;
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  } catch (error) {
    throw fileFailure(`open the lock file ${path}`, error);
  }
  try {
    if (!flock(fd, path, 0)) {
      const seconds = Math.ceil(timeoutMs / 1000);
      options.onWait?.(`volume ${volume} is locked by ${lastOwner(path)} (${path}): waiting up to ${seconds} s`);
      if (!flock(fd, path, seconds))
        throw new ProviderError(
          `volume ${volume} is still locked by ${lastOwner(path)} after ${seconds} s (${path}): is an action on it hanging?`,
        );
    }
    try {
      ftruncateSync(fd, 0);
      writeSync(fd, `${process.pid}\n`, 0);
    } catch {
      // the owner is only informative: a full /run does not stop the action
    }
    return fn();
  } finally {
    closeSync(fd); // releases the lock; the file stays (deleting it would let two processes lock two files)
  }
}
