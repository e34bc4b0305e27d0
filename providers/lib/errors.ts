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
