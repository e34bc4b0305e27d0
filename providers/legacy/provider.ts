// The legacy provider: volumes are sparse image files in a shared directory, mapped with losetup.
// attach prints exactly one line, the loop device, with no trailing newline, so every Ganeti from
// 2.7 on accepts it.

import { accessSync, constants } from 'node:fs';
import type { ActionEnvironment } from '../lib/environment.js';
import { ProviderError } from '../lib/errors.js';
import {
  copyImageSparse,
  createImage,
  growImage,
  imagePaths,
  removeIfPresent,
  requireDirectory,
  requireImage,
  writeAtomically,
} from '../lib/image-file.js';
import { detachLoopDevices, ensureLoopDevice, refreshLoopDevices } from '../lib/loop.js';
import type { ParameterSpec } from '../lib/parameters.js';
import type { ProviderDefinition } from '../lib/runtime.js';
import { tryRun } from '../lib/command.js';

export const parameters: readonly ParameterSpec[] = [
  { name: 'dir', kind: 'path', default: '/srv/ganeti/legacy-volumes', description: 'Directory (shared by the nodes, e.g. NFS) that holds the volume image files; it must exist' },
];

function paths(env: ActionEnvironment) {
  const dir = env.params.dir as string;
  requireDirectory(dir, 'create it (and mount the share there) on every node first');
  return imagePaths(dir, env.volume);
}

export const provider: ProviderDefinition = {
  name: 'legacy',
  summary: 'sparse image files in a shared directory, mapped with losetup; single-line attach output',
  parameters,
  checks: {
    dir: 'the image directory exists and is writable',
    losetup: 'losetup is installed and can list loop devices',
  },
  actions: {
    create(env) {
      createImage(paths(env).image, env.size!);
    },
    attach(env) {
      const { image } = paths(env);
      requireImage(image, env.volume);
      return ensureLoopDevice(image); // no newline: Ganeti 2.7-2.12 read the whole output as the path
    },
    detach(env) {
      detachLoopDevices(paths(env).image);
    },
    remove(env) {
      const { image, metadata } = paths(env);
      detachLoopDevices(image);
      removeIfPresent(image);
      removeIfPresent(metadata);
    },
    grow(env) {
      const { image } = paths(env);
      if (growImage(image, env.volume, env.newSize!)) refreshLoopDevices(image);
    },
    setinfo(env) {
      const { image, metadata } = paths(env);
      requireImage(image, env.volume);
      writeAtomically(metadata, `${env.metadata!}\n`);
    },
    snapshot(env) {
      const { image } = paths(env);
      requireImage(image, env.volume);
      copyImageSparse(image, imagePaths(env.params.dir as string, env.snapshotName!).image);
    },
    open(env) {
      requireImage(paths(env).image, env.volume); // files need no preparation for I/O
    },
    close(env) {
      paths(env); // nothing to release; still refuse a broken environment
    },
    verify(env, checks) {
      const wanted = checks.length > 0 ? checks : ['dir', 'losetup'];
      if (wanted.includes('dir')) {
        const dir = env.params.dir as string;
        requireDirectory(dir, 'create it (and mount the share there) first');
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
