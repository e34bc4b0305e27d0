// The RBD provider: Ceph RBD images through the rbd CLI. attach maps the image with the kernel
// client (unless it is mapped already) and prints the device, then a kvm: line with the rbd: URI
// QEMU opens through librbd; with userspace_only it maps nothing and prints an empty first line.

import type { ActionEnvironment } from '../lib/environment.js';
import { ProviderError } from '../lib/errors.js';
import { existsSync } from 'node:fs';
import { lastWords, render, tryRun } from '../lib/command.js';
import type { ParameterSpec } from '../lib/parameters.js';
import type { ProviderDefinition } from '../lib/runtime.js';
import { ENOENT, Rbd } from './rbd-cli.js';

export const parameters: readonly ParameterSpec[] = [
  { name: 'pool', kind: 'name', default: 'rbd', description: 'Ceph pool that holds the images' },
  {
    name: 'cephx_id',
    kind: 'name',
    description:
      'Ceph user (cephx id, without "client.") for every rbd call and the URI; default: the node configuration',
  },
  {
    name: 'ceph_conf',
    kind: 'path',
    description: 'ceph.conf to use for every rbd call and the URI; default: the node configuration',
  },
  {
    name: 'userspace_only',
    kind: 'boolean',
    default: 'false',
    description:
      'true: map nothing, attach prints only the URI (needs Ganeti 2.14.2/2.15.1 or later and access=userspace)',
  },
];

/** The metadata key setinfo writes Ganeti's VOL_METADATA to. */
export const METADATA_KEY = 'ganeti.metadata';
const EEXIST = 17;
const EBUSY = 16;
const MiB = 1024 * 1024;

interface Volume {
  readonly rbd: Rbd;
  readonly pool: string;
  readonly image: string;
  readonly spec: string;
}

function volume(env: ActionEnvironment, image = env.volume): Volume {
  const id = env.params.cephx_id as string | undefined;
  const conf = env.params.ceph_conf as string | undefined;
  const pool = env.params.pool as string;
  const rbd = new Rbd({ ...(id ? { id } : {}), ...(conf ? { conf } : {}) });
  return { rbd, pool, image, spec: `${pool}/${image}` };
}

/** QEMU's rbd: filename takes options as :key=value; a ":" or "\" inside a value is escaped. */
function qemuValue(value: string): string {
  return value.replace(/[\\:]/g, (c) => `\\${c}`);
}

export function rbdUri(env: ActionEnvironment): string {
  const id = env.params.cephx_id as string | undefined;
  const conf = env.params.ceph_conf as string | undefined;
  return `rbd:${env.params.pool as string}/${env.volume}${id ? `:id=${qemuValue(id)}` : ''}${conf ? `:conf=${qemuValue(conf)}` : ''}`;
}

function requireExists(v: Volume) {
  const info = v.rbd.info(v.spec);
  if (info === null) throw new ProviderError(`volume ${v.spec} does not exist`);
  return info;
}

function mustSucceed(result: ReturnType<Rbd['kernel']>, what: string): void {
  if (result.status !== 0) throw new ProviderError(`${what} failed: ${render(result.argv)}: ${lastWords(result)}`);
}

function unmapAll(v: Volume): void {
  for (const device of v.rbd.devicesOf(v.pool, v.image))
    mustSucceed(v.rbd.kernel('unmap', [device]), `unmapping ${device} (${v.spec})`);
}

function map(v: Volume): string {
  const result = v.rbd.kernel('map', [v.spec]);
  const device = result.stdout.trim().split('\n').pop() ?? '';
  if (result.status === 0 && /^\/dev\/rbd\d+$/.test(device)) return device;
  const said = lastWords(result);
  const noModule = /module|modprobe|sysfs/i.test(`${result.stderr}${result.stdout}`);
  throw new ProviderError(
    `mapping ${v.spec} failed: ${render(result.argv)}: ${said}. ` +
      (noModule ? 'This node cannot map RBD images: the rbd kernel module is not available. ' : '') +
      'Set userspace_only=true to let KVM open the image through librbd instead (no mapping needed).',
  );
}

