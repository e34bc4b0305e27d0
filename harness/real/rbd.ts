// A real Ceph cluster behind `rbd`, in place of the rbd simulator. The pools a scenario names must
// exist and hold no image when it starts (so its starting state is exactly the scenario's, and
// everything found afterwards is the scenario's own to remove): a test cluster, never production.

import { existsSync } from 'node:fs';
import type { RbdSimulation } from '../scenario/model.js';
import { RBD_DEFAULT_FEATURES } from '../simulate/state.js';
import { mustRun, runCommand, type RealBackend, type RealContext } from './backend.js';

const MIB = 1024 * 1024;

/** Whether this host can map images: the rbd kernel module is loaded (or built in). */
export function hostHasRbdModule(): boolean {
  return existsSync('/sys/module/rbd') || existsSync('/sys/bus/rbd');
}

interface Place {
  readonly pool: string;
  readonly namespace: string;
}

function placeOf(entry: string): Place {
  const [pool, namespace = ''] = entry.split('/');
  return { pool: pool!, namespace };
}

/** rbd's --pool/--namespace options for a place. */
function placeArgs(place: Place): string[] {
  return place.namespace === '' ? ['--pool', place.pool] : ['--pool', place.pool, '--namespace', place.namespace];
}

/** "pool" or "pool/namespace", as the scenario's `pools` lists it. */
function placeName(place: Place): string {
  return place.namespace === '' ? place.pool : `${place.pool}/${place.namespace}`;
}

function spec(place: Place, image: string): string {
  return place.namespace === '' ? `${place.pool}/${image}` : `${place.pool}/${place.namespace}/${image}`;
}

const rbd = (context: RealContext, args: readonly string[]) => mustRun(['rbd', ...args], context.env);

/** Namespaces made for a scenario (by its sandbox): removed afterwards, and only those. */
const createdNamespaces = new Map<string, Place[]>();

async function poolsOnCluster(context: RealContext): Promise<string[]> {
  return JSON.parse(await mustRun(['ceph', 'osd', 'pool', 'ls', '--format', 'json'], context.env)) as string[];
}

/** The major release of the host's rbd (`ceph version 16.2.15 (...)` gives 16), or null. */
async function hostCephRelease(context: RealContext): Promise<number | null> {
  const out = await runCommand(['rbd', '--version'], context.env);
  const match = /ceph version (\d+)\./.exec(out.stdout);
  return match ? Number(match[1]) : null;
}

async function namespacesOf(context: RealContext, pool: string): Promise<string[]> {
  const out = await runCommand(['rbd', 'namespace', 'ls', '--format', 'json', pool], context.env);
  if (out.code !== 0) return []; // not an rbd pool
  return (JSON.parse(out.stdout || '[]') as { name: string }[]).map((n) => n.name);
}

async function imagesIn(context: RealContext, place: Place): Promise<string[]> {
  return JSON.parse((await rbd(context, ['ls', '--format', 'json', ...placeArgs(place)])) || '[]') as string[];
}

/** Every place the scenario names (each pool, and each pool/namespace). */
function places(options: RbdSimulation): Place[] {
  return options.pools.map(placeOf);
}

interface RealDevice {
  readonly id: string;
  readonly pool: string;
  readonly namespace: string;
  readonly name: string;
  readonly snap: string;
  readonly device: string;
}

async function devices(context: RealContext): Promise<RealDevice[]> {
  const out = await runCommand(['rbd', 'device', 'list', '--format', 'json'], context.env);
  return out.code === 0 ? (JSON.parse(out.stdout || '[]') as RealDevice[]) : [];
}

