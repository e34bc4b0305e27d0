// Showing devices: the classic one-line form (-a, -j, one device) and the --list table
// (plain, --raw or --json).

import { ERRNO } from '../errno.js';
import { renderScols, type Cell } from '../scols.js';
import type { LoopDevice } from '../state.js';
import type { LosetupCall } from './call.js';
import { COLUMNS } from './columns.js';
import { attached, backingFile, used, usesFile } from './devices.js';

function printfLoopdev(call: LosetupCall, d: LoopDevice): void {
  const name = `/dev/loop${d.number}`;
  let line = call.noStatus
    ? `${name}: []: (${backingFile(call, d)})`
    : `${name}: [${String(d.dev).padStart(4, '0')}]:${d.ino} (${backingFile(call, d)})`;
  if (d.offset) line += `, offset ${d.offset}`;
  if (d.sizelimit) line += `, sizelimit ${d.sizelimit}`;
  call.out.out(`${line}\n`);
}

export function showAll(call: LosetupCall, file: string | undefined, offset: number | undefined): number {
  for (const d of used(call)) {
    if (file !== undefined && !usesFile(call, d, file, offset)) continue;
    printfLoopdev(call, d);
  }
  return 0;
}

export function showOne(call: LosetupCall, n: number, name: string): number {
  const d = attached(call, n);
  if (d === undefined || call.consume('not-found')) {
    // printf_loopdev cannot read the backing file from sysfs; warn("%s") shows that errno.
    call.warn(name, ERRNO.ENOENT);
    return 1;
  }
  printfLoopdev(call, d);
  return 0;
}

/** The --list table of one device, or of every attached one (those using `file`, when given). */
export function listTable(
  call: LosetupCall,
  names: readonly string[],
  options: { json: boolean; raw: boolean; noHeadings: boolean },
  one: number | undefined,
  file: string | undefined,
  offset: number | undefined,
): number {
  const columns = names.map((name) => COLUMNS.find((c) => c.name === name)!);
  const rows: Cell[][] = [];
  if (one !== undefined) {
    const d = call.consume('not-found') ? undefined : attached(call, one);
    rows.push(columns.map((c) => c.cell(call, one, d)));
  } else {
    for (const d of used(call)) {
      if (file !== undefined && !usesFile(call, d, file, offset)) continue;
      rows.push(columns.map((c) => c.cell(call, d.number, d)));
    }
  }
  call.out.out(renderScols(columns, rows, { ...options, name: 'loopdevices' }));
  return 0;
}
