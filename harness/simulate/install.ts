// Backend simulators in a scenario's sandbox: one executable per simulated command in the stubs
// directory (first on PATH, like stubs), each loading its simulator module; the state file each
// keeps for the whole scenario; reading that state back (the view expect.simulated checks); and the
// injected failures a scenario never triggered.

import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Failure } from '../backend/backend.js';
import { renderPattern } from '../backend/call-log.js';
import { compiledModule, nodeShebang } from '../backend/node-executable.js';
import type { SimulatorName, Simulators, SourcePosition } from '../scenario/model.js';
import { formatPosition } from '../scenario/position.js';
import { readState, type SimulatorConfig, type SimulatorState } from './runtime.js';
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
 * Writes each simulator's initial state into `<root>/sim-state` and its executable into
 * `stubsDir`; calls are logged to `callLog` (the stubs' log). Null when nothing is simulated.
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
  for (const name of names) stateFiles[name] = installSimulator(name, simulators, root, stubsDir, callLog, marker);
  return { names, stateDir: join(root, 'sim-state'), stateFiles };
}

/** Writes one simulator's initial state and executable (see installSimulators); its state file. */
export function installSimulator(
  name: SimulatorName,
  simulators: Simulators,
  root: string,
  stubsDir: string,
  callLog: string,
  marker: string,
): string {
  const stateDir = join(root, 'sim-state');
  mkdirSync(stateDir, { recursive: true });
  mkdirSync(stubsDir, { recursive: true });
  mkdirSync(dirname(callLog), { recursive: true }); // shared with stubs, which may have written nothing
  const at = (p: SourcePosition) => formatPosition(p);
  const stateFile = join(stateDir, `${name}.json`);
  const state = name === 'rbd' ? initialRbdState(simulators.rbd!, at) : initialLosetupState(simulators.losetup!, at);
  writeFileSync(stateFile, `${JSON.stringify(state, null, 1)}\n`);
  const config: SimulatorConfig = { command: name, stateFile, lockDir: join(stateDir, 'lock'), callLog, marker };
  const source =
    `${nodeShebang()}\n// extstorage-kit backend simulator for ${JSON.stringify(name)}\n` +
    `import(${JSON.stringify(compiledModule(import.meta.url, `./${name}.js`, `../../dist/harness/simulate/${name}.js`))}).then((m) => m.main(${JSON.stringify(config)}, process.argv.slice(2)));\n`;
  const path = join(stubsDir, name);
  writeFileSync(path, source);
  chmodSync(path, 0o755);
  return stateFile;
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
