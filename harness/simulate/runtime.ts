// What every simulated command shares: its state file in the scenario's sandbox (read, changed and
// written back for each call; the server, server.ts, answers calls one at a time), the injected
// failures, the call log that `expect.calls` reads, and the output the caller relays.

import { appendFileSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { resolve } from 'node:path';
import { failOnPurpose, type LoggedCall, type StoredMatcher } from '../backend/call-log.js';
import type { CommandCall } from '../backend/command-server.js';

/** One simulated command of a scenario, as its server (server.ts) answers it. */
export interface SimulatorConfig {
  readonly command: string;
  /** The simulator's state (JSON), kept for the whole scenario. */
  readonly stateFile: string;
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

/** Files as the caller sees them: relative paths from its working directory. */
export class CallFiles {
  constructor(private readonly cwd: string) {}

  stat(path: string): Stats {
    return statSync(resolve(this.cwd, path));
  }

  realpath(path: string): string {
    return realpathSync(resolve(this.cwd, path));
  }
}

/** What a simulated call prints and how it ends, and the files it sees. */
export class Output {
  readonly stdoutParts: (string | Uint8Array)[] = [];
  readonly stderrParts: (string | Uint8Array)[] = [];
  code = 0;
  /** Never answer (an injected timeout): the harness's time limit kills the call. */
  hang = false;

  constructor(readonly files: CallFiles) {}

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
 * Answers one call: reads the state, lets `simulate` answer (changing the state as the real
 * command would), writes the state back and logs the call. Under fail_backend no state is read
 * or changed. The caller relays the output; for an injected timeout it then never returns.
 */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- S is the state the caller's simulator wrote; it ties the file's content to `simulate`'s parameter
export function answerCall<S extends SimulatorState>(
  config: SimulatorConfig,
  call: CommandCall,
  simulate: (state: S, argv: readonly string[], output: Output) => void,
): Output {
  const env = Object.fromEntries(Object.entries(call.env).filter(([k]) => k !== config.marker));
  const output = new Output(new CallFiles(call.cwd));
  const argv = [...call.argv];
  // The step makes every backend command fail: no state read or changed, the call logged.
  const failed = failOnPurpose(config.callLog, { command: config.command, argv, env, simulated: true });
  if (failed !== null) {
    output.err(failed);
    output.code = 1;
    return output;
  }
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
    argv,
    env,
    entry: null,
    exit: output.hang ? HUNG_EXIT : output.code,
    simulated: true,
  };
  appendFileSync(config.callLog, `${JSON.stringify(logged)}\n`);
  return output;
}
