// Finding the real program behind a command the harness put first on PATH (a spy under `record`,
// a pass-through under `run --real`): the next one along PATH, as a shell would have found it.

import { accessSync, constants, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * The real program: the first executable `command` in the PATH entries after the spy directory
 * (all entries but the spy directory when it is not on PATH), as a shell would have found it.
 */
export function findReal(command: string, path: string, spyDir: string): string | null {
  const entries = path.split(':');
  const spy = resolve(spyDir);
  const last = entries.map((e) => resolve(e || '.')).lastIndexOf(spy);
  const rest = last >= 0 ? entries.slice(last + 1) : entries;
  for (const dir of rest) {
    if (resolve(dir || '.') === spy) continue;
    const candidate = join(dir || '.', command);
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
}