export const realRbd: RealBackend<RbdSimulation> = {
  name: 'rbd',

  async unsupported(options, context) {
    if (options.fail.length > 0) return 'it injects failures, which only the simulator can';
    const module = hostHasRbdModule();
    if ((options.given ?? []).includes('kernel_module') && options.kernelModule !== module) {
      return `it simulates a host ${options.kernelModule ? 'with' : 'without'} the rbd kernel module, and this host ${module ? 'has it' : 'has none'}`;
    }
    if ((options.given ?? []).includes('ceph_release')) {
      // Output formats differ between releases: a scenario written for another one cannot pass here.
      const host = await hostCephRelease(context);
      const wanted = options.cephRelease ?? 16;
      if (host !== wanted)
        return `it simulates Ceph ${wanted}, and this host's rbd is ${host === null ? 'of an unknown release' : `Ceph ${host}`}`;
    }
    if (!module && options.images.some((image) => image.mapped))
      return 'it starts with a mapped image, and this host has no rbd kernel module';
    const existing = await poolsOnCluster(context);
    const missing = places(options)
      .filter((p) => !existing.includes(p.pool))
      .map((p) => p.pool);
    if (missing.length > 0)
      return `it needs the pool${missing.length > 1 ? 's' : ''} ${[...new Set(missing)].join(', ')}, which the cluster does not have`;
    return null;
  },

  async prepare(options, context) {
    for (const place of places(options)) {
      if (place.namespace !== '' && !(await namespacesOf(context, place.pool)).includes(place.namespace)) {
        await rbd(context, ['namespace', 'create', '--pool', place.pool, '--namespace', place.namespace]);
        createdNamespaces.set(context.sandbox, [...(createdNamespaces.get(context.sandbox) ?? []), place]);
      }
      const found = await imagesIn(context, place);
      if (found.length > 0) {
        throw new Error(
          `pool ${placeName(place)} already holds ${found.slice(0, 5).join(', ')}${found.length > 5 ? ', ...' : ''}: --real needs the scenario's pools empty at the start (use a test cluster)`,
        );
      }
    }
    try {
      await seed(options, context);
    } catch (error) {
      // The pools were empty: whatever is in them now is what seeding made.
      await realRbd.cleanup(options, context);
      throw error;
    }
  },

  async view(options, context) {
    const mapped = await devices(context);
    const images: Record<string, unknown> = {};
    const pools: string[] = [];
    for (const pool of await poolsOnCluster(context)) {
      pools.push(pool);
      const namespaces = await namespacesOf(context, pool);
      pools.push(...namespaces.map((n) => `${pool}/${n}`));
      for (const place of [{ pool, namespace: '' }, ...namespaces.map((namespace) => ({ pool, namespace }))]) {
        if (!options.pools.includes(placeName(place))) continue; // only what the scenario owns
        for (const name of (await imagesIn(context, place)).sort()) {
          const key = spec(place, name);
          images[key] = await imageView(context, place, name, mapped);
        }
      }
    }
    const deviceView: Record<string, unknown> = {};
    for (const d of mapped)
      deviceView[d.device] = { pool: d.pool, namespace: d.namespace, image: d.name, snap: d.snap, read_only: false };
    return { pools, kernel_module: hostHasRbdModule(), images, devices: deviceView, mapped: mapped.length };
  },

  async cleanup(options, context) {
    const problems: string[] = [];
    for (const d of await devices(context)) {
      if (!options.pools.includes(placeName({ pool: d.pool, namespace: d.namespace }))) continue;
      const out = await runCommand(['rbd', 'device', 'unmap', d.device], context.env);
      if (out.code !== 0) problems.push(`rbd device unmap ${d.device}: ${out.stderr.trim()}`);
    }
    // Clones before their parents: repeat while something could be removed.
    for (let pass = 0; pass < 5; pass++) {
      let left = 0;
      let removed = 0;
      for (const place of places(options)) {
        for (const name of await imagesIn(context, place)) {
          const image = spec(place, name);
          const snaps = JSON.parse((await rbd(context, ['snap', 'ls', '--format', 'json', image])) || '[]') as {
            name: string;
            protected: string;
          }[];
          for (const s of snaps.filter((s) => s.protected === 'true'))
            await runCommand(['rbd', 'snap', 'unprotect', `${image}@${s.name}`], context.env);
          await runCommand(['rbd', 'snap', 'purge', '--no-progress', image], context.env);
          const out = await runCommand(['rbd', 'rm', '--no-progress', image], context.env);
          if (out.code === 0) removed++;
          else left++;
        }
      }
      if (left === 0) break;
      if (removed === 0 && pass > 0) {
        problems.push(`images left in ${options.pools.join(', ')} after cleanup`);
        break;
      }
    }
    for (const place of createdNamespaces.get(context.sandbox) ?? []) {
      await runCommand(
        ['rbd', 'namespace', 'remove', '--pool', place.pool, '--namespace', place.namespace],
        context.env,
      );
    }
    createdNamespaces.delete(context.sandbox);
    return problems;
  },
};

