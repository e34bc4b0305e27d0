// The simulators' state, as kept in the sandbox for a whole scenario, and the documented view of it
// that `expect.simulated` checks and reports show (spec/SCENARIOS.md, "Backend simulators").
// Kept to node built-ins (and type-only imports) so simulated commands start fast.

import { randomBytes } from 'node:crypto';
import type { LosetupSimulation, RbdSimulation, SimulatedFailure, SourcePosition } from '../scenario/model.js';
import type { StoredFailure } from './runtime.js';

// ---------------------------------------------------------------------------------------------
// rbd

/** Features of a new image when none are asked for: Ceph 16's rbd_default_features (61). */
export const RBD_DEFAULT_FEATURES: readonly string[] = [
  'layering',
  'exclusive-lock',
  'object-map',
  'fast-diff',
  'deep-flatten',
];

export interface RbdSnapshot {
  readonly id: number;
  readonly name: string;
  readonly bytes: number;
  protected: boolean;
  /** Seconds since the epoch. */
  readonly created: number;
  /** Clones of this snapshot (clone v1 children), by image key. */
  children: string[];
}

export interface RbdParent {
  readonly pool: string;
  readonly namespace: string;
  readonly image: string;
  readonly imageId: string;
  readonly snapshot: string;
  overlap: number;
}

export interface RbdImage {
  readonly id: string;
  bytes: number;
  readonly order: number;
  readonly features: string[];
  meta: Record<string, string>;
  snapshots: RbdSnapshot[];
  parent: RbdParent | null;
  /** Seconds since the epoch. */
  readonly created: number;
}

/** A kernel mapping (`rbd device map`). */
export interface RbdDevice {
  /** N of /dev/rbdN. */
  readonly id: number;
  readonly pool: string;
  readonly namespace: string;
  readonly image: string;
  /** "-" for the image itself. */
  readonly snap: string;
  readonly readOnly: boolean;
}

/** The Ceph releases whose rbd the simulator can play (spec/SCENARIOS.md, `ceph_release`). */
export type CephRelease = NonNullable<RbdSimulation['cephRelease']>;

/** The release played when a scenario names none: Ceph 16, the one compared with a real rbd. */
export const DEFAULT_CEPH_RELEASE: CephRelease = 16;

export interface RbdState {
  /** Pools that exist: "pool", and "pool/namespace" for namespaces. */
  readonly pools: string[];
  readonly kernelModule: boolean;
  /** Whose rbd to play: output formats, messages and commands of that Ceph release. */
  readonly cephRelease: CephRelease;
  /** By key "pool/image" or "pool/namespace/image". */
  images: Record<string, RbdImage>;
  devices: RbdDevice[];
  nextSnapId: number;
  readonly fail: StoredFailure[];
}

export function imageKey(pool: string, namespace: string, name: string): string {
  return namespace === '' ? `${pool}/${name}` : `${pool}/${namespace}/${name}`;
}

