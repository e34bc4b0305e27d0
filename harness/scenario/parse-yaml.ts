// The first stage of the loader: scenario text -> the YAML document with its positions and the
// plain data the later stages check. Refuses text past the limits (bounds.ts, limits.ts) before
// any work that grows with it, and reports YAML's own problems (syntax, duplicate keys, unknown
// tags, bad merges) at file:line:col.

import { LineCounter, parseDocument, type Document } from 'yaml';
import { dataLimitProblem, documentLimitProblem, textLimitProblem } from './bounds.js';
import { duplicateKeys } from './duplicate-keys.js';
import { finish, type Located } from './file-errors.js';
import { MAX_ALIAS_EXPANSION } from './limits.js';
import type { ScenarioFileError } from './model.js';
import { lineColAt } from './text-position.js';
import { YamlSource } from './yaml-source.js';

/**
 * The parsed file, with the YAML problems that leave it whole (duplicate keys, unknown tags) for
 * the later stages to add to; or the errors that end loading here.
 */
export type ParsedYaml =
  | { readonly source: YamlSource; readonly data: unknown; readonly issues: Located[] }
  | { readonly errors: ScenarioFileError[] };

/** Parses scenario text read from `file` (only used in positions). */
export function parseYamlSource(text: string, file: string): ParsedYaml {
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
  const source = new YamlSource(file, text, doc, lines, walked.aliases);

  // Past a syntax error the document may be half-read, and schema errors on it would mislead;
  // duplicate keys and unknown tags leave it whole, so checking goes on after them.
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
  return { source, data, issues };
}

function parseYaml(text: string, lines: LineCounter): Document.Parsed {
  return parseDocument(text, {
    keepSourceTokens: true,
    lineCounter: lines,
    prettyErrors: false,
    merge: true,
    // duplicate-keys.ts finds them in linear time; yaml's check is quadratic in a map's size.
    uniqueKeys: false,
    // Warnings are reported as errors (above); yaml would also print them itself (process.emitWarning).
    logLevel: 'error',
  });
}

function yamlMessage(code: string, message: string): string {
  if (code === 'MULTIPLE_DOCS') return 'YAML: a scenario file holds one document; this "---" starts a second one';
  return `YAML: ${message}`;
}
