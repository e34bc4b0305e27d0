// Reading a scenario file: only a regular file, only up to MAX_FILE_BYTES, only UTF-8. `run
// p /dev/zero` would otherwise read forever and `run p <a FIFO>` wait forever for a writer; bytes
// that are not UTF-8 would become U+FFFD silently. The first stage of the loader: its text goes to
// the YAML parser, its errors are reported at a position like any other.

import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { MAX_FILE_BYTES } from './limits.js';

/** A problem with the file itself, at a line and column (1:1 for the file as a whole). */
export interface SourceProblem {
  readonly line: number;
  readonly col: number;
  readonly message: string;
}

/** The text of the scenario file at `path`, or why it cannot be one. */
export function readScenarioSource(path: string): { text: string } | { problem: SourceProblem } {
  const whole = (message: string) => ({ problem: { line: 1, col: 1, message } });
  let bytes: Buffer;
  try {
    // stat before open: opening a device or a FIFO can itself block or act.
    const refusal = notReadable(path, statSync(path));
    if (refusal !== undefined) return whole(refusal);
    const read = readBounded(path);
    if (typeof read === 'string') return whole(read);
    bytes = read;
  } catch (error) {
    return whole(fsMessage(error));
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes) };
  } catch {
    return { problem: invalidUtf8(bytes) };
  }
}

/** What a failed file-system call means, in the words of the loader's messages. */
export function fsMessage(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EISDIR') return 'is a directory, not a scenario file';
  if (code === 'EACCES') return 'permission denied';
  return `cannot read: ${(error as Error).message}`;
}

/** Why a file with these stats is not read, or undefined when it is a regular file small enough. */
function notReadable(path: string, stats: Stats): string | undefined {
  if (stats.isDirectory()) return 'is a directory, not a scenario file';
  if (!stats.isFile()) {
    return `${JSON.stringify(path)} is ${fileKind(stats)}, not a regular file: scenario files are read only from regular files`;
  }
  if (stats.size > MAX_FILE_BYTES) return tooBig(path, stats.size);
  return undefined;
}

function tooBig(path: string, size: number | string): string {
  return `${JSON.stringify(path)} is ${size} bytes: a scenario file may be at most ${MAX_FILE_BYTES} bytes (4 MiB)`;
}

/** The bytes, read through one descriptor whose own stats are checked again (the path may have changed). */
function readBounded(path: string): Buffer | string {
  // O_NONBLOCK: if a FIFO took the file's place since the stat, open returns instead of waiting.
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const stats = fstatSync(fd);
    const refusal = notReadable(path, stats);
    if (refusal !== undefined) return refusal;
    // Read until the end, whatever fstat said (the file may grow), but never past the limit.
    const chunks: Buffer[] = [];
    let total = 0;
    let chunk = Buffer.allocUnsafe(Math.min(stats.size, MAX_FILE_BYTES) + 1);
    let used = 0;
    for (;;) {
      const n = readSync(fd, chunk, used, chunk.length - used, null);
      if (n === 0) break;
      used += n;
      total += n;
      if (total > MAX_FILE_BYTES) return tooBig(path, `more than ${MAX_FILE_BYTES}`);
      if (used === chunk.length) {
        chunks.push(chunk);
        chunk = Buffer.allocUnsafe(64 * 1024);
        used = 0;
      }
    }
    chunks.push(chunk.subarray(0, used));
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

function fileKind(stats: Stats): string {
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** The position of the first byte that is not UTF-8, counted as the loader counts (UTF-16 columns). */
function invalidUtf8(bytes: Buffer): SourceProblem {
  const offset = firstInvalidUtf8(bytes);
  const before = bytes.subarray(0, offset).toString('utf8');
  const lineStart = before.lastIndexOf('\n') + 1;
  let line = 1;
  for (let i = before.indexOf('\n'); i !== -1; i = before.indexOf('\n', i + 1)) line++;
  const byte = bytes[offset]!.toString(16).padStart(2, '0');
  return {
    line,
    col: before.length - lineStart + 1,
    message: `invalid UTF-8 (byte 0x${byte}): a scenario file must be UTF-8 text`,
  };
}

/** The offset of the first byte that does not begin a valid UTF-8 sequence (RFC 3629). */
function firstInvalidUtf8(bytes: Buffer): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    let length: number;
    let min: number;
    if (b < 0x80) length = 1;
    else if (b >= 0xc2 && b <= 0xdf) length = 2;
    else if (b >= 0xe0 && b <= 0xef) length = 3;
    else if (b >= 0xf0 && b <= 0xf4) length = 4;
    else return i;
    if (length === 1) {
      i++;
      continue;
    }
    if (i + length > bytes.length) return i;
    let code = b & (0xff >> (length + 1));
    for (let k = 1; k < length; k++) {
      const c = bytes[i + k]!;
      if ((c & 0xc0) !== 0x80) return i;
      code = (code << 6) | (c & 0x3f);
    }
    if (length === 3) min = 0x800;
    else if (length === 4) min = 0x10000;
    else min = 0x80;
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8.
    if (code < min || (code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff) return i;
    i += length;
  }
  return bytes.length;
}
