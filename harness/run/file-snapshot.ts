// What an action did to the files of its sandbox: a snapshot of the tree before and after each run,
// and the difference. It is how the verdict knows that a file-backed provider's create made an
// image (and of what size) when no backend command ran, and so whether a check was exercised.

import { lstatSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';

/** One entry: its kind, for regular files the size in bytes, its mtime, and a symlink's target. */
export interface FileEntry {
  readonly kind: 'file' | 'dir' | 'symlink' | 'other';
  readonly size: number;
  readonly mtimeMs: number;
  readonly target?: string;
}

export type FileSnapshot = ReadonlyMap<string, FileEntry>;

/** A path (relative to the snapshot's root) that appeared, went or changed kind or size. */
export interface FileChange {
  readonly path: string;
  readonly before: FileEntry | null;
  readonly after: FileEntry | null;
}

/** Bounds the walk: a sandbox is small, a runaway provider's tree must not stall the run. */
const MAX_ENTRIES = 10_000;

function entryOf(path: string, stat: Stats): FileEntry {
  const kind = stat.isFile() ? 'file' : stat.isDirectory() ? 'dir' : stat.isSymbolicLink() ? 'symlink' : 'other';
  let target: string | undefined;
  if (kind === 'symlink') {
    try {
      target = readlinkSync(path);
    } catch {
      // gone meanwhile
    }
  }
  return {
    kind,
    size: kind === 'file' ? stat.size : 0,
    mtimeMs: stat.mtimeMs,
    ...(target !== undefined ? { target } : {}),
  };
}

/** Every entry below `root` (not following symlinks), but the top-level names in `skip`. */
export function snapshotFiles(root: string, skip: readonly string[] = []): FileSnapshot {
  const entries = new Map<string, FileEntry>();
  const walk = (dir: string, prefix: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return; // gone, or not readable: nothing to compare
    }
    for (const name of names.sort()) {
      if (entries.size >= MAX_ENTRIES) return;
      if (prefix === '' && skip.includes(name)) continue;
      const path = prefix === '' ? name : `${prefix}/${name}`;
      let stat: Stats;
      try {
        stat = lstatSync(join(dir, name));
      } catch {
        continue;
      }
      const entry = entryOf(join(dir, name), stat);
      entries.set(path, entry);
      if (entry.kind === 'dir') walk(join(dir, name), path);
    }
  };
  walk(root, '');
  return entries;
}

/** The changes from `before` to `after` in kind or size (what an action did to a volume), in path order. */
export function fileChanges(before: FileSnapshot, after: FileSnapshot): FileChange[] {
  const changes: FileChange[] = [];
  for (const path of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const a = before.get(path) ?? null;
    const b = after.get(path) ?? null;
    if (a?.kind !== b?.kind || a?.size !== b?.size) changes.push({ path, before: a, after: b });
  }
  return changes;
}
