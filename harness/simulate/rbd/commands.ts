// The commands the simulator implements (with the options Ceph 16 gives each; `since`: options older
// releases lack), how the words of a call name one, and what `rbd --version` prints per release.

import { rbdCommands } from '../rbd-help.js';
import type { CephRelease } from '../state.js';
import type { Parsed } from './arguments.js';
import type { RbdCall } from './call.js';
import { doChildren, doClone, doCopy, doFlatten } from './clones.js';
import { doInfo } from './image-info.js';
import { doMetaGet, doMetaList, doMetaRemove, doMetaSet } from './image-meta.js';
import { doCreate, doList, doRemove, doResize } from './images.js';
import { doDeviceList, doMap, doUnmap } from './kernel-devices.js';
import { doSnapCreate, doSnapList, doSnapProtect, doSnapPurge, doSnapRemove, doSnapUnprotect } from './snapshots.js';
import {
  DEST,
  DEST_NAMESPACE,
  DEST_POOL,
  DEVICE_TYPE,
  FORMAT_OPTIONS,
  IMAGE_ID,
  IMAGE_SPEC,
  isUint,
  NAMESPACE,
  NO_PROGRESS,
  POOL,
  SIZE,
  SNAP_SPEC,
  createImageOptions,
  type OptionDef,
} from './options.js';

/** One simulated command: its words (and alias), its options, and the function that runs it. */
export interface ActionDef {
  readonly spec: readonly string[];
  readonly alias?: readonly string[];
  readonly options: readonly OptionDef[];
  /** How many positional arguments follow the command's words. */
  readonly positionals: number;
  readonly run: (call: RbdCall, vm: Parsed) => void;
}

// `rbd --version` (common/version.cc pretty_version_to_str): one point release of each series, as
// its packages print it: 12.2.13 and 14.2.22 (the last of theirs), 16.2.15 (Debian 12's), 17.2.7
// and 18.2.4 (widely deployed; later point releases print their own number and commit).

export const VERSIONS: Readonly<Record<CephRelease, string>> = {
  12: 'ceph version 12.2.13 (584a20eb0237c657dc0567da126be145106aa47e) luminous (stable)',
  14: 'ceph version 14.2.22 (ca74598065096e6fcbd8433c8779a2be0c889351) nautilus (stable)',
  16: 'ceph version 16.2.15 (618f440892089921c3e944a991122ddc44e60516) pacific (stable)',
  17: 'ceph version 17.2.7 (b12291d110049b2f35e32e0de30d70e9a4c060d2) quincy (stable)',
  18: 'ceph version 18.2.4 (e7ad5345525c7aa95470c26863873b581076945d) reef (stable)',
};

