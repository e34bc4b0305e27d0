// The last lines of the daemons' log files, for error messages.

import { closeSync, openSync, readSync, statSync } from 'node:fs';

/** The last lines of a (log) file, reading at most its last 256 KiB. */
export function tail(file: string, lines = 30): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return '(no such file)';
  }
  try {
    const size = statSync(file).size;
    const length = Math.min(size, 256 * 1024);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const all = buffer.toString('utf8').replace(/\n+$/, '').split('\n');
    return all.slice(-lines).join('\n');
  } finally {
    closeSync(fd);
  }
}

/** The tails of several log files, each under a header, for error messages. */
export function tails(files: readonly string[], lines = 30): string {
  return files.map((file) => `--- ${file} (last ${lines} lines) ---\n${tail(file, lines)}`).join('\n');
}
