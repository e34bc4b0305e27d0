// The legacy provider: volumes are sparse image files in a shared directory, mapped with losetup.
// attach prints exactly one line, the loop device, with no trailing newline, so every Ganeti from
// 2.7 on accepts it.

import { accessSync, constants } from 'node:fs';
import type { ActionEnvironment } from '../lib/environment.js';
import { ProviderError } from '../lib/errors.js';
import { requireDirectory, requireImage } from '../lib/image-file.js';
import { tryRun } from '../lib/command.js';
import { loopVolumeActions, THIN_PARAMETER } from '../lib/loop-volume.js';
import type { ParameterSpec } from '../lib/parameters.js';
import type { ProviderDefinition } from '../lib/runtime.js';

export const parameters: readonly ParameterSpec[] = [
  {
    name: 'dir',
    kind: 'path',
    default: '/srv/ganeti/legacy-volumes',
    description: 'Directory (shared by the nodes, e.g. NFS) that holds the volume image files; it must exist',
  },
  THIN_PARAMETER,
];

/** The image directory; it must exist, so a share that is not mounted is noticed, not filled. */
function imageDir(env: ActionEnvironment): string {
  const dir = env.params.dir as string;
  requireDirectory(dir, 'create it (and mount the share there) on every node first');
  return dir;
}

const volumes = loopVolumeActions(imageDir);

export const provider: ProviderDefinition = {
  name: 'legacy',
  summary: 'sparse image files in a shared directory, mapped with losetup; single-line attach output',
  parameters,
  checks: {
    dir: 'the image directory exists and is writable',
    losetup: 'losetup is installed and can list loop devices',
  },
  actions: {
    create: volumes.create,
    attach: (env) => volumes.device(env), // no newline: Ganeti 2.7-2.12 read the whole output as the path
    detach: volumes.detach,
    remove: volumes.remove,
    grow: volumes.grow,
    setinfo: volumes.setinfo,
    snapshot: volumes.snapshot,
    open(env) {
      requireImage(volumes.paths(env).image, env.volume); // files need no preparation for I/O
    },
    close(env) {
      imageDir(env); // nothing to release; still refuse a broken environment
    },
    verify(env, checks) {
      const wanted = checks.length > 0 ? checks : ['dir', 'losetup'];
      if (wanted.includes('dir')) {
        const dir = imageDir(env);
        try {
          accessSync(dir, constants.W_OK);
        } catch {
          throw new ProviderError(`${dir} is not writable`);
        }
      }
      if (wanted.includes('losetup')) {
        const list = tryRun(['losetup', '--list']);
        if (list.status !== 0) throw new ProviderError(`losetup --list failed: ${list.stderr.trim()}`);
      }
    },
  },
};
