// The schema (spec/scenario.schema.json) is the one description of the format; the TypeScript
// types the model builder reads (harness/scenario/raw-document.ts, and the enums of model.ts and
// provider/layout.ts) must say the same. TypeScript's checker reads the types; every map's keys
// and every enum's values are compared with the schema's, both ways.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import ts from 'typescript';
import { REPO_ROOT } from './helpers/cli.js';

type Schema = Readonly<Record<string, unknown>>;

const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'spec', 'scenario.schema.json'), 'utf8')) as Schema & {
  definitions: Record<string, Schema>;
};

const keysOf = (node: Schema): string[] => Object.keys(node.properties ?? {}).sort();
/** Every enum value of the node, its oneOf alternatives included. */
const enumOf = (node: Schema): string[] => {
  const own = ((node.enum ?? []) as unknown[]).map(String);
  const alts = ((node.oneOf ?? []) as Schema[]).flatMap((alt) =>
    typeof alt.$ref === 'string' ? [] : ((alt.enum ?? []) as unknown[]).map(String),
  );
  return [...own, ...alts].sort();
};

// Type expressions over the loader's types, paired with where the schema describes the same thing.
const MAPS: readonly (readonly [string, readonly string[]])[] = [
  ['RawFile', []],
  ['NonNullable<RawFile["defaults"]>', ['defaults']],
  ['RawScenario', ['scenarios', '[]']],
  ['CheckInfo', ['scenarios', '[]', 'check']],
  ['NonNullable<CheckInfo["needs"]>', ['scenarios', '[]', 'check', 'needs']],
  ['RawVolume', ['scenarios', '[]', 'volume']],
  ['RawStubEntry', ['scenarios', '[]', 'stubs', 'x', '[]']],
  ['RawStep', ['scenarios', '[]', 'steps', '[]']],
  ['NonNullable<RawStep["with"]>', ['scenarios', '[]', 'steps', '[]', 'with']],
  ['NonNullable<RawStep["expect"]>', ['scenarios', '[]', 'steps', '[]', 'expect']],
  ['RawStream', ['scenarios', '[]', 'steps', '[]', 'expect', 'stdout']],
  ['Exclude<RawSimulate, unknown[]>', ['#simulators']],
  ['RawRbdSimulator', ['#rbdSimulator']],
  ['NonNullable<RawRbdSimulator["images"]>[number]', ['#rbdImage']],
  ['RawLosetupSimulator', ['#losetupSimulator']],
  ['RawFailure', ['#simulatedFailure']],
  ['Exclude<RawMatcher, string>', ['#regexMatcher']],
  ['NonNullable<RawStep["kill"]>', ['#kill']],
];
const ENUMS: readonly (readonly [string, readonly string[]])[] = [
  ['Action', ['scenarios', '[]', 'steps', '[]', 'action']],
  ['SimulatorName', ['#simulator']],
  ['SimulatedFailureKind', ['#simulatedFailure', 'error']],
  ['CheckLevel', ['scenarios', '[]', 'check', 'level']],
  ['NonNullable<RawScenario["requires"]>[number]', ['scenarios', '[]', 'requires', '[]']],
  ['NonNullable<NonNullable<RawStep["expect"]>["lint"]>', ['scenarios', '[]', 'steps', '[]', 'expect', 'lint']],
  ['NonNullable<RawRbdSimulator["ceph_release"]>', ['#rbdSimulator', 'ceph_release']],
  ['Extract<NonNullable<RawStubEntry["times"]>, string>', ['scenarios', '[]', 'stubs', 'x', '[]', 'times']],
  ['Extract<NonNullable<RawFailure["times"]>, string>', ['#simulatedFailure', 'times']],
  [
    'Extract<NonNullable<NonNullable<RawStep["expect"]>["exit"]>, string>',
    ['scenarios', '[]', 'steps', '[]', 'expect', 'exit'],
  ],
  ['KillMoment', ['#kill', 'when']],
];

