// The scenario file loader for `extstorage-kit run`: YAML text -> the model of model.ts, or every
// problem in the file as `file:line:col: message` (spec/SCENARIOS.md, "Errors").
//
// Reading the file (read-source.ts: regular files only, bounded, UTF-8) and the limits on what is
// parsed (bounds.ts, limits.ts) come first. Then four passes, all of which report every problem
// they find (up to MAX_ERRORS_PER_FILE):
//   1. YAML itself (syntax, duplicate keys, unknown tags), positioned by yaml's LineCounter;
//   2. the JSON Schema (spec/scenario.schema.json) through ajv, one clear message per node;
//   3. what the schema cannot say: Ganeti versions, regexes, durations, keys that do not fit the
//      step's action, versions both accepted and rejected, duplicate scenario names, NULs in
//      what becomes a process's environment or arguments (process-strings.ts);
//   4. building the model with every default applied (only when 1-3 found nothing).

import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ErrorObject } from 'ajv';
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Alias,
  type Document,
  type Pair,
  type YAMLMap,
} from 'yaml';
import { HYPERVISORS, isHypervisor } from '../ganeti/hypervisors.js';
import { parseGanetiVersion, UnsupportedVersionError } from '../ganeti/versions.js';
import { isAction, type Action } from '../provider/layout.js';
import type {
  ArgMatcher,
  CheckInfo,
  DeviceExpectation,
  FakeDevice,
  LosetupSimulation,
  RbdPreloadedImage,
  RbdSimulation,
  Scenario,
  ScenarioFile,
  ScenarioFileError,
  SourcePosition,
  Step,
  StepExpectation,
  StepInput,
  StreamExpectation,
  StubEntry,
  SimulatedFailure,
  SimulatedFailureKind,
  SimulatorName,
  Simulators,
  StateExpectation,
  VolumeSpec,
} from './model.js';
import { COMMAND_PLACEHOLDERS, sandboxPathProblem } from './model.js';
import { AlternativeTree } from './alternative-tree.js';
import { dataLimitProblem, documentLimitProblem, textLimitProblem } from './bounds.js';
import { safeMessage } from '../text/display-path.js';
import { duplicateKeys } from './duplicate-keys.js';
import { realPath, yamlFilesUnder } from './find-files.js';
import { label, type Issue, type Path, type Segment } from './issue.js';
import { MAX_ALIAS_EXPANSION, MAX_ERRORS_PER_FILE } from './limits.js';
import { processStringIssues } from './process-strings.js';
import { fsMessage, readScenarioSource } from './read-source.js';
import { scenarioSchema, scenarioValidator } from './schema.js';
import { lineColAt } from './text-position.js';

// ---------------------------------------------------------------------------------------------
// Defaults (documented in spec/SCENARIOS.md)

/** VOL_SIZE when neither the scenario nor defaults.volume gives a size (MiB). */
export const DEFAULT_VOLUME_SIZE = 1024;
/** Seconds per script run when no timeout is given anywhere. */
export const DEFAULT_TIMEOUT_SECONDS = 10;
/** Versions a successful attach must satisfy when no `ganeti` list is given anywhere. */
export const DEFAULT_GANETI: readonly string[] = ['3.1'];

/** `expect` keys that judge attach output, which only attach prints for Ganeti to read. */
const ATTACH_ONLY_EXPECT = ['device', 'uris', 'accepted_by', 'rejected_by', 'lint'] as const;

/** Step keys that only make sense when a provider script runs: a command step takes none of them. */
const ACTION_ONLY_STEP_KEYS = ['with', 'ganeti'] as const;

// ---------------------------------------------------------------------------------------------
// Public API

/** Loads one scenario file. `path` is kept as given in every position and message. */
export function loadScenarioFile(path: string): { file: ScenarioFile } | { errors: ScenarioFileError[] } {
  const read = readScenarioSource(path);
  if ('problem' in read) {
    const { line, col, message } = read.problem;
    return { errors: [{ position: { file: path, line, col }, message: safeMessage(message) }] };
  }
  return parseScenarioText(read.text, path);
}

/**
 * Loads files and directories: a directory stands for every *.yaml and *.yml file under it,
 * recursively, in sorted order. A file reached twice is loaded once. A path that does not exist,
 * or a directory without scenario files, is an error at line 1, column 1.
 */
export function loadScenarioPaths(paths: readonly string[]): { files: ScenarioFile[]; errors: ScenarioFileError[] } {
  const files: ScenarioFile[] = [];
  const errors: ScenarioFileError[] = [];
  const seen = new Set<string>();
  for (const path of paths) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch (error) {
      errors.push(startOf(path, fsMessage(error)));
      continue;
    }
    const found = isDirectory ? yamlFilesUnder(path) : [path];
    if (isDirectory && found.length === 0) {
      errors.push(startOf(path, 'no scenario files (*.yaml, *.yml) in this directory'));
    }
    for (const file of found) {
      const key = realPath(file);
      if (seen.has(key)) continue;
      seen.add(key);
      const result = loadScenarioFile(file);
      if ('file' in result) files.push(result.file);
      else errors.push(...result.errors);
    }
  }
  return { files, errors };
}

/** Parses scenario YAML already read from `file` (which is only used in positions and to resolve `provider`). */
export function parseScenarioText(
  text: string,
  file: string,
): { file: ScenarioFile } | { errors: ScenarioFileError[] } {
  // Before any work that grows with the input: the number of nodes, aliases, flow nesting.
  const tooMuch = textLimitProblem(text);
  if (tooMuch)
    return { errors: [{ position: { file, ...lineColAt(text, tooMuch.offset) }, message: tooMuch.message }] };

  const lines = new LineCounter();
  let doc: Document.Parsed;
  try {
    doc = parseYaml(text, lines);
  } catch (error) {
    // yaml's composer turns a stack overflow into an error, its parser does not (deep block nesting).
    if (!(error instanceof RangeError)) throw error;
    return {
      errors: finish([
        { position: { file, line: 1, col: 1 }, message: `YAML: nested too deeply to parse (${error.message})` },
      ]),
    };
  }
  const walked = documentLimitProblem(doc);
  const source = new Source(file, text, doc, lines, walked.aliases);

  // 1. YAML. Past a syntax error the document may be half-read, and schema errors on it would
  // mislead; duplicate keys and unknown tags leave it whole, so checking goes on after them.
  const yamlErrors = [...doc.errors, ...doc.warnings];
  const fatal = yamlErrors.some((e) => e.code !== 'TAG_RESOLVE_FAILED');
  const issues: Located[] = yamlErrors.map((e) => ({
    position: source.positionAt(e.pos[0]),
    message: yamlMessage(e.code, e.message),
  }));
  if (walked.problem) {
    issues.push({ position: source.positionAt(walked.problem.offset), message: walked.problem.message });
    return { errors: finish(issues) };
  }
  for (const duplicate of duplicateKeys(doc)) {
    const first = source.positionAt(duplicate.firstOffset);
    issues.push({
      position: source.positionAt(duplicate.offset),
      message: `duplicate key ${JSON.stringify(duplicate.name)} (first at line ${first.line})`,
    });
  }
  if (fatal) return { errors: finish(issues) };

  const badMerges = source.badMergeSources();
  if (badMerges.length > 0) {
    for (const offset of badMerges) {
      issues.push({
        position: source.positionAt(offset),
        message: 'YAML: "<<" merges a map, an alias of a map, or a list of them',
      });
    }
    return { errors: finish(issues) };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_EXPANSION });
  } catch (error) {
    issues.push({ position: source.positionAt(0), message: `YAML: ${(error as Error).message}` });
    return { errors: finish(issues) };
  }
  if (data === null || data === undefined) {
    issues.push({
      position: source.positionAt(0),
      message: 'the file is empty: expected a map with a "scenarios" key',
    });
    return { errors: finish(issues) };
  }
  const expanded = dataLimitProblem(data);
  if (expanded !== undefined) {
    issues.push({ position: source.positionAt(0), message: expanded });
    return { errors: finish(issues) };
  }

  // 2. The schema. 3. The rest.
  const validate = scenarioValidator();
  const schemaIssues = new SchemaErrors(source, data).convert(validate(data) ? [] : (validate.errors ?? []));
  for (const issue of schemaIssues) {
    issues.push({ position: source.positionOf(issue.path, issue.at), message: issue.message });
  }
  // Past the errors shown, more checks would only add to "... and N more": stop here.
  if (issues.length > MAX_ERRORS_PER_FILE) return { errors: finish(issues, false) };
  const taken = new Set(schemaIssues.map((issue) => pathKey(issue.path)));
  const semanticIssues = [...checkSemantics(data, source), ...processStringIssues(data)].filter(
    (issue) => !taken.has(pathKey(issue.path)),
  );
  for (const issue of semanticIssues) {
    issues.push({ position: source.positionOf(issue.path, issue.at), message: issue.message });
  }
  if (issues.length > 0) return { errors: finish(issues) };

  // 4. The model.
  return { file: buildFile(data as RawFile, source) };
}

