// Hand-written cases for each behaviour's quirks (spec/SPEC.md §5 and §6).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { interpretAttachOutput as interpret } from '../harness/attach/interpret.js';

const NONE = { kvm: null, 'xen-pvm': null, 'xen-hvm': null, lxc: null, chroot: null, fake: null };
const codes = (r: { problems: { code: string }[] }) => r.problems.map((p) => p.code);

t.test('the result has exactly the documented fields', async (t) => {
  const r = interpret('/dev/rbd0', '3.1');
  t.same(Object.keys(r).sort(), ['device', 'ganeti', 'ok', 'problems', 'select', 'uris']);
  t.equal(r.ganeti, '3.1');
  t.equal(interpret('/dev/rbd0', '2.15').ganeti, '2.15', 'the version as asked for');
});

t.test('A (2.7-2.12): the whole output is the device path', async (t) => {
  t.match(interpret('/dev/loop0', '2.12'), { ok: true, device: '/dev/loop0', uris: [], select: NONE });
  t.match(interpret('/dev/loop0', '2.7.0'), { ok: true, device: '/dev/loop0' });
  const trailing = interpret('/dev/loop0\n', '2.12');
  t.match(trailing, { ok: false, device: null, uris: [], select: NONE });
  t.same(codes(trailing), ['legacy-trailing-newline']);
  const multi = interpret('/dev/rbd0\nkvm:rbd:rbd/vol', '2.12.6');
  t.match(multi, { ok: false, device: null, uris: [] });
  t.same(codes(multi), ['legacy-extra-lines']);
  t.equal(multi.problems[0]!.line, 2);
  t.match(interpret('', '2.9'), { ok: false });
  // The node daemon stats from its working directory, /: dev/loop0 is /dev/loop0 (the model places
  // relative paths under dev/ only).
  t.match(interpret('dev/loop0', '2.10'), { ok: true, device: 'dev/loop0' });
  t.match(interpret('loop0', '2.10'), { ok: false });
  t.match(interpret('\nkvm:rbd:a/b', '2.12'), { ok: false });
  t.match(interpret('/dev/loop0 ', '2.12'), { ok: true, device: '/dev/loop0 ' }, 'a trailing space stays in the path');
  t.ok(codes(interpret('/dev/loop0 ', '2.12')).includes('device-whitespace'));
});

t.test('B (2.13.0-2.14.1, 2.15.0): split on LF, the first line must be a device', async (t) => {
  for (const v of ['2.13.0', '2.13', '2.14.0', '2.14.1', '2.15.0']) {
    t.match(
      interpret('/dev/rbd0\nkvm:rbd:rbd/vol', v),
      { ok: true, device: '/dev/rbd0', uris: ['kvm:rbd:rbd/vol'], select: { kvm: 'rbd:rbd/vol', lxc: null } },
      v,
    );
    t.match(
      interpret('/dev/rbd0\n', v),
      { ok: true, device: '/dev/rbd0', uris: [''] },
      `${v}: a trailing newline is harmless`,
    );
    const userspace = interpret('\nkvm:rbd:rbd/vol', v);
    t.match(
      userspace,
      { ok: false, device: null, uris: ['kvm:rbd:rbd/vol'], select: NONE },
      `${v}: no empty first line`,
    );
    t.same(codes(userspace), ['userspace-only-unsupported']);
  }
});

t.test('C (2.14.2, 2.15.1+, 2.16): an empty first line means userspace only', async (t) => {
  for (const v of ['2.14.2', '2.14', '2.15.1', '2.15', '2.16.0', '2.16']) {
    t.match(
      interpret('\nkvm:rbd:rbd/vol', v),
      { ok: true, device: null, uris: ['kvm:rbd:rbd/vol'], select: { kvm: 'rbd:rbd/vol' } },
      v,
    );
  }
  t.match(interpret('', '2.16'), { ok: false, uris: [] }, 'empty output fails');
  t.same(codes(interpret('', '2.16')), ['empty-output']);
  const bare = interpret('\n', '2.16');
  t.match(bare, { ok: true, device: null, uris: [''], select: NONE }, 'the check is on the list: [""] passes');
  t.same(codes(bare), ['no-device-no-uri']);
  t.match(interpret('\n\n', '2.16'), { ok: true, uris: ['', ''] });
});

