// Every way an author installs the kit, for real, each into a fresh folder that then gets a green
// `npx extstorage-kit test` of a bash provider: the tarball of `npm pack`, and a git URL (npm clones
// it, installs its devDependencies and runs `prepare`, which builds dist/). What the registry would
// get is checked with `npm publish --dry-run`. The tarball route also starts a project with `new`,
// whose `npm ci && npm test` must install this same kit and pass.
//
// Slow (npm installs, the git route builds the kit): one install per route.

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import t, { type Test } from 'tap';
import { REPO_ROOT } from './helpers/cli.js';
import { OFFLINE, bashProvider, packKit, sh, shown } from './helpers/install.js';
import { tempDir } from './helpers/provider-dir.js';

// npm installs and builds: more than tap's per-file timeout under load.
t.setTimeout(1_200_000);

const ROUTE = { timeout: 900_000 };
const GREEN = /^Verdict: compatible with every Ganeti release \(2\.7\.0 to 3\.1\.0\)\.$/m;

/** A fresh author's folder with a bash provider and its backend file; nothing installed. */
function authorFolder(parent: string): string {
  const dir = join(parent, 'author');
  mkdirSync(join(dir, 'ci'), { recursive: true });
  bashProvider(dir);
  return dir;
}

/** What the docs tell an author to run after installing. */
function conformance(t: Test, dir: string): void {
  const run = sh('npx', ['extstorage-kit', 'test', './provider', '--backend', 'ci/backend.yaml'], dir);
  t.equal(run.code, 0, 'test exits 0', { output: shown(run) });
  t.match(run.stdout, GREEN, 'a green verdict');
}

t.test(
  'the tarball of npm pack: install, test, and a project from new that installs the same kit',
  ROUTE,
  async (t) => {
    const tmp = tempDir(t, 'esk-route-tgz-');
    const tarball = packKit(join(tmp, 'pack'));
    const dir = authorFolder(tmp);

    const install = sh('npm', ['install', '--no-save', ...OFFLINE, tarball], dir);
    t.equal(install.code, 0, 'npm install <tarball>', { output: shown(install) });
    t.ok(existsSync(join(dir, 'node_modules', '.bin', 'extstorage-kit')), 'extstorage-kit is on npx PATH');
    conformance(t, dir);

    const created = sh('npx', ['extstorage-kit', 'new', 'zz', '--from', 'rbd'], dir);
    t.equal(created.code, 0, 'new zz --from rbd', { output: shown(created) });
    const project = join(dir, 'zz');
    const pkg = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
    };
    const spec = pkg.devDependencies['extstorage-kit'] ?? '';
    t.match(spec, /^file:/, 'the project depends on the kit by file');
    t.equal(resolve(project, spec.slice('file:'.length)), tarball, '... on the tarball it was installed from');
    t.match(created.stdout, /its package\.json depends on extstorage-kit file:\S+ \(the file it was installed from/);
    t.equal(created.stderr, '', 'no warning');

    // The lockfile an author commits, then what CI runs.
    const lock = sh('npm', ['install', '--package-lock-only', ...OFFLINE], project);
    t.equal(lock.code, 0, 'npm install --package-lock-only', { output: shown(lock) });
    const ci = sh('npm', ['ci', ...OFFLINE], project);
    t.equal(ci.code, 0, 'npm ci in the project', { output: shown(ci) });
    const test = sh('npm', ['test'], project);
    t.equal(test.code, 0, 'npm test in the project', { output: shown(test) });
    t.match(test.stdout, /^\d+ passed, 0 failed, 0 skipped in /m, 'its scenarios pass');
  },
);

const HEAD = sh('git', ['rev-parse', 'HEAD'], REPO_ROOT);
const GIT_ROUTE = { ...ROUTE, skip: HEAD.code === 0 ? false : `not a git checkout: ${HEAD.stderr.trim()}` };

t.test('a git URL: npm clones it, prepare builds it, and it tests a provider', GIT_ROUTE, async (t) => {
  const dirty = sh('git', ['status', '--porcelain', '--untracked-files=no'], REPO_ROOT);
  if (dirty.stdout !== '') t.comment('uncommitted changes are not in this route: it installs the commit at HEAD');
  const tmp = tempDir(t, 'esk-route-git-');
  const clone = join(tmp, 'clone');
  const cloned = sh('git', ['clone', '--quiet', REPO_ROOT, clone], tmp);
  t.equal(cloned.code, 0, 'git clone', { output: shown(cloned) });
  const commit = HEAD.stdout.trim();
  const dir = authorFolder(tmp);

  const install = sh('npm', ['install', '--no-save', ...OFFLINE, `git+file://${clone}#${commit}`], dir);
  t.equal(install.code, 0, 'npm install git+file://...', { output: shown(install) });
  t.ok(existsSync(join(dir, 'node_modules', 'extstorage-kit', 'dist', 'harness', 'cli.js')), 'prepare built dist/');
  conformance(t, dir);
});

interface Packed {
  readonly files: readonly { readonly path: string }[];
}

t.test('what the registry would get: npm publish --dry-run is clean', async (t) => {
  const run = sh('npm', ['publish', '--dry-run', '--ignore-scripts', '--json'], REPO_ROOT);
  t.equal(run.code, 0, 'npm publish --dry-run', { output: shown(run) });
  // Not being logged in is the only thing a dry run may warn about here.
  const warnings = run.stderr
    .split('\n')
    .filter((l) => /^npm warn/i.test(l) && !l.includes('requires you to be logged in'));
  t.same(warnings, [], 'no warning (a field npm would correct, a bin it would drop...)');
  const json = JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))) as Packed | Record<string, Packed>;
  const packed: Packed = 'files' in json ? (json as Packed) : Object.values(json)[0]!;
  const files = new Set(packed.files.map((f) => f.path));

  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    bin: Record<string, string>;
    main: string;
    types: string;
    exports: Record<string, Record<string, string>>;
    engines: Record<string, string>;
  };
  const named = [
    ...Object.values(pkg.bin),
    pkg.main,
    pkg.types,
    ...Object.values(pkg.exports).flatMap((e) => Object.values(e)),
  ].map((p) => p.replace(/^\.\//, ''));
  for (const path of named) t.ok(files.has(path), `${path} (named in package.json) is in the tarball`);
  t.match(pkg.engines, { node: />=\s*20/ }, 'engines names Node 20');
  for (const needed of ['README.md', 'spec/SPEC.md', 'spec/scenario.schema.json', 'providers/lib/runtime.ts'])
    t.ok(files.has(needed), `${needed} is in the tarball`);
  // The commands' code, and the compiled code that spares a command compiling it (scripts/bundle-cli.ts).
  for (const needed of ['dist/harness/cli-kit.cjs', 'dist/harness/cli-kit.cjs.v8-cache'])
    t.ok(files.has(needed), `${needed} is in the tarball`);
  for (const name of ['legacy', 'rbd', 'gluster'])
    t.ok(files.has(`dist/providers/${name}/attach`), `the ${name} build is in the tarball`);

  const junk = [...files].filter(
    (p) =>
      /^(test|e2e|bench|scripts|docs|harness|coverage|\.ci|node_modules)\//.test(p) ||
      /^dist\/(e2e|scripts|test)\//.test(p) ||
      p.endsWith('.map') ||
      /(^|\/)tsconfig\.json$/.test(p),
  );
  t.same(junk, [], 'no tests, fixtures, build scripts, source maps or tsconfig in the tarball');
});
