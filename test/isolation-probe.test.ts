// The isolation probe (harness/run/isolation/probe.ts), for real on this machine: the probe the
// commands start in the background while they read their scenarios finds the same level, for the
// same reasons, as the synchronous one, under every cap EXTSTORAGE_KIT_ISOLATION can set.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { REPO_ROOT } from './helpers/cli.js';

const PROBE = pathToFileURL(join(REPO_ROOT, 'dist', 'harness', 'run', 'isolation', 'probe.js')).href;

/** The probe's answer in a fresh process (the probe caches per process), run the one way or the other. */
function probe(way: 'sync' | 'background', cap: string | undefined): unknown {
  const code =
    way === 'sync'
      ? `import { probeIsolation } from ${JSON.stringify(PROBE)}; console.log(JSON.stringify(probeIsolation()));`
      : `import { probeIsolation, startIsolationProbe } from ${JSON.stringify(PROBE)}; await startIsolationProbe(); console.log(JSON.stringify(probeIsolation()));`;
  const env = { ...process.env };
  delete env.EXTSTORAGE_KIT_ISOLATION;
  if (cap !== undefined) env.EXTSTORAGE_KIT_ISOLATION = cap;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`probe (${way}, ${cap ?? 'no cap'}): ${r.stderr}`);
  return JSON.parse(r.stdout) as unknown;
}

for (const cap of [undefined, 'bwrap', 'unshare', 'none', 'sandboxed']) {
  t.test(`EXTSTORAGE_KIT_ISOLATION=${cap ?? '(unset)'}`, async (t) => {
    const sync = probe('sync', cap) as { level: string; reasons: string[] };
    t.same(probe('background', cap), sync, `the background probe says what the synchronous one says: ${sync.level}`);
    if (cap === 'none') t.equal(sync.level, 'none');
    if (cap === 'sandboxed') t.match(sync.reasons.join('\n'), /sandboxed is not one of none, unshare, bwrap: ignored/);
  });
}
