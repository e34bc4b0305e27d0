// The mount table as the kernel shows it to this process (/proc/self/mountinfo): which mount holds
// a path, its file system type and source. Used to refuse writing into a folder whose file system
// is not mounted there: an empty mount point is a plain folder on the root file system.

import { readFileSync } from 'node:fs';
import { ProviderError } from './errors.js';

export const MOUNTINFO = '/proc/self/mountinfo';

export interface Mount {
  /** Where it is mounted, unescaped. */
  readonly mountPoint: string;
  /** The folder of the file system that is mounted there: "/" unless a bind mount of a subfolder. */
  readonly root: string;
  /** "fuse.glusterfs", "ext4", "tmpfs", "nfs4"... */
  readonly type: string;
  /** "server:/volume", "/dev/sda1", "tmpfs"... */
  readonly source: string;
}

/** The kernel writes space, tab, newline and backslash in paths as \040 \011 \012 \134. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Parses mountinfo text (proc(5)): `id parent major:minor root mount-point options [tags] - type source super-options`. */
export function parseMountinfo(text: string, origin = MOUNTINFO): Mount[] {
  const mounts: Mount[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    const fields = line.split(' ');
    const dash = fields.indexOf('-', 6);
    if (fields.length < 10 || dash < 0 || dash + 2 >= fields.length)
      throw new ProviderError(`${origin}:${index + 1}: not a mountinfo line: ${JSON.stringify(line.slice(0, 200))}`);
    mounts.push({
      root: unescape(fields[3]!),
      mountPoint: unescape(fields[4]!),
      type: fields[dash + 1]!,
      source: unescape(fields[dash + 2]!),
    });
  }
  return mounts;
}

export function readMounts(): Mount[] {
  let text: string;
  try {
    text = readFileSync(MOUNTINFO, 'utf8');
  } catch (error) {
    throw new ProviderError(`cannot read the mount table ${MOUNTINFO}: ${(error as Error).message}`);
  }
  return parseMountinfo(text);
}

/** The mount that holds `path` (absolute, symlinks resolved): the deepest mount point above it, the last mounted. */
export function mountHolding(mounts: readonly Mount[], path: string): Mount | undefined {
  let best: Mount | undefined;
  for (const mount of mounts) {
    const mp = mount.mountPoint;
    const above = mp === '/' || path === mp || path.startsWith(`${mp}/`);
    if (above && (best === undefined || mp.length >= best.mountPoint.length)) best = mount;
  }
  return best;
}

/** "tmpfs (tmpfs)", "ext4 (/dev/sda1)": what a mount is, for messages. */
export function describeMount(mount: Mount): string {
  return `${mount.type} (${mount.source}${mount.root !== '/' ? `, folder ${mount.root}` : ''})`;
}