/** The scenario's images, made for real: size, features, metadata, snapshots (protected), mappings. */
async function seed(options: RbdSimulation, context: RealContext): Promise<void> {
  for (const image of options.images) {
    const place = { pool: image.pool, namespace: image.namespace };
    const name = spec(place, image.name);
    const features = image.features ?? RBD_DEFAULT_FEATURES;
    await rbd(context, [
      'create',
      '--size',
      `${image.size}M`,
      ...features.flatMap((f) => ['--image-feature', f]),
      name,
    ]);
    for (const [key, value] of Object.entries(image.meta)) await rbd(context, ['image-meta', 'set', name, key, value]);
    for (const snapshot of image.snapshots) {
      await rbd(context, ['snap', 'create', `${name}@${snapshot.name}`]);
      if (snapshot.protected) await rbd(context, ['snap', 'protect', `${name}@${snapshot.name}`]);
    }
    if (image.mapped) await rbd(context, ['device', 'map', name]);
  }
}

interface RealInfo {
  id: string;
  size: number;
  order: number;
  features: string[];
  parent?: { pool: string; pool_namespace: string; image: string; snapshot: string; overlap: number };
}

/** One image as the simulator's view shows it, from rbd info, snap ls, image-meta list and children. */
async function imageView(
  context: RealContext,
  place: Place,
  name: string,
  mapped: readonly RealDevice[],
): Promise<Record<string, unknown>> {
  const image = spec(place, name);
  const info = JSON.parse(await rbd(context, ['info', '--format', 'json', image])) as RealInfo;
  const metaText = await rbd(context, ['image-meta', 'list', '--format', 'json', image]);
  const meta = metaText.trim() === '' ? {} : (JSON.parse(metaText) as Record<string, string>);
  const snaps = JSON.parse((await rbd(context, ['snap', 'ls', '--format', 'json', image])) || '[]') as {
    id: number;
    name: string;
    size: number;
    protected: string;
  }[];
  const snapshots: Record<string, unknown> = {};
  for (const s of snaps) {
    const children = JSON.parse(
      (await rbd(context, ['children', '--format', 'json', `${image}@${s.name}`])) || '[]',
    ) as { pool: string; pool_namespace: string; image: string }[];
    snapshots[s.name] = {
      id: s.id,
      size: s.size / MIB,
      bytes: s.size,
      protected: s.protected === 'true',
      children: children.map((c) => spec({ pool: c.pool, namespace: c.pool_namespace }, c.image)),
    };
  }
  const devices = mapped
    .filter((d) => d.pool === place.pool && d.namespace === place.namespace && d.name === name)
    .map((d) => d.device);
  const parent = info.parent;
  return {
    id: info.id,
    size: info.size / MIB,
    bytes: info.size,
    order: info.order,
    features: info.features,
    meta,
    snapshots,
    parent:
      parent === undefined
        ? null
        : {
            pool: parent.pool,
            namespace: parent.pool_namespace,
            image: parent.image,
            snapshot: parent.snapshot,
            overlap: parent.overlap,
          },
    mapped: devices.length > 0,
    devices,
  };
}
