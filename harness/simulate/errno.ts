// Linux errno numbers and glibc's strerror() texts, for the messages the real tools print.
// Kept to node built-ins (none at all here): simulators load this on every call.

export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  ENXIO: 6,
  EACCES: 13,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENOSPC: 28,
  EROFS: 30,
  EMLINK: 31,
  EDOM: 33,
  ERANGE: 34,
  ENOSYS: 38,
  ENOTEMPTY: 39,
  EOPNOTSUPP: 95,
  ETIMEDOUT: 110,
} as const;

const MESSAGES: Readonly<Record<number, string>> = {
  1: 'Operation not permitted',
  2: 'No such file or directory',
  5: 'Input/output error',
  6: 'No such device or address',
  13: 'Permission denied',
  16: 'Device or resource busy',
  17: 'File exists',
  19: 'No such device',
  20: 'Not a directory',
  21: 'Is a directory',
  22: 'Invalid argument',
  28: 'No space left on device',
  30: 'Read-only file system',
  31: 'Too many links',
  33: 'Numerical argument out of domain',
  34: 'Numerical result out of range',
  38: 'Function not implemented',
  39: 'Directory not empty',
  95: 'Operation not supported',
  110: 'Connection timed out',
};

/** glibc's strerror(errno). */
export function strerror(errno: number): string {
  return MESSAGES[errno] ?? `Unknown error ${errno}`;
}

/** Ceph's cpp_strerror(-errno): "(2) No such file or directory". */
export function cppStrerror(errno: number): string {
  return `(${errno}) ${strerror(errno)}`;
}

/** The errno of a failed node fs call, for the tools' own messages. */
export function errnoOf(error: unknown): number {
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== undefined && code in ERRNO) return ERRNO[code as keyof typeof ERRNO];
  return ERRNO.EIO;
}
