// The reporters of `extstorage-kit run`: see reporter.ts for the interface and createReporters().

export { createReporters, type Reporter } from './reporter.js';
export { renderHumanSummary } from './human.js';
export { tapDocument, tapEscape, yamlString } from './tap.js';
export { xmlEscape } from './junit.js';
export { jsonDocument, toJsonValue } from './json.js';
export { annotations, escapeData, escapeProperty } from './github.js';