export const provider: ProviderDefinition = {
  name: 'rbd',
  summary: 'Ceph RBD images through the rbd CLI; attach prints the mapped device and a kvm:rbd: URI',
  parameters,
  checks: {
    cluster: 'the cluster answers and the pool can be listed (rbd ls <pool>)',
    mapping: 'mapped devices can be listed (rbd device list)',
  },
  actions: {
    create(env) {
      const v = volume(env);
      const result = v.rbd.call(['create', '--size', String(env.size!), v.spec]);
      if (result.status === EEXIST)
        throw new ProviderError(`volume ${v.spec} already exists: refusing to overwrite it`);
      if (result.status !== 0)
        throw new ProviderError(`creating ${v.spec} failed: ${render(result.argv)}: ${lastWords(result)}`);
    },
    attach(env) {
      const v = volume(env);
      if (env.params.userspace_only) {
        requireExists(v); // QEMU would say much less clearly that it is missing
        return `\nkvm:${rbdUri(env)}\n`;
      }
      // Ganeti calls attach often: one rbd call when mapped already; map says itself if the image is missing.
      const device = v.rbd.devicesOf(v.pool, v.image)[0] ?? map(v);
      return `${device}\nkvm:${rbdUri(env)}\n`;
    },
    detach(env) {
      unmapAll(volume(env));
    },
    remove(env) {
      const v = volume(env);
      const info = v.rbd.info(v.spec);
      if (info === null) return; // already gone
      unmapAll(v);
      const result = v.rbd.call(['rm', v.spec]);
      if (result.status !== 0 && result.status !== ENOENT)
        throw new ProviderError(`removing ${v.spec} failed: ${render(result.argv)}: ${lastWords(result)}`);
      // A volume made by snapshot is a clone of a protected snapshot named after it: drop that too.
      const parent = info.parent;
      if (parent?.snapshot === v.image) {
        const snap = `${parent.pool}/${parent.image}@${parent.snapshot}`;
        const unprotect = v.rbd.call(['snap', 'unprotect', snap]);
        if (unprotect.status !== 0 && unprotect.status !== ENOENT && unprotect.status !== 22) {
          throw new ProviderError(`unprotecting ${snap} failed: ${lastWords(unprotect)}`);
        }
        const drop = v.rbd.call(['snap', 'rm', snap]);
        if (drop.status !== 0 && drop.status !== ENOENT)
          throw new ProviderError(`removing snapshot ${snap} failed: ${lastWords(drop)}`);
      }
    },
    grow(env) {
      const v = volume(env);
      const currentMiB = requireExists(v).size / MiB;
      if (currentMiB > env.newSize!)
        throw new ProviderError(
          `volume ${v.spec} is already ${currentMiB} MiB, more than the ${env.newSize} MiB asked for: refusing to shrink it`,
        );
      if (currentMiB === env.newSize) return;
      v.rbd.must(['resize', '--size', String(env.newSize!), v.spec], `growing ${v.spec}`);
    },
    setinfo(env) {
      const v = volume(env);
      v.rbd.must(['image-meta', 'set', v.spec, METADATA_KEY, env.metadata!], `setting metadata on ${v.spec}`);
    },
    snapshot(env) {
      const v = volume(env);
      const target = volume(env, env.snapshotName);
      requireExists(v);
      if (v.rbd.info(target.spec) !== null)
        throw new ProviderError(`volume ${target.spec} already exists: refusing to overwrite it`);
      const snap = `${v.spec}@${env.snapshotName!}`;
      // A retry after a failure half way finds the snapshot there already: carry on from it.
      const created = v.rbd.call(['snap', 'create', snap]);
      if (created.status !== 0 && created.status !== EEXIST)
        throw new ProviderError(`snapshotting ${v.spec} failed: ${lastWords(created)}`);
      const protectedSnap = v.rbd.call(['snap', 'protect', snap]);
      if (protectedSnap.status !== 0 && protectedSnap.status !== EBUSY)
        throw new ProviderError(`protecting ${snap} failed: ${lastWords(protectedSnap)}`);
      v.rbd.must(['clone', snap, target.spec], `cloning ${snap} to ${target.spec}`);
    },
    open(env) {
      requireExists(volume(env)); // librbd and the kernel client take the image's locks themselves
    },
    close() {
      // nothing to release
    },
    verify(env, checks) {
      const v = volume(env, 'verify');
      const wanted = checks.length > 0 ? checks : ['cluster', 'mapping'];
      if (wanted.includes('cluster')) v.rbd.must(['ls', v.pool], `listing pool ${v.pool}`);
      if (wanted.includes('mapping') && !env.params.userspace_only) {
        v.rbd.mapped();
        // rbd device list answers [] on a node without the module too; map would then fail.
        if (!existsSync('/sys/bus/rbd') && tryRun(['modinfo', 'rbd']).status !== 0) {
          throw new ProviderError(
            'this node has no rbd kernel module (no /sys/bus/rbd, modinfo rbd fails): kernel mapping is impossible; set userspace_only=true',
          );
        }
      }
    },
  },
};