t.test('D (3.0, 3.1): as C, and the output must be valid UTF-8', async (t) => {
  t.match(interpret('\nkvm:rbd:rbd/vol', '3.0'), { ok: true, device: null, select: { kvm: 'rbd:rbd/vol' } });
  const bad = Uint8Array.from([...Buffer.from('/dev/rbd0\nkvm:rbd:p/'), 0xff]);
  t.match(interpret(bad, '3.1'), { ok: false, device: null, uris: [], select: NONE });
  t.same(codes(interpret(bad, '3.1')), ['invalid-utf8']);
  t.equal(interpret(bad, '3.1').problems[0]!.line, 2);
  const py2 = interpret(bad, '2.16');
  t.match(
    py2,
    { ok: true, device: '/dev/rbd0', uris: ['kvm:rbd:p/\ufffd'], select: { kvm: 'rbd:p/\ufffd' } },
    '2.x passes the bytes on',
  );
  t.match(py2.problems, [{ code: 'invalid-utf8', severity: 'warning' }]);
  for (const bytes of [
    [0xc0, 0x80],
    [0xed, 0xa0, 0x80],
    [0xf4, 0x90, 0x80, 0x80],
    [0xe2, 0x82],
  ]) {
    t.equal(interpret(Uint8Array.from([0x2f, ...bytes]), '3.1').ok, false, `rejects ${bytes.join(',')}`);
  }
  t.equal(interpret('/dev/é', '3.1').device, '/dev/é', 'well-formed UTF-8 is fine');
  t.equal(interpret('\ufeff/dev/rbd0', '3.1').ok, false, 'a BOM is kept, so the path is not absolute');
});

t.test('CRLF under 2.x: the CR stays in the device path and in URIs', async (t) => {
  const r = interpret('/dev/rbd0\r\nkvm:rbd:rbd/vol\r\n', '2.16');
  t.equal(r.ok, false, 'the device path /dev/rbd0\\r has a control character');
  t.same(codes(r), ['crlf']);
  const userspace = interpret('\nkvm:rbd:rbd/vol\r\n', '2.16');
  t.match(userspace, { ok: true, select: { kvm: 'rbd:rbd/vol\r' } }, 'verbatim');
  t.ok(codes(userspace).includes('crlf'));
});

// Ganeti 3.x reads through Popen(encoding="utf-8"): universal newlines before the split on LF.
t.test('CR and CRLF under 3.x: line breaks', async (t) => {
  for (const v of ['3.0.0', '3.1']) {
    const r = interpret('/dev/rbd0\r\nkvm:rbd:rbd/vol\r\n', v);
    t.match(r, { ok: true, device: '/dev/rbd0', uris: ['kvm:rbd:rbd/vol', ''], select: { kvm: 'rbd:rbd/vol' } }, v);
    t.same(
      r.problems.map((p) => [p.code, p.severity, p.line]),
      [['crlf', 'warning', 1]],
      `${v}: a warning, 2.x would keep the CR`,
    );
  }
  t.match(interpret('\nkvm:x\r\n', '3.0'), { ok: true, device: null, uris: ['kvm:x', ''], select: { kvm: 'x' } });
  t.match(
    interpret('\rkvm:rbd:a/b', '3.0'),
    { ok: true, device: null, uris: ['kvm:rbd:a/b'], select: { kvm: 'rbd:a/b' } },
    'a lone CR first: userspace only',
  );
  t.match(interpret('/dev/rbd0\rkvm:a', '3.1'), { ok: true, device: '/dev/rbd0', uris: ['kvm:a'] }, 'a lone CR inside');
  t.match(interpret('/dev/rbd0\nkvm:a\r', '3.1'), { uris: ['kvm:a', ''], select: { kvm: 'a' } }, 'a CR at the end');
  t.match(interpret('/dev/rbd0\r\r\nkvm:a', '3.1'), { uris: ['', 'kvm:a'] }, 'CR then CRLF: two breaks');
  t.match(interpret('/dev/rbd0\rkvm:a', '2.16'), { ok: false }, '2.x: the CR is in the device path');
});

