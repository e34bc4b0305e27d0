// Kernel devices (krbd): map, unmap and device list, Luminous' showmapped included
// (src/tools/rbd/action/Kernel.cc, src/krbd.cc).

import { release } from 'node:os';
import { logPrefix, type CephFormatter } from '../ceph-format.js';
import { cppStrerror, ERRNO } from '../errno.js';
import type { RbdState } from '../state.js';
import type { Parsed } from './arguments.js';
import type { RbdCall } from './call.js';
import { findImage, poolExists } from './cluster.js';
import { formatter } from './formatter.js';
import { poolImageSnapNames, type Names } from './names.js';

function deviceType(call: RbdCall, vm: Parsed): void {
  const type = vm.get('device-type') ?? 'krbd';
  if (type !== 'krbd') {
    call.fail(ERRNO.EOPNOTSUPP, `rbd (extstorage-kit simulator): device type '${type}' is not simulated, only krbd`);
  }
}

/** Map options (rbd -o): the ones krbd knows; anything else fails as Kernel.cc parse_map_options. */
function parseMapOptions(call: RbdCall, vm: Parsed): { readOnly: boolean } {
  let readOnly = false;
  const flags = new Set([
    'share',
    'noshare',
    'crc',
    'nocrc',
    'cephx_require_signatures',
    'nocephx_require_signatures',
    'tcp_nodelay',
    'notcp_nodelay',
    'cephx_sign_messages',
    'nocephx_sign_messages',
    'rw',
    'ro',
    'lock_on_read',
    'exclusive',
    'notrim',
    'abort_on_full',
    'rxbounce',
    'udev',
    'noudev',
  ]);
  const valued = new Set([
    'fsid',
    'ip',
    'mount_timeout',
    'osdkeepalive',
    'osd_idle_ttl',
    'lock_timeout',
    'queue_depth',
    'alloc_size',
    'crush_location',
    'read_from_replica',
    'compression_hint',
    'ms_mode',
  ]);
  for (const text of vm.all('options')) {
    for (const item of text.split(',')) {
      if (item === '') continue;
      const eq = item.indexOf('=');
      const name = eq < 0 ? item : item.slice(0, eq);
      if (flags.has(name)) {
        if (name === 'ro') readOnly = true;
        if (name === 'rw') readOnly = false;
      } else if (valued.has(name)) {
        if (eq < 0 || item.slice(eq + 1) === '') {
          call.fail(ERRNO.EINVAL, `rbd: ${name} option requires a value`, "rbd: couldn't parse map options");
        }
      } else {
        call.fail(ERRNO.EINVAL, `rbd: unknown map option '${name}'`, "rbd: couldn't parse map options");
      }
    }
  }
  return { readOnly };
}

/** How krbd names a mapping in its messages (operator<< of krbd_spec, new in 14). */
function krbdSpec(call: RbdCall, pool: string, namespace: string, image: string, snap: string): string {
  // Ceph 12: Luminous' src/krbd.cc unmap_image() prints pool << "/" << image << "@" << snap,
  // "-" for no snapshot ("rbd: rbd/foobar@-: not a mapped image or snapshot", as in its
  // src/test/cli-integration/rbd/unmap.t).
  if (call.release === 12) return `${pool}/${image}@${snap === '' ? '-' : snap}`;
  return `${pool}/${namespace === '' ? '' : `${namespace}/`}${image}${snap === '-' || snap === '' ? '' : `@${snap}`}`;
}

/** Mapped devices in udev's order (by syspath /sys/devices/rbd/<id>, as text). */
function devicesInOrder(call: RbdCall): RbdState['devices'] {
  return [...call.state.devices].sort((a, b) =>
    String(a.id) < String(b.id) ? -1 : String(a.id) > String(b.id) ? 1 : 0,
  );
}

