// `npm run build`, first step: spec/scenario.schema.json compiled into the scenario loader's
// validator (harness/scenario/schema-validator.generated.ts) with ajv's standalone code, so that
// loading a scenario file neither compiles the schema nor needs ajv. ajv's runtime helpers the
// code calls (string length in code points, deep equality for uniqueItems) are bundled in.
//
// Plain JavaScript, run by node before tsc: the module it writes is part of what tsc compiles.

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const schemaFile = `${root}spec/scenario.schema.json`;
const output = `${root}harness/scenario/schema-validator.generated.ts`;

/** Keywords the schema adds for the loader's messages (schema-errors.ts): annotations, no validation. */
const MESSAGE_KEYWORDS = ['x-phrase', 'x-plural', 'x-key-noun'];

const schema = JSON.parse(readFileSync(schemaFile, 'utf8'));
// The same options the loader always used: every error, not just the first; ajv's strict checks
// of the schema itself (unknown keywords, ambiguous types) fail the build.
const ajv = new Ajv({ allErrors: true, strict: true, code: { source: true, esm: true } });
ajv.addVocabulary(MESSAGE_KEYWORDS);
const code = standaloneCode(ajv, ajv.compile(schema));

const bundled = await build({
  stdin: { contents: code, resolveDir: root, sourcefile: 'scenario-validator.js' },
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  write: false,
  logLevel: 'error',
});
const body = bundled.outputFiles[0].text;

writeFileSync(
  output,
  `// @ts-nocheck
// Generated from spec/scenario.schema.json by scripts/build-schema-validator.mjs (npm run build):
// do not edit. schema.ts gives it its type.
${body}`,
);