/** The schema node at a path; "#name" starts at a definition, a map's other keys ("x") take additionalProperties. */
function schemaNode(path: readonly string[]): Schema {
  let node: Schema = schema;
  let rest = path;
  if (path[0]?.startsWith('#')) {
    node = schema.definitions[path[0].slice(1)]!;
    rest = path.slice(1);
  }
  for (const step of rest) {
    while (typeof node.$ref === 'string') node = schema.definitions[node.$ref.replace('#/definitions/', '')]!;
    const properties = (node.properties ?? {}) as Record<string, Schema>;
    node =
      step === '[]'
        ? (node.items as Schema)
        : Object.hasOwn(properties, step)
          ? properties[step]!
          : (node.additionalProperties as Schema);
  }
  return derefAll(node);
}

function derefAll(node: Schema): Schema {
  let current = node;
  while (typeof current.$ref === 'string') current = schema.definitions[current.$ref.replace('#/definitions/', '')]!;
  return current;
}

/** Checks the probe's type aliases: P0.. are MAPS, E0.. are ENUMS. */
function typeFacts(): { keys: string[][]; values: string[][] } {
  const probe = join(REPO_ROOT, 'test', '__schema-probe__.ts');
  const text = [
    "import type { RawFile, RawScenario, RawVolume, RawStubEntry, RawStep, RawStream, RawSimulate, RawRbdSimulator, RawLosetupSimulator, RawFailure, RawMatcher } from '../harness/scenario/raw-document.js';",
    "import type { CheckInfo, CheckLevel, KillMoment, SimulatorName, SimulatedFailureKind } from '../harness/scenario/model.js';",
    "import type { Action } from '../harness/provider/layout.js';",
    ...MAPS.map(([type], i) => `export type P${i} = ${type};`),
    ...ENUMS.map(([type], i) => `export type E${i} = ${type};`),
  ].join('\n');
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, ...rest) =>
    name === probe ? ts.createSourceFile(name, text, version) : getSourceFile(name, version, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === probe || fileExists(name);
  const program = ts.createProgram([probe], options, host);
  const problems = ts.getPreEmitDiagnostics(program, program.getSourceFile(probe));
  if (problems.length > 0) throw new Error(ts.formatDiagnostics(problems, host));
  const checker = program.getTypeChecker();
  const aliases = new Map<string, ts.Type>();
  ts.forEachChild(program.getSourceFile(probe)!, (node) => {
    if (ts.isTypeAliasDeclaration(node)) aliases.set(node.name.text, checker.getTypeAtLocation(node.name));
  });
  const keys = MAPS.map((_, i) =>
    checker
      .getPropertiesOfType(aliases.get(`P${i}`)!)
      .map((p) => p.name)
      .sort(),
  );
  const values = ENUMS.map((_, i) => {
    const type = aliases.get(`E${i}`)!;
    const members = type.isUnion() ? type.types : [type];
    return members
      .map((m) => (m.isStringLiteral() ? m.value : m.isNumberLiteral() ? String(m.value) : checker.typeToString(m)))
      .sort();
  });
  return { keys, values };
}

t.test('the loader types and the schema name the same keys and values', async (t) => {
  const { keys, values } = typeFacts();
  MAPS.forEach(([type, path], i) => {
    t.strictSame(keys[i], keysOf(schemaNode(path)), `${type}: the keys of ${path.join('.') || 'the file'}`);
  });
  ENUMS.forEach(([type, path], i) => {
    t.strictSame(values[i], enumOf(schemaNode(path)), `${type}: the values of ${path.join('.')}`);
  });
});

t.test('every map of the schema is compared', async (t) => {
  // A new map in the schema (a new options block) needs a type here too, or it goes unchecked.
  const compared = new Set(MAPS.map(([, path]) => schemaNode(path)));
  const stateful = /State$|Expectation$|^(uris|calls|stubs|env)$/;
  const unchecked = Object.entries(schema.definitions)
    .filter(([name, node]) => node.type === 'object' && node.properties !== undefined && !stateful.test(name))
    .filter(([, node]) => !compared.has(node))
    .map(([name]) => name);
  t.strictSame(unchecked, [], 'definitions with keys that no loader type is compared with');
});
