// The reference providers' own scenario suites (what npm start runs) pass on the built providers.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from './helpers/cli.js';
import { tempDir } from './helpers/provider-dir.js';

t.test('every reference scenario passes on dist/providers', async (t) => {
  const json = join(tempDir(t), 'report.json');
  const r = runCli([
    'run',
    'providers/legacy/scenarios',
    'providers/rbd/scenarios',
    'providers/gluster/scenarios',
    '--json',
    json,
  ]);
  t.equal(r.code, 0, r.stdout + r.stderr);
  const report = JSON.parse(readFileSync(json, 'utf8')) as {
    passed: number;
    failed: number;
    results: { file: string }[];
  };
  t.equal(report.failed, 0);
  for (const provider of ['legacy', 'rbd', 'gluster']) {
    t.ok(
      report.results.filter((s) => s.file.includes(`providers/${provider}/`)).length >= 7,
      `${provider} has a suite`,
    );
  }
});
