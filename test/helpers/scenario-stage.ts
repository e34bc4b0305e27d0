// For the tests of the loader's stages (test/scenario-<stage>.test.ts): a scenario written to a real
// file, read and parsed as the loader does, ready for the stage under test.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseYamlSource } from '../../harness/scenario/parse-yaml.js';
import { readScenarioSource } from '../../harness/scenario/read-source.js';
import type { YamlSource } from '../../harness/scenario/yaml-source.js';
import { tempDir } from './provider-dir.js';

/** `text` in a new file under a temporary directory removed at teardown; its path. */
export function scenarioFile(t: { teardown(fn: () => void): void }, text: string, name = 'scenario.yaml'): string {
  const path = join(tempDir(t, 'esk-stage-'), name);
  writeFileSync(path, text);
  return path;
}

/** The file read and parsed (parse-yaml.ts); fails the test's assumption when YAML refuses it. */
export function parsedFile(
  t: { teardown(fn: () => void): void },
  text: string,
): { source: YamlSource; data: unknown; path: string } {
  const path = scenarioFile(t, text);
  const read = readScenarioSource(path);
  if ('problem' in read) throw new Error(`cannot read ${path}: ${read.problem.message}`);
  const parsed = parseYamlSource(read.text, path);
  if ('errors' in parsed) throw new Error(`YAML refused: ${parsed.errors.map((e) => e.message).join('; ')}`);
  return { source: parsed.source, data: parsed.data, path };
}
