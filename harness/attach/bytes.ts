// Byte-level helpers: Ganeti 2.x works on the raw bytes of attach's stdout, so we do too.

const encoder = new TextEncoder();
// ignoreBOM: Python's utf-8 codec keeps a leading U+FEFF, so must we.
const lossyDecoder = new TextDecoder('utf-8', { ignoreBOM: true });

export function toBytes(output: Uint8Array | string): Uint8Array {
  return typeof output === 'string' ? encoder.encode(output) : output;
}

export function encodeUtf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Decodes UTF-8, replacing each ill-formed subsequence with U+FFFD (as Python's 'replace'). */
export function decodeLossy(bytes: Uint8Array): string {
  return lossyDecoder.decode(bytes);
}

/**
 * The offset of the first byte that makes `bytes` ill-formed UTF-8, or -1 when it is well-formed.
 * Well-formed as Unicode Table 3-7 and Python 3's strict codec define it: no overlongs, no
 * surrogates (U+D800-U+DFFF), nothing above U+10FFFF, no truncated sequence.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b0 = bytes[i]!;
    if (b0 < 0x80) {
      i += 1;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    // The well-formed sequences of the Unicode standard (table 3-7): some lead bytes narrow the
    // range of the byte after them (no overlongs, no surrogates, nothing above U+10FFFF).
    if (b0 >= 0xc2 && b0 <= 0xdf) need = 1;
    else if (b0 === 0xe0) {
      need = 2;
      lo = 0xa0;
    } else if ((b0 >= 0xe1 && b0 <= 0xec) || b0 === 0xee || b0 === 0xef) need = 2;
    else if (b0 === 0xed) {
      need = 2;
      hi = 0x9f;
    } else if (b0 === 0xf0) {
      need = 3;
      lo = 0x90;
    } else if (b0 >= 0xf1 && b0 <= 0xf3) need = 3;
    else if (b0 === 0xf4) {
      need = 3;
      hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const b = bytes[i + k];
      if (b === undefined) return i;
      const [min, max] = k === 1 ? [lo, hi] : [0x80, 0xbf];
      if (b < min || b > max) return i;
    }
    i += need + 1;
  }
  return -1;
}

/** Splits on LF (0x0A) exactly as Python's str.split("\n"): n newlines give n+1 pieces. */
export function splitLines(bytes: Uint8Array): Uint8Array[] {
  const lines: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0a) {
      lines.push(bytes.subarray(start, i));
      start = i + 1;
    }
  }
  lines.push(bytes.subarray(start));
  return lines;
}

/** Output as Ganeti 3.x reads it, with where its line breaks came from. */
export interface UniversalNewlines {
  /** The bytes with every CRLF and every lone CR turned into one LF. */
  readonly bytes: Uint8Array;
  /** 1-based numbers of the lines (in the translated bytes) that a CR or CRLF ended. */
  readonly crEnded: readonly number[];
}

/**
 * Python 3's universal newlines on the whole output at once: Ganeti 3.x reads script output through
 * Popen(..., encoding="utf-8") (utils/process.py), whose text stream turns CRLF and a lone CR into
 * LF before extstorage.py splits on LF. CR and LF are never part of a multi-byte UTF-8 sequence,
 * so translating the bytes is translating the text.
 */
export function universalNewlines(bytes: Uint8Array): UniversalNewlines {
  const out: number[] = [];
  const crEnded: number[] = [];
  let line = 1;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte === 0x0d) {
      crEnded.push(line);
      if (bytes[i + 1] === 0x0a) i += 1;
      out.push(0x0a);
      line += 1;
      continue;
    }
    out.push(byte);
    if (byte === 0x0a) line += 1;
  }
  return { bytes: Uint8Array.from(out), crEnded };
}

/** C0 controls and DEL: what can never be part of a usable path or URI. */
export function isControlByte(byte: number): boolean {
  return byte <= 0x1f || byte === 0x7f;
}

export function hasControlByte(bytes: Uint8Array): boolean {
  return bytes.some(isControlByte);
}

/** The 1-based line on which byte `offset` stands. */
export function lineOfOffset(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < bytes.length; i++) if (bytes[i] === 0x0a) line += 1;
  return line;
}