/** A new image id as librbd makes them: hex digits of the client's instance id and a random number. */
export function newImageId(): string {
  return randomBytes(6).toString('hex').replace(/^0+/, '') || '1';
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

// ---------------------------------------------------------------------------------------------
// losetup

export interface LoopDevice {
  /** N of /dev/loopN. */
  readonly number: number;
  /** The backing file's canonical path, as the kernel reports it (no " (deleted)" suffix). */
  readonly file: string;
  /** st_dev and st_ino of the backing file when it was attached. */
  readonly dev: number;
  readonly ino: number;
  readonly offset: number;
  readonly sizelimit: number;
  readOnly: boolean;
  autoclear: boolean;
  readonly partscan: boolean;
  directIo: boolean;
  sectorSize: number;
  /** The device's capacity in bytes: set when attached, refreshed by --set-capacity. */
  bytes: number;
}

export interface LosetupState {
  /** How many loop devices exist (/dev/loop0 .. /dev/loop<count-1>); no more can be created. */
  readonly count: number;
  attached: LoopDevice[];
  readonly fail: StoredFailure[];
}

// ---------------------------------------------------------------------------------------------
// From the scenario

function storedFailures(failures: readonly SimulatedFailure[], at: (p: SourcePosition) => string): StoredFailure[] {
  return failures.map((f) => ({
    when: f.when.map((m) => ('equals' in m ? { equals: m.equals } : { regex: m.source })),
    error: f.error,
    times: f.times,
    used: 0,
    at: at(f.position),
  }));
}

export function initialRbdState(options: RbdSimulation, at: (p: SourcePosition) => string): RbdState {
  const state: RbdState = {
    pools: [...options.pools],
    kernelModule: options.kernelModule,
    cephRelease: options.cephRelease ?? DEFAULT_CEPH_RELEASE,
    images: {},
    devices: [],
    nextSnapId: 4,
    fail: storedFailures(options.fail, at),
  };
  const created = nowSeconds();
  for (const image of options.images) {
    const key = imageKey(image.pool, image.namespace, image.name);
    const bytes = image.size * 1024 * 1024;
    state.images[key] = {
      id: newImageId(),
      bytes,
      order: 22,
      features: [...(image.features ?? RBD_DEFAULT_FEATURES)],
      meta: { ...image.meta },
      snapshots: image.snapshots.map((s) => ({
        id: state.nextSnapId++,
        name: s.name,
        bytes,
        protected: s.protected,
        created,
        children: [],
      })),
      parent: null,
      created,
    };
    if (image.mapped) {
      const used = new Set(state.devices.map((d) => d.id));
      let id = 0;
      while (used.has(id)) id++;
      state.devices.push({
        id,
        pool: image.pool,
        namespace: image.namespace,
        image: image.name,
        snap: '-',
        readOnly: false,
      });
    }
  }
  return state;
}

export function initialLosetupState(options: LosetupSimulation, at: (p: SourcePosition) => string): LosetupState {
  return { count: options.devices, attached: [], fail: storedFailures(options.fail, at) };
}

// ---------------------------------------------------------------------------------------------
// The documented view (what expect.simulated compares with)

const MIB = 1024 * 1024;

export function rbdView(state: RbdState): Record<string, unknown> {
  const images: Record<string, unknown> = {};
  for (const [key, image] of Object.entries(state.images).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const [pool, ...rest] = key.split('/');
    const name = rest.pop()!;
    const namespace = rest.join('/');
    const devices = state.devices
      .filter((d) => d.pool === pool && d.namespace === namespace && d.image === name)
      .map((d) => `/dev/rbd${d.id}`);
    images[key] = {
      id: image.id,
      size: image.bytes / MIB,
      bytes: image.bytes,
      order: image.order,
      features: [...image.features],
      meta: { ...image.meta },
      snapshots: Object.fromEntries(
        image.snapshots.map((s) => [
          s.name,
          { id: s.id, size: s.bytes / MIB, bytes: s.bytes, protected: s.protected, children: [...s.children] },
        ]),
      ),
      parent:
        image.parent === null
          ? null
          : {
              pool: image.parent.pool,
              namespace: image.parent.namespace,
              image: image.parent.image,
              snapshot: image.parent.snapshot,
              overlap: image.parent.overlap,
            },
      mapped: devices.length > 0,
      devices,
    };
  }
  const devices: Record<string, unknown> = {};
  for (const d of [...state.devices].sort((a, b) => a.id - b.id)) {
    devices[`/dev/rbd${d.id}`] = {
      pool: d.pool,
      namespace: d.namespace,
      image: d.image,
      snap: d.snap,
      read_only: d.readOnly,
    };
  }
  return { pools: [...state.pools], kernel_module: state.kernelModule, images, devices, mapped: state.devices.length };
}

export function losetupView(state: LosetupState): Record<string, unknown> {
  const devices: Record<string, unknown> = {};
  for (const d of [...state.attached].sort((a, b) => a.number - b.number)) {
    devices[`/dev/loop${d.number}`] = {
      file: d.file,
      size: d.bytes / MIB,
      bytes: d.bytes,
      offset: d.offset,
      sizelimit: d.sizelimit,
      read_only: d.readOnly,
      autoclear: d.autoclear,
      partscan: d.partscan,
      direct_io: d.directIo,
      sector_size: d.sectorSize,
    };
  }
  return { count: state.count, attached: state.attached.length, devices };
}
