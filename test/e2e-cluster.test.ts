// The Ganeti cluster stages' readers (e2e/ganeti/cluster-parse.ts), given what Ganeti 3.0.2 and
// QEMU 7.2 printed in the e2e run, and the search for processes left in the node's mount namespace
// (e2e/ganeti/cluster-host.ts), on real namespaces.

import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { hostsFile, mountNamespaceOf, processesInMountNamespace } from '../e2e/ganeti/cluster-host.js';
import {
  drivesFromQueryBlock,
  namesNotExecutable,
  parseActivateDisks,
  parseDiagnose,
  rbdImageOf,
} from '../e2e/ganeti/cluster-parse.js';
import { startDetached } from '../e2e/lib/exec.js';
import { terminate } from '../e2e/lib/processes.js';

// `gnt-storage diagnose` as Ganeti 3.0.2 printed it (client/gnt_storage.py), a valid and an invalid provider.
const DIAGNOSE = `Provider: broken
---
  Node: 5fbedc0c-6c4a-4b75-a1e6-4a8352aaa329, status: invalid - File 'attach' under path '/srv/ganeti/extstorage/broken' is not executable (path: /srv/ganeti/extstorage/broken) [no parameters]
  --
  For nodegroup: default --> invalid

Provider: legacy
---
  Node: 5fbedc0c-6c4a-4b75-a1e6-4a8352aaa329, status: valid (path: /srv/ganeti/extstorage/legacy) [parameters: dir, thin]
  --
  For nodegroup: default --> valid

`;

t.test('gnt-storage diagnose: each provider, valid or with its reason, path and parameters', async (t) => {
  const found = parseDiagnose(DIAGNOSE);
  t.same(found, [
    {
      provider: 'broken',
      node: '5fbedc0c-6c4a-4b75-a1e6-4a8352aaa329',
      valid: false,
      reason: "File 'attach' under path '/srv/ganeti/extstorage/broken' is not executable",
      path: '/srv/ganeti/extstorage/broken',
      parameters: [],
    },
    {
      provider: 'legacy',
      node: '5fbedc0c-6c4a-4b75-a1e6-4a8352aaa329',
      valid: true,
      reason: '',
      path: '/srv/ganeti/extstorage/legacy',
      parameters: ['dir', 'thin'],
    },
  ]);
  t.same(parseDiagnose(''), []);
});

t.test('gnt-storage diagnose: a node line it cannot read is an error naming the line', async (t) => {
  t.throws(
    () => parseDiagnose('Provider: x\n---\n  Node: n1, status: maybe\n'),
    /line 3: not a provider's node status/,
  );
  t.throws(() => parseDiagnose('  Node: n1, status: valid (path: /p) [no parameters]\n'), /line 1/);
});

t.test('gnt-instance activate-disks: node, disk index and device; other lines ignored', async (t) => {
  t.same(parseActivateDisks('node1.ganeti.test:disk/0:/dev/loop0\n'), [
    { node: 'node1.ganeti.test', index: 0, device: '/dev/loop0' },
  ]);
  t.same(parseActivateDisks('Waiting for job 7 ...\nn1:disk/1:/dev/loop3\n'), [
    { node: 'n1', index: 1, device: '/dev/loop3' },
  ]);
  t.same(parseActivateDisks(''), []);
});

// QMP query-block as QEMU 7.2 answered it for a drive Ganeti opened with file=rbd:rbd/<image>:conf=...
const QUERY_BLOCK = [
  {
    device: 'disk-b15e675f-7e14-4073',
    inserted: {
      drv: 'raw',
      file: 'json:{"driver": "raw", "file": {"pool": "rbd", "image": "0d79.ext.disk0", "conf": "/etc/ceph/ceph.conf", "driver": "rbd", "namespace": ""}}',
    },
  },
  { device: 'ide1-cd0', removable: true },
  { device: 'floppy0', removable: true },
];

t.test("QMP query-block: the drives with a medium, and the rbd image behind QEMU's filename", async (t) => {
  const drives = drivesFromQueryBlock(QUERY_BLOCK);
  t.equal(drives.length, 1);
  t.same(rbdImageOf(drives[0]!.file), { pool: 'rbd', image: '0d79.ext.disk0' });
  t.same(rbdImageOf('rbd:rbd/vol1:conf=/etc/ceph/ceph.conf'), { pool: 'rbd', image: 'vol1' });
  t.equal(rbdImageOf('/var/run/ganeti/instance-disks/inst2:0'), undefined);
  t.equal(rbdImageOf('json:{"driver": "file", "filename": "/x"}'), undefined);
  t.equal(rbdImageOf('json:{not json'), undefined);
  t.throws(() => drivesFromQueryBlock({}), /expected a list/);
  t.throws(() => drivesFromQueryBlock([{ device: 'd', inserted: { drv: 'raw' } }]), /without device, drv or file/);
});

t.test("not executable, in Ganeti's words and in the kit's", async (t) => {
  t.ok(namesNotExecutable("File 'attach' under path '/srv/x' is not executable", 'attach'));
  t.ok(namesNotExecutable('error  attach  not-executable  attach lacks the owner-execute bit (mode 0644)', 'attach'));
  t.notOk(namesNotExecutable("File 'detach' under path '/srv/x' is not executable", 'attach'));
  t.notOk(namesNotExecutable("File 'attach' under path '/srv/x' is missing", 'attach'));
});

t.test("the node's /etc/hosts: the inherited lines, then the node's and the cluster's names", async (t) => {
  t.equal(
    hostsFile('127.0.0.1 localhost\n127.0.0.1 e2e-gluster'),
    '127.0.0.1 localhost\n127.0.0.1 e2e-gluster\n192.0.2.10 node1.ganeti.test node1\n192.0.2.100 cluster.ganeti.test cluster\n',
  );
  t.equal(hostsFile(''), '192.0.2.10 node1.ganeti.test node1\n192.0.2.100 cluster.ganeti.test cluster\n');
});

function childOf(pid: number): number | undefined {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return text === '' ? undefined : Number(text.split(/\s+/)[0]);
}

t.test(
  'the processes in a mount namespace: found by /proc/PID/ns/mnt, the listed ones left out',
  { skip: process.getuid?.() === 0 ? false : 'needs root (unshare --mount)' },
  async (t) => {
    const unshare = await startDetached(['unshare', '--mount', '--fork', '--', 'sleep', '60']);
    const pids: number[] = [unshare];
    t.teardown(() => terminate(pids, 1_000).then(() => undefined));
    let holder: number | undefined;
    for (let i = 0; i < 100 && holder === undefined; i++) {
      holder = childOf(unshare);
      if (holder === undefined) await sleep(20);
    }
    t.ok(holder, 'the holder started');
    pids.push(holder!);
    const namespace = mountNamespaceOf(holder!)!;
    t.not(namespace, mountNamespaceOf(process.pid), 'a namespace of its own');
    t.same(processesInMountNamespace(namespace, [unshare, holder!]), [], 'nothing but the holder and unshare');
    // A process entering it later, as Ganeti's daemons do: found.
    const straggler = await startDetached(['nsenter', '-t', String(holder), '-m', '--', 'sleep', '60']);
    pids.push(straggler);
    let found: number[] = [];
    for (let i = 0; i < 100 && found.length === 0; i++) {
      found = processesInMountNamespace(namespace, [unshare, holder!]);
      if (found.length === 0) await sleep(20);
    }
    t.same(found, [straggler], 'the process that entered it');
  },
);
