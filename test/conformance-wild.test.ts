// The conformance suite on providers written the way they are in the wild (test/fixtures/wild/,
// FLAWS.md there): each known flaw is a precise failure, every sound behaviour passes.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from './helpers/cli.js';
import { tempDir } from './helpers/provider-dir.js';

interface Outcome {
  id: string;
  status: string;
  reasons: string[];
}

function verdict(t: Parameters<typeof tempDir>[0], fixture: string, extra: string[] = []) {
  const json = join(tempDir(t), 'report.json');
  const dir = `test/fixtures/wild/${fixture}`;
  const r = runCli(['test', dir, '--backend', `${dir}.backend.yaml`, '--json', json, ...extra]);
  const conformance = (
    JSON.parse(readFileSync(json, 'utf8')) as { conformance: { checks: Outcome[]; mustFailures: string[] } }
  ).conformance;
  const ids = (status: string) =>
    conformance.checks
      .filter((c) => c.status === status)
      .map((c) => c.id)
      .sort();
  const reasons = (id: string) => conformance.checks.find((c) => c.id === id)!.reasons.join('\n');
  return {
    code: r.code,
    stdout: r.stdout,
    failed: ids('fail'),
    skipped: ids('skip'),
    reasons,
    must: conformance.mustFailures,
  };
}

const cases: { fixture: string; failed: string[]; skipped: string[]; reasons: Record<string, RegExp> }[] = [
  {
    fixture: 'zfs-zvol',
    failed: ['GROW-NEW-SIZE'],
    skipped: ['OPEN-CLOSE'],
    reasons: { 'GROW-NEW-SIZE': /VOL_SIZE \(1024 MiB\), not VOL_NEW_SIZE \(3072 MiB\): zfs set volsize=1024M/ },
  },
  {
    fixture: 'lvm-shared',
    failed: ['DETACH-IDEMPOTENT', 'DETACH-UNATTACHED', 'USAGE-ARGS', 'USAGE-HELP'],
    skipped: ['OPEN-CLOSE', 'SNAPSHOT-VOLUME'],
    reasons: { 'DETACH-UNATTACHED': /detach: wrong exit status/, 'USAGE-HELP': /stdout should be empty/ },
  },
  {
    fixture: 'multipath-san',
    failed: ['ATTACH-ACCEPTED', 'ATTACH-LINT'],
    skipped: ['OPEN-CLOSE', 'SNAPSHOT-VOLUME'],
    reasons: { 'ATTACH-ACCEPTED': /Ganeti 3\.1 rejects this attach output/, 'ATTACH-LINT': /crlf/ },
  },
  {
    fixture: 'ssh-appliance',
    failed: ['LIFECYCLE', 'PROCESS-LINGER', 'STDOUT-QUIET'],
    skipped: ['OPEN-CLOSE', 'SNAPSHOT-VOLUME'],
    reasons: {
      'PROCESS-LINGER': /setinfo: a background process kept stdout or stderr open; Ganeti would wait for it forever/,
    },
  },
  {
    fixture: 'python-dispatch',
    failed: ['STDOUT-QUIET'],
    skipped: [],
    reasons: { 'STDOUT-QUIET': /setinfo: stdout should be empty/ },
  },
  {
    fixture: 'loopback-file',
    failed: ['ATTACH-IDEMPOTENT', 'USAGE-ARGS', 'USAGE-HELP', 'VOLNAME-MISSING'],
    skipped: ['GROW-NEW-SIZE', 'OPEN-CLOSE', 'SNAPSHOT-VOLUME'],
    reasons: { 'ATTACH-IDEMPOTENT': /not idempotent/ },
  },
];

for (const c of cases) {
  t.test(`${c.fixture}: its flaws fail precisely, the rest passes`, async (t) => {
    const v = verdict(t, c.fixture);
    t.equal(v.code, 1, 'a failed MUST or SHOULD check exits 1');
    t.same(v.failed, c.failed, 'exactly the known flaws fail');
    t.same(v.skipped, c.skipped, 'exactly these are skipped');
    for (const [id, reason] of Object.entries(c.reasons)) t.match(v.reasons(id), reason, id);
  });
}

t.test('lvm-shared: its trailing newline fails the attach checks when 2.12 is asked for', async (t) => {
  const v = verdict(t, 'lvm-shared', ['--ganeti', '2.12', '--ganeti', '3.1']);
  t.ok(v.failed.includes('ATTACH-ACCEPTED') && v.failed.includes('ATTACH-LINT'));
  t.match(v.reasons('ATTACH-ACCEPTED'), /Ganeti 2\.12 rejects/);
  t.match(v.reasons('ATTACH-LINT'), /legacy-trailing-newline/);
});
