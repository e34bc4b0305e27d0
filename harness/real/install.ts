// Puts the real backends a scenario runs (`run --real`) in place of its simulators: a
// pass-through executable per command in the stubs directory, so calls are still logged for
// expect.calls, and the backend modules that make, read and clean up the real state.

import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SimulatorName } from '../scenario/model.js';
import type { RealBackend, RealBackends } from './backend.js';
import { realLosetup } from './losetup.js';
import type { PassthroughConfig } from './passthrough-main.js';
import { realRbd } from './rbd.js';

export const REAL_BACKENDS: RealBackends = { rbd: realRbd, losetup: realLosetup };

export function realBackend(name: SimulatorName): RealBackend<unknown> {
  return REAL_BACKENDS[name] as RealBackend<unknown>;
}

/** The compiled pass-through runtime: next to this module in dist/, else (sources in tests) dist's copy. */
function passthroughModule(): string {
  const candidates = [new URL('./passthrough-main.js', import.meta.url), new URL('../../dist/harness/real/passthrough-main.js', import.meta.url)];
  return (candidates.find((url) => existsSync(fileURLToPath(url))) ?? candidates[0]!).href;
}

function shebang(): string {
  return /^[^\s]+$/.test(process.execPath) ? `#!${process.execPath}` : '#!/usr/bin/env node';
}

export function installPassthroughs(names: readonly SimulatorName[], stubsDir: string, callLog: string, marker: string): void {
  mkdirSync(stubsDir, { recursive: true });
  mkdirSync(dirname(callLog), { recursive: true });
  for (const command of names) {
    const config: PassthroughConfig = { command, stubsDir, callLog, marker };
    const source =
      `${shebang()}\n// extstorage-kit: the real ${JSON.stringify(command)}, its calls logged\n` +
      `import(${JSON.stringify(passthroughModule())}).then((m) => m.main(${JSON.stringify(config)}, process.argv.slice(2)));\n`;
    const path = join(stubsDir, command);
    writeFileSync(path, source);
    chmodSync(path, 0o755);
  }
}
