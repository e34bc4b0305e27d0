// What running scenarios produces: the one model every reporter reads (../report/).

import type { CheckInfo, KillMoment, SourcePosition, StepKind } from '../scenario/model.js';
import type { Failure } from '../backend/backend.js';
import type { FileChange } from './file-snapshot.js';

export type { Failure };

/** A stream kept within bounds: the first and last bytes, and how many were dropped between. */
export interface CapturedStream {
  readonly head: Uint8Array;
  /** Empty unless bytes were dropped. */
  readonly tail: Uint8Array;
  /** Every byte the process wrote. */
  readonly totalBytes: number;
  /** totalBytes - head - tail. */
  readonly droppedBytes: number;
}

/** One call of a stubbed command, as the stub recorded it. */
export interface StubCall {
  readonly command: string;
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** Which plan entry answered it (0-based), or null when the call was unexpected. */
  readonly entry: number | null;
  readonly exit: number;
  /** Answered by a backend simulator, which keeps state (a stub answers the same whatever came before). */
  readonly simulated?: boolean;
  /** Failed on purpose: the step made every backend command fail (`with: { fail_backend: true }`). */
  readonly injected?: boolean;
}

/** Why a script did not finish normally, by name. */
export type Fault =
  | { readonly kind: 'timeout'; readonly seconds: number }
  | { readonly kind: 'lingering'; readonly stream: 'stdout' | 'stderr' | 'stdout and stderr' }
  | { readonly kind: 'spawn'; readonly message: string }
  /** Killed on purpose at a backend call, as the step's `kill` asked (not a fault of the script). */
  | { readonly kind: 'killed'; readonly call: number; readonly when: KillMoment };

/** One execution of a script. */
export interface ScriptRun {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly durationMs: number;
  readonly stdout: CapturedStream;
  readonly stderr: CapturedStream;
  readonly fault?: Fault;
  readonly calls: readonly StubCall[];
  /** The environment the script got (without the harness's own marker). */
  readonly env: Readonly<Record<string, string>>;
  /** What the run changed in the sandbox's files (the harness's own folders left out). */
  readonly files?: readonly FileChange[];
  /** `--through-ganeti`: what Ganeti's code did with this run, or why the kit ran it itself. */
  readonly ganeti?: GanetiRunRecord;
}

/** A run through Ganeti's code (its release, and where it disagreed with the kit), or one it could not take. */
export type GanetiRunRecord =
  | { readonly release: string; readonly disagreements: readonly string[]; readonly raised?: string }
  | { readonly direct: string };

/** Per Ganeti version: whether that version's attach accepts the output. */
export type CompatibilityRow = readonly { readonly ganeti: string; readonly ok: boolean }[];

export interface StepResult {
  readonly index: number;
  readonly action: StepKind;
  readonly label: string;
  readonly position: SourcePosition;
  readonly status: 'pass' | 'fail';
  readonly runs: readonly ScriptRun[];
  readonly failures: readonly Failure[];
  /** attach steps: the full compatibility row of the first run's output, for information. */
  readonly compatibility?: CompatibilityRow;
  /** Expectations this step could not observe (through Ganeti, only attach's stdout is the script's own). */
  readonly notObserved?: readonly string[];
}

export interface ScenarioResult {
  readonly file: string;
  readonly name: string;
  /** For a conformance check: its id, level and spec section. */
  readonly check?: CheckInfo;
  readonly index: number;
  readonly position: SourcePosition;
  readonly status: 'pass' | 'fail' | 'skip';
  readonly skipReason?: string;
  /**
   * It ran, but could not exercise what it judges (a conformance check whose needs were not met):
   * reported as skipped, "not verified", whatever its expectations said; its steps stay for the record.
   */
  readonly notExercised?: boolean;
  readonly steps: readonly StepResult[];
  /** Problems outside any step: unused stub entries, processes left behind, sandbox errors. */
  readonly failures: readonly Failure[];
  readonly durationMs: number;
  /** The sandbox directory, when kept with --keep. */
  readonly sandbox?: string;
  /** How the provider's scripts were contained (spec/SCENARIOS.md §14). */
  readonly isolation?: IsolationReport;
}

/** How a scenario's scripts were contained, and what was not. */
export interface IsolationReport {
  /** bwrap: bubblewrap; unshare: user, mount and PID namespaces; none: process groups and sweeps only. */
  readonly level: 'bwrap' | 'unshare' | 'none';
  /** What this level did not contain here, in words (also why a stronger level was not used). */
  readonly notContained: readonly string[];
  /** Host commands the provider's files run by absolute path: "PATH (files)". */
  readonly hostCommands: readonly string[];
  /** Processes still running when their script's run or the scenario ended, and killed then. */
  readonly killed: readonly { readonly pid: number; readonly command: string; readonly after: string }[];
}

export interface RunSummary {
  readonly provider: string;
  readonly results: readonly ScenarioResult[];
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  /** Scenarios not run because of --bail. */
  readonly notRun: number;
  readonly durationMs: number;
}
