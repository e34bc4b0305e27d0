// FIFOs for the shims' requests and replies, made ahead in batches. Node has no mkfifo(3), so a
// FIFO costs a run of coreutils' mkfifo; run once per simulated or stubbed command of every
// scenario, that blocked the main thread about 4 ms each time (a fork of the whole harness, then
// the wait), 22 times in the rbd reference suite. While a run has the pool open (openFifoPool), it
// makes many at once in a folder of its own and hands them out with rename(2), atomic and cheap:
// the folder is in the same temporary directory as the scenarios' sandboxes (tmp makes them in
// os.tmpdir() too). The folder goes when the run closes the pool, so nothing outlives the run; a
// FIFO wanted with no pool open, or where rename cannot reach (another file system), is made in
// place, as before.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The first batch; each later one doubles, up to MAX_BATCH, so a long run spawns mkfifo a few times. */
const FIRST_BATCH = 64;
const MAX_BATCH = 512;

let users = 0;
let folder: string | undefined;
let made = 0;
let batch = FIRST_BATCH;
const free: string[] = [];
let exitHandler = false;

/** Runs mkfifo (mode 0600) on `paths`; throws with mkfifo's own message. */
function mkfifo(paths: readonly string[]): void {
  const result = spawnSync('mkfifo', ['-m', '0600', ...paths], { encoding: 'utf8' });
  if (result.status !== 0)
    throw new Error(
      `mkfifo ${paths[0] ?? ''}: ${result.stderr.trim() || (result.error?.message ?? `exit ${String(result.status)}`)}`,
    );
}

/** Removes the pool's folder and what it holds. */
function drain(): void {
  if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
  folder = undefined;
  free.length = 0;
  batch = FIRST_BATCH;
}

/** The pool's folder, made on first use. */
function poolFolder(): string {
  if (folder === undefined) {
    folder = mkdtempSync(join(tmpdir(), 'extstorage-kit-fifos-'));
    // A run ended by an error thrown past its `finally` (or process.exit) must not leave it either.
    if (!exitHandler) process.once('exit', drain);
    exitHandler = true;
  }
  return folder;
}

/**
 * Opens the pool for a run (several may overlap); the function returned closes it. When the last
 * user closes it, its folder and unused FIFOs are removed.
 */
export function openFifoPool(): () => void {
  users++;
  let open = true;
  return () => {
    if (!open) return;
    open = false;
    if (--users === 0) drain();
  };
}

/** Runs `fn` with the pool open: a run's or an exploration's FIFOs come from it until `fn` ends. */
export async function withFifoPool<T>(fn: () => Promise<T>): Promise<T> {
  const close = openFifoPool();
  try {
    return await fn();
  } finally {
    close();
  }
}

/** At least `count` FIFOs in the pool. */
function refill(count: number): void {
  // The folder is in the host's /tmp, which a script may clean: then the pool starts afresh.
  if (folder !== undefined && !existsSync(folder)) drain();
  const dir = poolFolder();
  const size = Math.max(count - free.length, batch);
  batch = Math.min(batch * 2, MAX_BATCH);
  const fresh = Array.from({ length: size }, () => join(dir, String(made++)));
  mkfifo(fresh);
  free.push(...fresh);
}

/** Makes a FIFO (mode 0600) at each of `paths`, whose folders exist. */
export function makeFifos(paths: readonly string[]): void {
  if (users === 0) {
    mkfifo(paths);
    return;
  }
  if (free.length < paths.length) refill(paths.length);
  const elsewhere: string[] = [];
  for (const path of paths) {
    const fifo = free.pop()!;
    try {
      renameSync(fifo, path);
    } catch (error) {
      // Another file system: the FIFO stays for the next caller. Anything else (the pool's folder
      // removed under us): it is forgotten. Either way mkfifo makes this one in place, and says why not.
      if ((error as NodeJS.ErrnoException).code === 'EXDEV') free.push(fifo);
      elsewhere.push(path);
    }
  }
  if (elsewhere.length > 0) mkfifo(elsewhere);
}

/** What the pool holds now, for its tests: its folder (undefined before first use) and free FIFOs. */
export function fifoPoolState(): { readonly folder: string | undefined; readonly free: number } {
  return { folder, free: free.length };
}
