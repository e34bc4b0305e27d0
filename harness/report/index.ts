// The reporters of `extstorage-kit run`: ../run/events.ts is the interface they implement,
// create.ts puts the ones asked for together.

export type { Reporter } from '../run/events.js';
export { createReporters } from './create.js';
export { reportPathProblem, reportPathProblems, ReportWriteError, writeReportFile } from './output.js';
export { renderHumanSummary } from './human.js';
export { tapDocument, tapEscape, yamlString } from './tap.js';
export { xmlEscape } from './junit.js';
export { jsonDocument, toJsonValue } from './json.js';
export { annotations, escapeData, escapeProperty } from './github.js';
