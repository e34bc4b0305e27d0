// What every simulated command shares: its state file in the scenario's sandbox (read, changed and
// written back under a lock, so calls from parallel processes are answered one at a time), the
// injected failures, the call log that `expect.calls` reads, and the output written at the end.
// Kept to node built-ins so a simulated command starts fast.

import { appendFileSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { failedOnPurpose, type LoggedCall, type StoredMatcher } from '../backend/call-log.js';

/** What the executable in the sandbox's stubs directory passes to the simulator. */
export interface SimulatorConfig {
  readonly command: string;
  /** The simulator's state (JSON), kept for the whole scenario. */
  readonly stateFile: string;
  /** A directory used as a lock around each call. */
  readonly lockDir: string;
  /** The call log shared with stubs (one JSON line per call). */
  readonly callLog: string;
  /** The harness's environment marker, left out of logged environments. */
  readonly marker: string;
}

/** Kinds of injected failure (spec/SCENARIOS.md, "Backend simulators"). */
export type FailureKind = 'unreachable' | 'busy' | 'not-found' | 'permission' | 'timeout' | 'garbage';

/** An injected failure as stored in the state file. */
export interface StoredFailure {
  /** Matchers for the first arguments of a call (after rbd's global options). */
  readonly when: readonly StoredMatcher[];
  readonly error: FailureKind;
  /** How many calls it fails; "any": every matching call. */
  readonly times: number | 'any';
  /** Calls failed so far. */
  used: number;
  /** "file:line:col" in the scenario file. */
  readonly at: string;
}

/** What a simulated call prints and how it ends. */
export class Output {
  readonly stdoutParts: (string | Uint8Array)[] = [];
  readonly stderrParts: (string | Uint8Array)[] = [];
  code = 0;
  /** Never answer (an injected timeout): the harness's time limit kills the call. */
  hang = false;

  out(text: string | Uint8Array): void {
    this.stdoutParts.push(text);
  }

  err(text: string | Uint8Array): void {
    this.stderrParts.push(text);
  }

  /** Prints `text` and a newline on stderr and sets the exit status. */
  fail(code: number, ...lines: string[]): void {
    for (const line of lines) this.err(`${line}\n`);
    this.code = code;
  }
}

/** Ends a simulated command early with the output so far (the real tools' exit() calls). */
export class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** The exit status logged for a call that never returns (killed by the harness). */
export const HUNG_EXIT = 137;

/** Bytes an injected `garbage` failure prints on stdout (then exit 0): not JSON, not a device,
 * not UTF-8, with a NUL and an escape sequence. */
export const GARBAGE: Uint8Array = Uint8Array.from([
  ...Buffer.from('\u001b[31m%%simulated garbage%% 0x7f3c2e1b {"pool": [unterminated\n'),
  0x00,
  0xff,
  0xfe,
  ...Buffer.from(' /dev/???\n'),
]);

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A lock directory holding its owner's pid; a lock left by a killed call is taken over. */
export function withLock<T>(lockDir: string, fn: () => T): T {
  const owner = `${lockDir}/owner`;
  for (let attempt = 0; ; attempt++) {
    try {
      mkdirSync(lockDir);
      writeFileSync(owner, String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (attempt % 20 === 19) {
        let pid = NaN;
        let age = 0;
        try {
          pid = Number(readFileSync(owner, 'utf8'));
          age = Date.now() - statSync(owner).mtimeMs;
        } catch {
          // being created or removed right now
        }
        // Stale only when its owner is dead AND it is old: a lock taken a moment ago by a new owner,
        // after the dead pid was read, must not be broken.
        if (Number.isInteger(pid) && pid > 0 && age > 1000 && !pidAlive(pid))
          rmSync(lockDir, { recursive: true, force: true });
      }
      if (attempt > 6000) throw new Error(`simulator lock ${lockDir} held for too long`, { cause: error });
      sleep(5);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

/** The state a simulator wrote: unknown until the caller names the simulator it belongs to. */
export function readState(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8'));
}

export function writeState(file: string, state: unknown): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 1)}\n`);
  renameSync(temporary, file);
}

function matcherMatches(matcher: StoredMatcher, arg: string): boolean {
  return 'equals' in matcher ? matcher.equals === arg : new RegExp(matcher.regex).test(arg);
}

/**
 * The first injected failure, in order, whose `when` matches the start of `args` and that has
 * calls left; it is counted as used. Null when none applies.
 */
export function takeFailure(failures: StoredFailure[], args: readonly string[]): StoredFailure | null {
  for (const failure of failures) {
    if (failure.times !== 'any' && failure.used >= failure.times) continue;
    if (failure.when.length > args.length) continue;
    if (!failure.when.every((m, i) => matcherMatches(m, args[i]!))) continue;
    failure.used += 1;
    return failure;
  }
  return null;
}

/** The state every simulator keeps, whatever else it holds. */
export interface SimulatorState {
  readonly fail: StoredFailure[];
}

/**
 * Runs one call: under the lock, reads the state, lets `simulate` answer (changing the state as
 * the real command would), writes the state back and logs the call; then prints and exits, or
 * hangs for an injected timeout (outside the lock, so other calls go on).
 */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- S is the state the caller's simulator wrote; it ties the file's content to `simulate`'s parameter
export function runSimulator<S extends SimulatorState>(
  config: SimulatorConfig,
  argv: readonly string[],
  simulate: (state: S, argv: readonly string[], output: Output) => void,
): void {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== config.marker)) as Record<
    string,
    string
  >;
  const output = new Output();
  // The step makes every backend command fail: no state read or changed, the call logged.
  if (failedOnPurpose(config.callLog, { command: config.command, argv: [...argv], env, simulated: true })) return;
  withLock(config.lockDir, () => {
    const state = readState(config.stateFile) as S;
    try {
      simulate(state, argv, output);
    } catch (error) {
      if (!(error instanceof Exit)) throw error;
      output.code = error.code;
    }
    writeState(config.stateFile, state);
    const logged: LoggedCall = {
      command: config.command,
      argv: [...argv],
      env,
      entry: null,
      exit: output.hang ? HUNG_EXIT : output.code,
      simulated: true,
    };
    appendFileSync(config.callLog, `${JSON.stringify(logged)}\n`);
  });
  for (const part of output.stdoutParts) process.stdout.write(part);
  for (const part of output.stderrParts) process.stderr.write(part);
  if (output.hang) {
    // Like a client waiting for monitors that never answer: only the harness's timeout ends it.
    setInterval(() => undefined, 1 << 30);
    return;
  }
  process.exitCode = output.code;
}
