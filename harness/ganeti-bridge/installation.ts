// Where Ganeti's own storage code is on this machine (`--through-ganeti`): its Python, its library
// folder, its release, and the bridge script (run_action.py) the kit runs in place of each script.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseGanetiVersion, UnsupportedVersionError } from '../ganeti/versions.js';

/** Debian's own interpreter: the one with the modules Ganeti imports (python3-openssl and others). */
export const DEFAULT_GANETI_PYTHON = '/usr/bin/python3';
/** Where Debian's ganeti-3.0 puts its Python code. */
export const DEFAULT_GANETI_LIB = '/usr/share/ganeti/3.0';

export interface GanetiInstallation {
  readonly python: string;
  readonly lib: string;
  /** The bridge script, from the kit's own package. */
  readonly bridge: string;
  /** Ganeti's own constants.RELEASE_VERSION, e.g. 3.0.2. */
  readonly release: string;
  /** The release the kit's model is asked about for the same output (major.minor.patch). */
  readonly modelVersion: string;
}

/** The kit's package folder: the nearest package.json named extstorage-kit above this module. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'extstorage-kit'
    )
      return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json of extstorage-kit above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** The bridge script Ganeti's Python runs (harness/ganeti-bridge/run_action.py, copied into dist/ by the build). */
export function bridgeScript(): string {
  return join(packageRoot(), 'dist', 'harness', 'ganeti-bridge', 'run_action.py');
}

/**
 * Ganeti's storage code as installed here, or what is missing, in words. `lib` defaults to
 * $EXTSTORAGE_KIT_GANETI_LIB, then Debian's folder; `python` to $EXTSTORAGE_KIT_GANETI_PYTHON, then
 * Debian's /usr/bin/python3.
 */
export function findGanetiInstallation(
  env: Readonly<Record<string, string | undefined>> = process.env,
): GanetiInstallation | { readonly problem: string } {
  const lib = env.EXTSTORAGE_KIT_GANETI_LIB ?? DEFAULT_GANETI_LIB;
  const python = env.EXTSTORAGE_KIT_GANETI_PYTHON ?? DEFAULT_GANETI_PYTHON;
  const module = join(lib, 'ganeti', 'storage', 'extstorage.py');
  if (!existsSync(module))
    return {
      problem: `Ganeti's storage code is not at ${module}: install Ganeti (Debian: apt-get install ganeti-3.0) or set EXTSTORAGE_KIT_GANETI_LIB to the folder holding its ganeti/ package`,
    };
  if (!existsSync(python))
    return { problem: `no ${python} to run Ganeti's code with (set EXTSTORAGE_KIT_GANETI_PYTHON)` };
  const bridge = bridgeScript();
  if (!existsSync(bridge)) return { problem: `the kit's bridge script is missing: ${bridge} (a broken install?)` };
  const probe = `import sys; sys.path.insert(0, sys.argv[1]); from ganeti.storage import extstorage; from ganeti import constants; print(constants.RELEASE_VERSION)`;
  let release: string;
  try {
    release = execFileSync(python, ['-c', probe, lib], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (error) {
    const output = (error as { stderr?: string }).stderr;
    const stderr = (typeof output === 'string' ? output : '').trim().split('\n').pop() ?? '';
    return {
      problem: `${python} cannot load Ganeti's storage code from ${lib}: ${stderr || (error as Error).message}`,
    };
  }
  try {
    parseGanetiVersion(release);
  } catch (error) {
    if (error instanceof UnsupportedVersionError)
      return {
        problem: `Ganeti ${release} at ${lib}: the kit has no model of this release to compare with (${error.message})`,
      };
    throw error;
  }
  return { python, lib, bridge, release, modelVersion: release };
}
