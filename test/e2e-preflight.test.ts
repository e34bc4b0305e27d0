// `npm run test:e2e` where it cannot run: not root, or no unshare/nsenter. It must say so and exit
// non-zero before touching anything, never pass silently. (The e2e run itself is `npm run
// test:e2e`, in CI after these tests: it needs root, Ceph and GlusterFS.)

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { REPO_ROOT } from './helpers/cli.js';

const E2E = join(REPO_ROOT, 'dist', 'e2e', 'main.js');

// Started through `env -i`: tap's process tracking would otherwise put its hooks back into the
// environment of the e2e process (test/helpers/run-fixtures.ts, cliEnvironment).

t.test(
  'not root: it says so, tests nothing, and exits 1',
  {
    skip:
      process.getuid?.() === 0 && existsSync('/usr/bin/setpriv')
        ? false
        : 'needs root and setpriv to become another user',
  },
  async (t) => {
    const r = spawnSync(
      '/usr/bin/env',
      [
        '-i',
        `PATH=${process.env.PATH ?? ''}`,
        '/usr/bin/setpriv',
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        process.execPath,
        E2E,
      ],
      { encoding: 'utf8' },
    );
    t.equal(r.status, 1);
    t.equal(r.stdout, '', 'no TAP at all: nothing was run, so nothing can look like a pass');
    t.equal(
      r.stderr,
      'e2e: cannot run: the e2e tests need root (loop devices, mounts, namespaces): run as root\ne2e: nothing was tested\n',
    );
  },
);

t.test('no unshare or nsenter on PATH: it names what is missing and its package, and exits 1', async (t) => {
  const r = spawnSync('/usr/bin/env', ['-i', 'PATH=/nonexistent', process.execPath, E2E], { encoding: 'utf8' });
  t.equal(r.status, 1);
  t.equal(r.stdout, '');
  t.match(r.stderr, '`unshare` not found (Debian package util-linux)');
  t.match(r.stderr, '`nsenter` not found (Debian package util-linux)');
  t.match(r.stderr, /e2e: nothing was tested\n$/);
});
