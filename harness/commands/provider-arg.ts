// A <provider-dir> argument of run and test: a provider directory as Ganeti loads it, or a provider
// project (provider.ts, e.g. providers/rbd or one made by "new"), which stands for its build.

import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { isReferenceProvider, referenceBuild } from '../build/reference.js';
import { UsageError } from '../cli/command.js';

/** A provider project: its provider.ts is there, its scripts are not (they are in its build). */
export function isProviderProject(dir: string): boolean {
  try {
    return statSync(dir).isDirectory() && existsSync(join(dir, 'provider.ts')) && !existsSync(join(dir, 'attach'));
  } catch {
    return false;
  }
}

/**
 * The provider directory a project stands for: the reference build for providers/<name>, else the
 * project's dist/<name>. A project not built yet is a usage error that says how to build it.
 */
export function projectBuild(arg: string): string {
  const dir = resolve(arg);
  const name = basename(dir);
  const built =
    isReferenceProvider(name) && existsSync(referenceBuild(name)) ? referenceBuild(name) : join(dir, 'dist', name);
  if (!existsSync(built))
    throw new UsageError(
      `${arg} is a provider project; build it first ("npm run build" or "extstorage-kit build ${arg}")`,
    );
  return built;
}
