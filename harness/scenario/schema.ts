// The JSON Schema of scenario files (spec/scenario.schema.json), loaded and compiled once.
// Editors use the same file through `# yaml-language-server: $schema=...`; the loader (load.ts)
// validates with it, then checks what a schema cannot say (versions, regexes, durations, ...).

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';

/** Backend simulators a scenario may name in `simulate:`; any other name is an error. */
export const KNOWN_SIMULATORS: readonly string[] = ['rbd', 'losetup'];

/** A JSON Schema, as plain data. */
export type JsonSchema = Readonly<Record<string, unknown>>;

/**
 * Where the schema file is. The compiled module is dist/harness/scenario/schema.js, three levels
 * below the repository (and the installed package) root; the TypeScript source, when run directly
 * (tests), is two levels below it.
 */
function locateSchema(): string {
  const candidates = [
    new URL('../../../spec/scenario.schema.json', import.meta.url),
    new URL('../../spec/scenario.schema.json', import.meta.url),
  ].map((url) => fileURLToPath(url));
  return candidates.find((path) => existsSync(path)) ?? candidates[0]!;
}

/** The absolute path of spec/scenario.schema.json. */
export const SCHEMA_PATH: string = locateSchema();

let schema: JsonSchema | undefined;
let validator: ValidateFunction | undefined;

/**
 * The schema as stored in the file, except that the simulator names are KNOWN_SIMULATORS (the
 * file lists the same names for editors; a test keeps the two equal).
 */
export function scenarioSchema(): JsonSchema {
  if (!schema) {
    const parsed = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as {
      definitions: { simulator: { enum: string[] } };
    };
    parsed.definitions.simulator.enum = [...KNOWN_SIMULATORS];
    schema = parsed;
  }
  return schema;
}

/** The compiled validator: every error (not just the first), with ajv's strict schema checks. */
export function scenarioValidator(): ValidateFunction {
  if (!validator) {
    const ajv = new Ajv({ allErrors: true, strict: true });
    validator = ajv.compile(scenarioSchema());
  }
  return validator;
}
