// Sizes and offsets on losetup's command line, read as util-linux's parse_size() reads them.

import { ERRNO } from '../errno.js';

/**
 * util-linux parse_size(): a number (decimal, 0x hex or 0 octal, optionally with a fraction) and
 * an optional K M G T P E Z Y suffix (KiB = K = 1024, KB = 1000). Undefined, with the errno, if bad.
 */
export function parseSize(text: string): { value: number } | { errno: number } {
  const match =
    /^\s*\+?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)(?:\.(0*)([0-9]*))?(?:([KMGTPEZYkmgtpezy])(iB|ib|B|b)?)?$/.exec(
      text,
    );
  if (!match || text.trimStart().startsWith('-')) return { errno: ERRNO.EINVAL };
  const [, digits, zeros, fraction, suffix, unit] = match;
  if ((zeros !== undefined || fraction !== undefined) && suffix === undefined) return { errno: ERRNO.EINVAL };
  let value = BigInt(
    digits!.startsWith('0x') || digits!.startsWith('0X')
      ? digits!
      : digits!.length > 1 && digits!.startsWith('0')
        ? `0o${digits!.slice(1)}`
        : digits!,
  );
  const base = unit === 'B' || unit === 'b' ? 1000n : 1024n;
  const power = suffix === undefined ? 0 : 'kmgtpezy'.indexOf(suffix.toLowerCase()) + 1;
  const scale = base ** BigInt(power);
  value *= scale;
  if (fraction !== undefined && fraction !== '' && power > 0) {
    const divisor = 10n ** BigInt((zeros ?? '').length + fraction.length);
    value += (BigInt(fraction) * scale) / divisor;
  }
  if (value > 2n ** 64n - 1n) return { errno: ERRNO.ERANGE };
  return { value: Number(value) };
}
