// Volumes that are sparse image files in a folder, mapped with loop devices: the actions the
// legacy and gluster providers share. `folder(env)` says where the images are, and checks it.
// Each action can be run again after being killed at any point (Ganeti retries): the files are
// published whole (image-file.ts) and what a killed run left is cleaned up by the next.

import type { ActionEnvironment } from './environment.js';
import {
  copyImageSparse,
  createImage,
  growImage,
  imagePaths,
  imageSizeMiB,
  removeIfPresent,
  removeOrphans,
  requireFreeSpace,
  requireImage,
  writeAtomically,
  type ImagePaths,
} from './image-file.js';
import { detachLoopDevices, ensureLoopDevice, refreshLoopDevices } from './loop.js';
import type { ParameterSpec } from './parameters.js';

/** Both providers declare it: without it, a volume the file system cannot hold is refused. */
export const THIN_PARAMETER: ParameterSpec = {
  name: 'thin',
  kind: 'boolean',
  default: 'false',
  description:
    'true: create, grow and snapshot even when the free space cannot hold the whole volume (sparse images that can run out of space later, inside the guest)',
};

export interface LoopVolumeActions {
  readonly paths: (env: ActionEnvironment, volume?: string) => ImagePaths;
  /** create: a sparse file of VOL_SIZE MiB; never overwrites; the space must be free unless thin. */
  readonly create: (env: ActionEnvironment) => void;
  /** The volume's loop device, attaching one only when it has none. */
  readonly device: (env: ActionEnvironment) => string;
  /** detach: every loop device of the file; none is fine. */
  readonly detach: (env: ActionEnvironment) => void;
  /** remove: detach, delete the image, its metadata and what killed runs left; a volume already gone is fine. */
  readonly remove: (env: ActionEnvironment) => void;
  /** grow: extend to VOL_NEW_SIZE and refresh the loop devices; never shrinks. */
  readonly grow: (env: ActionEnvironment) => void;
  /** setinfo: VOL_METADATA into <volume>.meta beside the image, whole or not at all. */
  readonly setinfo: (env: ActionEnvironment) => void;
  /** snapshot: a sparse copy that is a volume named VOL_SNAPSHOT_NAME. */
  readonly snapshot: (env: ActionEnvironment) => void;
}

export function loopVolumeActions(folder: (env: ActionEnvironment) => string): LoopVolumeActions {
  const paths = (env: ActionEnvironment, volume = env.volume) => imagePaths(folder(env), volume);
  const thin = (env: ActionEnvironment) => env.params.thin === true;
  return {
    paths,
    create(env) {
      const dir = folder(env);
      const { image } = imagePaths(dir, env.volume);
      if (!thin(env)) requireFreeSpace(dir, env.size!, `create volume ${env.volume} of ${env.size!} MiB`);
      createImage(image, env.size!);
    },
    device(env) {
      const { image } = paths(env);
      requireImage(image, env.volume);
      return ensureLoopDevice(image);
    },
    detach(env) {
      detachLoopDevices(paths(env).image);
    },
    remove(env) {
      const { image, metadata } = paths(env);
      detachLoopDevices(image);
      removeIfPresent(image);
      removeIfPresent(metadata);
      removeOrphans(image);
      removeOrphans(metadata);
    },
    grow(env) {
      const dir = folder(env);
      const { image } = imagePaths(dir, env.volume);
      const current = imageSizeMiB(image);
      if (!thin(env) && current !== null && current < env.newSize!)
        requireFreeSpace(
          dir,
          env.newSize! - current,
          `grow volume ${env.volume} from ${current} to ${env.newSize!} MiB`,
        );
      growImage(image, env.volume, env.newSize!);
      // Also when the file had the size already: a grow killed before this point is retried.
      refreshLoopDevices(image);
    },
    setinfo(env) {
      const { image, metadata } = paths(env);
      requireImage(image, env.volume);
      writeAtomically(metadata, `${env.metadata!}\n`, `write the metadata of volume ${env.volume}`);
    },
    snapshot(env) {
      const dir = folder(env);
      const { image } = imagePaths(dir, env.volume);
      requireImage(image, env.volume);
      const size = imageSizeMiB(image) ?? 0;
      const snapshot = imagePaths(dir, env.snapshotName!).image;
      removeOrphans(snapshot); // a killed run's partial copy must not count against the free space
      if (!thin(env))
        requireFreeSpace(dir, Math.ceil(size), `snapshot volume ${env.volume} (${size} MiB) into ${env.snapshotName!}`);
      copyImageSparse(image, snapshot);
    },
  };
}
