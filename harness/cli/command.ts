// The shape every subcommand has, and the usage error that makes the CLI exit 2.

export interface Command {
  readonly name: string;
  /** The full --help text. */
  readonly help: string;
  /** Runs the command; resolves to the exit code. */
  run(argv: string[]): Promise<number>;
}

/** Bad command-line input: the CLI prints it with a pointer to --help and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** report: a --junit/--json file could not be written (its content was saved elsewhere, named on stderr). */
export const EXIT = { ok: 0, failed: 1, usage: 2, report: 74 } as const;

/** The --help/-h option every command takes. */
export const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

/** Runs node:util parseArgs (or any parser), turning its errors into UsageError. */
export function usageErrors<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    const message = (error as Error).message;
    // parseArgs reads "--jobs -1" as an option missing its value: name the value instead.
    const dashed =
      /^Option '(-\w, )?(--[\w-]+) <value>' argument is ambiguous/.exec(message) ??
      /^Option '(-\w, )?(--[\w-]+)' argument is ambiguous/.exec(message);
    if (dashed)
      throw new UsageError(
        `${dashed[2]} takes a value that does not start with "-" (write ${dashed[2]}=VALUE if it must)`,
      );
    throw new UsageError(message.replace(/\. To specify a positional argument.*$/s, ''));
  }
}
