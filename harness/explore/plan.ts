// What the explorer generates and runs: a plan of operations over a few volumes. An operation is
// one action on one volume, maybe disturbed (killed at a backend call, or meeting an injected
// backend failure) and then retried, or two actions on different volumes started together.

/** The actions the explorer draws (snapshot, open and close are not drawn: EXPLORE.md). */
export const EXPLORED_ACTIONS = ['create', 'attach', 'detach', 'remove', 'grow', 'setinfo', 'verify'] as const;

export type ExploredAction = (typeof EXPLORED_ACTIONS)[number];

/** How an action is disturbed: SIGKILL before or after its k-th backend call, or every backend call failing. */
export type Disturbance =
  { readonly kind: 'kill'; readonly call: number; readonly when: 'before' | 'after' } | { readonly kind: 'fail' };

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
            : '';
    const disturbed =
      a.disturb === undefined
        ? ''
        : a.disturb.kind === 'fail'
          ? ', every backend call failing, then retried'
          : `, killed ${a.disturb.when} backend call ${a.disturb.call}, then retried`;
    return `${a.action} ${label}${input}${disturbed}`;
  };
  return op.kind === 'one' ? one(op.op) : `together: ${op.ops.map(one).join(' | ')}`;
}
