// Volumes as sparse image files in a directory: created without ever overwriting, grown in place,
// copied sparsely, metadata beside them, removed without complaint when already gone.

import {
  closeSync,
  constants,
  existsSync,
  ftruncateSync,
  openSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { ProviderError } from './errors.js';
import { run } from './command.js';

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

export function createImage(path: string, sizeMiB: number): void {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      throw new ProviderError(`${path} already exists: refusing to overwrite a volume`);
    throw new ProviderError(`cannot create ${path}: ${(error as Error).message}`);
  }
  try {
    ftruncateSync(fd, sizeMiB * MiB); // sparse: no data blocks are written
  } catch (error) {
    closeSync(fd);
    unlinkSync(path);
    throw new ProviderError(`cannot size ${path} to ${sizeMiB} MiB: ${(error as Error).message}`);
  }
  closeSync(fd);
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

/** Grows the file to `newSizeMiB`; refuses to shrink. Returns false when it already had that size. */
export function growImage(path: string, volume: string, newSizeMiB: number): boolean {
  const current = imageSizeMiB(path);
  if (current === null) throw new ProviderError(`volume ${volume} does not exist (${path})`);
  if (current > newSizeMiB)
    throw new ProviderError(
      `volume ${volume} is already ${current} MiB, more than the ${newSizeMiB} MiB asked for: refusing to shrink it`,
    );
  if (current === newSizeMiB) return false;
  const fd = openSync(path, 'r+');
  try {
    ftruncateSync(fd, newSizeMiB * MiB);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** A sparse copy, written under a temporary name and renamed, so a half copy is never a volume. */
export function copyImageSparse(source: string, target: string): void {
  if (existsSync(target)) throw new ProviderError(`${target} already exists: refusing to overwrite a volume`);
  const partial = `${target}.partial-${process.pid}`;
  try {
    run(['cp', '--sparse=always', '--', source, partial], `copying ${source}`);
    renameSync(partial, target);
  } catch (error) {
    try {
      unlinkSync(partial);
    } catch {
      // nothing was written
    }
    throw error;
  }
}

/** Writes the file whole or not at all. */
export function writeAtomically(path: string, content: string): void {
  const partial = `${path}.partial-${process.pid}`;
  writeFileSync(partial, content, { mode: 0o600 });
  renameSync(partial, path);
}

/** Deletes the file; a file that is already gone is fine. */
export function removeIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new ProviderError(`cannot delete ${path}: ${(error as Error).message}`);
  }
}
