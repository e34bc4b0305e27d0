// The --list columns (names, alignment, JSON types and how each cell is read from a device), the
// default set, and the -O/--output list parsed as losetup 2.38 parses it.

import type { Cell, ScolsColumn } from '../scols.js';
import type { LoopDevice } from '../state.js';
import type { LosetupCall } from './call.js';
import { backingFile } from './devices.js';

interface Column extends ScolsColumn {
  readonly cell: (lo: LosetupCall, number: number, device: LoopDevice | undefined) => Cell;
}

const flag = (on: boolean) => (on ? '1' : '0');

/** The --list columns, in losetup's order (--output-all prints them all in this order). */
export const COLUMNS: readonly Column[] = [
  { name: 'NAME', right: false, json: 'string', cell: (_, n) => `/dev/loop${n}` },
  { name: 'AUTOCLEAR', right: true, json: 'boolean', cell: (_, __, d) => flag(d?.autoclear ?? false) },
  {
    name: 'BACK-FILE',
    right: false,
    json: 'string',
    cell: (lo, _, d) => (d === undefined ? null : backingFile(lo, d)),
  },
  {
    name: 'BACK-INO',
    right: true,
    json: 'number',
    cell: (lo, _, d) => (d === undefined || lo.noStatus || d.ino === 0 ? null : String(d.ino)),
  },
  {
    name: 'BACK-MAJ:MIN',
    right: false,
    json: 'string',
    cell: (lo, _, d) =>
      d === undefined || lo.noStatus || d.dev === 0
        ? null
        : `${String(major(d.dev)).padStart(8)}:${String(minor(d.dev)).padEnd(3)}`,
  },
  { name: 'MAJ:MIN', right: false, json: 'string', cell: (_, n) => `${'7'.padStart(3)}:${String(n).padEnd(3)}` },
  { name: 'OFFSET', right: true, json: 'number', cell: (_, __, d) => (d === undefined ? null : String(d.offset)) },
  { name: 'PARTSCAN', right: true, json: 'boolean', cell: (_, __, d) => flag(d === undefined ? true : d.partscan) },
  { name: 'RO', right: true, json: 'boolean', cell: (_, __, d) => flag(d?.readOnly ?? false) },
  {
    name: 'SIZELIMIT',
    right: true,
    json: 'number',
    cell: (_, __, d) => (d === undefined ? null : String(d.sizelimit)),
  },
  { name: 'DIO', right: true, json: 'boolean', cell: (_, __, d) => flag(d?.directIo ?? false) },
  { name: 'LOG-SEC', right: true, json: 'number', cell: (_, __, d) => String(d?.sectorSize ?? 512) },
];

export const DEFAULT_COLUMNS = ['NAME', 'SIZELIMIT', 'OFFSET', 'AUTOCLEAR', 'RO', 'BACK-FILE', 'DIO', 'LOG-SEC'];

/** glibc's major()/minor() of a dev_t. */
function major(dev: number): number {
  return Number(((BigInt(dev) >> 8n) & 0xfffn) | ((BigInt(dev) >> 32n) & ~0xfffn));
}

function minor(dev: number): number {
  return Number((BigInt(dev) & 0xffn) | ((BigInt(dev) >> 12n) & ~0xffn));
}

/** string_add_to_idarray over column names (as losetup 2.38 reports a bad list). */
export function parseColumns(call: LosetupCall, list: string): string[] {
  const out: string[] = [];
  let begin: number | null = null;
  for (let p = 0; p < list.length; p++) {
    begin ??= p;
    let end: number | null = null;
    if (list[p] === ',') end = p;
    if (p + 1 === list.length) end = p + 1;
    if (end === null) continue;
    if (end <= begin) call.exit(1);
    const name = list.slice(begin, end);
    const column = COLUMNS.find((col) => col.name.toLowerCase() === name.toLowerCase());
    if (column === undefined) {
      // warnx("unknown column: %s", name) prints the rest of the string from the bad name on.
      call.warnx(`unknown column: ${list.slice(begin)}`);
      call.exit(1);
    }
    out.push(column.name);
    begin = null;
  }
  return out;
}
