// Backend simulators in a scenario's sandbox: one shim per simulated command in the stubs
// directory (first on PATH, like stubs; shim.ts), answered by a server (server.ts) in the harness's
// process or, for callers that block, in a process of its own; the state file each keeps for the
// whole scenario; reading that state back (the view expect.simulated checks); and the injected
// failures a scenario never triggered.

import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { Failure } from '../backend/backend.js';
import { renderPattern } from '../backend/call-log.js';
import { compiledModule } from '../backend/node-executable.js';
import type { SimulatorName, Simulators, SourcePosition } from '../scenario/model.js';
import { formatPosition } from '../scenario/position.js';
import { CommandServer, type CallGate } from '../backend/command-server.js';
import { installShim } from '../backend/shim.js';
import { answerSimulated, type ServedSimulator } from './answer.js';
import { readState, type SimulatorState } from './runtime.js';
import {
  initialLosetupState,
  initialRbdState,
  losetupView,
  rbdView,
  type LosetupState,
  type RbdState,
} from './state.js';

export interface SimulatorSandbox {
  /** The simulated commands, in the order the scenario names them. */
  readonly names: readonly SimulatorName[];
  readonly stateDir: string;
  /** The state file of each simulator. */
  readonly stateFiles: Readonly<Partial<Record<SimulatorName, string>>>;
}

/**
 * Writes each simulator's initial state into `<root>/sim-state` and its shim into `stubsDir`, and
 * starts a server process answering them while this process lives (for callers that wait for a
 * simulated command synchronously); calls are logged to `callLog` (the stubs' log). Null when
 * nothing is simulated.
 */
export function installSimulators(
  simulators: Simulators,
  root: string,
  stubsDir: string,
  callLog: string,
  marker: string,
): SimulatorSandbox | null {
  const names = (['rbd', 'losetup'] as const).filter((name) => simulators[name] !== undefined);
  if (names.length === 0) return null;
  const stateFiles: Partial<Record<SimulatorName, string>> = {};
  const served: ServedSimulator[] = [];
  for (const name of names) {
    const installed = installSimulator(name, simulators, root, stubsDir, callLog, marker);
    stateFiles[name] = installed.config.stateFile;
    served.push(installed);
  }
  const server = spawn(
    process.execPath,
    [
      fileURLToPath(compiledModule(import.meta.url, './server-main.js', '../../dist/harness/simulate/server-main.js')),
      JSON.stringify(served),
    ],
    { stdio: ['pipe', 'ignore', 'inherit'] },
  );
  // Neither keeps this process alive; the server ends when this process does (its stdin closes).
  server.unref();
  if (server.stdin instanceof Socket) server.stdin.unref();
  return { names, stateDir: join(root, 'sim-state'), stateFiles };
}

/**
 * Writes one simulator's initial state and shim (see installSimulators) and makes its request
 * FIFO; what its server needs.
 */
export function installSimulator(
  name: SimulatorName,
  simulators: Simulators,
  root: string,
  stubsDir: string,
  callLog: string,
  marker: string,
): ServedSimulator {
  const stateDir = join(root, 'sim-state');
  mkdirSync(stateDir, { recursive: true });
  mkdirSync(stubsDir, { recursive: true });
  mkdirSync(dirname(callLog), { recursive: true }); // shared with stubs, which may have written nothing
  const at = (p: SourcePosition) => formatPosition(p);
  const stateFile = join(stateDir, `${name}.json`);
  const state = name === 'rbd' ? initialRbdState(simulators.rbd!, at) : initialLosetupState(simulators.losetup!, at);
  writeFileSync(stateFile, `${JSON.stringify(state, null, 1)}\n`);
  const requestFifo = join(stateDir, `${name}.fifo`);
  const callsDir = join(stateDir, `${name}-calls`);
  installShim(join(stubsDir, name), name, requestFifo, callsDir);
  return { config: { command: name, stateFile, callLog, marker }, requestFifo, callsDir };
}

/** Answers an installed simulator's calls in this process, until closed. */
export function serveSimulator(installed: ServedSimulator, gate?: CallGate): CommandServer {
  return CommandServer.start(
    installed.requestFifo,
    installed.callsDir,
    (call) => answerSimulated(installed.config, call),
    false,
    gate,
  );
}

/** Each simulator's state as documented (spec/SCENARIOS.md): what expect.simulated compares with. */
export function simulatorViews(sandbox: SimulatorSandbox): Record<string, Record<string, unknown>> {
  const views: Record<string, Record<string, unknown>> = {};
  for (const name of sandbox.names) views[name] = simulatorView(name, sandbox.stateFiles[name]!);
  return views;
}

/** One simulator's state as documented, read from its state file. */
export function simulatorView(name: SimulatorName, stateFile: string): Record<string, unknown> {
  return name === 'rbd' ? rbdView(readState(stateFile) as RbdState) : losetupView(readState(stateFile) as LosetupState);
}

/** Injected failures with a count that the scenario did not use up, as scenario failures. */
export function unusedInjectedFailures(sandbox: SimulatorSandbox): Failure[] {
  return sandbox.names.flatMap((name) => unusedInjected(name, sandbox.stateFiles[name]!));
}

/** One simulator's injected failures that were owed calls and did not get them. */
export function unusedInjected(name: SimulatorName, stateFile: string): Failure[] {
  const failures: Failure[] = [];
  const state = readState(stateFile) as SimulatorState;
  for (const f of state.fail) {
    if (f.times === 'any' || f.used >= f.times) continue;
    const missing = f.times - f.used;
    failures.push({
      message: `injected ${f.error} failure never triggered: ${renderPattern(name, f.when, f.at)}`,
      expected: `${missing} more call${missing > 1 ? 's' : ''} to ${name} starting with those arguments`,
      actual: 'none',
    });
  }
  return failures;
}
