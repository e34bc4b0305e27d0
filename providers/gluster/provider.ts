// The Gluster provider: image files on a GlusterFS volume that is FUSE-mounted on every node.
// attach maps the file with losetup and prints the device, then a kvm: line with the gluster://
// URI QEMU opens through libgfapi; with userspace_only it prints an empty first line and the URI,
// and needs no mount.

import { join } from 'node:path';
import type { ActionEnvironment } from '../lib/environment.js';
import { note } from '../lib/diagnostics.js';
import { InputError } from '../lib/errors.js';
import { requireDirectory, requireImage } from '../lib/image-file.js';
import { loopVolumeActions, THIN_PARAMETER } from '../lib/loop-volume.js';
import type { ParameterSpec } from '../lib/parameters.js';
import { isIPv6 } from '../lib/validate.js';
import type { ProviderDefinition } from '../lib/runtime.js';
import { requireGlusterMount } from './mount-check.js';

export const parameters: readonly ParameterSpec[] = [
  {
    name: 'host',
    kind: 'host',
    default: '127.0.0.1',
    description: 'GlusterFS server QEMU connects to (host name, IPv4 or IPv6 address)',
  },
  { name: 'port', kind: 'port', default: '24007', description: 'glusterd port on that server' },
  { name: 'volume', kind: 'name', required: true, description: 'GlusterFS volume that holds the images' },
  {
    name: 'mountpoint',
    kind: 'path',
    description:
      'Where the volume is FUSE-mounted on every node; needed by all actions but a userspace-only attach/detach/open/close',
  },
  {
    name: 'dir',
    kind: 'name',
    default: 'ganeti',
    description: 'Folder inside the volume for the images; it must exist',
  },
  {
    name: 'check_mount',
    kind: 'boolean',
    default: 'true',
    description:
      'false: do not check that mountpoint is where the volume is mounted (only where a plain folder stands in for the mount, as in tests; every action says so on stderr)',
  },
  THIN_PARAMETER,
  {
    name: 'userspace_only',
    kind: 'boolean',
    default: 'false',
    description:
      'true: no loop device, attach prints only the URI (needs Ganeti 2.14.2/2.15.1 or later and access=userspace)',
  },
];

export function glusterUri(env: ActionEnvironment): string {
  const host = env.params.host as string;
  const shownHost = isIPv6(host) ? `[${host}]` : host;
  return `gluster://${shownHost}:${env.params.port as number}/${env.params.volume as string}/${env.params.dir as string}/${env.volume}.img`;
}

let warned = false;

/**
 * The folder of images on the mount. It must exist, and (unless check_mount=false) be on the
 * GlusterFS volume mounted at mountpoint, for every action but detach, which only releases loop
 * devices and must work whatever became of the mount.
 */
function imageDir(env: ActionEnvironment): string {
  const mountpoint = env.params.mountpoint as string | undefined;
  if (mountpoint === undefined) {
    throw new InputError(
      `parameter mountpoint is required for ${env.action}: give mountpoint=<where volume ${env.params.volume as string} is mounted>`,
    );
  }
  const dir = join(mountpoint, env.params.dir as string);
  requireDirectory(
    dir,
    `is the GlusterFS volume ${env.params.volume as string} mounted at ${mountpoint}? (create the folder ${env.params.dir as string} in it once)`,
  );
  if (env.params.check_mount === false) {
    if (!warned)
      note(
        `warning: check_mount=false: not checking that ${mountpoint} is where GlusterFS volume ${env.params.volume as string} is mounted`,
      );
    warned = true;
  } else if (env.action !== 'detach') {
    const what = env.volume === '' ? env.action : `${env.action} volume ${env.volume}`;
    requireGlusterMount(mountpoint, dir, env.params.volume as string, what);
  }
  return dir;
}

const volumes = loopVolumeActions(imageDir);

export const provider: ProviderDefinition = {
  name: 'gluster',
  summary: 'image files on a FUSE-mounted GlusterFS volume; attach prints the loop device and a kvm:gluster:// URI',
  parameters,
  checks: {
    mount: 'the image folder exists on the GlusterFS volume mounted at mountpoint',
  },
  actions: {
    create: volumes.create,
    attach(env) {
      const uri = `kvm:${glusterUri(env)}`;
      if (env.params.userspace_only) return `\n${uri}\n`; // QEMU reaches the file itself: no mount needed
      return `${volumes.device(env)}\n${uri}\n`;
    },
    detach(env) {
      if (env.params.userspace_only && env.params.mountpoint === undefined) return; // nothing was mapped
      volumes.detach(env);
    },
    remove: volumes.remove,
    grow: volumes.grow,
    setinfo: volumes.setinfo,
    snapshot: volumes.snapshot,
    open(env) {
      if (env.params.mountpoint !== undefined) requireImage(volumes.paths(env).image, env.volume);
    },
    close() {
      // nothing to release
    },
    verify(env, checks) {
      const wanted = checks.length > 0 ? checks : ['mount'];
      if (wanted.includes('mount')) imageDir(env);
    },
  },
};
