// The scenario file model, after loading and validation (spec/SCENARIOS.md documents every key).
// The loader (load.ts) turns YAML into these types; the runner (../run/) only ever sees them.

import type { Action } from '../provider/layout.js';
import { displayPath } from '../text/display-path.js';

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

/** Names of backend simulators (the loader accepts only these). */
export type SimulatorName = 'rbd' | 'losetup';

/** What an injected failure makes a simulated command do (spec/SCENARIOS.md, "Backend simulators"). */
export type SimulatedFailureKind = 'unreachable' | 'busy' | 'not-found' | 'permission' | 'timeout' | 'garbage';

/** A failure injected into a simulated command: the calls it applies to, and how many. */
export interface SimulatedFailure {
  /** Matchers for the first arguments of a call (for rbd, after its global options). [] matches every call. */
  readonly when: readonly ArgMatcher[];
  readonly error: SimulatedFailureKind;
  /** How many matching calls fail; "any": all of them. */
  readonly times: number | 'any';
  readonly position: SourcePosition;
}

/** An rbd image that exists when the scenario starts. */
export interface RbdPreloadedImage {
  readonly pool: string;
  /** "" for the pool's default namespace. */
  readonly namespace: string;
  readonly name: string;
  /** MiB. */
  readonly size: number;
  readonly meta: Readonly<Record<string, string>>;
  /** Mapped with `rbd device map` (it then has a watcher). */
  readonly mapped: boolean;
  readonly snapshots: readonly { readonly name: string; readonly protected: boolean }[];
  /** Image features; absent: Ceph 16's defaults. */
  readonly features?: readonly string[];
}

export interface RbdSimulation {
  /** Pools that exist ("pool"), and namespaces ("pool/namespace"). */
  readonly pools: readonly string[];
  readonly images: readonly RbdPreloadedImage[];
  /** false: `rbd device map` fails as on a host without the rbd kernel module. */
  readonly kernelModule: boolean;
  /** The Ceph release whose rbd the simulator plays; absent: 16 (Pacific). */
  readonly cephRelease?: 12 | 14 | 16 | 17 | 18;
  readonly fail: readonly SimulatedFailure[];
  /** The option keys the scenario wrote (claims about the host a real backend must meet, `run --real`). */
  readonly given?: readonly string[];
}

export interface LosetupSimulation {
  /** How many loop devices exist; none can be added. */
  readonly devices: number;
  readonly fail: readonly SimulatedFailure[];
  /** The option keys the scenario wrote. */
  readonly given?: readonly string[];
}

/** The options of each simulator a scenario runs (a list of names gives every default). */
export interface Simulators {
  readonly rbd?: RbdSimulation;
  readonly losetup?: LosetupSimulation;
}

/**
 * A subset of a simulator's state that must hold after a step: maps list the keys checked (null:
 * the key must be absent), lists and scalars must be equal, strings may be {regex: ...}.
 */
export type StateExpectation =
  | null
  | boolean
  | number
  | string
  | { readonly regex: RegExp; readonly source: string }
  | readonly StateExpectation[]
  | { readonly [key: string]: StateExpectation };

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

/** A number: exactly that status; nonzero: any failure; any: every status (the run is recorded, not judged). */
export type ExitExpectation = number | 'nonzero' | 'any';

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
  /** Per simulator: a subset of its state that must hold after each run. */
  readonly simulated?: Readonly<Partial<Record<SimulatorName, StateExpectation>>>;
  /** none: the run leaves no process running when its script ends (seen under bwrap and unshare). */
  readonly processesLeft?: 'none';
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
  /** Every stubbed and simulated command fails during this step (exit 1, nothing changed). */
  readonly failBackend?: boolean;
}

/** What a step runs: a provider script (one of Ganeti's actions), or a command checking their work. */
export type StepKind = Action | 'command';

/** Placeholders a command step's arguments may hold (spec/SCENARIOS.md §3.6). */
export const COMMAND_PLACEHOLDERS = ['${SANDBOX}', '${VOLUME}', '${DEVICE}', '${URI:<hypervisor>}'] as const;

/** Where a step's kill falls: before its k-th backend call is carried out, or after it (spec/SCENARIOS.md §6.6). */
export type KillMoment = 'before' | 'after';

export interface StepKill {
  /** The backend call (stubbed or simulated, from 1) of the run. */
  readonly call: number;
  readonly when: KillMoment;
}

