// The documentation's commands and the doc test's table agree: every command README.md, docs/*.md
// and each --help show has an expectation in test/helpers/doc-world.ts (and every expectation is
// still shown); those CI runs are in .ci/run; those that cannot run as written name the test that runs their route.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { REPO_ROOT } from './helpers/cli.js';
import { allDocumented, EXPECTED } from './helpers/doc-world.js';

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
        // As a command of its own on a line: at its start or after ; & | or "then".
        ci.split('\n').some((line) => new RegExp(`(^|[;&|]|\\bthen) *${e.ci}( |$)`).test(line.trim())),
        `${command}: .ci/run runs ${e.ci}`,
      );
});

t.test('the commands that cannot run as written name the test that runs their route', async (t) => {
  for (const [command, e] of Object.entries(EXPECTED)) {
    if (!('by' in e)) continue;
    t.ok(existsSync(join(REPO_ROOT, e.by)), `${command}: ${e.by} (${e.why})`);
  }
});