function parseYaml(text: string, lines: LineCounter): Document.Parsed {
  return parseDocument(text, {
    keepSourceTokens: true,
    lineCounter: lines,
    prettyErrors: false,
    merge: true,
    // duplicate-keys.ts finds them in linear time; yaml's check is quadratic in a map's size.
    uniqueKeys: false,
    // Warnings are reported below as errors; yaml would also print them itself (process.emitWarning).
    logLevel: 'error',
  });
}

// ---------------------------------------------------------------------------------------------
// Positions: walking the YAML document by path

interface Located {
  readonly position: SourcePosition;
  readonly message: string;
}

class Source {
  constructor(
    readonly file: string,
    readonly text: string,
    readonly doc: Document.Parsed,
    readonly lines: LineCounter,
    /** What each alias stands for (bounds.ts resolves them all in one pass, as yaml does). */
    private readonly aliases: ReadonlyMap<Alias, unknown>,
  ) {}

  /** Per map: its own keys by name (the first of each) and its merge ("<<") pairs, built when first looked up. */
  private readonly keyIndex = new WeakMap<YAMLMap, { own: Map<string, Pair>; merges: Pair[] }>();

  positionAt(offset: number): SourcePosition {
    const { line, col } = this.lines.linePos(Math.max(0, Math.min(offset, this.text.length)));
    return { file: this.file, line, col };
  }

  /** Follows aliases to the node they stand for. */
  private deref(node: unknown): unknown {
    let current = node;
    for (let hops = 0; isAlias(current) && hops < 100; hops++) current = this.aliases.get(current);
    return current;
  }

  /** The pair for `name` in a map: its own keys first, then what `<<` merges in, as yaml does. */
  private lookup(map: YAMLMap, name: string, depth = 0): { key: unknown; value: unknown } | undefined {
    const index = this.indexOf(map);
    const own = index.own.get(name);
    if (own) return { key: own.key, value: own.value };
    if (depth > 20) return undefined;
    for (const pair of index.merges) {
      const merged = this.deref(pair.value);
      const sources = isSeq(merged) ? merged.items.map((item) => this.deref(item)) : [merged];
      for (const source of sources) {
        if (!isMap(source)) continue;
        const found = this.lookup(source, name, depth + 1);
        if (found) return found;
      }
    }
    return undefined;
  }

  private indexOf(map: YAMLMap): { own: Map<string, Pair>; merges: Pair[] } {
    let index = this.keyIndex.get(map);
    if (!index) {
      index = { own: new Map(), merges: [] };
      for (const pair of map.items) {
        if (isScalar(pair.key) && typeof pair.key.value === 'symbol') index.merges.push(pair);
        else {
          const name = String(isScalar(pair.key) ? pair.key.value : pair.key);
          if (!index.own.has(name)) index.own.set(name, pair);
        }
      }
      this.keyIndex.set(map, index);
    }
    return index;
  }

  /** The node at `path` (or the deepest one that exists) and the key that names it. */
  find(path: Path): { node: unknown; key: unknown; complete: boolean } {
    let node: unknown = this.doc.contents;
    let key: unknown;
    for (const segment of path) {
      const container = this.deref(node);
      let next: { key: unknown; value: unknown } | undefined;
      if (isMap(container)) next = this.lookup(container, String(segment));
      else if (isSeq(container) && typeof segment === 'number' && segment < container.items.length) {
        next = { key: undefined, value: container.items[segment] };
      }
      if (!next) return { node, key, complete: false };
      node = next.value;
      key = next.key;
    }
    return { node, key, complete: true };
  }

  positionOf(path: Path, at: 'key' | 'value'): SourcePosition {
    const { node, key, complete } = this.find(path);
    const start = (n: unknown): number | undefined => (n as { range?: [number, number, number] } | null)?.range?.[0];
    if (complete && at === 'key' && start(key) !== undefined) return this.positionAt(start(key)!);
    // `key:` with nothing after it: point at the key, not at the empty space after the colon.
    if (isScalar(node) && node.value === null && !node.source && start(key) !== undefined) {
      return this.positionAt(start(key)!);
    }
    const offset = start(node) ?? start(key);
    return offset === undefined ? this.positionAt(0) : this.positionAt(offset);
  }

  /** Offsets of `<<` values that are not maps (yaml would throw on them while converting). */
  badMergeSources(): number[] {
    const bad: number[] = [];
    const seen = new Set<unknown>();
    const visit = (node: unknown): void => {
      if (seen.has(node)) return;
      seen.add(node);
      if (isMap(node)) {
        for (const pair of node.items) {
          if (isScalar(pair.key) && typeof pair.key.value === 'symbol') {
            const value = this.deref(pair.value);
            const sources = isSeq(value) ? value.items.map((item) => this.deref(item)) : [value];
            if (!sources.every((item) => isMap(item))) {
              bad.push((pair.value as { range?: number[] } | null)?.range?.[0] ?? pair.key.range?.[0] ?? 0);
            }
          }
          visit(pair.key);
          visit(pair.value);
        }
      } else if (isSeq(node)) {
        for (const item of node.items) visit(item);
      }
    };
    visit(this.doc.contents);
    return bad;
  }

  /** The text of a plain (unquoted) scalar as written, e.g. "2.10" where the value is 2.1. */
  plainText(path: Path): string | undefined {
    const { node, complete } = this.find(path);
    const scalar = this.deref(node);
    if (!complete || !isScalar(scalar) || scalar.type !== 'PLAIN' || typeof scalar.source !== 'string')
      return undefined;
    return scalar.source;
  }

  /** Whether the node at `path` is an empty value (`key:` with nothing after it). */
  isEmptyValue(path: Path): boolean {
    const { node, complete } = this.find(path);
    return complete && isScalar(node) && node.value === null && !node.source;
  }
}

function startOf(file: string, message: string): ScenarioFileError {
  return { position: { file, line: 1, col: 1 }, message: safeMessage(message) };
}

