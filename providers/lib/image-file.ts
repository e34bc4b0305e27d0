// Volumes as sparse image files in a directory: created without ever overwriting, grown in place,
// copied sparsely, metadata beside them, removed without complaint when already gone. Every write
// goes to `<file>.partial-<pid>` first and is published in one step, so an action killed at any
// point leaves either the old state or the new one, plus at most a partial file that the next run
// (Ganeti retries) removes once its writer is dead. A failed write (ENOSPC, EDQUOT, EROFS, EIO...)
// is one clear line and removes its partial file.

import {
  closeSync,
  constants,
  existsSync,
  fsyncSync,
  ftruncateSync,
  linkSync,
  openSync,
  readdirSync,
  renameSync,
  statSync,
  statfsSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileFailure, isSystemError, ProviderError, why } from './errors.js';
import { lastWords, render, tryRun } from './command.js';

export const MiB = 1024 * 1024;

export interface ImagePaths {
  readonly image: string;
  readonly metadata: string;
}

/** `<dir>/<volume>.img` and `<dir>/<volume>.meta`: the suffixes keep the two from ever colliding. */
export function imagePaths(dir: string, volume: string): ImagePaths {
  return { image: join(dir, `${volume}.img`), metadata: join(dir, `${volume}.meta`) };
}

/** The directory must already exist: creating it could write to the wrong disk when a share is not mounted. */
export function requireDirectory(dir: string, hint: string): void {
  let ok: boolean;
  try {
    ok = statSync(dir).isDirectory();
  } catch {
    ok = false;
  }
  if (!ok) throw new ProviderError(`${dir} is not a directory: ${hint}`);
}

function partialPath(path: string): string {
  return `${path}.partial-${process.pid}`;
}

/** False only when no process has that pid (a process of another user still counts as alive). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return !isSystemError(error) || error.code !== 'ESRCH';
  }
}

/**
 * Removes the partial files of `path` whose writer is dead: what an action killed mid-way left.
 * A live writer's file is left alone; a file named after this very process is stale by definition
 * (this process has not written it yet: the pid was reused, or comes from another PID namespace).
 */
export function removeOrphans(path: string): void {
  const dir = dirname(path);
  const prefix = `${basename(path)}.partial-`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return; // the write that follows reports what is wrong with the directory
  }
  for (const name of names) {
    const pid = name.startsWith(prefix) ? name.slice(prefix.length) : '';
    if (!/^[1-9][0-9]{0,9}$/.test(pid)) continue;
    if (Number(pid) !== process.pid && processAlive(Number(pid))) continue;
    removeIfPresent(join(dir, name));
  }
}

/** Deletes a partial file on the way out of a failed write; its absence is fine. */
function discard(partial: string): void {
  try {
    unlinkSync(partial);
  } catch {
    // never created, or already gone; a file that cannot be deleted is an orphan for the next run
  }
}

/**
 * Publishes a finished partial file as `target` without ever overwriting: link(2) fails when the
 * target exists. Where hard links are not supported, an existence check and rename(2) instead.
 */
function publishNew(partial: string, target: string): void {
  try {
    linkSync(partial, target);
  } catch (error) {
    const code = isSystemError(error) ? error.code : '';
    if (code === 'EEXIST') throw new ProviderError(`${target} already exists: refusing to overwrite a volume`);
    if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK'].includes(code)) throw error;
    if (existsSync(target)) throw new ProviderError(`${target} already exists: refusing to overwrite a volume`);
    renameSync(partial, target);
    return;
  }
  discard(partial);
}

function refuseExisting(path: string): void {
  if (existsSync(path)) throw new ProviderError(`${path} already exists: refusing to overwrite a volume`);
}

/** Free bytes for an unprivileged writer on the file system that holds `dir`. */
export function freeBytes(dir: string): number {
  try {
    const stat = statfsSync(dir, { bigint: true });
    return Number(stat.bavail * stat.bsize);
  } catch (error) {
    throw fileFailure(`read the free space of ${dir} (statfs)`, error);
  }
}

