// Setting up a loop device on a file (losetup [-f] [<loopdev>] <file>), --nooverlap's reuse of
// an existing one, and the warnings about files that do not fill whole sectors.

import type { Stats } from 'node:fs';
import { errnoOf, ERRNO } from '../errno.js';
import type { LosetupCall } from './call.js';
import { attached, capacity, firstUnused, used } from './devices.js';

/** What the command line asks of a new device. */
export interface SetupRequest {
  device: number | undefined;
  deviceName: string | undefined;
  file: string;
  offset: number;
  sizelimit: number;
  haveSizelimit: boolean;
  haveOffset: boolean;
  blocksize: number;
  readOnly: boolean;
  partscan: boolean;
  dio: boolean;
  noOverlap: boolean;
  showdev: boolean;
}

export function setUp(call: LosetupCall, o: SetupRequest): number {
  const hasdev = o.deviceName !== undefined;
  let st: Stats | undefined;
  try {
    st = call.out.files.stat(o.file);
  } catch {
    st = undefined;
  }
  // --nooverlap: reuse a device set up on the same file with the same offset and size limit.
  if (o.noOverlap && st !== undefined) {
    for (const d of used(call, false)) {
      if (d.dev !== st.dev || d.ino !== st.ino) continue;
      const full = d.offset === o.offset && d.sizelimit === o.sizelimit;
      const end = (x: { offset: number; sizelimit: number }) => (x.sizelimit ? x.offset + x.sizelimit : Infinity);
      const overlaps = d.offset < end(o) && o.offset < end(d);
      if (full && (!hasdev || d.number === o.device)) {
        if (d.readOnly && !o.readOnly) call.errx(`${o.file}: overlapping read-only loop device exists`);
        d.autoclear = false;
        if (o.showdev) call.out.out(`/dev/loop${d.number}\n`);
        warnSize(call, o.file, o.sizelimit, o.offset, o.haveOffset);
        return 0;
      }
      if (overlaps) call.errx(`${o.file}: overlapping loop device exists`);
    }
  }
  let n = o.device;
  if (!hasdev) {
    n = call.failure === 'permission' ? undefined : firstUnused(call);
    if (n === undefined) {
      call.warnx('cannot find an unused loop device');
      return 1;
    }
  }
  const name = hasdev ? o.deviceName! : `/dev/loop${n}`;
  const setupFailed = (prefix: string, errno: number): number => {
    call.warn(`${prefix}: failed to set up loop device`, errno);
    return 1;
  };
  // Opening the device: it must exist, and the caller must be allowed to.
  if (hasdev && n === undefined) return setupFailed(name, ERRNO.ENOENT);
  if (hasdev && call.failure === 'permission') return setupFailed(name, ERRNO.EACCES);
  // Opening the backing file.
  if (call.consume('not-found')) return setupFailed(o.file, ERRNO.ENOENT);
  if (st === undefined) {
    let errno: number = ERRNO.ENOENT;
    try {
      call.out.files.stat(o.file);
    } catch (error) {
      errno = errnoOf(error);
    }
    return setupFailed(o.file, errno);
  }
  if (st.isDirectory()) return setupFailed(o.file, ERRNO.EISDIR);
  if (!st.isFile() && !st.isBlockDevice()) return setupFailed(o.file, ERRNO.EINVAL);
  if (attached(call, n!) !== undefined || call.consume('busy')) return setupFailed(o.file, ERRNO.EBUSY);
  if (o.blocksize !== 0 && ![512, 1024, 2048, 4096].includes(o.blocksize)) return setupFailed(o.file, ERRNO.EINVAL);
  call.state.attached.push({
    number: n!,
    file: call.out.files.realpath(o.file),
    dev: st.dev,
    ino: st.ino,
    offset: o.offset,
    sizelimit: o.sizelimit,
    readOnly: o.readOnly,
    autoclear: false,
    partscan: o.partscan,
    directIo: o.dio,
    sectorSize: o.blocksize || 512,
    bytes: capacity(call, o.file, o.offset, o.sizelimit),
  });
  if (o.showdev) call.out.out(`${name}\n`);
  warnSize(call, o.file, o.sizelimit, o.offset, o.haveOffset);
  return 0;
}

/** warn_size: files that are too small, or do not end on a sector boundary. */
function warnSize(call: LosetupCall, file: string, sizelimit: number, offset: number, haveOffset: boolean): void {
  let size = sizelimit;
  if (!size) {
    let st;
    try {
      st = call.out.files.stat(file);
    } catch {
      return;
    }
    if (st.isBlockDevice()) return;
    size = st.size;
    if (haveOffset) size -= offset;
    if (size < 0) size += 2 ** 64; // unsigned arithmetic
  }
  if (size < 512) {
    call.warnx(
      `${file}: Warning: file is smaller than 512 bytes; the loop device may be useless or invisible for system tools.`,
    );
  } else if (size % 512) {
    call.warnx(`${file}: Warning: file does not fit into a 512-byte sector; the end of the file will be ignored.`);
  }
}