/**
 * Sorted by position, then message; exact duplicates dropped; at most MAX_ERRORS_PER_FILE, then one
 * that counts the rest. `complete`: false when checking stopped early (there may be more still).
 */
function finish(issues: readonly Located[], complete = true): ScenarioFileError[] {
  const sorted = [...issues].sort(
    (a, b) =>
      a.position.line - b.position.line ||
      a.position.col - b.position.col ||
      (a.message < b.message ? -1 : a.message > b.message ? 1 : 0),
  );
  const out: ScenarioFileError[] = [];
  for (const issue of sorted) {
    const last = out[out.length - 1];
    if (
      last?.position.line === issue.position.line &&
      last.position.col === issue.position.col &&
      last.message === issue.message
    )
      continue;
    out.push({ position: issue.position, message: safeMessage(issue.message) });
  }
  if (out.length <= MAX_ERRORS_PER_FILE) return out;
  const rest = out.length - MAX_ERRORS_PER_FILE;
  const more = `... and ${complete ? '' : 'at least '}${rest} more error${rest === 1 ? '' : 's'} in this file, from here on (only the first ${MAX_ERRORS_PER_FILE} are shown)`;
  return [...out.slice(0, MAX_ERRORS_PER_FILE), { position: out[MAX_ERRORS_PER_FILE]!.position, message: more }];
}

function pathKey(path: Path): string {
  return JSON.stringify(path);
}

function yamlMessage(code: string, message: string): string {
  if (code === 'MULTIPLE_DOCS') return 'YAML: a scenario file holds one document; this "---" starts a second one';
  return `YAML: ${message}`;
}

// ---------------------------------------------------------------------------------------------
// Schema errors: ajv's output -> one clear message per node

type SchemaObject = Readonly<Record<string, unknown>>;

/** How the schema's named definitions read in a message ("must be <phrase>"). */
const PHRASES: Readonly<Record<string, string>> = {
  duration: 'a duration: a number of seconds, or a string like "10s", "500ms", "1.5s", "2m"',
  version: 'a Ganeti version such as "3.1" or "2.13.0"',
  versions: 'a non-empty list of Ganeti versions such as ["2.16", "3.1"]',
  versionList: 'a list of Ganeti versions such as ["2.16", "3.1"]',
  regexMatcher: '{regex: "..."}',
  argMatcher: 'a string or {regex: "..."}',
  textOrNull: 'a string, null or {regex: "..."}',
  exitCode: 'an integer from 0 to 255',
  positiveInteger: 'a positive integer',
  envName: 'a variable name (not empty, no "=")',
  commandName: 'a command name (letters, digits and _ . + -) or an absolute path',
  absolutePath: 'an absolute path',
  fakeDevice: 'a path under /dev, or {path: /dev/..., symlink: target}',
  simulate: 'a list of simulator names, or a map: simulator name -> options',
  stringState: 'a string or {regex: "..."}',
  poolName: 'a pool name, or pool/namespace (no "@", no spaces)',
  imageSpec: 'an image spec: [<pool>/[<namespace>/]]<image> (no "@", no spaces)',
  snapshotName: 'a snapshot name (no "/", "@" or spaces)',
  rbdSnapshot: 'a snapshot name or {name: ..., protected: ...}',
};

/** Lists of named definitions, for "a list of <plural>". */
const PLURALS: Readonly<Record<string, string>> = {
  scenario: 'scenarios',
  step: 'steps',
  stubEntry: 'stub entries',
  argMatcher: 'arguments (strings or {regex: "..."})',
  version: 'Ganeti versions',
  simulator: 'simulator names',
  envName: 'variable names',
  rbdImage: 'images ({spec: ...})',
  rbdSnapshot: 'snapshots',
  simulatedFailure: 'failures ({error: ...})',
  poolName: 'pool names',
};

/** What the keys of a map are called in "unknown <noun>" messages, by definition name. */
const KEY_NOUNS: Readonly<Record<string, string>> = {
  uris: 'hypervisor',
  simulate: 'simulator',
  simulatedExpectation: 'simulator',
};

const STRUCTURAL = new Set(['required', 'additionalProperties', 'propertyNames', 'uniqueItems']);

class SchemaErrors {
  private readonly root = scenarioSchema();
  private readonly definitions = (this.root.definitions ?? {}) as Readonly<Record<string, SchemaObject>>;

  constructor(
    private readonly source: Source,
    private readonly data: unknown,
  ) {}

  convert(errors: readonly ErrorObject[]): Issue[] {
    const withPaths = errors.map((error) => ({ error, path: this.parsePointer(error.instancePath) }));
    const issues: Issue[] = [];

    // oneOf/anyOf: when the value has the shape of one alternative and fails inside it (a bad
    // key in {regex: ...}, a bad item in a list), report those inner errors; otherwise one
    // message for the node naming every alternative. Outer alternatives first.
    // Linear in the number of errors (times the depth): each error is filed once under every
    // alternative whose node holds it, and dropped errors are marked, not filtered out of a list.
    const others = withPaths.filter((e) => e.error.keyword !== 'oneOf' && e.error.keyword !== 'anyOf');
    const alternatives = withPaths
      .filter((e) => e.error.keyword === 'oneOf' || e.error.keyword === 'anyOf')
      .sort((a, b) => a.path.length - b.path.length);
    const tree = new AlternativeTree<(typeof others)[number]>();
    for (const alt of alternatives) tree.add(alt.path);
    for (const e of others) tree.file(e.path, e);
    const dropped = new Set<(typeof others)[number]>();
    for (const alt of alternatives) {
      if (tree.absorbedAt(alt.path)) continue;
      const under = tree.under(alt.path).filter((e) => !dropped.has(e));
      const isInner = (e: (typeof others)[number]) =>
        e.path.length > alt.path.length || STRUCTURAL.has(e.error.keyword);
      if (!under.some(isInner)) {
        issues.push(this.valueIssue(alt.path));
        tree.absorb(alt.path);
        for (const e of under) dropped.add(e);
      } else {
        for (const e of under) if (!isInner(e)) dropped.add(e);
      }
    }
    let remaining = others.filter((e) => !dropped.has(e));

    // propertyNames reports the failing name's own error on the map too: keep one message.
    const badNames = new Set(remaining.filter((e) => e.error.keyword === 'propertyNames').map((e) => pathKey(e.path)));
    remaining = remaining.filter(
      (e) => !(badNames.has(pathKey(e.path)) && (e.error.keyword === 'pattern' || e.error.keyword === 'minLength')),
    );

    const valueErrorsAt = new Map<string, Path>();
    for (const { error, path } of remaining) {
      switch (error.keyword) {
        case 'additionalProperties': {
          const name = String(error.params.additionalProperty);
          issues.push({ path: [...path, name], at: 'key', message: this.unknownKey(path, name) });
          break;
        }
        case 'required': {
          const name = String(error.params.missingProperty);
          issues.push({
            path,
            at: 'value',
            message: `missing required key ${JSON.stringify(name)} ${this.context(path)}`,
          });
          break;
        }
        case 'propertyNames': {
          const name = String(error.params.propertyName);
          const rule = this.describe(this.propertyNamesOf(path) ?? {});
          issues.push({
            path: [...path, name],
            at: 'key',
            message: `${JSON.stringify(name)} ${this.context(path)} is not ${rule}`,
          });
          break;
        }
        case 'uniqueItems': {
          const index = Math.max(Number(error.params.i), Number(error.params.j));
          const item = [...path, index];
          issues.push({ path: item, at: 'value', message: `${this.show(item)} is listed twice in ${label(path)}` });
          break;
        }
        default:
          valueErrorsAt.set(pathKey(path), path);
      }
    }
    for (const path of valueErrorsAt.values()) issues.push(this.valueIssue(path));
    return issues;
  }

