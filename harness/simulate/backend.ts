// The simulators as the runner sees them (../backend/backend.ts): one per simulated command of a
// scenario, its shim and state in the sandbox, answered in the harness's own process.

import type { BackendFactory } from '../backend/backend.js';
import { installSimulator, serveSimulator, simulatorView, unusedInjected } from './install.js';
import type { CommandServer } from '../backend/command-server.js';
import type { ServedSimulator } from './answer.js';

export const simulatedBackend: BackendFactory = (name, simulators, place) => {
  let installed: ServedSimulator | undefined;
  let server: CommandServer | undefined;
  const stateFile = (): string => {
    if (installed === undefined) throw new Error(`the ${name} simulator is not installed`);
    return installed.config.stateFile;
  };
  return {
    unsupported: () => Promise.resolve(null),
    install: () => {
      installed = installSimulator(name, simulators, place.root, place.stubsDir, place.callLog, place.marker);
      server = serveSimulator(installed, place.gate);
    },
    prepare: () => Promise.resolve(),
    costlyView: false,
    view: () => Promise.resolve(simulatorView(name, stateFile())),
    unused: () => unusedInjected(name, stateFile()),
    cleanup: () => {
      server?.close();
      return Promise.resolve([]);
    },
  };
};
