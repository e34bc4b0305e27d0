// new, build and install as real processes: a project from each template builds and passes its
// own scenarios at once; install copies with the right modes and never overwrites by surprise.

import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from './helpers/cli.js';
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
    t.match(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')), {
      scripts: { build: 'extstorage-kit build .' },
    });
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
