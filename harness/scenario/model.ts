// The scenario file model, after loading and validation (spec/SCENARIOS.md documents every key).
// The loader (load.ts) turns YAML into these types; the runner (../run/) only ever sees them.

import type { Action } from '../provider/layout.js';

/** grow without `new_size`: VOL_NEW_SIZE is the size at that point of the scenario plus this (MiB). */
export const DEFAULT_GROW_BY = 1024;

/** Where something stands in a scenario file, for `file:line:col:` messages. */
export interface SourcePosition {
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly col: number;
}

/** A string that must match exactly, or a regular expression. */
export type TextMatcher = { readonly equals: string } | { readonly regex: RegExp; readonly source: string };

/** How one argument of a stubbed call is matched. */
export type ArgMatcher = TextMatcher;

export interface StubEntry {
  readonly args: readonly ArgMatcher[];
  readonly stdout: string;
  readonly stderr: string;
  readonly exit: number;
  /** How many consecutive calls this entry answers; "any" answers until a call does not match. */
  readonly times: number | 'any';
  readonly position: SourcePosition;
}

/** Stubbed commands: name -> the calls expected, in order. */
export type StubPlan = Readonly<Record<string, readonly StubEntry[]>>;

/** Names of backend simulators (issue #4 adds them; the loader accepts only known names). */
export type SimulatorName = string;

export interface VolumeSpec {
  /** VOL_NAME; default "<random uuid>.ext.disk0". */
  readonly name?: string;
  /** VOL_SIZE in MiB for create (and grow's current size); default 1024. */
  readonly size: number;
  /** VOL_CNAME; absent when undefined. */
  readonly cname?: string;
  /** VOL_UUID; default a random uuid. */
  readonly uuid?: string;
  /** Ext parameters: each becomes EXTP_<NAME upper-cased>. */
  readonly params: Readonly<Record<string, string>>;
}

/** Checks on a stream of the step's output. All given checks must hold. */
export interface StreamExpectation {
  readonly equals?: string;
  readonly contains?: readonly string[];
  readonly regex?: RegExp;
  /** The exact lines, split on LF, without the final empty piece after a trailing newline. */
  readonly lines?: readonly string[];
  /** true: nothing at all; false: something. */
  readonly empty?: boolean;
}

export type ExitExpectation = number | 'nonzero';

/** What `device` must be: exact, none (null), or a pattern. */
export type DeviceExpectation = string | null | { readonly regex: RegExp; readonly source: string };

export interface StepExpectation {
  /** Default 0. */
  readonly exit: ExitExpectation;
  readonly device?: DeviceExpectation;
  /** Per hypervisor name: the URI it would get, read as Ganeti 2.13+ does. */
  readonly uris?: Readonly<Record<string, DeviceExpectation>>;
  readonly acceptedBy?: readonly string[];
  readonly rejectedBy?: readonly string[];
  /** Lint codes that must be absent ("clean": no problem at all, for the versions checked). */
  readonly lint?: 'clean' | 'no-errors';
  readonly stdout?: StreamExpectation;
  readonly stderr?: StreamExpectation;
  /** Per stubbed command: the exact argv of each call made during the step, in order. */
  readonly calls?: Readonly<Record<string, readonly (readonly string[])[]>>;
}

export interface StepInput {
  /** grow: VOL_NEW_SIZE (MiB). */
  readonly newSize?: number;
  /** create/grow: VOL_SIZE override for this step. */
  readonly size?: number;
  /** setinfo: raw text; sanitised as Ganeti does before it becomes VOL_METADATA. */
  readonly metadata?: string;
  /** open: VOL_OPEN_EXCLUSIVE True/False. */
  readonly exclusive?: boolean;
  /** snapshot: VOL_SNAPSHOT_NAME / VOL_SNAPSHOT_SIZE overrides. */
  readonly snapshotName?: string;
  readonly snapshotSize?: number;
  /** Extra argv after the script path (Ganeti passes none; for usage checks). */
  readonly args: readonly string[];
  /** Variables removed from the environment Ganeti would build (e.g. VOL_NAME). */
  readonly unset: readonly string[];
  /** Raw variables added last. */
  readonly env: Readonly<Record<string, string>>;
}

export interface Step {
  readonly action: Action;
  /** A label for reports; default the action. */
  readonly name?: string;
  readonly input: StepInput;
  /** Run the script this many times; every run must print the same stdout. Default 1. */
  readonly repeat: number;
  /** Seconds. */
  readonly timeout: number;
  readonly expect: StepExpectation;
  /** Ganeti versions that must accept a successful attach (from the scenario or defaults). */
  readonly ganeti: readonly string[];
  readonly position: SourcePosition;
}

export interface Scenario {
  readonly name: string;
  readonly file: string;
  /** Index in its file, for a stable report order. */
  readonly index: number;
  readonly skip?: string;
  readonly volume: VolumeSpec;
  readonly env: Readonly<Record<string, string>>;
  readonly stubs: StubPlan;
  readonly simulate: readonly SimulatorName[];
  readonly steps: readonly Step[];
  readonly position: SourcePosition;
}

export interface ScenarioFile {
  readonly file: string;
  /** The provider directory named in the file, resolved against the file's directory. */
  readonly provider?: string;
  readonly scenarios: readonly Scenario[];
}

/** A problem in a scenario file, reported as `file:line:col: message` before anything runs. */
export interface ScenarioFileError {
  readonly position: SourcePosition;
  readonly message: string;
}

export function formatFileError(error: ScenarioFileError): string {
  return `${error.position.file}:${error.position.line}:${error.position.col}: ${error.message}`;
}
