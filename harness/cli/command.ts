// The shape every subcommand has, and the usage error that makes the CLI exit 2.

export interface Command {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
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

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** The --help/-h option every command takes. */
export const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

/** Runs node:util parseArgs (or any parser), turning its errors into UsageError. */
export function usageErrors<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
}