  /** The node at `path` is not what its schema wants: one message saying what it must be. */
  private valueIssue(path: Path): Issue {
    const schema = this.schemaAt(path);
    const got = this.show(path);
    const value = this.valueAt(path);
    const ref = schema ? this.refName(schema) : undefined;
    const last = path[path.length - 1];
    if (typeof value === 'string' && last === 'action' && path.length >= 2) {
      const allowed = (this.deref(schema ?? {}).enum as string[] | undefined) ?? [];
      return { path, at: 'value', message: `unknown action ${got}: expected one of ${allowed.join(', ')}` };
    }
    if (typeof value === 'string' && ref === 'simulator') {
      const allowed = (this.deref(schema ?? {}).enum as string[] | undefined) ?? [];
      return { path, at: 'value', message: `unknown simulator ${got}: expected one of ${allowed.join(', ')}` };
    }
    if (path.length === 0) {
      return { path, at: 'value', message: `the file must be a map with a "scenarios" key, got ${got}` };
    }
    const wanted = schema ? this.describe(schema) : 'something else';
    // YAML reads 1, 2.5, true, null unquoted as non-strings; that is usually the whole mistake.
    const quote =
      wanted === 'a string' &&
      (typeof value === 'number' || typeof value === 'boolean') &&
      !this.source.isEmptyValue(path)
        ? ` (quote it: "${got}")`
        : '';
    return { path, at: 'value', message: `${label(path)} must be ${wanted}, got ${got}${quote}` };
  }

  private unknownKey(path: Path, name: string): string {
    const schema = this.schemaAt(path);
    const noun = (schema && KEY_NOUNS[this.refName(schema) ?? '']) ?? 'key';
    const keys = Object.keys(this.objectSchema(schema ?? {}).properties ?? {});
    const extra = path.length === 0 ? ', or x-<anything> for YAML anchors' : '';
    return `unknown ${noun} ${JSON.stringify(name)} ${this.context(path)} (expected one of: ${keys.join(', ')}${extra})`;
  }

  /** "in step", "in "volume"", "at the top level": where a map is. */
  private context(path: Path): string {
    if (path.length === 0) return 'at the top level';
    const last = path[path.length - 1]!;
    if (typeof last === 'string') return `in ${JSON.stringify(last)}`;
    const title = this.deref(this.schemaAt(path) ?? {}).title;
    return typeof title === 'string' ? `in ${title}` : `in ${label(path)}`;
  }

  private show(path: Path): string {
    if (this.source.isEmptyValue(path)) return 'nothing';
    const value = this.valueAt(path);
    if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
    if (typeof value === 'number') return this.source.plainText(path) ?? String(value);
    if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
    if (value !== null && typeof value === 'object') return 'a map';
    return String(value);
  }

  private valueAt(path: Path): unknown {
    let value: unknown = this.data;
    for (const segment of path) {
      if (value === null || typeof value !== 'object') return undefined;
      value = (value as Record<string, unknown>)[segment as string];
    }
    return value;
  }

  /** JSON pointer -> path, numbers for list indices. */
  private parsePointer(pointer: string): Path {
    if (pointer === '') return [];
    const path: Segment[] = [];
    let value: unknown = this.data;
    for (const raw of pointer.slice(1).split('/')) {
      const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      const index = Array.isArray(value) ? Number(segment) : NaN;
      path.push(Number.isInteger(index) ? index : segment);
      value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[segment] : undefined;
    }
    return path;
  }