t.test('URI selection: first match wins, prefix case-insensitive, rest verbatim', async (t) => {
  const out = '/dev/rbd0\nKVM:first \nkvm:second\nxen-pvm:x\nLXC:y';
  const r = interpret(out, '2.16');
  t.same(r.select, { kvm: 'first ', 'xen-pvm': 'x', 'xen-hvm': null, lxc: 'y', chroot: null, fake: null });
  t.same(codes(r).sort(), ['duplicate-hypervisor', 'qemu-unknown-uri', 'uri-whitespace'].sort());
  t.equal(interpret('/dev/rbd0\nkvmrbd:a/b', '3.1').select.kvm, null, 'the colon is part of the prefix');
  t.equal(interpret('/dev/rbd0\nkvm:', '3.1').select.kvm, '', 'an empty URI is still a match');
});

t.test('Unicode lowercasing only in 3.x: KELVIN SIGN', async (t) => {
  const out = '/dev/rbd0\n\u212Avm:rbd:rbd/vol';
  t.equal(interpret(out, '3.1').select.kvm, 'rbd:rbd/vol', 'Python 3 lowercases U+212A to k');
  t.equal(interpret(out, '2.16').select.kvm, null, 'Python 2 lowercases bytes, ASCII only');
  t.ok(codes(interpret(out, '3.1')).includes('prefix-not-ascii'));
  t.ok(codes(interpret(out, '2.16')).includes('unknown-hypervisor'));
  const astral = '/dev/x\n\u{1F600}vm:a';
  t.equal(interpret(astral, '3.1').select.kvm, null, 'slicing counts code points, not UTF-16 units');
});

t.test('the device model without and with stat', async (t) => {
  t.equal(interpret('/no/such/device', '3.1').ok, true, 'the model: absolute, no control character');
  t.equal(interpret('/dev/\x01x', '3.1').ok, false);
  t.equal(interpret('/dev/\x7fx', '3.1').ok, false);
  t.equal(interpret('/dev/\tx', '3.1').ok, false);
  t.equal(interpret('/dev/\x00x', '3.1').ok, false);
  const statted = interpret('/no/such/device', '3.1', { stat: true });
  t.equal(statted.ok, false);
  t.ok(codes(statted).includes('device-missing'));
  const dir = mkdtempSync(join(tmpdir(), 'esk-stat-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'plain');
  writeFileSync(file, 'x');
  const notBlock = interpret(file, '2.12', { stat: true });
  t.equal(notBlock.ok, false, 'a regular file is not a block device');
  t.ok(codes(notBlock).includes('device-not-block'));
  t.equal(interpret('/dev/null', '3.1', { stat: true }).ok, false, 'a character device is not a block device');
  t.equal(interpret('\nkvm:rbd:a/b', '3.1', { stat: true }).ok, true, 'userspace-only needs no stat');
  // The node daemon's working directory is /, so a relative path is stat()ed from there, not from
  // the kit's working directory (which has no dev/ folder).
  const relative = interpret('dev/null', '3.1', { stat: true });
  t.ok(codes(relative).includes('device-not-block'), 'dev/null is /dev/null: it exists, as a character device');
  t.notOk(codes(relative).includes('device-missing'));
  t.match(
    relative.problems.find((p) => p.code === 'relative-device'),
    { severity: 'warning', message: /"\/dev\/null"/ },
  );
});

t.test('unsupported versions throw, naming the range', async (t) => {
  t.throws(() => interpret('/dev/x', '2.6'), { message: /2\.7\.0 to 3\.1\.0/ });
  t.throws(() => interpret('/dev/x', '4.0'));
  t.throws(() => interpret('/dev/x', '2.14.3'));
});
