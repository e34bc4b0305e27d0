// The two ways an action fails: bad input or usage (exit 2), or the work itself failing (exit 1).
// Either way the runtime prints one clear line on stderr and nothing on stdout.

export class ProviderError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

/** Invalid input from Ganeti's environment or the command line: nothing was done. */
export class InputError extends ProviderError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'InputError';
  }
}

/** What the operator should read for the errno codes a storage write meets in practice. */
const WHY: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on the file system (ENOSPC)',
  EDQUOT: 'the disk quota is exhausted (EDQUOT)',
  EROFS: 'the file system is read-only (EROFS)',
  EIO: 'an input/output error: the disk or the network file system failed (EIO)',
  EACCES: 'permission denied (EACCES)',
  EPERM: 'operation not permitted (EPERM)',
  ENOENT: 'no such file or directory (ENOENT)',
  EFBIG: 'the file would be larger than the file system allows (EFBIG)',
  ENOTDIR: 'a path component is not a directory (ENOTDIR)',
  ESTALE: 'stale file handle: the network file system lost the file (ESTALE)',
};

/** A Node system error (fs, spawn): it has an errno code such as ENOSPC. */
export function isSystemError(error: unknown): error is NodeJS.ErrnoException & { code: string } {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string';
}

/** Why a file operation failed, in words, without Node's stack or the repeated path. */
export function why(error: unknown): string {
  if (isSystemError(error)) return WHY[error.code] ?? `${error.code}: ${error.message.replace(/^\w+: /, '')}`;
  return error instanceof Error ? error.message : String(error);
}

/** "cannot <what>: <why>" as a ProviderError; `what` names the file and the volume. */
export function fileFailure(what: string, error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  return new ProviderError(`cannot ${what}: ${why(error)}`);
}
