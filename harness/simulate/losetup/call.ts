// One losetup call's context: the state it changes, its output streams, its messages and exit
// status (warn/err as util-linux prints them), and the injected failure that applies to it.

import { strerror } from '../errno.js';
import { Exit, type FailureKind, type Output } from '../runtime.js';
import type { LosetupState } from '../state.js';
import { PROGRAM } from './usage.js';

export class LosetupCall {
  /** Injected permission failure: LOOP_GET_STATUS refused, as for a user who is not root. */
  noStatus = false;
  failure: FailureKind | null = null;

  constructor(
    readonly state: LosetupState,
    readonly out: Output,
  ) {}

  warnx(message: string): void {
    this.out.err(`${PROGRAM}: ${message}\n`);
  }

  warn(message: string, errno: number): void {
    this.out.err(`${PROGRAM}: ${message}: ${strerror(errno)}\n`);
  }

  exit(status: number): never {
    throw new Exit(status);
  }

  errx(message: string): never {
    this.warnx(message);
    this.exit(1);
  }

  err(message: string, errno: number): never {
    this.warn(message, errno);
    this.exit(1);
  }

  errtryhelp(): never {
    this.out.err(`Try '${PROGRAM} --help' for more information.\n`);
    this.exit(1);
  }

  consume(kind: FailureKind): boolean {
    if (this.failure !== kind) return false;
    this.failure = null;
    return true;
  }
}
