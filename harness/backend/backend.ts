// The one interface between the runner and the backends a scenario's provider drives (the
// simulators, or the real commands under `run --real`): the runner starts one backend per simulated
// command, reads its state for `expect.simulated`, and stops it; it never sees how a backend works.

import type { SimulatorName, Simulators } from '../scenario/model.js';
import type { CallGate } from './command-server.js';

/** One thing that did not hold, with what was expected and what was found. */
export interface Failure {
  readonly message: string;
  readonly expected?: string;
  readonly actual?: string;
}

/** Where a scenario's backend commands live, log their calls, and what they may use. */
export interface BackendPlace {
  /** The scenario's sandbox directory. */
  readonly root: string;
  /** The directory first on the sandbox's PATH, where each command is put. */
  readonly stubsDir: string;
  /** The call log shared with stubs (call-log.ts). */
  readonly callLog: string;
  /** The harness's environment marker, left out of logged environments. */
  readonly marker: string;
  /** The environment for a real backend's own commands: the system PATH, LC_ALL=C, the scenario's env. */
  readonly env: Readonly<Record<string, string>>;
  /** The sandbox's real path: files of the scenario live below it. */
  readonly sandbox: string;
  /** The runner's hold on when calls are carried out (kills at a call, concurrent steps); absent: at once. */
  readonly gate?: CallGate;
}

/** One simulated command of one scenario, as the runner drives it, in this order. */
export interface ScenarioBackend {
  /** Why the scenario cannot run with this backend (it is then skipped, with this reason), or null. */
  unsupported(): Promise<string | null>;
  /** Puts the command first on the sandbox's PATH, before the sandbox is built. */
  install(): void;
  /** Makes the scenario's starting state; throws when it cannot, having undone its own part. */
  prepare(): Promise<void>;
  /** Reading the state costs real calls: read it only for a step that checks it. */
  readonly costlyView: boolean;
  /** The state in the simulator's documented shape (spec/SCENARIOS.md): what expect.simulated compares. */
  view(): Promise<Record<string, unknown>>;
  /** What the scenario was owed and never used (injected failures never triggered). */
  unused(): Failure[];
  /** After the last step, whatever happened, once install() ran: removes what the scenario made; what could not be. */
  cleanup(): Promise<string[]>;
}

/** Makes the backend of the command `name` for one scenario, from the scenario's `simulators:` options. */
export type BackendFactory = (name: SimulatorName, simulators: Simulators, place: BackendPlace) => ScenarioBackend;

/**
 * The two kinds a scenario's command can have: simulated (the default), or real (`run --real`).
 * Asynchronous, so that each kind's code is loaded when a scenario first needs it: a run whose
 * scenarios simulate nothing never loads the simulators (start-up, issue 14).
 */
export interface Backends {
  readonly simulated: (...args: Parameters<BackendFactory>) => Promise<ScenarioBackend>;
  readonly real: (...args: Parameters<BackendFactory>) => Promise<ScenarioBackend>;
}
