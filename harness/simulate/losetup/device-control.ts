// The actions on attached devices: detach (-d, -D), find a free device (-f), re-read the size
// (-c), and set direct I/O or the logical block size of a device.

import { ERRNO } from '../errno.js';
import type { LosetupCall } from './call.js';
import { attached, backingFile, capacity, firstUnused } from './devices.js';

export function detach(call: LosetupCall, n: number | undefined, name: string): number {
  const d = n === undefined ? undefined : attached(call, n);
  if (call.failure === 'permission') {
    call.warn(`${name}: detach failed`, ERRNO.EACCES);
    return 1;
  }
  if (d === undefined || call.failure === 'not-found') {
    call.warn(`${name}: detach failed`, ERRNO.ENXIO);
    return 1;
  }
  if (call.failure === 'busy') {
    // The device is open: LOOP_CLR_FD only sets autoclear, and the device goes at last close.
    d.autoclear = true;
    return 0;
  }
  call.state.attached = call.state.attached.filter((x) => x !== d);
  return 0;
}

export function findFree(call: LosetupCall): number {
  if (call.failure === 'permission') {
    call.warn('cannot find an unused loop device', ERRNO.EACCES);
    return 1;
  }
  const n = call.consume('not-found') ? undefined : firstUnused(call);
  if (n === undefined) {
    // Assumption: the errno left by the failed search when every device is in use and no more
    // can be created (no /dev/loop-control): "No such file or directory".
    call.warn('cannot find an unused loop device', ERRNO.ENOENT);
    return 1;
  }
  call.out.out(`/dev/loop${n}\n`);
  return 0;
}

export function setCapacity(call: LosetupCall, n: number, name: string): number {
  const d = attached(call, n);
  const errno =
    call.failure === 'permission'
      ? ERRNO.EACCES
      : call.failure === 'busy'
        ? ERRNO.EBUSY
        : d === undefined
          ? ERRNO.ENXIO
          : 0;
  if (errno !== 0) {
    call.warn(`${name}: set capacity failed`, errno);
    return 1;
  }
  // The kernel reads the size of the file it holds open, even if its name was deleted since.
  if (!backingFile(call, d!).endsWith(' (deleted)')) d!.bytes = capacity(call, d!.file, d!.offset, d!.sizelimit);
  return 0;
}

/** --direct-io or --sector-size on an attached device (LOOP_SET_DIRECT_IO, LOOP_SET_BLOCK_SIZE). */
export function setDeviceOption(
  call: LosetupCall,
  act: 'set-dio' | 'set-blocksize',
  n: number,
  name: string,
  directIo: boolean,
  blocksize: number,
): number {
  const d = attached(call, n);
  if (d === undefined || call.failure === 'permission') {
    call.warn(
      `${name}: ${act === 'set-dio' ? 'set direct io failed' : 'set logical block size failed'}`,
      d === undefined ? ERRNO.ENXIO : ERRNO.EACCES,
    );
    return 1;
  }
  if (act === 'set-dio') d.directIo = directIo;
  else d.sectorSize = blocksize;
  return 0;
}
