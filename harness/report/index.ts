// The reporters of `extstorage-kit run`: see reporter.ts for the interface and createReporters().

export {
  CompositeReporter,
  createReporters,
  type OutputStream,
  type Reporter,
  type ReporterOptions,
  type RunStart,
  type ScenarioStart,
} from './reporter.js';
export { HumanReporter, renderHumanSummary } from './human.js';
export { TapReporter, tapDocument, tapEscape, yamlString } from './tap.js';
export { JunitReporter, junitDocument, xmlEscape } from './junit.js';
export { JsonReporter, jsonDocument, toJsonValue } from './json.js';
export {
  GithubReporter,
  annotations,
  escapeData,
  escapeProperty,
  formatAnnotation,
  type Annotation,
} from './github.js';
