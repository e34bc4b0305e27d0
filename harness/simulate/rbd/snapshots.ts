// The snapshot commands: snap create, list, purge, protect, unprotect and remove
// (src/tools/rbd/action/Snap.cc).

import { byteU, ctime, fakePointer } from '../ceph-format.js';
import { cppStrerror, ERRNO } from '../errno.js';
import { nowSeconds } from '../state.js';
import type { Parsed } from './arguments.js';
import type { RbdCall } from './call.js';
import { findImage, openImage, openPool } from './cluster.js';
import { formatter } from './formatter.js';
import { poolImageSnapNames } from './names.js';

export function doSnapCreate(call: RbdCall, vm: Parsed): void {
  const names = poolImageSnapNames(call, vm, 'none', { value: 0 }, true, 'required', 'snap');
  if (vm.flag('skip-quiesce') && vm.flag('ignore-quiesce-error')) {
    call.fail(ERRNO.EINVAL, 'rbd: ignore-quiesce-error cannot be used together with skip-quiesce');
  }
  const { image } = openImage(call, names);
  let errno = call.operationErrno();
  if (errno === 0 && image.snapshots.some((s) => s.name === names.snap)) errno = ERRNO.EEXIST;
  if (errno !== 0) {
    call.progressFailed(vm, 'Creating snap');
    call.fail(errno, `rbd: failed to create snapshot: ${cppStrerror(errno)}`);
  }
  image.snapshots.push({
    id: call.state.nextSnapId++,
    name: names.snap,
    bytes: image.bytes,
    protected: false,
    created: nowSeconds(),
    children: [],
  });
  call.progressDone(vm, 'Creating snap');
}

export function doSnapList(call: RbdCall, vm: Parsed): void {
  if (vm.has('image-id'))
    call.fail(ERRNO.EOPNOTSUPP, "rbd (extstorage-kit simulator): 'rbd snap ls --image-id' is not simulated");
  const names = poolImageSnapNames(call, vm, 'none', { value: 0 }, true, 'none', 'none');
  const f = formatter(call, vm);
  const { image } = openImage(call, names);
  const errno = call.operationErrno();
  if (errno !== 0)
    call.fail(errno, 'rbd: unable to list snapshots', `rbd: failed to list snapshots: ${cppStrerror(errno)}`);
  const all = vm.flag('all');
  const table = call.table();
  if (f) f.openArray('snapshots');
  else {
    table.define('SNAPID', 'left', 'right');
    table.define('NAME', 'left', 'left');
    table.define('SIZE', 'left', 'right');
    table.define('PROTECTED', 'left', 'left');
    table.define('TIMESTAMP', 'left', 'right');
    if (all) table.define('NAMESPACE', 'left', 'left');
  }
  for (const s of image.snapshots) {
    if (f) {
      f.openObject('snapshot');
      f.dumpNumber('id', s.id);
      f.dumpString('name', s.name);
      f.dumpNumber('size', s.bytes);
      f.dumpString('protected', s.protected ? 'true' : 'false');
      f.dumpString('timestamp', ctime(s.created));
      if (all) {
        f.openObject('namespace');
        f.dumpString('type', 'user');
        f.close();
      }
      f.close();
    } else {
      const cells: (string | number)[] = [s.id, s.name, byteU(s.bytes), s.protected ? 'yes' : '', ctime(s.created)];
      if (all) cells.push('user');
      table.row(...cells);
    }
  }
  if (f) {
    f.close();
    call.stdout(f.flush());
  } else if (image.snapshots.length > 0) {
    call.stdout(table.render());
  }
}

/** `rbd snap purge`: Ceph 16.2.15 reports protected snapshots on stdout and still exits 0. */
export function doSnapPurge(call: RbdCall, vm: Parsed): void {
  if (vm.has('image-id'))
    call.fail(ERRNO.EOPNOTSUPP, "rbd (extstorage-kit simulator): 'rbd snap purge --image-id' is not simulated");
  const names = poolImageSnapNames(call, vm, 'none', { value: 0 }, true, 'none', 'none');
  const { image } = openImage(call, names);
  const errno = call.operationErrno();
  if (errno !== 0) call.fail(errno, `rbd: removing snaps failed: ${cppStrerror(errno)}`);
  const total = image.snapshots.length;
  if (total === 0) return;
  const kept = image.snapshots.filter((s) => s.protected);
  image.snapshots = kept;
  if (kept.length === 0) {
    call.progressDone(vm, 'Removing all snapshots');
    return;
  }
  if (!vm.flag('no-progress')) {
    call.out.err(
      `\rRemoving all snapshots: ${Math.floor(((total - kept.length) * 100) / total)}% complete...failed.\n`,
    );
  }
  const which = kept.length === 1 ? 'which is protected' : 'which are protected';
  call.stdout(
    `rbd: error removing snapshot(s) '${kept.map((s) => s.name).join(',')}', ${which} - these must be unprotected with \`rbd snap unprotect\`.\n`,
  );
}