  private refName(schema: SchemaObject): string | undefined {
    const ref = schema.$ref;
    return typeof ref === 'string' ? ref.replace(/^#\/definitions\//, '') : undefined;
  }

  private deref(schema: SchemaObject): SchemaObject {
    let current = schema;
    for (let hops = 0; hops < 20; hops++) {
      const name = this.refName(current);
      if (name === undefined) return current;
      current = this.definitions[name] ?? {};
    }
    return current;
  }

  /** The schema that applies at `path`, as written (a $ref is kept, so its name can be used). */
  private schemaAt(path: Path): SchemaObject | undefined {
    let raw: SchemaObject = this.root;
    for (const segment of path) {
      let schema = this.deref(raw);
      const alternatives = schema.oneOf as SchemaObject[] | undefined;
      if (alternatives) {
        const wanted = typeof segment === 'number' ? 'array' : 'object';
        const branch = alternatives.find((alt) => this.deref(alt).type === wanted);
        if (!branch) return undefined;
        schema = this.deref(branch);
      }
      let next: unknown;
      if (typeof segment === 'number' && schema.type === 'array') next = schema.items;
      else if (typeof segment === 'string' && schema.type === 'object') {
        const properties = (schema.properties ?? {}) as Record<string, SchemaObject>;
        next = Object.hasOwn(properties, segment) ? properties[segment] : schema.additionalProperties;
      }
      if (next === null || typeof next !== 'object') return undefined;
      raw = next as SchemaObject;
    }
    return raw;
  }

  /** The map schema of `raw`: itself, or the map alternative of a oneOf ({regex: ...}). */
  private objectSchema(raw: SchemaObject): SchemaObject {
    const schema = this.deref(raw);
    const alternatives = schema.oneOf as SchemaObject[] | undefined;
    const branch = alternatives?.find((alt) => this.deref(alt).type === 'object');
    return branch ? this.deref(branch) : schema;
  }

  private propertyNamesOf(path: Path): SchemaObject | undefined {
    const schema = this.schemaAt(path);
    return schema ? (this.deref(schema).propertyNames as SchemaObject | undefined) : undefined;
  }

  /** What a schema asks for, as a noun phrase: "a positive integer", "a list of strings". */
  describe(raw: SchemaObject): string {
    const name = this.refName(raw);
    if (name !== undefined && PHRASES[name]) return PHRASES[name];
    const schema = this.deref(raw);
    const alternatives = schema.oneOf as SchemaObject[] | undefined;
    if (alternatives) return joinOr(alternatives.map((alt) => this.describe(alt)));
    const allowed = schema.enum as unknown[] | undefined;
    if (allowed) {
      const shown = allowed.map((value) => JSON.stringify(value));
      return shown.length <= 2 ? joinOr(shown) : `one of ${shown.join(', ')}`;
    }
    switch (schema.type) {
      case 'integer': {
        const min = schema.minimum as number | undefined;
        const max = schema.maximum as number | undefined;
        if (min === 1 && max === undefined) return 'a positive integer';
        if (min !== undefined && max !== undefined) return `an integer from ${min} to ${max}`;
        return 'an integer';
      }
      case 'number':
        return 'a number';
      case 'string':
        if (typeof schema.pattern === 'string' && typeof schema.description === 'string') return schema.description;
        return schema.minLength ? 'a non-empty string' : 'a string';
      case 'boolean':
        return 'a boolean (true or false)';
      case 'null':
        return 'null';
      case 'array': {
        const items = (schema.items ?? {}) as SchemaObject;
        return `${schema.minItems ? 'a non-empty list' : 'a list'} of ${this.plural(items)}`;
      }
      case 'object':
        return 'a map';
      default:
        return 'something else';
    }
  }

  private plural(raw: SchemaObject): string {
    const name = this.refName(raw);
    if (name !== undefined && PLURALS[name]) return PLURALS[name];
    const schema = this.deref(raw);
    switch (schema.type) {
      case 'string':
        return 'strings';
      case 'array':
        return `lists of ${this.plural((schema.items ?? {}) as SchemaObject)}`;
      case 'object':
        return 'maps';
      default:
        return 'items';
    }
  }
}

function joinOr(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

// ---------------------------------------------------------------------------------------------
// What the schema cannot say

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Seconds, or undefined when `value` is not a duration (see the schema's `duration`). */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m)$/.exec(value);
  if (!match) return undefined;
  const amount = Number(match[1]);
  const seconds = match[2] === 'ms' ? amount / 1000 : match[2] === 'm' ? amount * 60 : amount;
  return seconds > 0 ? seconds : undefined;
}

/** The text of a regex error without JavaScript's "Invalid regular expression: /.../: " prefix. */
function regexProblem(source: string): string | undefined {
  try {
    new RegExp(source);
    return undefined;
  } catch (error) {
    return (error as Error).message.replace(/^Invalid regular expression: \/[\s\S]*\/[a-z]*: /, '');
  }
}

function checkSemantics(data: unknown, source: Source): Issue[] {
  const issues: Issue[] = [];
  if (!isObj(data)) return issues;

  const versions = (path: Path, value: unknown): { text: string; release: string; path: Path }[] => {
    const out: { text: string; release: string; path: Path }[] = [];
    if (!Array.isArray(value)) return out;
    value.forEach((item, index) => {
      if (typeof item !== 'string' && typeof item !== 'number') return;
      const itemPath = [...path, index];
      const text = versionText(source, itemPath, item);
      try {
        out.push({ text, release: parseGanetiVersion(text).release, path: itemPath });
      } catch (error) {
        if (!(error instanceof UnsupportedVersionError)) throw error;
        issues.push({ path: itemPath, at: 'value', message: error.message });
      }
    });
    return out;
  };
  const duration = (path: Path, value: unknown): void => {
    if (value === undefined || (typeof value !== 'number' && typeof value !== 'string')) return;
    if (parseDuration(value) === undefined) {
      issues.push({
        path,
        at: 'value',
        message: `bad duration ${JSON.stringify(value)}: must be more than 0, as a number of seconds or a string like "10s", "500ms", "1.5s", "2m"`,
      });
    }
  };
  const regex = (path: Path, value: unknown): void => {
    if (typeof value !== 'string') return;
    const problem = regexProblem(value);
    if (problem !== undefined) {
      issues.push({ path, at: 'value', message: `invalid regular expression ${JSON.stringify(value)}: ${problem}` });
    }
  };
  const matcher = (path: Path, value: unknown): void => {
    if (isObj(value)) regex([...path, 'regex'], value.regex);
  };
  const placeholders = (path: Path, value: unknown): void => {
    if (typeof value !== 'string') return;
    for (const [text, name] of value.matchAll(/\$\{([^}]*)\}/g)) {
      const uri = /^URI:(.*)$/.exec(name!);
      if (uri !== null && !isHypervisor(uri[1]!)) {
        issues.push({
          path,
          at: 'value',
          message: `unknown hypervisor in ${text}: expected one of ${HYPERVISORS.join(', ')}`,
        });
      } else if (uri === null && !['SANDBOX', 'VOLUME', 'DEVICE'].includes(name!)) {
        issues.push({
          path,
          at: 'value',
          message: `unknown placeholder ${text} in a command: expected ${joinOr(COMMAND_PLACEHOLDERS)}`,
        });
      }
    }
  };

  if (isObj(data.defaults)) {
    versions(['defaults', 'ganeti'], data.defaults.ganeti);
    duration(['defaults', 'timeout'], data.defaults.timeout);
  }
  const scenarios = Array.isArray(data.scenarios) ? data.scenarios : [];
  const names = new Map<string, Path>();
  scenarios.forEach((scenario, s) => {
    if (!isObj(scenario)) return;
    const at: Path = ['scenarios', s];
    if (typeof scenario.name === 'string') {
      const first = names.get(scenario.name);
      if (first) {
        const line = source.positionOf(first, 'value').line;
        issues.push({
          path: [...at, 'name'],
          at: 'value',
          message: `duplicate scenario name ${JSON.stringify(scenario.name)} (first at line ${line})`,
        });
      } else names.set(scenario.name, [...at, 'name']);
    }
    versions([...at, 'ganeti'], scenario.ganeti);
    duration([...at, 'timeout'], scenario.timeout);
    if (isObj(scenario.stubs)) {
      for (const [command, entries] of Object.entries(scenario.stubs)) {
        if (!Array.isArray(entries)) continue;
        entries.forEach((entry, e) => {
          if (!isObj(entry) || !Array.isArray(entry.args)) return;
          entry.args.forEach((arg, a) => matcher([...at, 'stubs', command, e, 'args', a], arg));
        });
      }
    }
    const simulated = checkSimulators(scenario, at, issues, matcher);
    checkIsolationKeys(scenario, at, issues);
    const steps = Array.isArray(scenario.steps) ? scenario.steps : [];
    steps.forEach((step, i) => {
      if (!isObj(step)) return;
      const stepAt: Path = [...at, 'steps', i];
      const command = step.command;
      const isCommand = command !== undefined;
      if (isCommand && step.action !== undefined) {
        issues.push({
          path: [...stepAt, 'command'],
          at: 'key',
          message: 'a step has either "action" (a provider script) or "command" (a check between actions), not both',
        });
      } else if (!isCommand && step.action === undefined) {
        issues.push({
          path: stepAt,
          at: 'value',
          message: 'missing required key "action" in step (or "command", to run a check between actions)',
        });
      }
      if (isCommand) {
        for (const key of ACTION_ONLY_STEP_KEYS) {
          if (key in step)
            issues.push({
              path: [...stepAt, key],
              at: 'key',
              message: `${JSON.stringify(key)} does not apply to a command step: it is for provider scripts`,
            });
        }
        if (Array.isArray(command)) command.forEach((arg, a) => placeholders([...stepAt, 'command', a], arg));
      }
      const action = isCommand
        ? 'command'
        : typeof step.action === 'string' && isAction(step.action)
          ? step.action
          : undefined;
      versions([...stepAt, 'ganeti'], step.ganeti);
      duration([...stepAt, 'timeout'], step.timeout);
      const expect = step.expect;
      if (!isObj(expect)) return;
      const expectAt: Path = [...stepAt, 'expect'];
      if (action && action !== 'attach') {
        for (const key of ATTACH_ONLY_EXPECT) {
          if (!(key in expect)) continue;
          issues.push({
            path: [...expectAt, key],
            at: 'key',
            message:
              action === 'command'
                ? `${JSON.stringify(key)} does not apply to a command step: only the output of attach is read by Ganeti`
                : `${JSON.stringify(key)} does not apply to ${action}: only the output of attach is read by Ganeti`,
          });
        }
      }
      matcher([...expectAt, 'device'], expect.device);
      if (isObj(expect.uris)) {
        for (const [hypervisor, value] of Object.entries(expect.uris))
          matcher([...expectAt, 'uris', hypervisor], value);
      }
      for (const stream of ['stdout', 'stderr']) {
        const checks = expect[stream];
        if (isObj(checks)) regex([...expectAt, stream, 'regex'], checks.regex);
      }
      if (isObj(expect.simulated)) {
        for (const [name, subset] of Object.entries(expect.simulated)) {
          if (simulated !== null && (name === 'rbd' || name === 'losetup') && !simulated.includes(name)) {
            const running = simulated.length === 0 ? 'no simulator' : `simulate: ${simulated.join(', ')}`;
            issues.push({
              path: [...expectAt, 'simulated', name],
              at: 'key',
              message: `${JSON.stringify(name)} is not simulated in this scenario (${running})`,
            });
          }
          stateRegexes([...expectAt, 'simulated', name], subset, regex);
        }
      }
      const accepted = versions([...expectAt, 'accepted_by'], expect.accepted_by);
      const rejected = versions([...expectAt, 'rejected_by'], expect.rejected_by);
      for (const r of rejected) {
        const a = accepted.find((candidate) => candidate.release === r.release);
        if (!a) continue;
        const same = a.text === r.text ? '' : ` (as ${JSON.stringify(a.text)}: both mean ${r.release})`;
        issues.push({
          path: r.path,
          at: 'value',
          message: `Ganeti ${JSON.stringify(r.text)} is in both accepted_by${same} and rejected_by`,
        });
      }
    });
  });
  return issues;
}

/** Every {regex: ...} in a state expectation compiles. */
function stateRegexes(path: Path, value: unknown, regex: (path: Path, value: unknown) => void): void {
  if (Array.isArray(value)) value.forEach((item, i) => stateRegexes([...path, i], item, regex));
  else if (isObj(value)) {
    if (Object.keys(value).length === 1 && typeof value.regex === 'string') regex([...path, 'regex'], value.regex);
    else for (const [key, item] of Object.entries(value)) stateRegexes([...path, key], item, regex);
  }
}

/**
 * The isolation keys (spec/SCENARIOS.md §14): absolute paths the sandbox binds or mounts must be
 * plain (no . or .. segment, no control character, nothing that mount options would split on),
 * devices under /dev, and an absolute-path stub not under /proc, /sys or /dev.
 */
function checkIsolationKeys(scenario: Obj, at: Path, issues: Issue[]): void {
  const check = (path: Path, value: unknown, what: string): void => {
    if (typeof value !== 'string' || !value.startsWith('/')) return;
    const problem = sandboxPathProblem(value);
    if (problem !== null) issues.push({ path, at: 'value', message: `${what} ${JSON.stringify(value)}: ${problem}` });
  };
  check([...at, 'install_path'], scenario.install_path, 'install_path');
  if (typeof scenario.install_path === 'string' && /^\/(proc|sys|dev|tmp)(\/|$)/.test(scenario.install_path))
    issues.push({
      path: [...at, 'install_path'],
      at: 'value',
      message: `install_path ${JSON.stringify(scenario.install_path)}: not under /proc, /sys, /dev or /tmp (the sandbox makes those itself)`,
    });
  if (Array.isArray(scenario.scratch))
    scenario.scratch.forEach((path, i) => check([...at, 'scratch', i], path, 'scratch path'));
  if (Array.isArray(scenario.devices)) {
    scenario.devices.forEach((device: unknown, i) => {
      const path: unknown = isObj(device) ? device.path : device;
      check(isObj(device) ? [...at, 'devices', i, 'path'] : [...at, 'devices', i], path, 'device');
      if (isObj(device) && typeof device.symlink === 'string' && /[\u0000-\u001f\u007f]/.test(device.symlink))
        issues.push({
          path: [...at, 'devices', i, 'symlink'],
          at: 'value',
          message: 'a symlink target has no control character',
        });
    });
  }
  if (isObj(scenario.stubs)) {
    for (const command of Object.keys(scenario.stubs)) {
      if (!command.startsWith('/')) continue;
      const problem = sandboxPathProblem(command);
      const message =
        problem !== null
          ? `stub ${JSON.stringify(command)}: ${problem}`
          : /^\/(proc|sys|dev)(\/|$)/.test(command)
            ? `stub ${JSON.stringify(command)}: an absolute-path stub cannot be under /proc, /sys or /dev`
            : null;
      if (message !== null) issues.push({ path: [...at, 'stubs', command], at: 'key', message });
    }
  }
}

/** Simulator names as written in `simulate` (a list or the keys of a map); null if malformed. */
function simulatorNames(value: unknown): string[] | null {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  if (isObj(value)) return Object.keys(value);
  return null;
}

/** Parses an image spec as rbd does: [pool/[namespace/]]image. */
export function parseImageSpec(spec: string): { pool: string; namespace: string; name: string } {
  const parts = spec.split('/');
  const name = parts.pop()!;
  const pool = parts.length > 0 ? parts[0]! : 'rbd';
  const namespace = parts.length > 1 ? parts[1]! : '';
  return { pool, namespace, name };
}

/**
 * What the schema cannot say about `simulate`: a command both stubbed and simulated, regexes in
 * `when`, unreachable for losetup, images in pools that do not exist. Returns the names simulated.
 */
function checkSimulators(
  scenario: Obj,
  at: Path,
  issues: Issue[],
  matcher: (path: Path, value: unknown) => void,
): string[] | null {
  const names = simulatorNames(scenario.simulate);
  if (names === null) return null;
  if (isObj(scenario.stubs)) {
    for (const command of Object.keys(scenario.stubs)) {
      if (!names.includes(command)) continue;
      issues.push({
        path: [...at, 'stubs', command],
        at: 'key',
        message: `${JSON.stringify(command)} is both stubbed and simulated in this scenario: a command is either stubbed or simulated`,
      });
    }
  }
  const options = scenario.simulate;
  if (!isObj(options)) return names;
  for (const [name, value] of Object.entries(options)) {
    if (!isObj(value)) continue;
    const simAt: Path = [...at, 'simulate', name];
    if (Array.isArray(value.fail)) {
      value.fail.forEach((failure, f) => {
        if (!isObj(failure)) return;
        if (Array.isArray(failure.when)) failure.when.forEach((m, w) => matcher([...simAt, 'fail', f, 'when', w], m));
        if (name === 'losetup' && failure.error === 'unreachable') {
          issues.push({
            path: [...simAt, 'fail', f, 'error'],
            at: 'value',
            message:
              '"unreachable" does not apply to losetup: it has no cluster to reach (use busy, not-found, permission, timeout or garbage)',
          });
        }
      });
    }
    if (name !== 'rbd') continue;
    const pools = Array.isArray(value.pools) ? value.pools.filter((p): p is string => typeof p === 'string') : ['rbd'];
    if (Array.isArray(value.pools)) {
      value.pools.forEach((pool, p) => {
        if (typeof pool !== 'string' || !pool.includes('/')) return;
        const parent = pool.split('/')[0]!;
        if (!pools.includes(parent)) {
          issues.push({
            path: [...simAt, 'pools', p],
            at: 'value',
            message: `namespace ${JSON.stringify(pool)} is in pool ${JSON.stringify(parent)}, which is not in pools`,
          });
        }
      });
    }
    if (!Array.isArray(value.images)) continue;
    const seen = new Map<string, number>();
    value.images.forEach((image, i) => {
      if (!isObj(image) || typeof image.spec !== 'string') return;
      const spec = parseImageSpec(image.spec);
      const key = `${spec.pool}/${spec.namespace === '' ? '' : `${spec.namespace}/`}${spec.name}`;
      const specAt: Path = [...simAt, 'images', i, 'spec'];
      const first = seen.get(key);
      if (first !== undefined) {
        issues.push({
          path: specAt,
          at: 'value',
          message: `image ${JSON.stringify(key)} is listed twice in "images" (first as item ${first + 1})`,
        });
      } else seen.set(key, i);
      const where = spec.namespace === '' ? spec.pool : `${spec.pool}/${spec.namespace}`;
      if (!pools.includes(where)) {
        const known = pools.length === 0 ? 'there are no pools' : `pools: ${pools.join(', ')}`;
        issues.push({
          path: specAt,
          at: 'value',
          message: `image ${JSON.stringify(image.spec)} is in ${spec.namespace === '' ? 'pool' : 'namespace'} ${JSON.stringify(where)}, which is not in pools (${known})`,
        });
      }
      if (Array.isArray(image.snapshots)) {
        const snapNames = new Set<string>();
        image.snapshots.forEach((snap, n) => {
          const snapName =
            typeof snap === 'string' ? snap : isObj(snap) && typeof snap.name === 'string' ? snap.name : undefined;
          if (snapName === undefined) return;
          if (snapNames.has(snapName)) {
            issues.push({
              path: [...simAt, 'images', i, 'snapshots', n],
              at: 'value',
              message: `snapshot ${JSON.stringify(snapName)} is listed twice`,
            });
          }
          snapNames.add(snapName);
        });
      }
    });
  }
  return names;
}

/** A version as written: unquoted 2.10 is the number 2.1 to YAML, but the user meant "2.10". */
function versionText(source: Source, path: Path, value: string | number): string {
  if (typeof value === 'string') return value;
  return source.plainText(path) ?? String(value);
}

// ---------------------------------------------------------------------------------------------
// The model (the file has passed every check above)

type RawMatcher = string | { regex: string };
type RawText = string | null | { regex: string };
type RawVersion = string | number;

interface RawVolume {
  name?: string;
  size?: number;
  cname?: string;
  uuid?: string;
  params?: Record<string, string | number | boolean>;
}

interface RawStubEntry {
  args?: RawMatcher[];
  stdout?: string;
  stderr?: string;
  exit?: number;
  times?: number | 'any';
}

interface RawStream {
  equals?: string;
  contains?: string | string[];
  regex?: string;
  lines?: string[];
  empty?: boolean;
}

interface RawStep {
  action?: Action;
  command?: string[];
  name?: string;
  with?: {
    new_size?: number;
    size?: number;
    metadata?: string;
    exclusive?: boolean;
    snapshot_name?: string;
    snapshot_size?: number;
    args?: string[];
    unset?: string[];
    env?: Record<string, string>;
    fail_backend?: boolean;
  };
  repeat?: number;
  timeout?: number | string;
  ganeti?: RawVersion[];
  expect?: {
    exit?: number | 'nonzero';
    device?: RawText;
    uris?: Record<string, RawText>;
    accepted_by?: RawVersion[];
    rejected_by?: RawVersion[];
    lint?: 'clean' | 'no-errors';
    stdout?: RawStream;
    stderr?: RawStream;
    calls?: Record<string, string[][]>;
    simulated?: Record<string, unknown>;
  };
}

interface RawFailure {
  when?: RawMatcher[];
  error: SimulatedFailureKind;
  times?: number | 'any';
}

interface RawRbdSimulator {
  pools?: string[];
  images?: {
    spec: string;
    size?: number;
    meta?: Record<string, string>;
    mapped?: boolean;
    snapshots?: (string | { name: string; protected?: boolean })[];
    features?: string[];
  }[];
  kernel_module?: boolean;
  ceph_release?: 12 | 14 | 16 | 17 | 18;
  fail?: RawFailure[];
}

interface RawLosetupSimulator {
  devices?: number;
  fail?: RawFailure[];
}

type RawSimulate = SimulatorName[] | { rbd?: RawRbdSimulator | null; losetup?: RawLosetupSimulator | null };

interface RawScenario {
  name: string;
  check?: CheckInfo;
  requires?: ('snapshot' | 'open' | 'close')[];
  skip?: string;
  volume?: RawVolume;
  env?: Record<string, string>;
  stubs?: Record<string, RawStubEntry[]>;
  simulate?: RawSimulate;
  install_path?: string;
  devices?: (string | { path: string; symlink: string })[];
  scratch?: string[];
  ganeti?: RawVersion[];
  timeout?: number | string;
  steps: RawStep[];
}

interface RawFile {
  provider?: string;
  defaults?: { ganeti?: RawVersion[]; timeout?: number | string; volume?: RawVolume; env?: Record<string, string> };
  scenarios: RawScenario[];
}

function buildFile(raw: RawFile, source: Source): ScenarioFile {
  const file = source.file;
  const defaults = raw.defaults ?? {};
  const defaultVersions = defaults.ganeti
    ? versionList(source, ['defaults', 'ganeti'], defaults.ganeti)
    : DEFAULT_GANETI;
  const defaultTimeout = defaults.timeout !== undefined ? parseDuration(defaults.timeout)! : DEFAULT_TIMEOUT_SECONDS;
  const defaultVolume = defaults.volume ?? {};
  const defaultParams = defaults.volume?.params
    ? params(source, ['defaults', 'volume', 'params'], defaults.volume.params)
    : {};

  const scenarios = raw.scenarios.map((s, index): Scenario => {
    const at: Path = ['scenarios', index];
    const ownVolume = s.volume ?? {};
    const volume: VolumeSpec = {
      ...optional('name', ownVolume.name ?? defaultVolume.name),
      size: ownVolume.size ?? defaultVolume.size ?? DEFAULT_VOLUME_SIZE,
      ...optional('cname', ownVolume.cname ?? defaultVolume.cname),
      ...optional('uuid', ownVolume.uuid ?? defaultVolume.uuid),
      params: {
        ...defaultParams,
        ...(ownVolume.params ? params(source, [...at, 'volume', 'params'], ownVolume.params) : {}),
      },
    };
    const scenarioVersions = s.ganeti ? versionList(source, [...at, 'ganeti'], s.ganeti) : defaultVersions;
    const scenarioTimeout = s.timeout !== undefined ? parseDuration(s.timeout)! : defaultTimeout;
    const stubs: Record<string, StubEntry[]> = {};
    for (const [command, entries] of Object.entries(s.stubs ?? {})) {
      stubs[command] = entries.map((entry, e): StubEntry => ({
        args: (entry.args ?? []).map(argMatcher),
        stdout: entry.stdout ?? '',
        stderr: entry.stderr ?? '',
        exit: entry.exit ?? 0,
        times: entry.times ?? 1,
        position: source.positionOf([...at, 'stubs', command, e], 'value'),
      }));
    }
    const { names: simulate, simulators } = buildSimulators(source, [...at, 'simulate'], s.simulate);
    const steps = s.steps.map((step, i): Step => {
      const stepAt: Path = [...at, 'steps', i];
      return {
        action: step.action ?? 'command',
        ...optional('command', step.command),
        ...optional('name', step.name),
        input: stepInput(step),
        repeat: step.repeat ?? 1,
        timeout: step.timeout !== undefined ? parseDuration(step.timeout)! : scenarioTimeout,
        expect: expectation(source, [...stepAt, 'expect'], step.expect),
        ganeti: step.ganeti ? versionList(source, [...stepAt, 'ganeti'], step.ganeti) : scenarioVersions,
        position: source.positionOf(stepAt, 'value'),
      };
    });
    return {
      name: s.name,
      ...optional('check', s.check),
      requires: s.requires ?? [],
      file,
      index,
      ...optional('skip', s.skip),
      volume,
      env: { ...(defaults.env ?? {}), ...(s.env ?? {}) },
      stubs,
      simulate,
      simulators,
      ...optional('installPath', s.install_path),
      ...(s.devices
        ? {
            devices: s.devices.map((d, i): FakeDevice => ({
              ...(typeof d === 'string' ? { path: d } : { path: d.path, symlink: d.symlink }),
              position: source.positionOf([...at, 'devices', i], 'value'),
            })),
          }
        : {}),
      ...optional('scratch', s.scratch),
      steps,
      position: source.positionOf(at, 'value'),
    };
  });

  return {
    file,
    ...optional('provider', raw.provider === undefined ? undefined : resolve(dirname(file), raw.provider)),
    scenarios,
  };
}

/** Default pools of the rbd simulator. */
export const DEFAULT_RBD_POOLS: readonly string[] = ['rbd'];
/** Default number of loop devices of the losetup simulator. */
export const DEFAULT_LOOP_DEVICES = 8;

function buildFailures(source: Source, path: Path, raw: readonly RawFailure[] | undefined): SimulatedFailure[] {
  return (raw ?? []).map((f, i) => ({
    when: (f.when ?? []).map(argMatcher),
    error: f.error,
    times: f.times ?? 'any',
    position: source.positionOf([...path, i], 'value'),
  }));
}

function buildSimulators(
  source: Source,
  path: Path,
  raw: RawSimulate | undefined,
): { names: SimulatorName[]; simulators: Simulators } {
  const names: SimulatorName[] =
    raw === undefined ? [] : Array.isArray(raw) ? [...raw] : (Object.keys(raw) as SimulatorName[]);
  const options = raw !== undefined && !Array.isArray(raw) ? raw : {};
  const simulators: { rbd?: RbdSimulation; losetup?: LosetupSimulation } = {};
  if (names.includes('rbd')) {
    const rbd = options.rbd ?? {};
    const images = (rbd.images ?? []).map((image): RbdPreloadedImage => {
      const spec = parseImageSpec(image.spec);
      return {
        ...spec,
        size: image.size ?? DEFAULT_VOLUME_SIZE,
        meta: image.meta ?? {},
        mapped: image.mapped ?? false,
        snapshots: (image.snapshots ?? []).map((snap) =>
          typeof snap === 'string'
            ? { name: snap, protected: false }
            : { name: snap.name, protected: snap.protected ?? false },
        ),
        ...optional('features', image.features),
      };
    });
    simulators.rbd = {
      pools: rbd.pools ?? DEFAULT_RBD_POOLS,
      images,
      kernelModule: rbd.kernel_module ?? true,
      ...optional('cephRelease', rbd.ceph_release),
      fail: buildFailures(source, [...path, 'rbd', 'fail'], rbd.fail),
      ...optional('given', Object.keys(rbd).length > 0 ? Object.keys(rbd) : undefined),
    };
  }
  if (names.includes('losetup')) {
    const losetup = options.losetup ?? {};
    simulators.losetup = {
      devices: losetup.devices ?? DEFAULT_LOOP_DEVICES,
      fail: buildFailures(source, [...path, 'losetup', 'fail'], losetup.fail),
      ...optional('given', Object.keys(losetup).length > 0 ? Object.keys(losetup) : undefined),
    };
  }
  return { names, simulators };
}

/** A state expectation with its {regex: ...} leaves compiled. */
function stateExpectation(raw: unknown): StateExpectation {
  if (Array.isArray(raw)) return raw.map(stateExpectation);
  if (isObj(raw)) {
    if (Object.keys(raw).length === 1 && typeof raw.regex === 'string')
      return { regex: new RegExp(raw.regex), source: raw.regex };
    return Object.fromEntries(Object.entries(raw).map(([key, value]) => [key, stateExpectation(value)]));
  }
  return raw as StateExpectation;
}

/** `{ [key]: value }`, or nothing when value is undefined (keeps optional fields absent, not undefined). */
function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;
}

