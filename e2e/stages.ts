// What the e2e run checks once the real backends are up: most stages are one `extstorage-kit`
// command, run inside the private namespace against the real storage, exactly as a provider
// author would run it on a node of a test cluster; the drift stages compare each simulator with
// the real tool it fakes, command line by command line.

import { join } from 'node:path';
import type { Namespace } from './backends/namespace.js';
import { compareLosetup, losetupDriftUnavailable } from './drift/losetup.js';
import { compareRbd } from './drift/rbd.js';
import type { GanetiAvailability } from './ganeti/install.js';
import { clusterFakeStage, clusterKvmStage } from './ganeti/cluster.js';
import { GLUSTER, LEGACY, RBD, ganetiDifferential, ganetiStage } from './ganeti/stages.js';

/** Where things are, for the stages' command lines. */
export interface StageEnvironment {
  /** The repository root (the built CLI and providers are under dist/). */
  readonly repo: string;
  /** A folder of the e2e run's own, removed at the end. */
  readonly workDir: string;
  /** Where the GlusterFS volume is FUSE-mounted inside the namespace. */
  readonly glusterMount: string;
  /** Ganeti 3.0's storage code, or why it is not here (the Ganeti stages are then skipped). */
  readonly ganeti: GanetiAvailability;
}

/** What a check stage found. */
export interface CheckResult {
  readonly ok: boolean;
  readonly summary: string;
  readonly details: readonly string[];
}

/** What each stage belongs to: the report sums the stages' times per layer. */
export const LAYERS = {
  providers: 'providers on real storage',
  ganetiStorage: 'Ganeti storage layer (layer 1)',
  ganetiCluster: 'Ganeti cluster (layer 2)',
  simulators: 'simulators vs reality',
  live: 'conformance --live',
} as const;

export interface Stage {
  readonly name: string;
  readonly layer: (typeof LAYERS)[keyof typeof LAYERS];
  /** The CLI's arguments (after `extstorage-kit`); a --json report path is added by the runner. */
  args?(env: StageEnvironment): string[];
  /** Or a check of the e2e's own, given the namespace. */
  check?(ns: Namespace, env: StageEnvironment): Promise<CheckResult>;
  /** It runs scripts through Ganeti's code (`--through-ganeti`): skipped, saying why, where Ganeti is not here. */
  readonly needsGaneti?: boolean;
  /** A generous limit: a stage hanging must not hang CI. */
  readonly timeoutMs: number;
  /** Whose daemon logs a failure of this stage shows the tails of. */
  readonly backends: readonly ('ceph' | 'gluster')[];
}

const MINUTE = 60_000;

// What a live run cannot exercise, accepted out loud: it neither sees nor fails the real backend's
// commands, so grow's size and the failure checks stay "not verified" there (the simulated runs
// in npm test verify both).
const LIVE_UNVERIFIABLE = ['--allow-unverified', 'GROW-NEW-SIZE', '--allow-unverified', 'BACKEND-FAILURE'];

