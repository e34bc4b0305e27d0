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
