// The simulators as the runner sees them (../backend/backend.ts): one per simulated command of a
// scenario, its executable and state in the sandbox.

import type { BackendFactory } from '../backend/backend.js';
import { installSimulator, simulatorView, unusedInjected } from './install.js';

export const simulatedBackend: BackendFactory = (name, simulators, place) => {
  let stateFile: string | undefined;
  const installed = (): string => {
    if (stateFile === undefined) throw new Error(`the ${name} simulator is not installed`);
    return stateFile;
  };
  return {
    unsupported: () => Promise.resolve(null),
    install: () => {
      stateFile = installSimulator(name, simulators, place.root, place.stubsDir, place.callLog, place.marker);
    },
    prepare: () => Promise.resolve(),
    costlyView: false,
    view: () => Promise.resolve(simulatorView(name, installed())),
    unused: () => unusedInjected(name, installed()),
    cleanup: () => Promise.resolve([]),
  };
};
