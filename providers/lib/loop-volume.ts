// Volumes that are sparse image files in a folder, mapped with loop devices: the actions the
// legacy and gluster providers share. `folder(env)` says where the images are, and checks it.

import type { ActionEnvironment } from './environment.js';
import {
  copyImageSparse,
  createImage,
  growImage,
  imagePaths,
  removeIfPresent,
  requireImage,
  writeAtomically,
  type ImagePaths,
} from './image-file.js';
import { detachLoopDevices, ensureLoopDevice, refreshLoopDevices } from './loop.js';

export interface LoopVolumeActions {
  readonly paths: (env: ActionEnvironment, volume?: string) => ImagePaths;
  /** create: a sparse file of VOL_SIZE MiB; never overwrites. */
  readonly create: (env: ActionEnvironment) => void;
  /** The volume's loop device, attaching one only when it has none. */
  readonly device: (env: ActionEnvironment) => string;
  /** detach: every loop device of the file; none is fine. */
  readonly detach: (env: ActionEnvironment) => void;
  /** remove: detach, delete the image and its metadata; a volume already gone is fine. */
  readonly remove: (env: ActionEnvironment) => void;
  /** grow: extend to VOL_NEW_SIZE and refresh the loop devices; never shrinks. */
  readonly grow: (env: ActionEnvironment) => void;
  /** setinfo: VOL_METADATA into <volume>.meta beside the image. */
  readonly setinfo: (env: ActionEnvironment) => void;
  /** snapshot: a sparse copy that is a volume named VOL_SNAPSHOT_NAME. */
  readonly snapshot: (env: ActionEnvironment) => void;
}

export function loopVolumeActions(folder: (env: ActionEnvironment) => string): LoopVolumeActions {
  const paths = (env: ActionEnvironment, volume = env.volume) => imagePaths(folder(env), volume);
  return {
    paths,
    create(env) {
      createImage(paths(env).image, env.size!);
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
      copyImageSparse(image, paths(env, env.snapshotName).image);
    },
  };
}