/** The simulated commands, with the options Ceph 16 gives each (`since`: options older releases lack). */
const ACTIONS: readonly ActionDef[] = [
  {
    spec: ['create'],
    options: [
      ...IMAGE_SPEC,
      ...createImageOptions(true),
      { long: 'thick-provision', kind: 'switch' },
      SIZE,
      NO_PROGRESS,
    ],
    positionals: 1,
    run: doCreate,
  },
  {
    spec: ['resize'],
    options: [...IMAGE_SPEC, SIZE, { long: 'allow-shrink', kind: 'switch' }, NO_PROGRESS],
    positionals: 1,
    run: doResize,
  },
  {
    spec: ['remove'],
    alias: ['rm'],
    options: [...IMAGE_SPEC, NO_PROGRESS],
    positionals: 1,
    run: doRemove,
  },
  {
    spec: ['info'],
    options: [...SNAP_SPEC, IMAGE_ID, ...FORMAT_OPTIONS],
    positionals: 1,
    run: doInfo,
  },
  {
    spec: ['list'],
    alias: ['ls'],
    options: [{ long: 'long', short: 'l', kind: 'switch' }, POOL, NAMESPACE, ...FORMAT_OPTIONS],
    positionals: 1,
    run: doList,
  },
  {
    spec: ['image-meta', 'list'],
    alias: ['image-meta', 'ls'],
    options: [...IMAGE_SPEC, ...FORMAT_OPTIONS],
    positionals: 1,
    run: doMetaList,
  },
  { spec: ['image-meta', 'get'], options: IMAGE_SPEC, positionals: 2, run: doMetaGet },
  { spec: ['image-meta', 'set'], options: IMAGE_SPEC, positionals: 3, run: doMetaSet },
  {
    spec: ['image-meta', 'remove'],
    alias: ['image-meta', 'rm'],
    options: IMAGE_SPEC,
    positionals: 2,
    run: doMetaRemove,
  },
  {
    spec: ['snap', 'create'],
    alias: ['snap', 'add'],
    options: [
      ...SNAP_SPEC,
      { long: 'skip-quiesce', kind: 'switch' },
      { long: 'ignore-quiesce-error', kind: 'switch' },
      NO_PROGRESS,
    ],
    positionals: 1,
    run: doSnapCreate,
  },
  {
    spec: ['snap', 'list'],
    alias: ['snap', 'ls'],
    options: [...IMAGE_SPEC, IMAGE_ID, ...FORMAT_OPTIONS, { long: 'all', short: 'a', kind: 'switch' }],
    positionals: 1,
    run: doSnapList,
  },
  {
    spec: ['snap', 'purge'],
    options: [...IMAGE_SPEC, IMAGE_ID, NO_PROGRESS],
    positionals: 1,
    run: doSnapPurge,
  },
  {
    spec: ['children'],
    options: [
      ...SNAP_SPEC,
      IMAGE_ID,
      { long: 'snap-id', kind: 'value', valid: isUint },
      { long: 'all', short: 'a', kind: 'switch' },
      { long: 'descendants', kind: 'switch' },
      ...FORMAT_OPTIONS,
    ],
    positionals: 1,
    run: doChildren,
  },
  { spec: ['snap', 'protect'], options: SNAP_SPEC, positionals: 1, run: doSnapProtect },
  {
    spec: ['snap', 'unprotect'],
    options: [...SNAP_SPEC, IMAGE_ID],
    positionals: 1,
    run: doSnapUnprotect,
  },
  {
    spec: ['snap', 'remove'],
    alias: ['snap', 'rm'],
    options: [
      ...SNAP_SPEC,
      IMAGE_ID,
      { long: 'snap-id', kind: 'value', valid: isUint },
      NO_PROGRESS,
      { long: 'force', kind: 'switch' },
    ],
    positionals: 1,
    run: doSnapRemove,
  },
  {
    spec: ['clone'],
    options: [...SNAP_SPEC, DEST_POOL, DEST_NAMESPACE, DEST, ...createImageOptions(false)],
    positionals: 2,
    run: doClone,
  },
  {
    spec: ['copy'],
    alias: ['cp'],
    options: [...SNAP_SPEC, DEST_POOL, DEST_NAMESPACE, DEST, ...createImageOptions(false), NO_PROGRESS],
    positionals: 2,
    run: doCopy,
  },
  { spec: ['flatten'], options: [...IMAGE_SPEC, NO_PROGRESS], positionals: 1, run: doFlatten },
  {
    spec: ['device', 'list'],
    alias: ['showmapped'],
    options: [DEVICE_TYPE, ...FORMAT_OPTIONS],
    positionals: 0,
    run: doDeviceList,
  },
  {
    spec: ['device', 'map'],
    alias: ['map'],
    options: [
      ...SNAP_SPEC,
      DEVICE_TYPE,
      { long: 'options', short: 'o', kind: 'multi' },
      { long: 'read-only', kind: 'switch' },
      { long: 'exclusive', kind: 'switch' },
      // Ceph 16: quiesce hooks (for rbd-nbd) are new in Pacific (action/Device.cc of 16).
      { long: 'quiesce', kind: 'switch', since: 16 },
      { long: 'quiesce-hook', kind: 'value', since: 16 },
    ],
    positionals: 1,
    run: doMap,
  },
  {
    spec: ['device', 'unmap'],
    alias: ['unmap'],
    options: [...SNAP_SPEC, DEVICE_TYPE, { long: 'options', short: 'o', kind: 'multi' }],
    positionals: 1,
    run: doUnmap,
  },
];

export function startsWith(words: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length > 0 && prefix.length <= words.length && prefix.every((w, i) => words[i] === w);
}

/**
 * Shell::find_action over the simulated actions: the command's words, or its alias.
 * Ceph 12: Luminous has no `device` group (action/Device.cc is new in 13); its kernel commands
 * are `map`, `showmapped` and `unmap` alone (action/Kernel.cc), so `rbd device map` is unknown.
 */
export function findAction(
  spec: readonly string[],
  release: CephRelease,
): { action: ActionDef; words: readonly string[] } | null {
  const known = (words: readonly string[]) => !(release === 12 && words[0] === 'device');
  for (const action of ACTIONS) {
    if (known(action.spec) && startsWith(spec, action.spec)) return { action, words: action.spec };
    if (action.alias !== undefined && known(action.alias) && startsWith(spec, action.alias))
      return { action, words: action.alias };
  }
  return null;
}

/** The real rbd command these words name, when the simulator does not implement it. */
export function findReal(spec: readonly string[], release: CephRelease): string[] | null {
  let best: string[] | null = null;
  for (const [command, alias] of rbdCommands(release)) {
    for (const words of [command, alias]) {
      if (startsWith(spec, words) && (best === null || words.length > best.length)) best = command;
    }
  }
  return best;
}
