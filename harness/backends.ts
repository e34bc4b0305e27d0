// The backends the commands give the runner (./backend/backend.ts): the simulators, and the real
// commands for `run --real`. Kept apart so that the runner knows only the interface.

import type { Backends } from './backend/backend.js';

// Imported when first used: the simulators are about a fifth of the code `run` would load.
export const BACKENDS: Backends = {
  simulated: async (...args) => (await import('./simulate/backend.js')).simulatedBackend(...args),
  real: async (...args) => (await import('./real/install.js')).realBackendFactory(...args),
};
