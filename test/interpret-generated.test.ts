// Generated attach outputs, built from pieces that have bitten providers: invariants that must hold
// for every one, and a differential check against test/oracle/ganeti_attach.py, which reads them
// with Ganeti's own logic in real Python (bytes for 2.x, str for 3.x).

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { interpretAttachOutput as interpret, type AttachInterpretation } from '../harness/attach/interpret.js';
import { firstInvalidUtf8 } from '../harness/attach/bytes.js';
import { HYPERVISORS } from '../harness/ganeti/hypervisors.js';
import { parseGanetiVersion } from '../harness/ganeti/versions.js';
import { pick, seededRandom } from './helpers/random.js';

const ORACLE = fileURLToPath(new URL('./oracle/ganeti_attach.py', import.meta.url));
const VERSIONS = ['2.7.0', '2.12', '2.13.0', '2.14.1', '2.14.2', '2.15.0', '2.15.1', '2.16', '3.0.0', '3.1'];
const CASES = 4000;

const bytesOf = (s: string) => [...Buffer.from(s, 'utf8')];
const DEVICES: number[][] = [
  '/dev/rbd0',
  '/dev/loop7',
  '',
  'dev/rbd0',
  ' /dev/rbd0',
  '/dev/rbd0 ',
  '/dev/rbd0\r',
  '/dev/\x00x',
  '/dev/\x7fx',
  '/dev/\tx',
  '/dev/é',
  '\ufeff/dev/x',
  '/',
  '/dev/disk/by-id/wwn-0x5000',
  '-',
  'None',
]
  .map(bytesOf)
  .concat([
    [0x2f, 0x64, 0xff],
    [0x2f, 0xc3],
    [0x2f, 0xed, 0xa0, 0x80],
    [0x2f, 0xe0, 0x80, 0xaf],
  ]);
const URIS: number[][] = [
  'kvm:rbd:rbd/vol',
  'KVM:rbd:rbd/vol',
  'Kvm:gluster://h/v/i',
  'kvm:',
  'kvm',
  'kvm:rbd:a/b\r',
  'kvm: rbd:a/b',
  'xen-pvm:x',
  'XEN-HVM:y',
  'lxc:/dev/x',
  'chroot:c',
  'fake:f',
  'rbd:rbd/vol',
  '',
  ' ',
  '\u212Avm:rbd:k/v',
  '\u212AVM:x',
  'kvm:é',
  'İkvm:x',
  'ǅ:x',
  'kvm:\u{1F600}',
  'xen-pvm',
  'kvm:json:{"a":1}',
  ':kvm:x',
  'kvm:kvm:x',
]
  .map(bytesOf)
  .concat([
    [0x6b, 0x76, 0x6d, 0x3a, 0xff],
    [0x4b, 0x56, 0x4d, 0x3a, 0xc3, 0xa9],
    [0xe2, 0x84, 0xaa, 0x76, 0x6d, 0x3a, 0x41],
  ]);

function generate(random: () => number): Uint8Array {
  const lines: number[][] = [pick(random, DEVICES)];
  const count = Math.floor(random() * 4);
  for (let i = 0; i < count; i++) lines.push(pick(random, URIS));
  const eol = random() < 0.15 ? [0x0d, 0x0a] : [0x0a];
  const out: number[] = [];
  lines.forEach((line, i) => {
    if (i > 0) out.push(...eol);
    out.push(...line);
  });
  const tail = random();
  if (tail < 0.3) out.push(...eol);
  else if (tail < 0.35) out.push(0x0a, 0x0a);
  return Uint8Array.from(out);
}

const random = seededRandom(20261124);
const outputs = Array.from({ length: CASES }, () => generate(random));
// Add the smallest outputs exhaustively: every string of up to 3 bytes over a telling alphabet.
const ALPHABET = [0x0a, 0x0d, 0x2f, 0x3a, 0x6b, 0x00, 0xff, 0x20];
for (const a of ALPHABET) {
  outputs.push(Uint8Array.of(a));
  for (const b of ALPHABET) {
    outputs.push(Uint8Array.of(a, b));
    for (const c of ALPHABET) outputs.push(Uint8Array.of(a, b, c));
  }
}
outputs.push(new Uint8Array(0));

const results = outputs.map((output) => VERSIONS.map((v) => interpret(output, v)));

