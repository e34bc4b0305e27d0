// What the explorer generates and runs: a plan of operations over a few volumes. An operation is
// one action on one volume, maybe disturbed (killed at a backend call, or meeting an injected
// backend failure) and then retried, or two actions on different volumes started together.

import { ACTIONS, type Action } from '../provider/layout.js';
import type { KillMoment } from '../scenario/model.js';

/** The actions the explorer draws: every one (snapshot, open and close when the provider has the script). */
export const EXPLORED_ACTIONS = ACTIONS;

export type ExploredAction = Action;

/**
 * How an action is disturbed: SIGKILL before or after its k-th backend call, or `ms` milliseconds
 * after it started (where that kill lands is recorded, as a call the gate can kill at again), or
 * every backend call failing.
 */
export type Disturbance =
  | { readonly kind: 'kill'; readonly call: number; readonly when: KillMoment }
  | { readonly kind: 'kill-timed'; readonly ms: number }
  | { readonly kind: 'fail' };

export interface ActionOp {
  /** Index into the plan's volumes. */
  readonly volume: number;
  readonly action: ExploredAction;
  /** create: VOL_SIZE (MiB). */
  readonly size?: number;
  /** grow: VOL_NEW_SIZE (MiB), as Ganeti would send it given the sizes before. */
  readonly newSize?: number;
  /** setinfo: the metadata text. */
  readonly metadata?: string;
  /** snapshot: the plan's volume VOL_SNAPSHOT_NAME names (index), and VOL_SNAPSHOT_SIZE (MiB, the volume's size). */
  readonly snapshot?: number;
  readonly snapshotSize?: number;
  /** open: VOL_OPEN_EXCLUSIVE. */
  readonly exclusive?: boolean;
  /** Disturbed, then retried as an ordinary step. */
  readonly disturb?: Disturbance;
}

export type Op =
  | { readonly kind: 'one'; readonly op: ActionOp }
  | { readonly kind: 'together'; readonly ops: readonly [ActionOp, ActionOp] };

export interface PlanVolume {
  /** The label in scenario files (volumes: {a: ...}). */
  readonly label: string;
  /** VOL_NAME. */
  readonly name: string;
  /** A snapshot volume: the index of the volume it is made from (snapshot's VOL_SNAPSHOT_NAME is its name). */
  readonly snapshotOf?: number;
}

export interface Plan {
  readonly volumes: readonly PlanVolume[];
  readonly ops: readonly Op[];
}

/** The volumes of a plan: fixed names, so a counterexample replays with the same ones. */
export function planVolumes(count: number): PlanVolume[] {
  return Array.from({ length: count }, (_, i) => {
    const label = String.fromCharCode('a'.charCodeAt(0) + i);
    return { label, name: `explore-${label}.ext.disk0` };
  });
}

/**
 * The snapshot volume of `volume`: Ganeti's default name for it, `<VOL_NAME>.snap`, which Ganeti
 * then attaches and removes as a volume of the provider.
 */
export function snapshotVolume(volume: PlanVolume, index: number): PlanVolume {
  return { label: `${volume.label}.snap`, name: `${volume.name}.snap`, snapshotOf: index };
}

/** One line per operation, for reports: "create a (64 MiB), killed before backend call 2, retried". */
export function describeOp(op: Op, volumes: readonly PlanVolume[]): string {
  const one = (a: ActionOp): string => {
    const label = volumes[a.volume]!.label;
    const input =
      a.action === 'create'
        ? ` (${a.size} MiB)`
        : a.action === 'grow'
          ? ` (to ${a.newSize} MiB)`
          : a.action === 'setinfo'
            ? ` (${JSON.stringify(a.metadata)})`
            : a.action === 'snapshot'
              ? ` (into ${volumes[a.snapshot!]!.label}, ${a.snapshotSize} MiB)`
              : a.action === 'open'
                ? ` (${a.exclusive === false ? 'shared' : 'exclusive'})`
                : '';
    const disturbed =
      a.disturb === undefined
        ? ''
        : a.disturb.kind === 'fail'
          ? ', every backend call failing, then retried'
          : a.disturb.kind === 'kill-timed'
            ? `, killed ${a.disturb.ms} ms after it started, then retried`
            : `, killed ${a.disturb.when} backend call ${a.disturb.call}, then retried`;
    return `${a.action} ${label}${input}${disturbed}`;
  };
  return op.kind === 'one' ? one(op.op) : `together: ${op.ops.map(one).join(' | ')}`;
}
