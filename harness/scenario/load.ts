// The scenario file loader for `extstorage-kit run`: YAML text -> the model of model.ts, or every
// problem in the file as `file:line:col: message` (spec/SCENARIOS.md, "Errors"). This module only
// composes the stages; data flows one way through them (docs/architecture.md, "The loader"):
//
//   read-source   the file: regular, bounded, UTF-8          (find-files: directories -> files)
//   parse-yaml    text -> YAML document + data, YAML's own problems, the limits (bounds.ts)
//   schema-errors data against spec/scenario.schema.json (compiled at build), phrased per node
//   semantics     what the schema cannot say (+ process-strings: NULs in environments, arguments)
//   build-model   data -> model, every default applied (only when nothing above found a problem)
//
// Each stage reports every problem it finds, named by data path (issue.ts); yaml-source.ts places
// them at file:line:col and file-errors.ts sorts and caps them (MAX_ERRORS_PER_FILE).

import { statSync } from 'node:fs';
import { safeMessage } from '../text/display-path.js';
import { buildModel } from './build-model.js';
import { finish, startOf, type Located } from './file-errors.js';
import { realPath, yamlFilesUnder } from './find-files.js';
import { pathKey } from './issue.js';
import { MAX_ERRORS_PER_FILE } from './limits.js';
import type { ScenarioFile, ScenarioFileError } from './model.js';
import { parseYamlSource } from './parse-yaml.js';
import { processStringIssues } from './process-strings.js';
import type { RawFile } from './raw-document.js';
import { fsMessage, readScenarioSource } from './read-source.js';
import { schemaIssues } from './schema-errors.js';
import { semanticIssues } from './semantics.js';

export { parseDuration } from './values.js';

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
  const parsed = parseYamlSource(text, file);
  if ('errors' in parsed) return parsed;
  const { source, data } = parsed;
  const issues: Located[] = [...parsed.issues];

  const schema = schemaIssues(data, source);
  for (const issue of schema) {
    issues.push({ position: source.positionOf(issue.path, issue.at), message: issue.message });
  }
  // Past the errors shown, more checks would only add to "... and N more": stop here.
  if (issues.length > MAX_ERRORS_PER_FILE) return { errors: finish(issues, false) };
  // One message per node: a node the schema refused is not checked again.
  const taken = new Set(schema.map((issue) => pathKey(issue.path)));
  const semantic = [...semanticIssues(data, source), ...processStringIssues(data)].filter(
    (issue) => !taken.has(pathKey(issue.path)),
  );
  for (const issue of semantic) {
    issues.push({ position: source.positionOf(issue.path, issue.at), message: issue.message });
  }
  if (issues.length > 0) return { errors: finish(issues) };

  return { file: buildModel(data as RawFile, source) };
}