t.test('invariants hold for every generated output and version', async (t) => {
  let checked = 0;
  outputs.forEach((output, i) => {
    const byVersion = new Map(VERSIONS.map((v, k) => [v, results[i]![k]!]));
    for (const [v, r] of byVersion) {
      const behaviour = parseGanetiVersion(v).behaviour;
      const where = `${v} ${JSON.stringify(Buffer.from(output).toString('latin1'))}`;
      const fail = (message: string) => t.fail(`${message}: ${where}`);
      checked++;
      if (!r.ok && (r.device !== null || Object.values(r.select).some((s) => s !== null)))
        fail('a rejected output has a device or URI');
      if (behaviour === 'A' && (r.uris.length > 0 || Object.values(r.select).some((s) => s !== null)))
        fail('2.7-2.12 keep no URIs');
      if (!r.ok && !r.problems.some((p) => p.severity === 'error')) fail('a rejection is not explained by an error');
      if (output.length === 0 && (r.ok || r.problems[0]?.code !== 'empty-output')) fail('empty output');
      if (behaviour !== 'A' && r.ok && r.device !== null && !/^(\/|dev\/)/.test(r.device))
        fail('device is neither absolute nor under dev/ (the model of a path taken from /)');
      for (const h of HYPERVISORS) {
        const uri = r.select[h];
        if (uri !== null && !r.uris.some((line) => line.endsWith(uri)))
          fail(`select.${h} is not the tail of a URI line`);
      }
      for (const p of r.problems) {
        if (!Number.isInteger(p.line) || p.line < 1 || !p.code || !p.message)
          fail(`malformed problem ${JSON.stringify(p)}`);
      }
    }
    const get = (v: string) => byVersion.get(v)!;
    // Later releases only ever accept more: B ⊂ C, and C = D on valid UTF-8 without CR (3.x reads
    // CR and CRLF as line breaks).
    if (get('2.13.0').ok && !get('2.16').ok)
      t.fail(`2.16 rejects what 2.13.0 accepts: ${Buffer.from(output).toString('hex')}`);
    if (get('2.14.1').ok !== get('2.13.0').ok || get('2.15.0').ok !== get('2.13.0').ok) t.fail('B releases disagree');
    if (get('2.14.2').ok !== get('2.16').ok || get('2.15.1').ok !== get('2.16').ok) t.fail('C releases disagree');
    if (firstInvalidUtf8(output) < 0 && !output.includes(0x0d)) {
      const c = get('2.16');
      const d = get('3.1');
      if (c.ok !== d.ok || c.device !== d.device || JSON.stringify(c.uris) !== JSON.stringify(d.uris))
        t.fail('C and D differ on valid UTF-8');
    }
  });
  t.ok(checked >= CASES * VERSIONS.length, `${checked} interpretations checked`);
});

// Where Ganeti 3.0 is installed (Debian's ganeti-3.0), the oracle judges 3.x with Ganeti's own code
// under Debian's python3; elsewhere with its model of that code.
const GANETI_3 = '/usr/share/ganeti/3.0/ganeti/storage/extstorage.py';
const PYTHON = existsSync(GANETI_3) ? '/usr/bin/python3' : 'python3';
const python = spawnSync(PYTHON, ['--version'], { encoding: 'utf8' });
const noPython = python.error !== undefined || python.status !== 0;
// CI must run it; elsewhere a missing python3 skips it, saying so.
const skipDifferential = noPython && !process.env.CI ? 'python3 not found: the differential check needs it' : false;

t.test("differential: agrees with Ganeti's logic run in Python", { skip: skipDifferential }, async (t) => {
  const behaviours = [...new Set(VERSIONS.map((v) => parseGanetiVersion(v).behaviour))];
  const representative = Object.fromEntries(
    behaviours.map((b) => [b, VERSIONS.find((v) => parseGanetiVersion(v).behaviour === b)!]),
  );
  const requests: string[] = [];
  outputs.forEach((output, id) => {
    for (const behaviour of behaviours) {
      requests.push(JSON.stringify({ id: `${id}:${behaviour}`, hex: Buffer.from(output).toString('hex'), behaviour }));
    }
  });
  const run = spawnSync(PYTHON, [ORACLE], {
    input: requests.join('\n') + '\n',
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  t.equal(run.status, 0, run.stderr);
  const [header, ...lines] = run.stdout.trim().split('\n');
  const { ganeti } = JSON.parse(header!) as { ganeti: string | null };
  t.comment(
    ganeti === null
      ? "3.x judged by the oracle's model of Ganeti (Ganeti 3.0 is not installed here)"
      : `3.x judged by Ganeti ${ganeti}'s own ExtStorageDevice`,
  );
  if (existsSync(GANETI_3)) t.not(ganeti, null, 'Ganeti 3.0 is installed, so its code judges 3.x');
  const answers = lines.map(
    (line) => JSON.parse(line) as Omit<AttachInterpretation, 'ganeti' | 'problems'> & { id: string },
  );
  t.equal(answers.length, requests.length, 'one answer per request');
  let mismatches = 0;
  for (const answer of answers) {
    const [id, behaviour] = answer.id.split(':') as [string, string];
    const version = representative[behaviour]!;
    const ours = results[Number(id)]![VERSIONS.indexOf(version)]!;
    const same =
      ours.ok === answer.ok &&
      ours.device === answer.device &&
      JSON.stringify(ours.uris) === JSON.stringify(answer.uris) &&
      JSON.stringify(ours.select) === JSON.stringify(answer.select);
    if (!same && mismatches++ < 10) {
      t.fail(`${version} on ${Buffer.from(outputs[Number(id)]!).toString('hex')}`, {
        found: { ok: ours.ok, device: ours.device, uris: ours.uris, select: ours.select },
        wanted: { ok: answer.ok, device: answer.device, uris: answer.uris, select: answer.select },
      });
    }
  }
  t.equal(mismatches, 0, `${answers.length} outputs × behaviours compared with the oracle`);
});
