// Backend files for `extstorage-kit test --backend FILE`: what every volume of the suite gets
// (parameters, environment) and the fake backend (stateless stubs, simulators). The file is a
// scenario's volume/env/stubs/simulate keys on their own; it is checked by the scenario loader,
// so its errors come as file:line:col like any scenario file's.

import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { parseScenarioText } from '../scenario/load.js';
import { readScenarioSource } from '../scenario/read-source.js';
import type { Scenario, ScenarioFileError, Simulators, StubPlan } from '../scenario/model.js';

export const BACKEND_KEYS = ['volume', 'env', 'stubs', 'simulate', 'install_path', 'devices'] as const;

export interface Backend {
  readonly file: string;
  readonly params: Readonly<Record<string, string>>;
  readonly size?: number;
  /** VOL_CNAME for every volume (providers that name images after the instance's disk name). */
  readonly cname?: string;
  readonly env: Readonly<Record<string, string>>;
  readonly stubs: StubPlan;
  readonly simulate: Scenario['simulate'];
  readonly simulators: Simulators;
  /** Where the provider is installed on a node: mounted there inside the sandbox (SCENARIOS.md §14). */
  readonly installPath?: string;
  /** Fake entries under /dev inside the sandbox. */
  readonly devices?: Scenario['devices'];
}

/** Lines and columns the wrapper below adds before the backend's own text. */
const HEADER = 'scenarios:\n  - name: backend\n    steps: [{ action: verify }]\n';
const HEADER_LINES = 3;
const INDENT = 4;

export function loadBackend(file: string): { backend: Backend } | { errors: ScenarioFileError[] } {
  // Read as a scenario file is: a regular file only, bounded, UTF-8 (a FIFO would wait for ever).
  const source = readScenarioSource(file);
  if ('problem' in source) {
    const { line, col, message } = source.problem;
    return { errors: [{ position: { file, line, col }, message: `cannot read the backend file: ${message}` }] };
  }
  const text = source.text;
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  if (doc.errors.length === 0) {
    if (doc.contents !== null && !isMap(doc.contents)) {
      return {
        errors: [
          {
            position: { file, line: 1, col: 1 },
            message: `a backend file is a mapping with the keys ${BACKEND_KEYS.join(', ')}`,
          },
        ],
      };
    }
    const errors: ScenarioFileError[] = [];
    for (const pair of isMap(doc.contents) ? doc.contents.items : []) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if (!(BACKEND_KEYS as readonly string[]).includes(key)) {
        const at = lines.linePos(isScalar(pair.key) ? pair.key.range[0] : 0);
        errors.push({
          position: { file, line: at.line, col: at.col },
          message: `unknown key ${JSON.stringify(key)} in a backend file (expected one of: ${BACKEND_KEYS.join(', ')})`,
        });
      }
      // Each check names its own volume: a backend gives only what every volume shares.
      if (key === 'volume' && isMap(pair.value)) {
        for (const inner of pair.value.items) {
          const name = isScalar(inner.key) ? String(inner.key.value) : '';
          if (name === 'params' || name === 'size' || name === 'cname') continue;
          const at = lines.linePos(isScalar(inner.key) ? inner.key.range[0] : 0);
          errors.push({
            position: { file, line: at.line, col: at.col },
            message: `"volume.${name}" cannot be set in a backend file: each check names its own volume (expected params, size or cname)`,
          });
        }
      }
    }
    if (errors.length > 0) return { errors };
  }
  // Checked as the keys of a scenario, indented under one, and the positions mapped back.
  const wrapped =
    HEADER +
    text
      .split('\n')
      .map((line) => (line === '' ? '' : ' '.repeat(INDENT) + line))
      .join('\n');
  const parsed = parseScenarioText(wrapped, file);
  if ('errors' in parsed) {
    return {
      errors: parsed.errors.map((e) => ({
        ...e,
        position:
          e.position.line > HEADER_LINES
            ? { file, line: e.position.line - HEADER_LINES, col: Math.max(1, e.position.col - INDENT) }
            : { file, line: 1, col: 1 },
      })),
    };
  }
  const scenario = parsed.file.scenarios[0]!;
  const volume = doc.get('volume') as { get?: (k: string) => unknown } | undefined;
  const hasSize = volume !== undefined && typeof volume.get === 'function' && volume.get('size') !== undefined;
  return {
    backend: {
      file,
      params: scenario.volume.params,
      ...(hasSize ? { size: scenario.volume.size } : {}),
      ...(scenario.volume.cname !== undefined ? { cname: scenario.volume.cname } : {}),
      env: scenario.env,
      stubs: scenario.stubs,
      simulate: scenario.simulate,
      simulators: scenario.simulators,
      ...(scenario.installPath !== undefined ? { installPath: scenario.installPath } : {}),
      ...(scenario.devices !== undefined ? { devices: scenario.devices } : {}),
    },
  };
}
