// Before the provider touches its image folder: is `mountpoint` really where the GlusterFS volume
// is mounted? A mount point with nothing mounted is a plain folder on the local disk, and images
// written there fill the root file system while every other node sees none of them.

import { realpathSync, statfsSync } from 'node:fs';
import { ProviderError } from '../lib/errors.js';
import { describeMount, mountHolding, readMounts, type Mount } from '../lib/mounts.js';

/** What statfs(2) reports for every FUSE file system, GlusterFS's client among them. */
const FUSE_SUPER_MAGIC = 0x65735546;
const GLUSTER_TYPE = 'fuse.glusterfs';

/** "server:/gv0", "server:gv0", "server:/gv0/sub" (a sub-directory mount): the volume and any sub-directory. */
function glusterSource(source: string): { volume: string; subdir: string } {
  const path = source.slice(source.lastIndexOf(':') + 1).replace(/^\/+/, '');
  const slash = path.indexOf('/');
  return slash < 0 ? { volume: path, subdir: '' } : { volume: path.slice(0, slash), subdir: path.slice(slash) };
}

function real(path: string, what: string): string {
  try {
    return realpathSync(path);
  } catch (error) {
    throw new ProviderError(`${what} ${path} cannot be resolved: ${(error as Error).message}`);
  }
}

/** Why `folder` (inside `mountpoint`) is not on GlusterFS volume `volume` mounted at `mountpoint`, or null. */
function problem(mount: Mount | undefined, mountpoint: string, volume: string): string | null {
  if (mount === undefined) return 'no mount holds it at all';
  if (mount.mountPoint !== mountpoint) {
    return mount.mountPoint.length < mountpoint.length
      ? `nothing is mounted there: it is a plain folder on ${mount.mountPoint}, ${describeMount(mount)}`
      : `the image folder is on another mount, ${describeMount(mount)} at ${mount.mountPoint}`;
  }
  if (mount.type !== GLUSTER_TYPE) return `found ${describeMount(mount)} mounted there, not ${GLUSTER_TYPE}`;
  const source = glusterSource(mount.source);
  if (source.volume !== volume)
    return `found GlusterFS volume ${source.volume} (${mount.source}) mounted there, not ${volume}`;
  if (source.subdir !== '' || mount.root !== '/')
    return `found only a sub-folder of the volume mounted there, ${describeMount(mount)}: the gluster:// URIs would not point at the images`;
  return null;
}

/**
 * Refuses unless the GlusterFS volume `volume` is FUSE-mounted at `mountpoint` (the mount table)
 * and the image folder in it is on that mount (the mount table, and statfs for the path itself).
 */
export function requireGlusterMount(mountpoint: string, folder: string, volume: string, action: string): void {
  const realMount = real(mountpoint, 'the mount point');
  const realFolder = real(folder, 'the image folder');
  const found = problem(mountHolding(readMounts(), realFolder), realMount, volume);
  const refuse = (why: string) =>
    new ProviderError(
      `refusing to ${action}: ${mountpoint} is not a mounted GlusterFS volume ${volume} (the image folder ${folder}): ${why}; ` +
        `mount it (mount -t glusterfs <server>:/${volume} ${mountpoint}) or correct the parameter mountpoint`,
    );
  if (found !== null) throw refuse(found);
  let type: number;
  try {
    type = statfsSync(realFolder).type;
  } catch (error) {
    throw refuse(`statfs failed: ${(error as Error).message}`);
  }
  if (type !== FUSE_SUPER_MAGIC)
    throw refuse(`statfs says its file system is not FUSE (type 0x${type.toString(16)}): it was unmounted just now?`);
}
