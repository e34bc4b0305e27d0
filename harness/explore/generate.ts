// Generation and shrinking of plans with fast-check's model-based commands: each command is one
// operation Ganeti could send given what it believes of the volumes (created, attached, their
// size), drawn with Ganeti-shaped inputs and orders (repeats included: attach twice, detach when
// detached, create of an existing volume), sometimes disturbed (killed at a backend call or at a
// random time, or its backend failing) and then retried, sometimes started together with one on
// another volume. A snapshot is Ganeti's export: snapshot, then attach, detach and remove of the
// snapshot volume (`<VOL_NAME>.snap`), one command, as the export holds the instance's lock.
// fast-check runs the commands against Ganeti's view only, to build the plan; the executor plays
// the plan afterwards. Shrinking drops and simplifies commands, as for any fast-check property.

import fc from 'fast-check';
import {
  planVolumes,
  snapshotVolume,
  type ActionOp,
  type Disturbance,
  type ExploredAction,
  type Op,
  type Plan,
} from './plan.js';

/** The most volumes a plan has (2 to this many). */
export const MAX_VOLUMES = 4;

/** Ganeti's view of one volume, which decides what it may send next and with what sizes. */
interface GanetiVolume {
  exists: boolean;
  attached: boolean;
  /** MiB. */
  size: number;
}

interface GanetiView {
  readonly volumes: GanetiVolume[];
  /** The snapshot volume of each volume, by its index, once an export has used it. */
  readonly snapshots: Map<number, number>;
  /** How many volumes the plan has (its volumes, then the snapshot volumes). */
  count: number;
}

/** Where fast-check's commands put the operations they stand for. */
interface PlanBuilder {
  readonly ops: Op[];
}

/** What a drawn action needs to become an operation, given Ganeti's view at that point. */
interface Drawn {
  readonly volume: number;
  readonly action: ExploredAction;
  readonly size: number;
  readonly growBy: number;
  readonly metadata: string;
  readonly exclusive: boolean;
  readonly disturb: Disturbance | null;
}

/**
 * The action as Ganeti would send it now, on one of the plan's volumes: anything on a volume it
 * created (create again too: it must fail); on a volume it has not created, its create; remove of
 * an attached volume comes after its detach. So every drawn command does something.
 */
function shaped(view: Readonly<GanetiView>, d: Drawn): { volume: number; action: ExploredAction } {
  const volume = d.volume % view.volumes.length;
  const state = view.volumes[volume]!;
  if (!state.exists) return { volume, action: 'create' };
  if (d.action === 'remove' && state.attached) return { volume, action: 'detach' };
  // Ganeti opens and closes a volume it has attached (an instance's disk being started or stopped).
  if ((d.action === 'open' || d.action === 'close') && !state.attached) return { volume, action: 'attach' };
  return { volume, action: d.action };
}

function toOp(view: Readonly<GanetiView>, d: Drawn): ActionOp {
  const { volume: index, action } = shaped(view, d);
  const volume = view.volumes[index]!;
  return {
    volume: index,
    action,
    ...(action === 'create' ? { size: d.size } : {}),
    ...(action === 'grow' ? { newSize: volume.size + d.growBy } : {}),
    ...(action === 'setinfo' ? { metadata: d.metadata } : {}),
    ...(action === 'open' ? { exclusive: d.exclusive } : {}),
    ...(d.disturb !== null ? { disturb: d.disturb } : {}),
  };
}

/** The index of the snapshot volume of `volume`, which exists from the first export of it on. */
function snapshotIndex(view: GanetiView, volume: number): number {
  let index = view.snapshots.get(volume);
  if (index === undefined) {
    index = view.count++;
    view.snapshots.set(volume, index);
  }
  return index;
}

/**
 * Ganeti's export of the volume: snapshot (VOL_SNAPSHOT_NAME `<VOL_NAME>.snap`, VOL_SNAPSHOT_SIZE
 * the disk's size; maybe disturbed, then retried), then the snapshot volume attached, detached (the
 * data read) and removed. The snapshot's later steps are plain: the disturbance is the snapshot's.
 */
function exportOps(view: GanetiView, d: Drawn, volume: number): ActionOp[] {
  const snapshot = snapshotIndex(view, volume);
  return [
    {
      volume,
      action: 'snapshot',
      snapshot,
      snapshotSize: view.volumes[volume]!.size,
      ...(d.disturb !== null ? { disturb: d.disturb } : {}),
    },
    { volume: snapshot, action: 'attach' },
    { volume: snapshot, action: 'detach' },
    { volume: snapshot, action: 'remove' },
  ];
}

/** Ganeti's view once the action succeeded (a disturbed one is retried until it does, as far as Ganeti knows). */
function apply(view: GanetiView, op: ActionOp): void {
  const volume = view.volumes[op.volume]!;
  switch (op.action) {
    case 'create':
      if (!volume.exists) Object.assign(volume, { exists: true, attached: false, size: op.size! });
      break;
    case 'attach':
      volume.attached = true;
      break;
    case 'detach':
      volume.attached = false;
      break;
    case 'grow':
      volume.size = op.newSize!;
      break;
    case 'remove':
      Object.assign(volume, { exists: false, attached: false });
      break;
    case 'setinfo':
    case 'verify':
    case 'snapshot':
    case 'open':
    case 'close':
      break;
  }
}

class OneCommand implements fc.Command<GanetiView, PlanBuilder> {
  constructor(private readonly drawn: Drawn) {}
  check(): boolean {
    return true;
  }
  run(view: GanetiView, plan: PlanBuilder): void {
    const op = toOp(view, this.drawn);
    if (op.action === 'snapshot') {
      for (const step of exportOps(view, this.drawn, op.volume)) plan.ops.push({ kind: 'one', op: step });
      return; // the volume is as it was, and the snapshot volume gone again
    }
    plan.ops.push({ kind: 'one', op });
    apply(view, op);
  }
  toString(): string {
    return `${this.drawn.action}(${this.drawn.volume})`;
  }
}