export function doSnapProtect(call: RbdCall, vm: Parsed): void {
  const names = poolImageSnapNames(call, vm, 'none', { value: 0 }, true, 'required', 'none');
  const { image } = openImage(call, names);
  const snapshot = image.snapshots.find((s) => s.name === names.snap);
  if (snapshot === undefined) call.fail(ERRNO.ENOENT, `rbd: protecting snap failed: ${cppStrerror(ERRNO.ENOENT)}`);
  if (snapshot.protected) call.fail(ERRNO.EBUSY, 'rbd: snap is already protected');
  const errno = call.operationErrno();
  if (errno !== 0) call.fail(errno, `rbd: protecting snap failed: ${cppStrerror(errno)}`);
  if (!image.features.includes('layering')) {
    // librbd refuses to protect snapshots of images that cannot be cloned.
    call.lderr('librbd::Operations: ', 'image must support layering');
    call.fail(ERRNO.ENOSYS, `rbd: protecting snap failed: ${cppStrerror(ERRNO.ENOSYS)}`);
  }
  snapshot.protected = true;
}

export function doSnapUnprotect(call: RbdCall, vm: Parsed): void {
  if (vm.has('image-id'))
    call.fail(ERRNO.EOPNOTSUPP, "rbd (extstorage-kit simulator): 'rbd snap unprotect --image-id' is not simulated");
  const names = poolImageSnapNames(call, vm, 'none', { value: 0 }, true, 'required', 'none');
  const { pool, image } = openImage(call, names);
  const snapshot = image.snapshots.find((s) => s.name === names.snap);
  if (snapshot === undefined) call.fail(ERRNO.ENOENT, `rbd: unprotecting snap failed: ${cppStrerror(ERRNO.ENOENT)}`);
  if (!snapshot.protected) call.fail(ERRNO.EINVAL, 'rbd: snap is already unprotected');
  let errno = call.operationErrno();
  if (errno === 0 && snapshot.children.length > 0) {
    // What Ceph 16.2.15 logs (e2e/drift/rbd.ts); the last line comes from a second thread, and
    // where it lands among the others varies from run to run.
    const ids = snapshot.children.map((c) => call.state.images[c]?.id ?? '').join(',');
    const request = 'librbd::SnapshotUnprotectRequest: ';
    const pointer = fakePointer();
    call.lderr(request, `cannot unprotect: at least ${snapshot.children.length} child(ren) [${ids}] in pool '${pool}'`);
    call.lderr(request, `encountered error: ${cppStrerror(ERRNO.EBUSY)}`);
    call.lderr(request, `${pointer} should_complete_error: ret_val=-${ERRNO.EBUSY}`);
    call.lderr(request, `${pointer} should_complete_error: ret_val=-${ERRNO.EBUSY}`);
    errno = ERRNO.EBUSY;
  }
  if (errno !== 0) call.fail(errno, `rbd: unprotecting snap failed: ${cppStrerror(errno)}`);
  snapshot.protected = false;
}

export function doSnapRemove(call: RbdCall, vm: Parsed): void {
  if (vm.has('image-id') || vm.has('snap-id')) {
    call.fail(ERRNO.EOPNOTSUPP, "rbd (extstorage-kit simulator): 'rbd snap rm' by id is not simulated");
  }
  const names = poolImageSnapNames(call, vm, 'none', { value: 0 }, true, 'required', 'none');
  const pool = openPool(call, names.pool, names.namespace);
  const image = findImage(call, pool, names.namespace, names.image);
  if (image === undefined || call.consume('not-found')) {
    call.fail(ERRNO.ENOENT, `rbd: error opening image ${names.image}: ${cppStrerror(ERRNO.ENOENT)}`);
  }
  const index = image.snapshots.findIndex((s) => s.name === names.snap);
  let errno = call.operationErrno();
  if (errno === 0 && index < 0) errno = ERRNO.ENOENT;
  const snapshot = image.snapshots[index];
  if (errno === 0 && snapshot!.protected) {
    if (vm.flag('force') && snapshot!.children.length === 0) {
      snapshot!.protected = false;
    } else {
      call.lderr('librbd::Operations: ', 'snapshot is protected');
      errno = ERRNO.EBUSY;
    }
  }
  if (errno !== 0) {
    call.progressFailed(vm, 'Removing snap');
    if (errno === ERRNO.EBUSY) call.fail(errno, `rbd: snapshot '${names.snap}' is protected from removal.`);
    call.fail(errno, `rbd: failed to remove snapshot: ${cppStrerror(errno)}`);
  }
  image.snapshots.splice(index, 1);
  call.progressDone(vm, 'Removing snap');
}
