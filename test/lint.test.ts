// Each attach lint code (spec/SPEC.md §7) fires on the output made to show it, with the right
// severity and line, and clean outputs raise nothing.

import t from 'tap';
import { interpretAttachOutput as interpret } from '../harness/attach/interpret.js';

const cases: {
  output: string | Uint8Array;
  ganeti: string;
  code: string;
  severity: 'error' | 'warning';
  line: number;
}[] = [
  { output: '', ganeti: '3.1', code: 'empty-output', severity: 'error', line: 1 },
  { output: '\n', ganeti: '3.1', code: 'no-device-no-uri', severity: 'error', line: 1 },
  { output: '\n \n', ganeti: '3.1', code: 'no-device-no-uri', severity: 'error', line: 1 },
  { output: '\nrbd:a/b', ganeti: '2.16', code: 'no-device-no-uri', severity: 'error', line: 1 },
  { output: '\nkvm:\n', ganeti: '2.16', code: 'no-device-no-uri', severity: 'error', line: 1 },
  { output: 'dev/rbd0', ganeti: '3.1', code: 'relative-device', severity: 'warning', line: 1 },
  { output: 'rbd0', ganeti: '3.1', code: 'relative-device', severity: 'error', line: 1 },
  { output: 'dev/rbd0', ganeti: '2.12', code: 'relative-device', severity: 'warning', line: 1 },
  { output: '/dev/\x1bx\nkvm:rbd:a/b', ganeti: '2.16', code: 'device-control-char', severity: 'error', line: 1 },
  { output: ' /dev/rbd0', ganeti: '2.16', code: 'device-whitespace', severity: 'error', line: 1 },
  { output: '/dev/rbd0\nkvm:rbd:a/b\x01', ganeti: '3.1', code: 'uri-control-char', severity: 'error', line: 2 },
  { output: '/dev/rbd0\nkvm:rbd:a/b ', ganeti: '3.1', code: 'uri-whitespace', severity: 'error', line: 2 },
  { output: '/dev/rbd0\r\nkvm:rbd:a/b', ganeti: '2.16', code: 'crlf', severity: 'error', line: 1 },
  { output: '/dev/rbd0\r\nkvm:rbd:a/b', ganeti: '3.1', code: 'crlf', severity: 'warning', line: 1 },
  { output: '/dev/rbd0\nkvm:a\rxen-pvm:b', ganeti: '3.0', code: 'crlf', severity: 'warning', line: 2 },
  { output: '/dev/rbd0\n', ganeti: '2.12', code: 'legacy-trailing-newline', severity: 'error', line: 1 },
  { output: '/dev/rbd0\nkvm:rbd:a/b', ganeti: '2.11', code: 'legacy-extra-lines', severity: 'error', line: 2 },
  { output: '/dev/rbd0\nrbd:a/b', ganeti: '3.1', code: 'unknown-hypervisor', severity: 'warning', line: 2 },
  { output: '/dev/rbd0\nkvm:', ganeti: '3.1', code: 'empty-uri', severity: 'error', line: 2 },
  {
    output: '/dev/rbd0\nkvm:rbd:a/b\nkvm:rbd:c/d',
    ganeti: '3.1',
    code: 'duplicate-hypervisor',
    severity: 'warning',
    line: 3,
  },
  { output: '/dev/rbd0\n\nkvm:rbd:a/b', ganeti: '3.1', code: 'blank-uri-line', severity: 'warning', line: 2 },
  {
    output: Uint8Array.of(0x2f, 0x64, 0x0a, 0x6b, 0xfe),
    ganeti: '3.1',
    code: 'invalid-utf8',
    severity: 'error',
    line: 2,
  },
  {
    output: Uint8Array.of(0x2f, 0x64, 0x0a, 0x6b, 0xfe),
    ganeti: '2.16',
    code: 'invalid-utf8',
    severity: 'warning',
    line: 2,
  },
  { output: '/dev/rbd0\nkvm:sheepdog:x', ganeti: '3.1', code: 'qemu-unknown-uri', severity: 'warning', line: 2 },
  { output: '/dev/rbd0\nkvm:rbd:vol', ganeti: '3.1', code: 'qemu-unknown-uri', severity: 'warning', line: 2 },
  { output: '\nkvm:rbd:a/b', ganeti: '2.15.0', code: 'userspace-only-unsupported', severity: 'error', line: 1 },
  { output: '/dev/rbd0\n\u212Avm:rbd:a/b', ganeti: '3.1', code: 'prefix-not-ascii', severity: 'warning', line: 2 },
];

t.test('every code fires where it should', async (t) => {
  for (const c of cases) {
    const found = interpret(c.output, c.ganeti).problems.find((p) => p.code === c.code);
    t.match(
      found,
      { severity: c.severity, line: c.line, message: /\S/ },
      `${c.code} on ${JSON.stringify(Buffer.from(c.output).toString('latin1'))} (${c.ganeti})`,
    );
  }
});

t.test('device-missing and device-not-block with --stat', async (t) => {
  t.match(interpret('/nonexistent/dev', '3.1', { stat: true }).problems, [
    { code: 'device-missing', severity: 'error', line: 1 },
  ]);
  t.match(interpret('/dev/null', '3.1', { stat: true }).problems, [
    { code: 'device-not-block', severity: 'error', line: 1 },
  ]);
});

t.test('outputs real providers print are clean', async (t) => {
  const clean: [string, string][] = [
    ['/dev/loop0', '2.7.0'],
    ['/dev/loop0', '2.12'],
    ['/dev/loop0', '3.1'],
    ['/dev/loop0\n', '3.1'],
    ['/dev/rbd0\nkvm:rbd:rbd/vol1', '2.13.0'],
    ['/dev/rbd0\nkvm:rbd:rbd/vol1\n', '3.1'],
    ['/dev/rbd0\nkvm:rbd:rbd/vol1:id=admin:conf=/etc/ceph/ceph.conf\n', '3.1'],
    ['\nkvm:rbd:rbd/vol1\n', '2.16'],
    ['\nkvm:gluster://127.0.0.1:24007/gv0/ganeti/vol1\n', '3.1'],
    ['/dev/loop1\nkvm:gluster://[::1]:24007/gv0/ganeti/vol1', '3.1'],
    ['/dev/nbd0\nkvm:nbd://10.0.0.1:10809/vol1', '3.1'],
    ['/dev/nbd0\nkvm:nbd:unix:/run/nbd.sock', '3.1'],
    ['/dev/sdb\nkvm:iscsi://10.0.0.2/iqn.2001-04.com.example:storage/1', '3.1'],
    ['/dev/sdb\nkvm:/dev/sdb\nxen-pvm:phy:/dev/sdb', '3.1'],
    ['/dev/sdb\nKVM:json:{"driver":"raw"}', '3.1'],
  ];
  for (const [output, ganeti] of clean) {
    t.same(interpret(output, ganeti).problems, [], `${JSON.stringify(output)} (${ganeti})`);
  }
});

t.test('CRLF is reported once, not again as control characters', async (t) => {
  const codes = interpret('/dev/rbd0\r\nkvm:rbd:a/b\r\n', '2.16').problems.map((p) => p.code);
  t.same(codes, ['crlf']);
});
