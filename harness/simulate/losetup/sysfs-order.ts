// The order in which the kernel's /sys/block lists loop devices, the order losetup walks them in.

const M64 = (1n << 64n) - 1n;

/** The kernel's kernfs_name_hash(name, NULL): the order of entries in /sys/block. */
function kernfsHash(name: string): bigint {
  let hash = 0n;
  for (const byte of Buffer.from(name)) {
    const c = BigInt(byte);
    hash = ((hash + (c << 4n) + (c >> 4n)) * 11n) & M64;
  }
  let h = ((hash * 0x61c8864680b583ebn) & M64) >> 32n;
  h &= 0x7fffffffn;
  if (h < 2n) h += 2n;
  if (h >= 0x7fffffffn) h = 0x7ffffffen;
  return h;
}

export function sysBlockOrder(a: number, b: number): number {
  const ha = kernfsHash(`loop${a}`);
  const hb = kernfsHash(`loop${b}`);
  if (ha !== hb) return ha < hb ? -1 : 1;
  return `loop${a}` < `loop${b}` ? -1 : 1;
}
