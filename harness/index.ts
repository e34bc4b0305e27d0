// The package's public API: `import { interpretAttachOutput } from 'extstorage-kit'`.

export {
  interpretAttachOutput,
  type AttachInterpretation,
  type AttachProblem,
  type InterpretOptions,
} from './attach/interpret.js';
export {
  ALL_RELEASES,
  REPRESENTATIVE_VERSIONS,
  SERIES,
  SUPPORTED_RANGE,
  UnsupportedVersionError,
  parseGanetiVersion,
  type AttachBehaviour,
  type GanetiVersion,
} from './ganeti/versions.js';
export { HYPERVISORS, type Hypervisor } from './ganeti/hypervisors.js';
export { checkProvider, type ProviderCheck, type CheckProblem } from './provider/check.js';
export { loadScenarioFile, loadScenarioPaths, parseScenarioText } from './scenario/load.js';
export type { ScenarioFile, Scenario, Step, ScenarioFileError } from './scenario/model.js';
export { runScenarios, type PlannedScenario, type RunOptions } from './run/runner.js';
export { BACKENDS } from './backends.js';
export type { RunSummary, ScenarioResult, StepResult, ScriptRun } from './run/result.js';
export type { Failure } from './backend/backend.js';
export { createReporters, type Reporter } from './report/index.js';