export interface Step {
  readonly action: StepKind;
  /** The label of the volume (Scenario.volumes) the step acts on; absent: the scenario's volume. */
  readonly volume?: string;
  /** SIGKILL at a backend call of the run (the step passes when it happened). */
  readonly kill?: StepKill;
  /**
   * The explorer's kill at a random time: SIGKILL this many milliseconds after the script started
   * (not in scenario files: the run's fault says where it landed, as a `kill` that replays it).
   */
  readonly killAfterMs?: number;
  /**
   * Steps written under one `together` share a group number and follow each other: they start at
   * the same time, their backend calls answered in turn (spec/SCENARIOS.md §6.5).
   */
  readonly group?: number;
  /** For a command step: the program and its arguments, placeholders not yet replaced. */
  readonly command?: readonly string[];
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

/** How much a conformance check matters (spec/conformance/README.md). */
export type CheckLevel = 'MUST' | 'SHOULD' | 'ADVICE';

/** A scenario that is a conformance check: its id, level and the spec section it enforces. */
export interface CheckInfo {
  readonly id: string;
  readonly level: CheckLevel;
  /** The SPEC.md section(s) it enforces, e.g. "§4, §5". */
  readonly spec: string;
  /** What a run must have exercised for the check to count (spec/conformance/README.md). */
  readonly needs?: CheckNeeds;
}

export interface CheckNeeds {
  /** Actions that must run a backend command the kit sees. */
  readonly calls?: readonly Action[];
  /** Actions whose effect must be observable: a simulator, a file change or a live backend. */
  readonly state?: readonly Action[];
  /** Verified when at least one of the check's scenarios met its needs; the others are listed. */
  readonly partial?: boolean;
}

export interface Scenario {
  readonly name: string;
  /** Set for the checks of the conformance suite. */
  readonly check?: CheckInfo;
  /** Optional scripts the scenario needs; a provider without one skips it, saying why. */
  readonly requires: readonly ('snapshot' | 'open' | 'close')[];
  readonly file: string;
  /** Index in its file, for a stable report order. */
  readonly index: number;
  readonly skip?: string;
  readonly volume: VolumeSpec;
  /** More volumes, by label, each merged over `volume` (steps name one with `volume: <label>`). */
  readonly volumes?: Readonly<Record<string, VolumeSpec>>;
  readonly env: Readonly<Record<string, string>>;
  readonly stubs: StubPlan;
  /**
   * sequence (scenario files): calls are matched in order against the plan.
   * lookup (backend files of `extstorage-kit test`): each call is answered by the first entry that
   * matches it, any number of times; nothing is owed.
   */
  readonly stubMode?: 'sequence' | 'lookup';
  /** The simulators the scenario runs, in the order written. */
  readonly simulate: readonly SimulatorName[];
  /** Their options, every default applied (one entry per name in `simulate`). */
  readonly simulators: Simulators;
  /** Where the provider is installed on a node: the sandbox mounts the provider folder there (§14). */
  readonly installPath?: string;
  /** Fake entries under /dev inside the sandbox (§14.4). */
  readonly devices?: readonly FakeDevice[];
  /** Absolute folders that are an empty tmpfs inside the sandbox (besides /var/log/ganeti). */
  readonly scratch?: readonly string[];
  readonly steps: readonly Step[];
  readonly position: SourcePosition;
}

/** A fake entry under /dev that a scenario declares: an empty regular file, or a symlink. */
export interface FakeDevice {
  readonly path: string;
  /** The symlink's target; absent: an empty regular file. */
  readonly symlink?: string;
  readonly position: SourcePosition;
}

/**
 * Why an absolute path cannot be bound or mounted in the sandbox, or null: it must be absolute and
 * normalised (no empty, . or .. segment), not / itself, with no control character, and none of
 * `, : \\` (mount options split on them).
 */
export function sandboxPathProblem(path: string): string | null {
  if (!path.startsWith('/')) return 'not an absolute path';
  if (path === '/') return 'not / itself';
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'a path with a control character';
  if (/[,:\\]/.test(path)) return 'a path with "," ":" or "\\" (mount options split on them)';
  const segments = path.slice(1).split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..'))
    return 'not a normalised path (an empty, "." or ".." segment)';
  return null;
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

/** `file:line:col: message`, the file printed safely (display-path.ts). */
export function formatFileError(error: ScenarioFileError): string {
  return `${displayPath(error.position.file)}:${error.position.line}:${error.position.col}: ${error.message}`;
}
