// Puts the real backends a scenario runs (`run --real`) in place of its simulators: a
// pass-through executable per command in the stubs directory, so calls are still logged for
// expect.calls, and the backend modules that make, read and clean up the real state.

import type { BackendFactory } from '../backend/backend.js';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { compiledModule, nodeShebang } from '../backend/node-executable.js';
import type { SimulatorName } from '../scenario/model.js';
import type { RealBackend, RealBackends, RealContext } from './backend.js';
import { realLosetup } from './losetup.js';
import type { PassthroughConfig } from './passthrough-main.js';
import { realRbd } from './rbd.js';

const REAL_BACKENDS: RealBackends = { rbd: realRbd, losetup: realLosetup };

function realBackend(name: SimulatorName): RealBackend<unknown> {
  return REAL_BACKENDS[name];
}

/** The compiled pass-through runtime the executables load. */
const PASSTHROUGH_MAIN = compiledModule(
  import.meta.url,
  './passthrough-main.js',
  '../../dist/harness/real/passthrough-main.js',
);

function installPassthroughs(names: readonly SimulatorName[], stubsDir: string, callLog: string, marker: string): void {
  mkdirSync(stubsDir, { recursive: true });
  mkdirSync(dirname(callLog), { recursive: true });
  for (const command of names) {
    const config: PassthroughConfig = { command, stubsDir, callLog, marker };
    const source =
      `${nodeShebang()}\n// extstorage-kit: the real ${JSON.stringify(command)}, its calls logged\n` +
      `import(${JSON.stringify(PASSTHROUGH_MAIN)}).then((m) => m.main(${JSON.stringify(config)}, process.argv.slice(2)));\n`;
    const path = join(stubsDir, command);
    writeFileSync(path, source);
    chmodSync(path, 0o755);
  }
}

/** The real commands as the runner sees them (../backend/backend.ts): `run --real`. */
export const realBackendFactory: BackendFactory = (name, simulators, place) => {
  const backend = realBackend(name);
  const options = simulators[name];
  const context: RealContext = { env: place.env, sandbox: place.sandbox };
  let prepared = false;
  return {
    unsupported: () => backend.unsupported(options, context),
    install: () => {
      installPassthroughs([name], place.stubsDir, place.callLog, place.marker);
    },
    prepare: async () => {
      await backend.prepare(options, context);
      prepared = true;
    },
    costlyView: true,
    view: () => backend.view(options, context),
    unused: () => [],
    // A backend that failed to prepare undid its own part.
    cleanup: () => (prepared ? backend.cleanup(options, context) : Promise.resolve([])),
  };
};
