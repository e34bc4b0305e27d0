// The reference providers shipped with the kit, and where their sources and builds are.

import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const REFERENCE_PROVIDERS = ['legacy', 'rbd', 'gluster'] as const;
export type ReferenceProvider = (typeof REFERENCE_PROVIDERS)[number];

/** The package root (where package.json is), from dist/harness/build/. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

export function isReferenceProvider(name: string): name is ReferenceProvider {
  return (REFERENCE_PROVIDERS as readonly string[]).includes(name);
}

export const referenceSource = (name: ReferenceProvider) => join(PACKAGE_ROOT, 'providers', name);
export const referenceBuild = (name: ReferenceProvider) => join(PACKAGE_ROOT, 'dist', 'providers', name);
