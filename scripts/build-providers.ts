// `npm run build`, second half: every reference provider in providers/ into dist/providers/<name>/.

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildProvider } from '../harness/build/bundle.js';
import { REFERENCE_PROVIDERS } from '../harness/build/reference.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

for (const name of REFERENCE_PROVIDERS) {
  await buildProvider(join(root, 'providers', name), join(root, 'dist', 'providers', name));
}