function versionList(source: Source, path: Path, values: readonly RawVersion[]): string[] {
  return values.map((value, i) => versionText(source, [...path, i], value));
}

/** Ext parameter values as strings: numbers as written, booleans as "true"/"false". */
function params(
  source: Source,
  path: Path,
  values: Readonly<Record<string, string | number | boolean>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    if (typeof value === 'string') out[name] = value;
    else if (typeof value === 'boolean') out[name] = value ? 'true' : 'false';
    else out[name] = source.plainText([...path, name]) ?? String(value);
  }
  return out;
}

function argMatcher(raw: RawMatcher): ArgMatcher {
  return typeof raw === 'string' ? { equals: raw } : { regex: new RegExp(raw.regex), source: raw.regex };
}

function textExpectation(raw: RawText): DeviceExpectation {
  if (raw === null || typeof raw === 'string') return raw;
  return { regex: new RegExp(raw.regex), source: raw.regex };
}

function stepInput(step: RawStep): StepInput {
  const w = step.with ?? {};
  // Without new_size the runner uses the size at that point of the scenario plus DEFAULT_GROW_BY.
  const newSize = w.new_size;
  const exclusive = step.action === 'open' ? (w.exclusive ?? true) : undefined;
  return {
    ...optional('newSize', newSize),
    ...optional('size', w.size),
    ...optional('metadata', w.metadata),
    ...optional('exclusive', exclusive),
    ...optional('snapshotName', w.snapshot_name),
    ...optional('snapshotSize', w.snapshot_size),
    args: w.args ?? [],
    unset: w.unset ?? [],
    env: w.env ?? {},
    ...(w.fail_backend === true ? { failBackend: true } : {}),
  };
}

