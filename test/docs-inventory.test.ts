// The documentation's commands and the doc test's table agree: every command README.md, docs/*.md
// and each --help show has an expectation in test/helpers/doc-world.ts (and every expectation is
// still shown); those CI runs are in .ci/run; those only a real Ceph can run are exactly an e2e stage.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { STAGES, type StageEnvironment } from '../e2e/stages.js';
import { REPO_ROOT } from './helpers/cli.js';
import { allDocumented, EXPECTED, words } from './helpers/doc-world.js';

t.test('every documented command has an expectation here, and every expectation is documented', async (t) => {
  const documented = allDocumented();
  t.ok(documented.length > 40, `found ${documented.length} documented commands`);
  const missing = documented.filter((d) => EXPECTED[d.command] === undefined);
  t.strictSame(
    missing.map((d) => `${d.source}: ${d.command}`),
    [],
    'documented but untested: add each to EXPECTED with the exit status it should have',
  );
  const shown = new Set(documented.map((d) => d.command));
  t.strictSame(
    Object.keys(EXPECTED).filter((c) => !shown.has(c)),
    [],
    'in EXPECTED but no longer documented',
  );
});

t.test('the commands CI runs for the docs are in .ci/run', async (t) => {
  const ci = readFileSync(join(REPO_ROOT, '.ci/run'), 'utf8');
  for (const [command, e] of Object.entries(EXPECTED))
    if ('ci' in e)
      t.ok(
        ci.split('\n').some((line) => line.trim().startsWith(e.ci)),
        `${command}: .ci/run runs ${e.ci}`,
      );
});

t.test('the commands only a real Ceph can run are exactly what an e2e stage runs', async (t) => {
  const env: StageEnvironment = {
    repo: REPO_ROOT,
    workDir: '/work',
    glusterMount: '/mnt/gluster',
    ganeti: { available: false, reason: 'not needed to read a command line' },
  };
  for (const [command, e] of Object.entries(EXPECTED)) {
    if (!('e2e' in e)) continue;
    const stage = STAGES.find((s) => s.name === e.e2e);
    t.ok(stage?.args !== undefined, `${command}: the e2e stage "${e.e2e}" runs a command`);
    const argv = words(command);
    t.strictSame(stage?.args ? stage.args(env) : undefined, argv.slice(argv.indexOf('extstorage-kit') + 1), command);
  }
});
