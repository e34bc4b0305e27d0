// Builds provider directories in temp dirs for tests: real files, real modes, real symlinks.

import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPTIONAL_SCRIPTS, REQUIRED_SCRIPTS } from '../../harness/provider/layout.js';

export const SH_SCRIPT = '#!/bin/sh\nexit 0\n';

/** A temp dir removed when the test ends. */
export function tempDir(t: { teardown(fn: () => void): void }, prefix = 'esk-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A valid provider named `name` under `parent`: every script `#!/bin/sh`, mode 0755. */
export function makeProvider(
  parent: string,
  name = 'demo',
  options: { optional?: boolean; parameters?: string } = {},
): string {
  const dir = join(parent, name);
  mkdirSync(dir, { recursive: true });
  const scripts = options.optional === false ? REQUIRED_SCRIPTS : [...REQUIRED_SCRIPTS, ...OPTIONAL_SCRIPTS];
  for (const script of scripts) {
    writeFileSync(join(dir, script), SH_SCRIPT);
    chmodSync(join(dir, script), 0o755);
  }
  writeFileSync(join(dir, 'parameters.list'), options.parameters ?? 'pool the pool to use\n');
  return dir;
}