function stream(raw: RawStream | undefined): StreamExpectation | undefined {
  if (!raw) return undefined;
  return {
    ...optional('equals', raw.equals),
    ...optional(
      'contains',
      raw.contains === undefined ? undefined : typeof raw.contains === 'string' ? [raw.contains] : raw.contains,
    ),
    ...optional('regex', raw.regex === undefined ? undefined : new RegExp(raw.regex)),
    ...optional('lines', raw.lines),
    ...optional('empty', raw.empty),
  };
}

function expectation(source: Source, path: Path, raw: RawStep['expect']): StepExpectation {
  const e = raw ?? {};
  let uris: Record<string, DeviceExpectation> | undefined;
  if (e.uris) {
    uris = {};
    for (const [hypervisor, value] of Object.entries(e.uris)) uris[hypervisor] = textExpectation(value);
  }
  return {
    exit: e.exit ?? 0,
    ...optional('device', e.device === undefined ? undefined : textExpectation(e.device)),
    ...optional('uris', uris),
    ...optional('acceptedBy', e.accepted_by ? versionList(source, [...path, 'accepted_by'], e.accepted_by) : undefined),
    ...optional('rejectedBy', e.rejected_by ? versionList(source, [...path, 'rejected_by'], e.rejected_by) : undefined),
    ...optional('lint', e.lint),
    ...optional('stdout', stream(e.stdout)),
    ...optional('stderr', stream(e.stderr)),
    ...optional('calls', e.calls),
    ...optional(
      'simulated',
      e.simulated === undefined
        ? undefined
        : (Object.fromEntries(
            Object.entries(e.simulated).map(([name, subset]) => [name, stateExpectation(subset)]),
          ) as StepExpectation['simulated']),
    ),
  };
}
