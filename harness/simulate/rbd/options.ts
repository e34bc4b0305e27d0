// The options rbd's commands take (src/tools/rbd/ArgumentTypes.cc), their value checks, and the
// arguments a call's injected failures are matched against.

import type { CephRelease } from '../state.js';

type OptionKind = 'value' | 'switch' | 'multi';

export interface OptionDef {
  readonly long: string;
  readonly short?: string;
  readonly kind: OptionKind;
  /** Store-time validation (boost validators): false gives "the argument for option ... is invalid". */
  readonly valid?: (value: string) => boolean;
  /** The first release (of those simulated) whose rbd has the option; absent: every one. */
  readonly since?: CephRelease;
}

/** Feature names, in ImageFeatures::FEATURE_MAPPING order (by feature bit). */
export const FEATURES = [
  'layering',
  'striping',
  'exclusive-lock',
  'object-map',
  'fast-diff',
  'deep-flatten',
  'journaling',
  'data-pool',
  'operations',
];

/** strict_iecstrtoll: a non-negative integer with an optional B/K/M/G/T/P/E unit (and "i"/"iB"). */
export function iecBytes(text: string): number | undefined {
  const match = /^([0-9]+)([BKMGTPE]?)(i?B?)$/.exec(text);
  if (!match) return undefined;
  if (match[3] !== '' && match[2] === '') return undefined;
  if (match[2] === 'B' && match[3] !== '') return undefined;
  const shift = { '': 0, B: 0, K: 10, M: 20, G: 30, T: 40, P: 50, E: 60 }[match[2] as 'K'];
  const value = Number(match[1]) * 2 ** shift;
  return Number.isSafeInteger(value) ? value : undefined;
}

/** --size: iec bytes, a bare number meaning MiB (ArgumentTypes.cc validate(ImageSize)). */
export function sizeBytes(text: string): number | undefined {
  const bytes = iecBytes(text);
  if (bytes === undefined) return undefined;
  return /[0-9]$/.test(text) ? bytes * 2 ** 20 : bytes;
}

export const isUint = (v: string) => /^[0-9]+$/.test(v);

export const POOL: OptionDef = { long: 'pool', short: 'p', kind: 'value' };
// Ceph 14: RBD namespaces, and --namespace, are new in Nautilus (ArgumentTypes.cc add_namespace_option).
export const NAMESPACE: OptionDef = { long: 'namespace', kind: 'value', since: 14 };
const IMAGE: OptionDef = { long: 'image', kind: 'value' };
const SNAP: OptionDef = { long: 'snap', kind: 'value' };
export const IMAGE_ID: OptionDef = { long: 'image-id', kind: 'value' };
export const DEST_POOL: OptionDef = { long: 'dest-pool', kind: 'value' };
export const DEST_NAMESPACE: OptionDef = { long: 'dest-namespace', kind: 'value' };
export const DEST: OptionDef = { long: 'dest', kind: 'value' };
const FORMAT: OptionDef = { long: 'format', kind: 'value', valid: (v) => v === 'plain' || v === 'json' || v === 'xml' };
const PRETTY: OptionDef = { long: 'pretty-format', kind: 'switch' };
export const NO_PROGRESS: OptionDef = { long: 'no-progress', kind: 'switch' };
export const SIZE: OptionDef = { long: 'size', short: 's', kind: 'value', valid: (v) => sizeBytes(v) !== undefined };

export const IMAGE_SPEC = [POOL, NAMESPACE, IMAGE];
export const SNAP_SPEC = [POOL, NAMESPACE, IMAGE, SNAP];
export const FORMAT_OPTIONS = [FORMAT, PRETTY];

export function createImageOptions(withFormat: boolean): OptionDef[] {
  return [
    ...(withFormat
      ? [
          { long: 'image-format', kind: 'value', valid: (v: string) => v === '1' || v === '2' } as OptionDef,
          { long: 'new-format', kind: 'switch' } as OptionDef,
        ]
      : []),
    { long: 'order', kind: 'value', valid: (v) => isUint(v) && Number(v) >= 12 && Number(v) <= 25 },
    { long: 'object-size', kind: 'value', valid: (v) => iecBytes(v) !== undefined },
    { long: 'image-feature', kind: 'multi', valid: (v) => v.split(',').every((f) => f === '' || FEATURES.includes(f)) },
    { long: 'image-shared', kind: 'switch' },
    { long: 'stripe-unit', kind: 'value', valid: (v) => iecBytes(v) !== undefined },
    { long: 'stripe-count', kind: 'value', valid: isUint },
    { long: 'data-pool', kind: 'value' },
    { long: 'mirror-image-mode', kind: 'value', valid: (v) => v === 'journal' || v === 'snapshot' },
    { long: 'journal-splay-width', kind: 'value', valid: isUint },
    { long: 'journal-object-size', kind: 'value', valid: (v) => iecBytes(v) !== undefined },
    { long: 'journal-pool', kind: 'value' },
  ];
}

// Ceph 14: -t/--device-type came with the `device` commands (action/Device.cc, new in 13); Luminous'
// map/showmapped/unmap (action/Kernel.cc) are krbd's alone and do not take it.
export const DEVICE_TYPE: OptionDef = {
  long: 'device-type',
  short: 't',
  kind: 'value',
  valid: (v) => ['ggate', 'krbd', 'nbd'].includes(v),
  since: 14,
};

/** Shell::get_global_options: accepted by every command (and ignored by the simulator). */
export const GLOBAL_OPTIONS: OptionDef[] = [
  { long: 'conf', short: 'c', kind: 'value' },
  { long: 'cluster', kind: 'value' },
  { long: 'id', kind: 'value' },
  { long: 'name', short: 'n', kind: 'value' },
  { long: 'mon_host', short: 'm', kind: 'value' },
  { long: 'keyfile', short: 'K', kind: 'value' },
  { long: 'keyring', short: 'k', kind: 'value' },
];

/** Options Shell::get_command_spec knows take no value (Shell::SwitchArguments, at::SWITCH_ARGUMENTS). */
export const SWITCHES = new Set([
  'allow-shrink',
  'read-only',
  'exclusive',
  'quiesce',
  'long',
  'l',
  'all',
  'a',
  'force',
  'image-shared',
  'thick-provision',
  'whole-object',
  'no-progress',
  'pretty-format',
  'verbose',
  'no-error',
  'skip-quiesce',
  'ignore-quiesce-error',
  'new-format',
]);

/** The options `when:` matchers skip (and the brief calls global): these and their values. */
const MATCH_SKIPPED_LONG = new Set([
  'conf',
  'cluster',
  'id',
  'name',
  'mon_host',
  'keyfile',
  'keyring',
  'pool',
  'format',
]);
const MATCH_SKIPPED_SHORT = new Set(['c', 'n', 'm', 'K', 'k', 'p']);

/** The arguments of a call without the global options, -p/--pool, --format and --pretty-format. */
export function argsForMatching(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '--pretty-format') continue;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      if (MATCH_SKIPPED_LONG.has(name)) {
        if (eq < 0) i++;
        continue;
      }
    } else if (arg.length >= 2 && arg.startsWith('-') && MATCH_SKIPPED_SHORT.has(arg[1]!)) {
      if (arg.length === 2) i++;
      continue;
    }
    out.push(arg);
  }
  return out;
}
