// Writes into the provider folder. Inside bwrap or unshare the folder is read-only, so a write
// fails with EROFS ("Read-only file system") and the script's stderr says where; at level none
// the folder is snapshotted (path, type, size, mtime, link target) before each script and compared
// after it. Either way the scenario gets a failure naming the path.

import { resolve } from 'node:path';
import type { FileEntry, FileSnapshot } from '../file-snapshot.js';
import type { Failure } from '../result.js';

function describe(entry: FileEntry | undefined): string {
  if (entry === undefined) return 'nothing';
  if (entry.kind === 'symlink') return `a symlink to ${entry.target ?? '?'}`;
  if (entry.kind === 'file') return `a file of ${entry.size} bytes`;
  return entry.kind === 'dir' ? 'a folder' : 'a special file';
}

/** What changed, as "path: was X, now Y" lines, in path order. */
export function folderChanges(before: FileSnapshot, after: FileSnapshot): string[] {
  const lines: string[] = [];
  for (const path of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const a = before.get(path);
    const b = after.get(path);
    if (
      a?.kind === b?.kind &&
      a?.size === b?.size &&
      a?.target === b?.target &&
      (a?.kind === 'dir' || a?.mtimeMs === b?.mtimeMs)
    )
      continue;
    const rewritten = a?.kind === b?.kind && a?.size === b?.size && a?.target === b?.target;
    lines.push(rewritten ? `${path}: rewritten (${describe(b)})` : `${path}: was ${describe(a)}, now ${describe(b)}`);
  }
  return lines;
}

const WHY =
  'Ganeti does not forbid it, but a provider that writes into its install path breaks where /usr is read-only and leaves per-node state that other nodes never see (SHOULD: keep state in the backend, or under /var/lib or /run)';

/** The failure for writes seen in the folder (level none), or null. */
export function providerWriteFailure(action: string, providerDir: string, changes: readonly string[]): Failure | null {
  if (changes.length === 0) return null;
  return {
    message: `${action} wrote into the provider folder ${providerDir}: ${changes.join('; ')}. ${WHY}`,
  };
}

/**
 * The paths an EROFS message names as written: quoted ones (coreutils "cannot create regular file
 * '/x'", node "open '/x'") and the one right before ": Read-only file system" (bash "script: line 3:
 * /x: Read-only file system", dash "cannot create /x: Read-only file system"). Not the shell's
 * prefix, which names the script itself, inside the provider folder whatever it wrote.
 */
function writtenPaths(line: string): string[] {
  const paths: string[] = [];
  for (const m of line.matchAll(/'([^']+)'|"([^"]+)"/g)) paths.push(m[1] ?? m[2] ?? '');
  const bare = /(?:^|:\s|create\s)([^\s:'"]+):\s*[Rr]ead-only file system/.exec(line);
  if (bare?.[1] !== undefined) paths.push(bare[1]);
  return paths.filter((p) => p !== '');
}

/** The failure for writes refused inside the sandbox (the script's stderr names EROFS), or null. */
export function readOnlyFailure(action: string, providerPath: string, stderr: string): Failure | null {
  // coreutils say "Read-only file system", node "EROFS: read-only file system"; not "code: 'EROFS'".
  const lines = stderr.split('\n').filter((line) => /[Rr]ead-only file system/.test(line));
  if (lines.length === 0) return null;
  const said = lines.slice(0, 5).join(' | ');
  // A relative path is relative to the working directory: the provider folder.
  const inFolder = (path: string) => {
    const full = resolve(providerPath, path);
    return full === providerPath || full.startsWith(`${providerPath}/`);
  };
  const intoFolder = lines.some((line) => {
    const paths = writtenPaths(line);
    // No path to go by: the old reading, a line naming the folder or no absolute path at all.
    if (paths.length === 0) return line.includes(providerPath) || !/(^|[\s'"`(])\//.test(line);
    return paths.some(inFolder);
  });
  return {
    message: intoFolder
      ? `${action} tried to write into the provider folder ${providerPath}, which the sandbox mounts read-only (EROFS): ${said}. ${WHY}`
      : `${action} tried to write on the host file system, which the sandbox mounts read-only (EROFS): ${said}. A provider writes only its backend, TMPDIR, /var/log/ganeti and paths a scenario declares as scratch`,
  };
}
