// Where the running kit was installed from, as an npm spec a new project can depend on: the project
// `new` writes must install the same kit (registry version, tarball, git revision or directory), or
// its `npm ci && npm test` fetches another kit, or none when the kit is not on the registry.
//
// npm 7+ writes no _resolved/_from into an installed package.json any more. What it installed from
// is in the lockfile of the project that holds the package, keyed by the package's path relative to
// that project: node_modules/.package-lock.json (the hidden lockfile, written for --no-save installs
// and in npx's cache too), else package-lock.json or npm-shrinkwrap.json.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

export interface KitSource {
  /** The dependency spec for the new project's package.json. */
  readonly spec: string;
  /** How it was found, for the user. */
  readonly origin: string;
  /** Set when the spec is a guess the user should check. */
  readonly warning?: string;
}

const LOCKFILES = [join('node_modules', '.package-lock.json'), 'npm-shrinkwrap.json', 'package-lock.json'];
const NAME = 'extstorage-kit';

/** A `file:` spec for `target` as seen from `projectDir` (npm resolves it relative to package.json). */
function fileSpec(target: string, projectDir: string): string {
  const rel = relative(projectDir, target);
  const path = rel === '' ? '.' : isAbsolute(rel) ? rel : rel.split(sep).join('/');
  return `file:${path}`;
}

interface LockEntry {
  readonly resolved?: unknown;
}

/** The lockfile entry npm wrote for the package at packageRoot, with the project root it is relative to. */
function lockEntry(packageRoot: string): { root: string; lockfile: string; entry: LockEntry } | undefined {
  for (let root = dirname(packageRoot); ; root = dirname(root)) {
    const key = relative(root, packageRoot).split(sep).join('/');
    for (const name of LOCKFILES) {
      const lockfile = join(root, name);
      if (!existsSync(lockfile)) continue;
      let packages: unknown;
      try {
        packages = (JSON.parse(readFileSync(lockfile, 'utf8')) as { packages?: unknown }).packages;
      } catch {
        continue; // a broken lockfile says nothing about this package
      }
      if (typeof packages !== 'object' || packages === null) continue;
      const entry = (packages as Record<string, unknown>)[key];
      if (typeof entry === 'object' && entry !== null) return { root, lockfile, entry };
    }
    if (dirname(root) === root) return undefined;
  }
}

/** A registry tarball URL as npm writes it: .../<name>/-/<name>-<version>.tgz. */
function isRegistryTarball(url: string, version: string): boolean {
  return url.endsWith(`/${NAME}/-/${NAME}-${version}.tgz`);
}

/**
 * The spec of the kit at packageRoot (version `version`) for a project created in projectDir.
 * A kit outside any node_modules is a checkout or a linked directory: the project links to it.
 */
export function kitSource(packageRoot: string, projectDir: string, version: string): KitSource {
  const root = resolve(packageRoot);
  if (!root.split(sep).includes('node_modules'))
    return { spec: fileSpec(root, projectDir), origin: `the directory the running kit is in (${root})` };

  const registry: KitSource = { spec: `^${version}`, origin: 'the npm registry' };
  const found = lockEntry(root);
  if (found === undefined)
    return {
      ...registry,
      warning: `no package-lock records where ${root} came from; the project asks the npm registry for ${NAME}@^${version}: pass --kit-spec to choose another source`,
    };
  const { resolved } = found.entry;
  const where = found.lockfile;
  // npm leaves "resolved" out only for registry packages (omit-lockfile-registry-resolved).
  if (resolved === undefined) return { ...registry, origin: `the npm registry, per ${where}` };
  if (typeof resolved !== 'string' || resolved === '')
    return {
      ...registry,
      warning: `${where} has an unreadable "resolved" for ${NAME}; the project asks the npm registry for ${NAME}@^${version}: pass --kit-spec to choose another source`,
    };
  if (/^(git\+|git:|github:|gitlab:|bitbucket:)/.test(resolved))
    return { spec: resolved, origin: `the git revision it was installed from, per ${where}` };
  if (resolved.startsWith('file:')) {
    const target = resolve(found.root, resolved.slice('file:'.length));
    const source: KitSource = {
      spec: fileSpec(target, projectDir),
      origin: `the file it was installed from, per ${where}`,
    };
    return existsSync(target)
      ? source
      : { ...source, warning: `${target}, which the kit was installed from, does not exist any more` };
  }
  if (/^https?:/.test(resolved))
    return isRegistryTarball(resolved, version)
      ? { ...registry, origin: `the npm registry, per ${where}` }
      : { spec: resolved, origin: `the URL it was installed from, per ${where}` };
  return {
    ...registry,
    warning: `${where} records ${NAME} as resolved from ${JSON.stringify(resolved)}, which is not a source this kit knows; the project asks the npm registry for ${NAME}@^${version}: pass --kit-spec to choose another source`,
  };
}
