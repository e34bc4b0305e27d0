// How one Ganeti release reads attach's stdout: lines, decoding, the device check, URI selection.
// interpret.ts turns this into a verdict and lint.ts into problems; both share these rules.

import { statSync } from 'node:fs';
import { HYPERVISORS, type Hypervisor } from '../ganeti/hypervisors.js';
import { isPython2, type GanetiVersion } from '../ganeti/versions.js';
import { decodeLossy, encodeUtf8, firstInvalidUtf8, hasControlByte, splitLines, universalNewlines } from './bytes.js';

export interface AttachLine {
  /** 1-based line number in the output. */
  readonly number: number;
  readonly bytes: Uint8Array;
  /** The line as text: exact for valid UTF-8, U+FFFD for each ill-formed sequence otherwise. */
  readonly text: string;
}

export interface AttachReading {
  readonly version: GanetiVersion;
  readonly bytes: Uint8Array;
  /**
   * The output split on LF; n newlines give n+1 lines, as Python's split("\n"). For 3.x the split
   * comes after universal newlines (CRLF and a lone CR are LF too), so no line holds a CR.
   */
  readonly lines: readonly AttachLine[];
  /** 3.x: the lines (1-based, as in `lines`) that a CR or CRLF ended; [] for 2.x. */
  readonly crLineBreaks: readonly number[];
  /** Offset of the first byte that is not valid UTF-8, or -1. */
  readonly invalidUtf8At: number;
  /** Ganeti 3.x could not decode the output, so the whole call failed. */
  readonly undecodable: boolean;
}

export function readAttachOutput(bytes: Uint8Array, version: GanetiVersion): AttachReading {
  const invalidUtf8At = firstInvalidUtf8(bytes);
  const undecodable = invalidUtf8At >= 0 && !isPython2(version);
  // Python 2 reads bytes as they are; Python 3 decodes with universal newlines (spec/SPEC.md §5.4).
  const read = isPython2(version) || undecodable ? { bytes, crEnded: [] } : universalNewlines(bytes);
  const lines = splitLines(read.bytes).map((lineBytes, index) => ({
    number: index + 1,
    bytes: lineBytes,
    text: decodeLossy(lineBytes),
  }));
  return {
    version,
    bytes,
    lines,
    crLineBreaks: read.crEnded,
    invalidUtf8At,
    undecodable,
  };
}

/** What became of stat() on the device path ('relative': a relative path the model cannot place). */
export type DeviceProbe = 'block' | 'relative' | 'control' | 'missing' | 'not-block';

const SLASH = 0x2f;
const DEV_SLASH = encodeUtf8('dev/');

/**
 * Would Ganeti's os.stat() + S_ISBLK accept this path? The node daemon stats it in its own process,
 * whose working directory is / (it daemonizes with chdir("/")), so a relative path is taken from /.
 * Without `stat` the answer is a model: a path free of control bytes counts as an existing block
 * device when it is absolute or, relative, lies under dev/ (that is /dev/...).
 */
/**
 * How the device is looked at: the model (false), stat() here (true), or the stat() outcome
 * someone else saw (a function: --through-ganeti asks what Ganeti's process saw in its sandbox).
 */
export type DeviceStat = boolean | ((path: Uint8Array) => DeviceProbe | null);

export function probeDevice(path: Uint8Array, stat: DeviceStat): DeviceProbe {
  if (path.length === 0) return 'missing'; // os.stat("") fails
  if (typeof stat === 'function') {
    const seen = stat(path);
    if (seen !== null) return seen;
  }
  const relative = path[0] !== SLASH;
  if (!stat) {
    if (hasControlByte(path)) return 'control';
    if (relative && !DEV_SLASH.every((byte, i) => path[i] === byte)) return 'relative';
    return 'block';
  }
  if (path.includes(0)) return 'control'; // Python refuses to stat a path with NUL
  const fromRoot = relative ? Buffer.concat([Buffer.from('/'), path]) : Buffer.from(path);
  try {
    return statSync(fromRoot).isBlockDevice() ? 'block' : 'not-block';
  } catch {
    return 'missing';
  }
}

const ASCII_A = 0x41;
const ASCII_Z = 0x5a;

function asciiLower(byte: number): number {
  return byte >= ASCII_A && byte <= ASCII_Z ? byte + 0x20 : byte;
}

/** Python 2: `uri[:len(prefix)].lower() == prefix` on byte strings (ASCII-only lowercasing). */
function restAfterPrefixBytes(line: AttachLine, prefix: Uint8Array): string | null {
  if (line.bytes.length < prefix.length) return null;
  for (let i = 0; i < prefix.length; i++) {
    if (asciiLower(line.bytes[i]!) !== prefix[i]) return null;
  }
  return decodeLossy(line.bytes.subarray(prefix.length));
}

/** Python 3: the same on str, so slicing counts code points and lower() is Unicode-aware. */
function restAfterPrefixText(line: AttachLine, prefix: string): string | null {
  const codePoints = Array.from(line.text);
  const prefixLength = Array.from(prefix).length;
  if (codePoints.slice(0, prefixLength).join('').toLowerCase() !== prefix) return null;
  return codePoints.slice(prefixLength).join('');
}

/** The URI this line offers to `hypervisor`, as `version` matches prefixes, or null. */
export function uriFor(line: AttachLine, hypervisor: string, python2: boolean): string | null {
  const prefix = `${hypervisor.toLowerCase()}:`;
  return python2 ? restAfterPrefixBytes(line, encodeUtf8(prefix)) : restAfterPrefixText(line, prefix);
}

/** The hypervisor whose prefix this line carries, as `version` matches prefixes, or null. */
export function hypervisorOf(line: AttachLine, python2: boolean): { hypervisor: Hypervisor; uri: string } | null {
  for (const hypervisor of HYPERVISORS) {
    const uri = uriFor(line, hypervisor, python2);
    if (uri !== null) return { hypervisor, uri };
  }
  return null;
}