class TogetherCommand implements fc.Command<GanetiView, PlanBuilder> {
  constructor(
    private readonly first: Drawn,
    private readonly second: Drawn,
  ) {}
  check(view: Readonly<GanetiView>): boolean {
    const [first, second] = [shaped(view, this.first), shaped(view, this.second)];
    // An export is several steps of its own: not one of a group.
    return first.volume !== second.volume && first.action !== 'snapshot' && second.action !== 'snapshot';
  }
  run(view: GanetiView, plan: PlanBuilder): void {
    const ops = [toOp(view, this.first), toOp(view, this.second)] as const;
    plan.ops.push({ kind: 'together', ops });
    for (const op of ops) apply(view, op);
  }
  toString(): string {
    return `together(${this.first.action}(${this.first.volume}), ${this.second.action}(${this.second.volume}))`;
  }
}

/** The most milliseconds after its start a script is killed at a random time (most scripts take less). */
const MAX_KILL_MS = 120;

const disturbance = (withFailure: boolean, timedKills: boolean): fc.Arbitrary<Disturbance | null> =>
  fc
    .oneof(
      // Shrinking may turn a disturbed step into an ordinary one.
      { withCrossShrink: true },
      { weight: 12, arbitrary: fc.constant(null) },
      {
        weight: 4,
        arbitrary: fc.record({
          kind: fc.constant('kill' as const),
          call: fc.integer({ min: 1, max: 4 }),
          when: fc.constantFrom('before' as const, 'after' as const),
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({
          kind: fc.constant('kill-timed' as const),
          ms: fc.integer({ min: 1, max: MAX_KILL_MS }),
        }),
      },
      { weight: withFailure ? 2 : 0, arbitrary: fc.constant({ kind: 'fail' as const }) },
    )
    // Without kills at a random time (their outcome depends on the machine's timing), such a draw
    // leaves the step undisturbed: every other value is drawn the same, so the seed's plans are
    // the same but for those steps.
    .map((d) => (timedKills || d?.kind !== 'kill-timed' ? d : null));

/** Actions weighted as a node sees them: attach and detach most, remove and create often enough to reuse names. */
const ACTION_WEIGHTS: readonly (readonly [ExploredAction, number])[] = [
  ['create', 4],
  ['attach', 4],
  ['detach', 3],
  ['grow', 2],
  ['remove', 2],
  ['setinfo', 1],
  ['verify', 1],
  ['snapshot', 2],
  ['open', 1],
  ['close', 1],
];

const drawn = (withFailure: boolean, actions: ReadonlySet<ExploredAction>, timedKills: boolean): fc.Arbitrary<Drawn> =>
  fc.record({
    volume: fc.integer({ min: 0, max: MAX_VOLUMES - 1 }),
    action: fc.oneof(
      ...ACTION_WEIGHTS.filter(([action]) => actions.has(action)).map(([action, weight]) => ({
        weight,
        arbitrary: fc.constant(action),
      })),
    ),
    // Small sizes (MiB): image files are sparse, and Ganeti's units are MiB.
    size: fc.integer({ min: 1, max: 16 }).map((n) => n * 8),
    growBy: fc.integer({ min: 1, max: 8 }).map((n) => n * 8),
    // Ganeti's metadata: originstname+<instance name>.
    metadata: fc.stringMatching(/^[a-z][a-z0-9-]{0,14}$/).map((name) => `originstname+${name}.example.com`),
    // False during a live migration.
    exclusive: fc.boolean(),
    disturb: disturbance(withFailure, timedKills),
  });

export type PlanCommands = Iterable<fc.Command<GanetiView, PlanBuilder>>;

/**
 * How many volumes, and the commands: what one run of the property draws, over the actions the
 * provider has (the required ones, and of snapshot, open and close those it has).
 */
export function planArbitrary(
  maxCommands: number,
  actions: ReadonlySet<ExploredAction>,
  timedKills = true,
): fc.Arbitrary<[number, PlanCommands]> {
  return fc.tuple(
    fc.integer({ min: 2, max: MAX_VOLUMES }),
    fc.commands(
      [
        fc.oneof(
          {
            weight: 4,
            arbitrary: drawn(true, actions, timedKills).map(
              (d): fc.Command<GanetiView, PlanBuilder> => new OneCommand(d),
            ),
          },
          {
            weight: 1,
            // The steps of a group cannot meet an injected failure: it would fail the other's calls too.
            arbitrary: fc
              .tuple(drawn(false, actions, timedKills), drawn(false, actions, timedKills))
              .map(([a, b]): fc.Command<GanetiView, PlanBuilder> => new TogetherCommand(a, b)),
          },
        ),
      ],
      // Plans long enough to reach two volumes attached at once, with a kill on the way.
      { maxCommands, size: 'max' },
    ),
  );
}

/** The plan the commands stand for, on `count` volumes none of which exists yet (and their snapshot volumes). */
export function planOf(count: number, commands: PlanCommands): Plan {
  const plan: PlanBuilder = { ops: [] };
  const view: GanetiView = {
    volumes: Array.from({ length: count }, () => ({ exists: false, attached: false, size: 0 })),
    snapshots: new Map(),
    count,
  };
  fc.modelRun(() => ({ model: view, real: plan }), commands);
  const volumes = planVolumes(count);
  const snapshots = [...view.snapshots].sort((a, b) => a[1] - b[1]);
  for (const [of] of snapshots) volumes.push(snapshotVolume(volumes[of]!, of));
  return { volumes, ops: plan.ops };
}
