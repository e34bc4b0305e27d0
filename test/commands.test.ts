// new, build and install as real processes: a project from each template builds and passes its
// own scenarios at once; install copies with the right modes and never overwrites by surprise.

import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import t from 'tap';
import { kitSource } from '../harness/commands/kit-source.js';
import { REPO_ROOT, runCli } from './helpers/cli.js';
import { makeProvider, tempDir } from './helpers/provider-dir.js';

for (const template of ['legacy', 'rbd', 'gluster']) {
  t.test(`new --from ${template}: builds and passes its own scenarios at once`, async (t) => {
    const parent = tempDir(t);
    const dir = join(parent, `my-${template}`);
    const created = runCli(['new', `my-${template}`, '--from', template, '--dir', dir]);
    t.equal(created.code, 0, created.stderr);
    t.match(created.stdout, new RegExp(`created my-${template} \\(from ${template}\\)`));
    for (const file of ['provider.ts', 'lib/runtime.ts', 'README.md', 'package.json', 'tsconfig.json', '.gitignore'])
      t.ok(existsSync(join(dir, file)), file);
    t.match(readFileSync(join(dir, 'provider.ts'), 'utf8'), new RegExp(`name: 'my-${template}'`));
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    t.match(pkg, { scripts: { build: 'extstorage-kit build .' } });
    // This kit runs from a checkout: the project links to it.
    const kit = pkg.devDependencies['extstorage-kit'] ?? '';
    t.match(kit, /^file:/);
    t.equal(resolve(dir, kit.slice('file:'.length)), resolve(REPO_ROOT), 'the dependency is this checkout');
    t.match(created.stdout, /depends on extstorage-kit file:\S+ \(the directory the running kit is in/);
    const check = runCli(['check', join(dir, 'dist', `my-${template}`), '--json']);
    t.match(JSON.parse(check.stdout), { provider: `my-${template}`, valid: true, problems: [] });
    const run = runCli(['run', join(dir, 'scenarios')], { cwd: dir });
    t.equal(run.code, 0, run.stdout);
    t.match(run.stdout, / passed, 0 failed/);
    const rebuilt = runCli(['build', dir]);
    t.equal(rebuilt.code, 0, rebuilt.stderr);
    t.match(rebuilt.stdout, new RegExp(`built my-${template} into`));
  });
}

t.test('new: usage errors', async (t) => {
  const parent = tempDir(t);
  t.match(runCli(['new', 'x']), { code: 2, stderr: /--from is required/ });
  t.match(runCli(['new', 'x', '--from', 'zfs']), { code: 2, stderr: /expected one of legacy, rbd, gluster/ });
  t.match(runCli(['new', 'Bad Name', '--from', 'rbd']), { code: 2, stderr: /provider name/ });
  writeFileSync(join(parent, 'occupied'), 'x');
  t.match(runCli(['new', 'x', '--from', 'rbd', '--dir', parent]), { code: 2, stderr: /exists and is not empty/ });
  t.match(runCli(['new', 'x', '--from', 'rbd', '--kit-spec', 'file:a b.tgz', '--dir', join(parent, 'x')]), {
    code: 2,
    stderr: /--kit-spec "file:a b\.tgz": expected an npm spec with no spaces/,
  });
  t.notOk(existsSync(join(parent, 'x')), 'nothing created');
});

t.test('new --kit-spec: the project depends on the kit as given', async (t) => {
  const dir = join(tempDir(t), 'k');
  const spec = 'git+https://git.example.org/extstorage-kit.git#v0.1.0';
  const created = runCli(['new', 'k', '--from', 'legacy', '--dir', dir, '--kit-spec', spec]);
  t.equal(created.code, 0, created.stderr);
  t.match(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')), { devDependencies: { 'extstorage-kit': spec } });
  t.match(created.stdout, `depends on extstorage-kit ${spec} (--kit-spec)`);
  t.match(runCli(['new', '--help']).stdout, /--kit-spec SPEC/);
});

t.test('kitSource: where an installed kit came from, by the lockfile npm wrote', async (t) => {
  /** A project at root/app with the kit installed in it, and the lockfile npm would write. */
  function installed(lockName: string, entry: Record<string, unknown> | undefined) {
    const root = tempDir(t);
    const app = join(root, 'app');
    const kit = join(app, 'node_modules', 'extstorage-kit');
    mkdirSync(kit, { recursive: true });
    if (entry !== undefined)
      writeFileSync(
        join(app, lockName),
        JSON.stringify({ lockfileVersion: 3, packages: { '': {}, 'node_modules/extstorage-kit': entry } }),
      );
    return { root, app, kit, project: join(app, 'zz') };
  }
  const HIDDEN = join('node_modules', '.package-lock.json');

  const registry = installed(HIDDEN, { version: '0.1.0', integrity: 'sha512-x' });
  t.match(kitSource(registry.kit, registry.project, '0.1.0'), { spec: '^0.1.0', origin: /npm registry/ });
  t.notOk(kitSource(registry.kit, registry.project, '0.1.0').warning, 'no "resolved": the registry, no warning');

  const url = installed('package-lock.json', {
    version: '0.1.0',
    resolved: 'https://registry.npmjs.org/extstorage-kit/-/extstorage-kit-0.1.0.tgz',
  });
  t.match(kitSource(url.kit, url.project, '0.1.0'), { spec: '^0.1.0', origin: /npm registry/ });

  const remote = installed(HIDDEN, { resolved: 'https://example.org/dl/extstorage-kit-0.1.0.tgz' });
  t.match(kitSource(remote.kit, remote.project, '0.1.0'), { spec: 'https://example.org/dl/extstorage-kit-0.1.0.tgz' });

  const git = installed(HIDDEN, { resolved: 'git+ssh://git@github.com/o/extstorage-kit.git#0123abcd' });
  t.match(kitSource(git.kit, git.project, '0.1.0'), {
    spec: 'git+ssh://git@github.com/o/extstorage-kit.git#0123abcd',
    origin: /git revision/,
  });

  const tarball = installed(HIDDEN, { resolved: 'file:../pack/extstorage-kit-0.1.0.tgz' });
  mkdirSync(join(tarball.root, 'pack'));
  writeFileSync(join(tarball.root, 'pack', 'extstorage-kit-0.1.0.tgz'), '');
  const fromTarball = kitSource(tarball.kit, tarball.project, '0.1.0');
  t.match(fromTarball, { spec: 'file:../../pack/extstorage-kit-0.1.0.tgz', origin: /the file it was installed from/ });
  t.notOk(fromTarball.warning);
  t.equal(
    kitSource(tarball.kit, join(tarball.root, 'elsewhere', 'zz'), '0.1.0').spec,
    'file:../../pack/extstorage-kit-0.1.0.tgz',
  );

  const gone = installed(HIDDEN, { resolved: 'file:../gone.tgz' });
  t.match(kitSource(gone.kit, gone.project, '0.1.0'), {
    spec: 'file:../../gone.tgz',
    warning: /does not exist any more/,
  });

  const none = installed(HIDDEN, undefined);
  t.match(kitSource(none.kit, none.project, '0.1.0'), { spec: '^0.1.0', warning: /pass --kit-spec/ });

  const odd = installed(HIDDEN, { resolved: 'svn://x' });
  t.match(kitSource(odd.kit, odd.project, '0.1.0'), { spec: '^0.1.0', warning: /not a source this kit knows/ });

  const checkout = tempDir(t);
  t.match(kitSource(join(checkout, 'kit'), join(checkout, 'zz'), '0.1.0'), {
    spec: 'file:../kit',
    origin: /the directory the running kit is in/,
  });
});

t.test("build: a project with a broken provider.ts fails with the compiler's position", async (t) => {
  const parent = tempDir(t);
  const dir = join(parent, 'p');
  t.equal(runCli(['new', 'p', '--from', 'legacy', '--dir', dir]).code, 0);
  writeFileSync(
    join(dir, 'provider.ts'),
    readFileSync(join(dir, 'provider.ts'), 'utf8').replace('export const provider', 'export const provider = ;'),
  );
  const r = runCli(['build', dir]);
  t.equal(r.code, 1);
  t.match(r.stderr, /provider\.ts:\d+:\d+: /);
});

t.test('install: copies with the right modes, refuses to overwrite without --force', async (t) => {
  const parent = tempDir(t);
  const target = join(parent, 'search', 'legacy');
  const first = runCli(['install', 'legacy', '--to', target]);
  t.equal(first.code, 0, first.stderr);
  t.equal(statSync(join(target, 'attach')).mode & 0o777, 0o755);
  t.equal(statSync(join(target, 'parameters.list')).mode & 0o777, 0o644);
  t.equal(statSync(target).mode & 0o777, 0o755);
  t.match(runCli(['check', target]), { code: 0 });
  writeFileSync(join(target, 'marker'), 'old');
  const again = runCli(['install', 'legacy', '--to', target]);
  t.equal(again.code, 1);
  t.match(again.stderr, /already exists; use --force/);
  t.ok(existsSync(join(target, 'marker')), 'nothing was touched');
  const forced = runCli(['install', 'legacy', '--to', target, '--force']);
  t.equal(forced.code, 0, forced.stderr);
  t.notOk(existsSync(join(target, 'marker')), 'replaced whole');
});

t.test('install: an invalid provider is refused; usage errors', async (t) => {
  const parent = tempDir(t);
  const bad = makeProvider(parent, 'bad');
  chmodSync(join(bad, 'attach'), 0o644);
  const r = runCli(['install', bad, '--to', join(parent, 'out')]);
  t.equal(r.code, 1);
  t.match(r.stderr, /not a valid provider/);
  t.notOk(existsSync(join(parent, 'out')));
  t.match(runCli(['install']), { code: 2 });
  t.match(runCli(['install', join(parent, 'nope')]), {
    code: 2,
    stderr: /neither a directory nor a reference provider/,
  });
});
