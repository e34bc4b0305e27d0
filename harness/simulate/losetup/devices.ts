// The loop devices of the simulated kernel: which exist, which are attached and to what, in
// /sys/block order, and the size the kernel gives a device.

import type { LoopDevice } from '../state.js';
import type { LosetupCall } from './call.js';
import { sysBlockOrder } from './sysfs-order.js';

const LOOPDEV = /^\/dev\/loop(0|[1-9][0-9]*)$/;

/** The number N of "/dev/loopN" when that device exists (is_loopdev()); undefined otherwise. */
export function loopNumber(call: LosetupCall, device: string): number | undefined {
  const match = LOOPDEV.exec(device);
  if (!match) return undefined;
  const n = Number(match[1]);
  return n < call.state.count ? n : undefined;
}

export function attached(call: LosetupCall, n: number): LoopDevice | undefined {
  return call.state.attached.find((d) => d.number === n);
}

/** What the kernel reports as the backing file: " (deleted)" once the file is gone or replaced. */
export function backingFile(call: LosetupCall, d: LoopDevice): string {
  try {
    const st = call.out.files.stat(d.file);
    if (st.ino === d.ino && st.dev === d.dev) return d.file;
  } catch {
    // gone
  }
  return `${d.file} (deleted)`;
}

/** Attached devices in /sys/block order (none when an injected not-found applies to listing). */
export function used(call: LosetupCall, listing = true): LoopDevice[] {
  if (listing && call.consume('not-found')) return [];
  return [...call.state.attached].sort((a, b) => sysBlockOrder(a.number, b.number));
}

/** loopcxt_is_used: the same backing file (by device and inode, else by name), and offset. */
export function usesFile(call: LosetupCall, d: LoopDevice, file: string, offset: number | undefined): boolean {
  let same: boolean;
  try {
    const st = call.out.files.stat(file);
    same = st.dev === d.dev && st.ino === d.ino;
  } catch {
    same = backingFile(call, d) === file;
    if (!same) {
      try {
        same = backingFile(call, d) === call.out.files.realpath(file);
      } catch {
        // cannot canonicalize a missing file
      }
    }
  }
  return same && (offset === undefined || d.offset === offset);
}

export function firstUnused(call: LosetupCall): number | undefined {
  for (let n = 0; n < call.state.count; n++) if (attached(call, n) === undefined) return n;
  return undefined;
}

/** The device's size as the kernel computes it: the file from offset, at most sizelimit, whole sectors. */
export function capacity(call: LosetupCall, file: string, offset: number, sizelimit: number): number {
  let size: number;
  try {
    size = call.out.files.stat(file).size;
  } catch {
    return 0;
  }
  let bytes = Math.max(0, size - offset);
  if (sizelimit > 0) bytes = Math.min(bytes, sizelimit);
  return bytes - (bytes % 512);
}