/**
 * Refuses a volume the file system cannot hold: `sizeMiB` more MiB must be free in `dir`. A sparse
 * image would be created anyway and fail later, inside the guest, when the file system fills up.
 */
export function requireFreeSpace(dir: string, sizeMiB: number, what: string): void {
  const free = freeBytes(dir);
  if (free >= sizeMiB * MiB) return;
  throw new ProviderError(
    `cannot ${what}: the file system of ${dir} has ${(free / MiB).toFixed(1)} MiB free, less than the ${sizeMiB} MiB the volume needs; ` +
      'free some space, or set the parameter thin=true to allow thin-provisioned (sparse) volumes that can run out of space later, inside the guest',
  );
}

export function createImage(path: string, sizeMiB: number): void {
  removeOrphans(path);
  refuseExisting(path);
  const partial = partialPath(path);
  try {
    const fd = openSync(
      partial,
      constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
      0o600,
    );
    try {
      ftruncateSync(fd, sizeMiB * MiB); // sparse: no data blocks are written
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    publishNew(partial, path);
  } catch (error) {
    discard(partial);
    throw fileFailure(`create ${path} (${sizeMiB} MiB)`, error);
  }
}

export function imageSizeMiB(path: string): number | null {
  try {
    return statSync(path).size / MiB;
  } catch {
    return null;
  }
}

export function requireImage(path: string, volume: string): void {
  if (!existsSync(path)) throw new ProviderError(`volume ${volume} does not exist (${path})`);
}

/** Grows the file to `newSizeMiB`; refuses to shrink; already that size is fine (a retry). */
export function growImage(path: string, volume: string, newSizeMiB: number): void {
  const current = imageSizeMiB(path);
  if (current === null) throw new ProviderError(`volume ${volume} does not exist (${path})`);
  if (current > newSizeMiB)
    throw new ProviderError(
      `volume ${volume} is already ${current} MiB, more than the ${newSizeMiB} MiB asked for: refusing to shrink it`,
    );
  if (current === newSizeMiB) return;
  try {
    const fd = openSync(path, constants.O_WRONLY | constants.O_NOFOLLOW);
    try {
      ftruncateSync(fd, newSizeMiB * MiB);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    throw fileFailure(`grow ${path} to ${newSizeMiB} MiB`, error);
  }
}

/** A sparse copy, written under a temporary name and published whole, so a half copy is never a volume. */
export function copyImageSparse(source: string, target: string): void {
  removeOrphans(target);
  refuseExisting(target);
  const partial = partialPath(target);
  const what = `copy ${source} to ${target}`;
  try {
    const argv = ['cp', '--sparse=always', '--', source, partial];
    const result = tryRun(argv);
    if (result.status !== 0) throw new ProviderError(`cannot ${what}: ${render(argv)}: ${lastWords(result)}`);
    const fd = openSync(partial, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      fsyncSync(fd); // the copy is on disk before it becomes a volume
    } finally {
      closeSync(fd);
    }
    publishNew(partial, target);
  } catch (error) {
    discard(partial);
    throw fileFailure(what, error);
  }
}

/** Writes the file whole or not at all: on any failure the old content stays, and nothing is left behind. */
export function writeAtomically(path: string, content: string, what: string): void {
  removeOrphans(path);
  const partial = partialPath(path);
  try {
    const fd = openSync(
      partial,
      constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
      0o600,
    );
    try {
      writeSync(fd, content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(partial, path);
  } catch (error) {
    discard(partial);
    throw new ProviderError(
      `cannot ${what} (${path}): ${why(error)}; ${existsSync(path) ? 'the old content is unchanged' : 'nothing was written'}`,
    );
  }
}

/** Deletes the file; a file that is already gone is fine. */
export function removeIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if (!isSystemError(error) || error.code !== 'ENOENT') throw fileFailure(`delete ${path}`, error);
  }
}
