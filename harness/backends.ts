// The backends the commands give the runner (./backend/backend.ts): the simulators, and the real
// commands for `run --real`. Kept apart so that the runner knows only the interface.

import type { Backends } from './backend/backend.js';
import { realBackendFactory } from './real/install.js';
import { simulatedBackend } from './simulate/backend.js';

export const BACKENDS: Backends = { simulated: simulatedBackend, real: realBackendFactory };