export const STAGES: readonly Stage[] = [
  {
    name: 'legacy: lifecycle on real loop devices, pattern through the device',
    layer: LAYERS.providers,
    args: () => ['run', 'e2e/scenarios/legacy.yaml', '--host-devices'],
    timeoutMs: 3 * MINUTE,
    backends: [],
  },
  {
    name: 'rbd: lifecycle on Ceph, QEMU through the rbd: URI, kernel attach refused',
    layer: LAYERS.providers,
    args: () => ['run', 'e2e/scenarios/rbd.yaml', '--host-devices'],
    timeoutMs: 5 * MINUTE,
    backends: ['ceph'],
  },
  {
    name: 'gluster: loop device on the FUSE mount, QEMU through the gluster:// URI',
    layer: LAYERS.providers,
    args: () => ['run', 'e2e/scenarios/gluster.yaml', '--host-devices'],
    timeoutMs: 5 * MINUTE,
    backends: ['gluster'],
  },
  {
    name: "Ganeti 3.0's ExtStorageDevice drives legacy on real loop devices",
    layer: LAYERS.ganetiStorage,
    check: (ns, env) => ganetiStage(ns, env, LEGACY),
    timeoutMs: 3 * MINUTE,
    backends: [],
  },
  {
    name: "Ganeti 3.0's ExtStorageDevice drives rbd (userspace) on Ceph, QEMU through Ganeti's URI",
    layer: LAYERS.ganetiStorage,
    check: (ns, env) => ganetiStage(ns, env, RBD),
    timeoutMs: 3 * MINUTE,
    backends: ['ceph'],
  },
  {
    name: "Ganeti 3.0's ExtStorageDevice drives gluster on GlusterFS, QEMU through Ganeti's URI",
    layer: LAYERS.ganetiStorage,
    check: (ns, env) => ganetiStage(ns, env, GLUSTER),
    timeoutMs: 3 * MINUTE,
    backends: ['gluster'],
  },
  {
    name: "Ganeti 3.0 judges the kit: attach verdicts and each action's environment, Ganeti's vs the kit's",
    layer: LAYERS.ganetiStorage,
    check: (ns, env) => ganetiDifferential(ns, env),
    timeoutMs: 3 * MINUTE,
    backends: [],
  },
  {
    name: 'Ganeti cluster: fake hypervisor, the ext template with the legacy provider',
    layer: LAYERS.ganetiCluster,
    check: (ns, env) => clusterFakeStage(ns, env),
    timeoutMs: 4 * MINUTE,
    backends: [],
  },
  {
    name: "Ganeti cluster: KVM (QEMU TCG) with rbd access=userspace, QEMU's own view of its drive",
    layer: LAYERS.ganetiCluster,
    check: (ns, env) => clusterKvmStage(ns, env),
    timeoutMs: 4 * MINUTE,
    backends: ['ceph'],
  },
  {
    name: 'simulators vs reality: rbd, command by command',
    layer: LAYERS.simulators,
    check: async (ns, env) => {
      const { compared, mismatches, known } = await compareRbd(ns, env.workDir);
      return {
        ok: mismatches.length === 0,
        summary: `${compared} command lines, ${mismatches.length} differ`,
        details: [...known, ...mismatches],
      };
    },
    timeoutMs: 3 * MINUTE,
    backends: ['ceph'],
  },
  {
    name: 'simulators vs reality: losetup, byte for byte',
    layer: LAYERS.simulators,
    check: async (_ns, env) => {
      const unavailable = losetupDriftUnavailable();
      if (unavailable !== null) return { ok: false, summary: `not compared: ${unavailable}`, details: [] };
      const { compared, mismatches } = compareLosetup(env.workDir);
      return {
        ok: mismatches.length === 0,
        summary: `${compared} command lines, ${mismatches.length} differ`,
        details: mismatches,
      };
    },
    timeoutMs: 3 * MINUTE,
    backends: [],
  },
  {
    name: 'simulators vs reality: legacy scenarios with the real losetup',
    layer: LAYERS.simulators,
    args: () => ['run', 'providers/legacy/scenarios', '--real', 'losetup'],
    timeoutMs: 3 * MINUTE,
    backends: [],
  },
  {
    name: 'simulators vs reality: gluster scenarios with the real losetup',
    layer: LAYERS.simulators,
    args: () => ['run', 'providers/gluster/scenarios', '--real', 'losetup'],
    timeoutMs: 3 * MINUTE,
    backends: ['gluster'],
  },
  {
    name: 'simulators vs reality: rbd scenarios with the real rbd and Ceph',
    layer: LAYERS.simulators,
    args: () => ['run', 'providers/rbd', '--real', 'rbd'], // as run --help shows it
    timeoutMs: 5 * MINUTE,
    backends: ['ceph'],
  },
  {
    name: 'conformance --live: legacy on real loop devices',
    layer: LAYERS.live,
    args: (env) => [
      'test',
      'dist/providers/legacy',
      '--live',
      ...LIVE_UNVERIFIABLE,
      '-p',
      `dir=${join(env.workDir, 'legacy-live')}`,
      '--ganeti',
      '2.16',
      '--ganeti',
      '3.1',
    ],
    timeoutMs: 5 * MINUTE,
    backends: [],
  },
  {
    // Ganeti judges the kit on real devices: every script through Ganeti's own code, compared.
    name: "conformance --live --through-ganeti: legacy on real loop devices, each script run by Ganeti 3.0's code",
    layer: LAYERS.ganetiStorage,
    needsGaneti: true,
    args: (env) => [
      'test',
      'dist/providers/legacy',
      '--live',
      '--through-ganeti',
      ...LIVE_UNVERIFIABLE,
      '-p',
      `dir=${join(env.workDir, 'legacy-live-ganeti')}`,
    ],
    timeoutMs: 5 * MINUTE,
    backends: [],
  },
  {
    name: "conformance --live --through-ganeti: rbd (userspace) on Ceph, each script run by Ganeti 3.0's code",
    layer: LAYERS.ganetiStorage,
    needsGaneti: true,
    args: () => [
      'test',
      'dist/providers/rbd',
      '--live',
      '--through-ganeti',
      ...LIVE_UNVERIFIABLE,
      '-p',
      'pool=rbd',
      '-p',
      'userspace_only=true',
    ],
    timeoutMs: 5 * MINUTE,
    backends: ['ceph'],
  },
  {
    name: 'conformance --live: rbd (userspace) on Ceph',
    layer: LAYERS.live,
    args: () => [
      'test',
      'dist/providers/rbd',
      '--live',
      ...LIVE_UNVERIFIABLE,
      '-p',
      'pool=rbd',
      '-p',
      'userspace_only=true',
      '--ganeti',
      '2.16',
      '--ganeti',
      '3.1',
    ],
    timeoutMs: 5 * MINUTE,
    backends: ['ceph'],
  },
  {
    name: 'conformance --live: gluster on GlusterFS and real loop devices',
    layer: LAYERS.live,
    args: (env) => [
      'test',
      'dist/providers/gluster',
      '--live',
      ...LIVE_UNVERIFIABLE,
      '-p',
      'volume=gv0',
      '-p',
      `mountpoint=${env.glusterMount}`,
      '-p',
      'dir=ganeti',
      '--ganeti',
      '2.16',
      '--ganeti',
      '3.1',
    ],
    timeoutMs: 5 * MINUTE,
    backends: ['gluster'],
  },
];

/** The variable that narrows a run to the stages whose name contains its value. */
export const ONLY_VARIABLE = 'EXTSTORAGE_KIT_E2E_ONLY';

/**
 * The stages to run: all of them without EXTSTORAGE_KIT_E2E_ONLY, else those whose name contains
 * its value (case-sensitive). Throws, naming the stages, when the value is empty or matches none:
 * a typo must not pass as a green run of nothing.
 */
export function selectStages(stages: readonly Stage[], only: string | undefined): readonly Stage[] {
  if (only === undefined) return stages;
  const names = stages.map((s) => `  ${s.name}`).join('\n');
  if (only.trim() === '')
    throw new Error(
      `${ONLY_VARIABLE} is empty: unset it to run every stage, or give part of a stage's name:\n${names}`,
    );
  const chosen = stages.filter((s) => s.name.includes(only));
  if (chosen.length === 0)
    throw new Error(
      `${ONLY_VARIABLE}=${JSON.stringify(only)} is in no stage's name (case counts); the stages:\n${names}`,
    );
  return chosen;
}

/** The backends the chosen stages use: only those are started. */
export function backendsNeeded(stages: readonly Stage[]): Set<'ceph' | 'gluster'> {
  return new Set(stages.flatMap((s) => s.backends));
}