export function doMap(call: RbdCall, vm: Parsed): void {
  const names = poolImageSnapNames(call, vm, 'none', { value: 0 }, true, 'permitted', 'none');
  deviceType(call, vm);
  if (vm.flag('quiesce')) call.stderr('rbd: warning: quiesce is not supported');
  if (vm.has('quiesce-hook')) call.stderr('rbd: warning: quiesce-hook is not supported');
  const mapOptions = parseMapOptions(call, vm);
  const pool = names.pool === '' ? 'rbd' : names.pool;
  const snap = names.snap === '' ? '-' : names.snap;
  const already = devicesInOrder(call).find(
    (d) => d.pool === pool && d.namespace === names.namespace && d.image === names.image && d.snap === snap,
  );
  if (already !== undefined) call.stderr(`rbd: warning: image already mapped as /dev/rbd${already.id}`);

  // krbd_map: load the module when /sys/bus/rbd is missing, then write to /sys/bus/rbd/add.
  call.backend();
  let errno = 0;
  if (!call.state.kernelModule) {
    const kernel = release();
    call.stderr('modinfo: ERROR: Module rbd not found.');
    call.stderr(`modprobe: FATAL: Module rbd not found in directory /lib/modules/${kernel}`);
    call.stderr('rbd: failed to load rbd kernel module (1)');
    errno = ERRNO.ENOENT;
  }
  // The kernel client talks to the cluster itself.
  const failure = call.failure;
  if (errno === 0 && failure === 'unreachable') errno = ERRNO.ETIMEDOUT;
  if (errno === 0 && failure === 'permission') errno = ERRNO.EACCES;
  if (errno === 0 && failure === 'busy') errno = ERRNO.EBUSY;
  if (errno === 0 && failure === 'not-found') errno = ERRNO.ENOENT;
  const image =
    poolExists(call, pool) && (names.namespace === '' || call.state.pools.includes(`${pool}/${names.namespace}`))
      ? findImage(call, pool, names.namespace, names.image)
      : undefined;
  if (
    errno === 0 &&
    (image === undefined || (names.snap !== '' && !image.snapshots.some((s) => s.name === names.snap)))
  ) {
    errno = ERRNO.ENOENT;
  }
  if (errno !== 0) {
    call.stderr('rbd: sysfs write failed');
    // print_error_description: for anything but ENOENT it opens the image with librbd first.
    if (errno !== ERRNO.ENOENT) {
      if (failure === 'unreachable') {
        call.stderr(`${logPrefix(0)}monclient(hunting): authenticate timed out after 300`);
        call.stderr("rbd: couldn't connect to the cluster!");
      } else if (failure === 'permission') {
        call.stderr(
          `${logPrefix(-1)}monclient(hunting): handle_auth_bad_method server allowed_methods [2] but i only support [2]`,
        );
        call.stderr("rbd: couldn't connect to the cluster!");
      }
    }
    call.failure = null;
    call.stdout('In some cases useful info is found in syslog - try "dmesg | tail".\n');
    call.fail(errno, `rbd: map failed: ${cppStrerror(errno)}`);
  }
  const used = new Set(call.state.devices.map((d) => d.id));
  let id = 0;
  while (used.has(id)) id++;
  call.state.devices.push({
    id,
    pool,
    namespace: names.namespace,
    image: names.image,
    snap,
    readOnly: vm.flag('read-only') || mapOptions.readOnly || snap !== '-',
  });
  call.stdout(`/dev/rbd${id}\n`);
}

