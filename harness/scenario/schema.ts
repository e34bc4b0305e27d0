// The JSON Schema of scenario files (spec/scenario.schema.json), the one description of the format.
// Editors use the file through `# yaml-language-server: $schema=...`; the loader validates with
// the validator `npm run build` compiled from it (scripts/build-schema-validator.mjs), phrases
// the errors from the schema's annotations (schema-errors.ts), then checks what a schema cannot
// say (semantics.ts).

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { validate } from './schema-validator.generated.js';

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

/** One error of the validator, as ajv reports it (the fields the loader reads). */
export interface SchemaError {
  readonly keyword: string;
  /** JSON pointer to the node in the data ("" for the whole file). */
  readonly instancePath: string;
  readonly params: Readonly<Record<string, unknown>>;
}

/** The compiled validator: true when `data` passes; otherwise its `errors` hold every error, not just the first. */
export interface SchemaValidator {
  (data: unknown): boolean;
  readonly errors?: readonly SchemaError[] | null;
}

let schema: JsonSchema | undefined;

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

/** The validator compiled from the schema file at build time (ajv's standalone code). */
export function scenarioValidator(): SchemaValidator {
  return validate as SchemaValidator;
}
