// One rbd call's context: the state it changes, its output streams and exit status, and the
// injected failure that applies to it (taken when the call first reaches the cluster or kernel).

import { logPrefix, TextTable } from '../ceph-format.js';
import { ERRNO } from '../errno.js';
import { Exit, GARBAGE, takeFailure, type FailureKind, type Output } from '../runtime.js';
import type { CephRelease, RbdState } from '../state.js';
import type { Parsed } from './arguments.js';

export class RbdCall {
  /** The injected failure for this call, consumed by the first step it applies to. */
  failure: FailureKind | null = null;
  /** The call's arguments for `when:` matching; null once the failures were looked at. */
  matchArgs: string[] | null = null;

  constructor(
    readonly state: RbdState,
    readonly out: Output,
  ) {}

  /** The Ceph release played. */
  get release(): CephRelease {
    return this.state.cephRelease;
  }

  /** common/TextTable as the release lays it out (Ceph 12: a space after every cell). */
  table(): TextTable {
    return new TextTable(this.release === 12);
  }

  // --- output ---

  stderr(line: string): void {
    this.out.err(`${line}\n`);
  }

  stdout(text: string): void {
    this.out.out(text);
  }

  /**
   * A Ceph log line on stderr, as librbd's lderr() prints it for command-line tools: followed by
   * an empty line (seen on Ceph 16.2.15, e2e/drift/rbd.ts).
   */
  lderr(prefix: string, message: string): void {
    this.stderr(`${logPrefix(-1)}${prefix}${message}\n`);
  }

  exit(code: number): never {
    throw new Exit(code);
  }

  fail(errno: number, ...lines: string[]): never {
    for (const line of lines) this.stderr(line);
    this.exit(errno);
  }

  progressDone(vm: Parsed, operation: string): void {
    if (!vm.flag('no-progress')) this.out.err(`\r${operation}: 100% complete...done.\n`);
  }

  progressFailed(vm: Parsed, operation: string): void {
    if (!vm.flag('no-progress')) this.out.err(`\r${operation}: 0% complete...failed.\n`);
  }

  // --- the injected failure ---

  /**
   * The call reaches the backend (the cluster, or the kernel): the first injected failure that
   * matches applies from here on. Calls that fail their own checks before this never use one up.
   */
  backend(): void {
    if (this.matchArgs === null) return;
    const failure = takeFailure(this.state.fail, this.matchArgs);
    this.matchArgs = null;
    if (failure === null) return;
    if (failure.error === 'timeout') {
      this.out.hang = true;
      this.exit(0);
    }
    if (failure.error === 'garbage') {
      this.out.stdoutParts.length = 0;
      this.out.stderrParts.length = 0;
      this.out.out(GARBAGE);
      this.exit(0);
    }
    this.failure = failure.error;
  }

  consume(kind: FailureKind): boolean {
    if (this.failure !== kind) return false;
    this.failure = null;
    return true;
  }

  /** The injected failure of the action's main operation, as an errno (or 0). */
  operationErrno(): number {
    if (this.consume('busy')) return ERRNO.EBUSY;
    if (this.consume('not-found')) return ERRNO.ENOENT;
    return 0;
  }
}