export function doUnmap(call: RbdCall, vm: Parsed): void {
  let device = vm.arg(0);
  if (!device.startsWith('/dev/')) device = '';
  let names: Names = { pool: '', namespace: '', image: '', snap: '' };
  if (device === '') names = poolImageSnapNames(call, vm, 'none', { value: 0 }, false, 'permitted', 'none');
  if (device === '' && names.image === '')
    call.fail(ERRNO.EINVAL, 'rbd: unmap requires either image name or device path');
  deviceType(call, vm);
  for (const text of vm.all('options')) {
    for (const item of text.split(',')) {
      if (item !== '' && item !== 'force')
        call.fail(ERRNO.EINVAL, `rbd: unknown unmap option '${item}'`, "rbd: couldn't parse unmap options");
    }
  }
  const unmapFailed = (errno: number): never => call.fail(errno, `rbd: unmap failed: ${cppStrerror(errno)}`);
  call.backend();
  let target: RbdState['devices'][number] | undefined;
  if (device !== '') {
    target = call.state.devices.find((d) => `/dev/rbd${d.id}` === device);
    if (target === undefined) {
      let realBlock = false;
      try {
        realBlock = call.out.files.stat(device).isBlockDevice();
      } catch {
        // no such node
      }
      call.stderr(realBlock ? `rbd: '${device}' is not an rbd device` : `rbd: '${device}' is not a block device`);
      unmapFailed(ERRNO.EINVAL);
    }
  } else {
    const pool = names.pool === '' ? 'rbd' : names.pool;
    const snap = names.snap === '' ? '-' : names.snap;
    const spec = krbdSpec(call, pool, names.namespace, names.image, snap);
    const matching = devicesInOrder(call).filter(
      (d) => d.pool === pool && d.namespace === names.namespace && d.image === names.image && d.snap === snap,
    );
    if (matching.length === 0 || call.consume('not-found')) {
      call.stderr(`rbd: ${spec}: not a mapped image or snapshot`);
      unmapFailed(ERRNO.EINVAL);
    }
    if (matching.length > 1)
      call.stderr(`rbd: ${spec}: mapped more than once, unmapping /dev/rbd${matching[0]!.id} only`);
    target = matching[0];
  }
  // The kernel does not need the cluster to unmap: unreachable/permission change nothing here.
  const errno = call.consume('busy') ? ERRNO.EBUSY : call.consume('not-found') ? ERRNO.ENOENT : 0;
  if (errno !== 0) {
    call.stderr('rbd: sysfs write failed');
    unmapFailed(errno);
  }
  call.state.devices = call.state.devices.filter((d) => d !== target);
}

export function doDeviceList(call: RbdCall, vm: Parsed): void {
  deviceType(call, vm);
  const f = formatter(call, vm);
  // Listing reads sysfs: an unreachable cluster changes nothing.
  call.backend();
  const errno = call.operationErrno();
  if (errno !== 0) call.fail(errno, `rbd: device list failed: ${cppStrerror(errno)}`);
  const devices = devicesInOrder(call);
  if (call.release === 12) {
    showmappedLuminous(call, f, devices);
    return;
  }
  if (f) {
    f.openArray('devices');
    for (const d of devices) {
      f.openObject('device');
      f.dumpString('id', String(d.id));
      f.dumpString('pool', d.pool);
      f.dumpString('namespace', d.namespace);
      f.dumpString('name', d.image);
      f.dumpString('snap', d.snap);
      f.dumpString('device', `/dev/rbd${d.id}`);
      f.close();
    }
    f.close();
    call.stdout(f.flush());
    return;
  }
  if (devices.length === 0) return;
  const table = call.table();
  for (const heading of ['id', 'pool', 'namespace', 'image', 'snap', 'device']) table.define(heading, 'left', 'left');
  for (const d of devices) table.row(d.id, d.pool, d.namespace, d.image, d.snap, `/dev/rbd${d.id}`);
  call.stdout(table.render());
}

/**
 * Ceph 12: `rbd showmapped` as Luminous' src/krbd.cc dump_images() prints it: JSON/XML an object
 * keyed by device id, each without `id` and `namespace` ({"0":{"pool":"rbd","name":"vol1",
 * "snap":"-","device":"/dev/rbd0"}}; `{}` when nothing is mapped); plain, the table without the
 * namespace column (an array with "id", and "namespace", came with 13 and 14: os-brick's rbd
 * connector parses both, "new-style output (ceph 13.2.0+)").
 */
function showmappedLuminous(call: RbdCall, f: CephFormatter | null, devices: RbdState['devices']): void {
  if (f) {
    f.openObject('devices');
    for (const d of devices) {
      f.openObject(String(d.id));
      f.dumpString('pool', d.pool);
      f.dumpString('name', d.image);
      f.dumpString('snap', d.snap);
      f.dumpString('device', `/dev/rbd${d.id}`);
      f.close();
    }
    f.close();
    call.stdout(f.flush());
    return;
  }
  if (devices.length === 0) return;
  const table = call.table();
  for (const heading of ['id', 'pool', 'image', 'snap', 'device']) table.define(heading, 'left', 'left');
  for (const d of devices) table.row(d.id, d.pool, d.image, d.snap, `/dev/rbd${d.id}`);
  call.stdout(table.render());
}
