// losetup's getopt table (sys-utils/losetup.c longopts) and the options that exclude each other.

import type { LongOption } from '../getopt.js';

export const OPT_SIZELIMIT = 256;
export const OPT_SHOW = 257;
export const OPT_RAW = 258;
export const OPT_DIO = 259;
export const OPT_OUTPUT_ALL = 260;

export const LONGOPTS: readonly LongOption[] = [
  { name: 'all', hasArg: 'no', val: 'a' },
  { name: 'set-capacity', hasArg: 'required', val: 'c' },
  { name: 'detach', hasArg: 'required', val: 'd' },
  { name: 'detach-all', hasArg: 'no', val: 'D' },
  { name: 'find', hasArg: 'no', val: 'f' },
  { name: 'nooverlap', hasArg: 'no', val: 'L' },
  { name: 'help', hasArg: 'no', val: 'h' },
  { name: 'associated', hasArg: 'required', val: 'j' },
  { name: 'json', hasArg: 'no', val: 'J' },
  { name: 'list', hasArg: 'no', val: 'l' },
  { name: 'sector-size', hasArg: 'required', val: 'b' },
  { name: 'noheadings', hasArg: 'no', val: 'n' },
  { name: 'offset', hasArg: 'required', val: 'o' },
  { name: 'output', hasArg: 'required', val: 'O' },
  { name: 'output-all', hasArg: 'no', val: OPT_OUTPUT_ALL },
  { name: 'sizelimit', hasArg: 'required', val: OPT_SIZELIMIT },
  { name: 'partscan', hasArg: 'no', val: 'P' },
  { name: 'read-only', hasArg: 'no', val: 'r' },
  { name: 'direct-io', hasArg: 'optional', val: OPT_DIO },
  { name: 'raw', hasArg: 'no', val: OPT_RAW },
  { name: 'show', hasArg: 'no', val: OPT_SHOW },
  { name: 'verbose', hasArg: 'no', val: 'v' },
  { name: 'version', hasArg: 'no', val: 'V' },
];

/** Mutually exclusive options (each row in ASCII order), as err_exclusive_options checks them. */
export const EXCLUSIVE: readonly (readonly (string | number)[])[] = [
  ['D', 'a', 'c', 'd', 'f', 'j'],
  ['D', 'c', 'd', 'f', 'l'],
  ['D', 'c', 'd', 'f', 'O'],
  ['J', OPT_RAW],
];

export const code = (c: string | number) => (typeof c === 'number' ? c : c.charCodeAt(0));
