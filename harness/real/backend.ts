// Real backends in place of simulators (`run --real rbd`, spec/SCENARIOS.md §12.7): the same
// scenario, run against the real command and the storage it drives, so a simulator cannot drift
// from the tool it fakes. Each backend says which scenarios it can take, creates their starting
// state for real, reads the state back in the simulator's documented shape (what expect.simulated
// compares with), and removes what the scenario left.

import type { LosetupSimulation, RbdSimulation, SimulatorName } from '../scenario/model.js';

/** What a real backend works with during one scenario. */
export interface RealContext {
  /** The environment for the backend's own commands: the system PATH, LC_ALL=C, the scenario's env. */
  readonly env: Readonly<Record<string, string>>;
  /** The scenario's sandbox (realpath): files of the scenario live below it. */
  readonly sandbox: string;
}

export interface RealBackend<Options> {
  readonly name: SimulatorName;
  /** Why the scenario cannot run against this backend (it is then skipped, with this reason), or null. */
  unsupported(options: Options, context: RealContext): Promise<string | null>;
  /**
   * Before the first step: the scenario's starting state, made for real. Throws when it cannot,
   * having removed what it made (and never touching storage that was there before).
   */
  prepare(options: Options, context: RealContext): Promise<void>;
  /** The state as the simulator's view has it (spec/SCENARIOS.md §12.5). */
  view(options: Options, context: RealContext): Promise<Record<string, unknown>>;
  /** After the last step: removes what the scenario made. Returns what could not be removed. */
  cleanup(options: Options, context: RealContext): Promise<string[]>;
}

export interface RealBackends {
  readonly rbd: RealBackend<RbdSimulation>;
  readonly losetup: RealBackend<LosetupSimulation>;
}

export interface CommandOutput {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs one of the backend's commands (argv, never a shell) in exactly `env`; a minute at most. A
 * non-zero exit is the command's answer; a command that could not run, was killed or printed too
 * much ends with code 1 and execa's reason on stderr.
 */
export async function runCommand(
  argv: readonly string[],
  env: Readonly<Record<string, string>>,
): Promise<CommandOutput> {
  // Loaded here: only `run --real` runs backend commands, and every other run of the CLI would
  // load execa's modules at start-up for nothing (bench/README.md, "Start-up").
  const { execa } = await import('execa');
  const result = await execa(argv[0]!, argv.slice(1), {
    env: { ...env },
    extendEnv: false,
    stdin: 'ignore',
    timeout: 60_000,
    maxBuffer: 16 * 1024 * 1024,
    stripFinalNewline: false,
    reject: false,
  });
  const { exitCode, stdout, stderr } = result;
  if (!result.failed) return { code: 0, stdout, stderr };
  if (exitCode !== undefined && exitCode !== 0 && !result.isMaxBuffer) return { code: exitCode, stdout, stderr };
  return { code: 1, stdout, stderr: `${stderr}${result.shortMessage ?? 'failed'}\n` };
}

/** Runs a command that must succeed; its stdout. */
export async function mustRun(argv: readonly string[], env: Readonly<Record<string, string>>): Promise<string> {
  const out = await runCommand(argv, env);
  if (out.code !== 0)
    throw new Error(`${argv.join(' ')} exited ${out.code}: ${out.stderr.trim().split('\n').pop() ?? ''}`);
  return out.stdout;
}
