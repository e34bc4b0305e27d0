// A per-volume lock, so two concurrent attach/detach/... calls on one volume on this node run one
// after the other (two attaches could otherwise map the volume twice). A lock file holds the
// owner's pid; a lock whose owner died is taken over.

import { mkdirSync, openSync, readFileSync, unlinkSync, writeSync, closeSync, accessSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProviderError } from './errors.js';

const SYSTEM_LOCK_DIR = '/run/lock/extstorage';
const WAIT_STEP_MS = 25;
export const LOCK_TIMEOUT_MS = 10 * 60 * 1000;

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

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

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function holder(path: string): number | null {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

export function withVolumeLock<T>(provider: string, volume: string, fn: () => T, timeoutMs = LOCK_TIMEOUT_MS): T {
  const path = join(lockDirectory(), `${provider}--${volume}.lock`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new ProviderError(`cannot create lock ${path}: ${(error as Error).message}`);
    }
    const pid = holder(path);
    if (pid !== null && !alive(pid)) {
      // The owner died holding it. Remove it only if it is still that owner's file.
      if (holder(path) === pid) {
        try {
          unlinkSync(path);
        } catch {
          // someone else cleaned it up first
        }
      }
      continue;
    }
    if (Date.now() > deadline)
      throw new ProviderError(
        `volume ${volume} is locked by process ${pid ?? '?'} (${path}) for more than ${Math.round(timeoutMs / 1000)} s`,
      );
    sleep(WAIT_STEP_MS);
  }
  try {
    return fn();
  } finally {
    if (holder(path) === process.pid) unlinkSync(path);
  }
}
