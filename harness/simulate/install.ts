// Backend simulators in a scenario's sandbox: one executable per simulated command in the stubs
// directory (first on PATH, like stubs), each loading its simulator module; the state file each
// keeps for the whole scenario; reading that state back (the view expect.simulated checks); and the
// injected failures a scenario never triggered.

import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { compiledModule, nodeShebang } from '../run/node-executable.js';
import type { Failure } from '../run/result.js';
import { renderEntry } from '../run/stub-plan.js';
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
  const stateDir = join(root, 'sim-state');
  mkdirSync(stateDir, { recursive: true });
  mkdirSync(stubsDir, { recursive: true });
  mkdirSync(dirname(callLog), { recursive: true }); // shared with stubs, which may have written nothing
  const at = (p: SourcePosition) => formatPosition(p);
  const stateFiles: Partial<Record<SimulatorName, string>> = {};
  for (const name of names) {
    const stateFile = join(stateDir, `${name}.json`);
    const state = name === 'rbd' ? initialRbdState(simulators.rbd!, at) : initialLosetupState(simulators.losetup!, at);
    writeFileSync(stateFile, `${JSON.stringify(state, null, 1)}\n`);
    stateFiles[name] = stateFile;
    const config: SimulatorConfig = { command: name, stateFile, lockDir: join(stateDir, 'lock'), callLog, marker };
    const source =
      `${nodeShebang()}\n// extstorage-kit backend simulator for ${JSON.stringify(name)}\n` +
      `import(${JSON.stringify(compiledModule(import.meta.url, `./${name}.js`, `../../dist/harness/simulate/${name}.js`))}).then((m) => m.main(${JSON.stringify(config)}, process.argv.slice(2)));\n`;
    const path = join(stubsDir, name);
    writeFileSync(path, source);
    chmodSync(path, 0o755);
  }
  return { names, stateDir, stateFiles };
}

/** Each simulator's state as documented (spec/SCENARIOS.md): what expect.simulated compares with. */
export function simulatorViews(sandbox: SimulatorSandbox): Record<string, Record<string, unknown>> {
  const views: Record<string, Record<string, unknown>> = {};
  for (const name of sandbox.names) {
    const file = sandbox.stateFiles[name]!;
    views[name] = name === 'rbd' ? rbdView(readState(file) as RbdState) : losetupView(readState(file) as LosetupState);
  }
  return views;
}

/** Injected failures with a count that the scenario did not use up, as scenario failures. */
export function unusedInjectedFailures(sandbox: SimulatorSandbox): Failure[] {
  const failures: Failure[] = [];
  for (const name of sandbox.names) {
    const state = readState(sandbox.stateFiles[name]!) as SimulatorState;
    for (const f of state.fail) {
      if (f.times === 'any' || f.used >= f.times) continue;
      const missing = f.times - f.used;
      const entry = renderEntry(name, { args: f.when, stdout: '', stderr: '', exit: 0, times: f.times, at: f.at });
      failures.push({
        message: `injected ${f.error} failure never triggered: ${entry}`,
        expected: `${missing} more call${missing > 1 ? 's' : ''} to ${name} starting with those arguments`,
        actual: 'none',
      });
    }
  }
  return failures;
}
