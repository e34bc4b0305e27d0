// Generation and shrinking of plans with fast-check's model-based commands: each command is one
// operation Ganeti could send given what it believes of the volumes (created, attached, their
// size), drawn with Ganeti-shaped inputs and orders (repeats included: attach twice, detach when
// detached, create of an existing volume), sometimes disturbed (killed at a backend call, or its
// backend failing) and then retried, sometimes started together with one on another volume.
// fast-check runs the commands against Ganeti's view only, to build the plan; the executor plays
// the plan afterwards. Shrinking drops and simplifies commands, as for any fast-check property.

import fc from 'fast-check';
import type { ActionOp, Disturbance, ExploredAction, Op } from './plan.js';

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
    ...(d.disturb !== null ? { disturb: d.disturb } : {}),
  };
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
    return shaped(view, this.first).volume !== shaped(view, this.second).volume;
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

const disturbance = (withFailure: boolean): fc.Arbitrary<Disturbance | null> =>
  fc.oneof(
    // Shrinking may turn a disturbed step into an ordinary one.
    { withCrossShrink: true },
    { weight: 6, arbitrary: fc.constant(null) },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('kill' as const),
        call: fc.integer({ min: 1, max: 4 }),
        when: fc.constantFrom('before' as const, 'after' as const),
      }),
    },
    { weight: withFailure ? 1 : 0, arbitrary: fc.constant({ kind: 'fail' as const }) },
  );

/** Actions weighted as a node sees them: attach and detach most, remove and create often enough to reuse names. */
const ACTION_WEIGHTS: readonly (readonly [ExploredAction, number])[] = [
  ['create', 4],
  ['attach', 4],
  ['detach', 3],
  ['grow', 2],
  ['remove', 2],
  ['setinfo', 1],
  ['verify', 1],
];

const drawn = (withFailure: boolean): fc.Arbitrary<Drawn> =>
  fc.record({
    volume: fc.integer({ min: 0, max: MAX_VOLUMES - 1 }),
    action: fc.oneof(...ACTION_WEIGHTS.map(([action, weight]) => ({ weight, arbitrary: fc.constant(action) }))),
    // Small sizes (MiB): image files are sparse, and Ganeti's units are MiB.
    size: fc.integer({ min: 1, max: 16 }).map((n) => n * 8),
    growBy: fc.integer({ min: 1, max: 8 }).map((n) => n * 8),
    // Ganeti's metadata: originstname+<instance name>.
    metadata: fc.stringMatching(/^[a-z][a-z0-9-]{0,14}$/).map((name) => `originstname+${name}.example.com`),
    disturb: disturbance(withFailure),
  });

/** How many volumes, and the commands: what one run of the property draws. */
export function planArbitrary(
  maxCommands: number,
): fc.Arbitrary<[number, Iterable<fc.Command<GanetiView, PlanBuilder>>]> {
  return fc.tuple(
    fc.integer({ min: 2, max: MAX_VOLUMES }),
    fc.commands(
      [
        fc.oneof(
          { weight: 4, arbitrary: drawn(true).map((d): fc.Command<GanetiView, PlanBuilder> => new OneCommand(d)) },
          {
            weight: 1,
            // The steps of a group cannot meet an injected failure: it would fail the other's calls too.
            arbitrary: fc
              .tuple(drawn(false), drawn(false))
              .map(([a, b]): fc.Command<GanetiView, PlanBuilder> => new TogetherCommand(a, b)),
          },
        ),
      ],
      // Plans long enough to reach two volumes attached at once, with a kill on the way.
      { maxCommands, size: 'max' },
    ),
  );
}

/** The operations the commands stand for, on `count` volumes none of which exists yet. */
export function planOps(count: number, commands: Iterable<fc.Command<GanetiView, PlanBuilder>>): Op[] {
  const plan: PlanBuilder = { ops: [] };
  const view: GanetiView = {
    volumes: Array.from({ length: count }, () => ({ exists: false, attached: false, size: 0 })),
  };
  fc.modelRun(() => ({ model: view, real: plan }), commands);
  return plan.ops;
}
