// Which files a path given to the loader stands for: a directory, every *.yaml and *.yml file
// under it. Whether each can be read (a regular file, not too big) is read-source.ts's question.

import { readdirSync, realpathSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/** Every *.yaml and *.yml file under `dir`, depth first, entries sorted by name (code units). */
export function yamlFilesUnder(dir: string, visited = new Set<string>()): string[] {
  const real = realPath(dir);
  if (visited.has(real)) return [];
  visited.add(real);
  const out: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  } catch {
    return out;
  }
  for (const name of names) {
    const path = join(dir, name);
    let stats;
    try {
      stats = statSync(path);
    } catch {
      continue; // a dangling symlink
    }
    if (stats.isDirectory()) out.push(...yamlFilesUnder(path, visited));
    // Not only regular files: a FIFO or device named *.yaml is refused by name, not skipped unseen.
    else if (/\.ya?ml$/.test(name)) out.push(path);
  }
  return out;
}
