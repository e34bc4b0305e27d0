// The invariants `test --explore` holds a provider to (spec/conformance/EXPLORE.md): each with an
// id, a level and what it says. A MUST broken fails the EXPLORE check; a SHOULD is reported.

export type InvariantLevel = 'MUST' | 'SHOULD';

export interface Invariant {
  readonly id: string;
  readonly level: InvariantLevel;
  readonly text: string;
}

const table = [
  [
    'SUCCEEDS',
    'MUST',
    'an action Ganeti sends in this state succeeds (exit 0), when nothing is injected or killed (verify aside: it judges the node)',
  ],
  ['CREATE', 'MUST', 'a created volume exists, with its size'],
  ['CREATE-EXISTING', 'MUST', 'create of an existing volume fails and leaves it untouched'],
  [
    'ATTACH-DEVICE',
    'MUST',
    'attach prints the same device while attached, and that device maps this volume and no other',
  ],
  ['DETACH', 'MUST', 'after detach no device maps the volume'],
  ['GROW', 'MUST', 'grow reaches VOL_NEW_SIZE exactly'],
  ['REMOVE', 'MUST', 'remove leaves nothing behind: no image or file, no mapping'],
  ['STATE', 'MUST', "attach, detach, setinfo and verify leave the volume's existence and size as they were"],
  [
    'SNAPSHOT',
    'MUST',
    'snapshot makes a volume named VOL_SNAPSHOT_NAME of VOL_SNAPSHOT_SIZE, and leaves the volume as it was',
  ],
  [
    'OPEN-CLOSE',
    'MUST',
    'open and close leave the volume attached at the same device, its existence and size as they were',
  ],
  ['OTHERS', 'MUST', 'an action on one volume leaves the other volumes as they were'],
  ['NO-LEAK', 'MUST', 'no mapping, image or file that the volumes do not account for'],
  [
    'NO-LEAK-PROCESS',
    'MUST',
    'create, detach, remove, grow, setinfo, snapshot and close leave no process running when they end',
  ],
  ['RETRY', 'MUST', 'a killed or failed action, retried, ends as an uninterrupted one would, or fails loudly'],
  ['CONCURRENT', 'MUST', 'actions started together on different volumes end as some serial order would'],
  [
    'DEVICE-SIZE',
    'SHOULD',
    "an attached loop device's size follows the volume's size (losetup --set-capacity after grow)",
  ],
] as const;

export type InvariantId = (typeof table)[number][0];

export const INVARIANTS: readonly Invariant[] = table.map(([id, level, text]) => ({ id, level, text }));

export function invariant(id: InvariantId): Invariant {
  return INVARIANTS.find((i) => i.id === id)!;
}
