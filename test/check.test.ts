// checkProvider on provider directories built for real: Ganeti's verdict, then the warnings.

import { chmodSync, mkdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { checkProvider } from '../harness/provider/check.js';
import { makeProvider, tempDir } from './helpers/provider-dir.js';

const codes = (dir: string) => checkProvider(dir).problems.map((p) => p.code);

t.test('a complete provider is valid and clean', async (t) => {
  const dir = makeProvider(tempDir(t), 'rbd', { parameters: 'pool The Ceph pool\ncephx_id   the user\n' });
  t.same(checkProvider(dir), {
    provider: 'rbd',
    valid: true,
    problems: [],
    parameters: [
      { name: 'pool', description: 'The Ceph pool' },
      { name: 'cephx_id', description: 'the user' },
    ],
    optional: { snapshot: true, open: true, close: true },
  });
});

t.test('optional scripts may be absent', async (t) => {
  const result = checkProvider(makeProvider(tempDir(t), 'p', { optional: false }));
  t.equal(result.valid, true);
  t.same(result.optional, { snapshot: false, open: false, close: false });
});

t.test('each required file missing makes the provider invalid', async (t) => {
  for (const file of ['create', 'attach', 'detach', 'remove', 'grow', 'setinfo', 'verify', 'parameters.list']) {
    const dir = makeProvider(tempDir(t));
    unlinkSync(join(dir, file));
    const result = checkProvider(dir);
    t.equal(result.valid, false, file);
    t.match(result.problems, [{ severity: 'error', file }], file);
  }
});

t.test('the owner-execute bit is what counts, on optional scripts too', async (t) => {
  const dir = makeProvider(tempDir(t));
  chmodSync(join(dir, 'attach'), 0o644);
  t.match(checkProvider(dir), { valid: false, problems: [{ code: 'not-executable', file: 'attach' }] });
  chmodSync(join(dir, 'attach'), 0o011);
  t.equal(checkProvider(dir).valid, false, 'group and other execute are not enough');
  chmodSync(join(dir, 'attach'), 0o100);
  t.equal(checkProvider(dir).valid, true, 'owner execute alone is enough');
  chmodSync(join(dir, 'open'), 0o644);
  t.match(checkProvider(dir), { valid: false, problems: [{ code: 'not-executable', file: 'open' }] });
  chmodSync(join(dir, 'parameters.list'), 0o000);
  chmodSync(join(dir, 'open'), 0o755);
  t.equal(
    checkProvider(dir).valid,
    process.getuid?.() === 0,
    'parameters.list needs no execute bit; unreadable only matters to non-root',
  );
});

t.test('not a regular file, even for an optional script', async (t) => {
  const dir = makeProvider(tempDir(t));
  rmSync(join(dir, 'snapshot'));
  mkdirSync(join(dir, 'snapshot'));
  t.match(checkProvider(dir), {
    valid: false,
    problems: [{ code: 'not-regular-file', file: 'snapshot' }],
    optional: { snapshot: true },
  });
  const dir2 = makeProvider(tempDir(t));
  rmSync(join(dir2, 'parameters.list'));
  mkdirSync(join(dir2, 'parameters.list'));
  t.match(checkProvider(dir2), { valid: false, problems: [{ code: 'not-regular-file', file: 'parameters.list' }] });
});

t.test('symlinks are followed', async (t) => {
  const parent = tempDir(t);
  const dir = makeProvider(parent);
  // The Python style: every script a link to one entry point.
  writeFileSync(join(dir, 'main.py'), '#!/bin/sh\nexit 0\n');
  chmodSync(join(dir, 'main.py'), 0o755);
  for (const s of ['create', 'attach', 'detach']) {
    unlinkSync(join(dir, s));
    symlinkSync('main.py', join(dir, s));
  }
  t.equal(checkProvider(dir).valid, true, 'links to an executable file');
  chmodSync(join(dir, 'main.py'), 0o644);
  t.match(checkProvider(dir), { valid: false, problems: [{ code: 'not-executable' }] }, 'the target mode counts');
  chmodSync(join(dir, 'main.py'), 0o755);
  unlinkSync(join(dir, 'close'));
  symlinkSync('nowhere', join(dir, 'close'));
  t.match(
    checkProvider(dir),
    { valid: true, optional: { close: false } },
    'a dangling optional link is a missing optional script',
  );
  unlinkSync(join(dir, 'verify'));
  symlinkSync('nowhere', join(dir, 'verify'));
  t.match(checkProvider(dir), {
    valid: false,
    problems: [{ code: 'missing-script', file: 'verify', message: /symlink/ }],
  });
  symlinkSync(dir, join(parent, 'alias'));
  t.equal(checkProvider(join(parent, 'alias')).provider, 'alias', 'the name is the directory entry Ganeti finds');
});

t.test('the directory itself', async (t) => {
  const parent = tempDir(t);
  t.match(checkProvider(join(parent, 'none')), {
    valid: false,
    provider: 'none',
    problems: [{ code: 'provider-missing', file: '.' }],
  });
  writeFileSync(join(parent, 'file'), '');
  t.match(checkProvider(join(parent, 'file')), { valid: false, problems: [{ code: 'provider-not-directory' }] });
  t.equal(checkProvider(makeProvider(parent, 'slash') + '/').provider, 'slash');
});

t.test('parameters.list is read as Ganeti reads it', async (t) => {
  const dir = makeProvider(tempDir(t), 'p', {
    parameters: '  pool   the  pool  \nplain\r\nwith\ttab\n\nbad-name x\nPOOL again\n',
  });
  const result = checkProvider(dir);
  t.equal(result.valid, true, 'Ganeti loads it all the same');
  t.same(result.parameters, [
    { name: 'pool', description: 'the  pool  ' },
    { name: 'plain', description: '' },
    { name: 'with', description: 'tab' },
    { name: 'bad-name', description: 'x' },
    { name: 'POOL', description: 'again' },
  ]);
  t.same(
    codes(dir).sort(),
    ['parameter-duplicate', 'parameter-name-invalid', 'parameter-no-description', 'parameters-blank-line'].sort(),
  );
  const empty = makeProvider(tempDir(t), 'e', { parameters: '' });
  t.match(checkProvider(empty), { valid: true, parameters: [], problems: [] });
});

t.test('script warnings: Ganeti loads these, but they will not run as meant', async (t) => {
  const dir = makeProvider(tempDir(t));
  const script = (name: string, body: string) => writeFileSync(join(dir, name), body);
  script('create', '');
  script('attach', 'echo /dev/x\n');
  script('detach', '#!/no/such/interpreter\n');
  script('remove', '#!/usr/bin/env no-such-program-here\n');
  script('grow', '#!/usr/bin/env sh -e\n');
  script('setinfo', '#!/bin/sh\r\nexit 0\r\n');
  script('verify', '#!/usr/bin/env -S sh -e\nexit 0\n');
  writeFileSync(join(dir, 'open'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0]));
  const result = checkProvider(dir);
  t.equal(result.valid, true);
  const byFile = Object.fromEntries(result.problems.map((p) => [p.file, p]));
  t.match(byFile, {
    create: { code: 'empty-script', severity: 'warning' },
    attach: { code: 'no-shebang', severity: 'warning' },
    detach: { code: 'shebang-interpreter-missing', severity: 'warning' },
    remove: { code: 'shebang-interpreter-missing', message: /no-such-program-here/ },
    grow: { code: 'shebang-interpreter-missing', message: /env -S/ },
    setinfo: { code: 'shebang-crlf' },
  });
  t.notOk(byFile.verify, 'env -S with a program on PATH is fine');
  t.notOk(byFile.open, 'an ELF binary needs no #!');
});
