// Images made from others: children of a snapshot, clone (v1), copy and flatten
// (src/tools/rbd/action/Children.cc, Clone.cc, Copy.cc, Flatten.cc).

import { fakePointer } from '../ceph-format.js';
import { cppStrerror, ERRNO } from '../errno.js';
import { imageKey, newImageId, nowSeconds, RBD_DEFAULT_FEATURES } from '../state.js';
import type { Parsed } from './arguments.js';
import type { RbdCall } from './call.js';
import { findImage, openImage, openPool, unlinkChild } from './cluster.js';
import { formatter } from './formatter.js';
import { imageOptions } from './image-options.js';
import { poolImageSnapNames } from './names.js';

/** `rbd children`: the clones of a snapshot (clone v1: recorded on the snapshot). */
export function doChildren(call: RbdCall, vm: Parsed): void {
  const names = poolImageSnapNames(call, vm, 'none', { value: 0 }, true, 'permitted', 'none');
  const f = formatter(call, vm);
  const { image } = openImage(call, names);
  const errno = call.operationErrno();
  if (errno !== 0) call.fail(errno, `rbd: listing children failed: ${cppStrerror(errno)}`);
  let children: string[] = [];
  if (names.snap !== '') {
    const snapshot = image.snapshots.find((s) => s.name === names.snap);
    if (snapshot === undefined) call.fail(ERRNO.ENOENT, 'rbd: snapshot does not exist.');
    children = [...snapshot.children].sort();
  }
  if (f) {
    f.openArray('children');
    for (const key of children) {
      const [pool, ...rest] = key.split('/');
      const child = rest.pop()!;
      f.openObject('child');
      f.dumpString('pool', pool!);
      f.dumpString('pool_namespace', rest.join('/'));
      f.dumpString('image', child);
      f.close();
    }
    f.close();
    call.stdout(f.flush());
  } else {
    for (const key of children) call.stdout(`${key}\n`);
  }
}

export function doClone(call: RbdCall, vm: Parsed): void {
  const index = { value: 0 };
  const source = poolImageSnapNames(call, vm, 'source', index, true, 'required', 'none');
  const dest = poolImageSnapNames(call, vm, 'dest', index, true, 'none', 'full');
  const options = imageOptions(call, vm, false);
  const pool = openPool(call, source.pool, source.namespace);
  const destPool = openPool(call, dest.pool, dest.namespace);
  const error = (errno: number): never => call.fail(errno, `rbd: clone error: ${cppStrerror(errno)}`);
  const errno = call.operationErrno();
  if (errno !== 0) error(errno);
  const parent = findImage(call, pool, source.namespace, source.image);
  const snapshot = parent?.snapshots.find((s) => s.name === source.snap);
  const prefix = `librbd::image::CloneRequest: ${fakePointer()} `;
  if (parent === undefined || snapshot === undefined) {
    if (parent !== undefined) call.lderr('librbd::image::OpenRequest: ', `failed to find snapshot ${source.snap}`);
    call.lderr(prefix, `handle_open_parent: failed to open parent image: ${cppStrerror(ERRNO.ENOENT)}`);
    error(ERRNO.ENOENT);
  }
  if (!parent!.features.includes('layering')) {
    call.lderr(prefix, 'validate_parent: parent image must support layering');
    error(ERRNO.ENOSYS);
  }
  // Clone v1 (Ceph 16's default while the cluster's min compat client is below mimic): the
  // parent snapshot must be protected.
  if (!snapshot!.protected) {
    call.lderr(prefix, 'validate_parent: parent snapshot must be protected');
    error(ERRNO.EINVAL);
  }
  const key = imageKey(destPool, dest.namespace, dest.image);
  if (call.state.images[key] !== undefined) {
    call.lderr(prefix, `validate_child: rbd image ${dest.image} already exists`);
    error(ERRNO.EEXIST);
  }
  call.state.images[key] = {
    id: newImageId(),
    bytes: snapshot!.bytes,
    order: vm.has('order') || vm.has('object-size') ? options.order : parent!.order,
    features: vm.has('image-feature') ? options.features : [...parent!.features],
    meta: {},
    snapshots: [],
    parent: {
      pool,
      namespace: source.namespace,
      image: source.image,
      imageId: parent!.id,
      snapshot: source.snap,
      overlap: snapshot!.bytes,
    },
    created: nowSeconds(),
  };
  snapshot!.children.push(key);
}

export function doCopy(call: RbdCall, vm: Parsed): void {
  const index = { value: 0 };
  const source = poolImageSnapNames(call, vm, 'source', index, true, 'permitted', 'none');
  const dest = poolImageSnapNames(call, vm, 'dest', index, true, 'none', 'full');
  const options = imageOptions(call, vm, false);
  const { image } = openImage(call, source, source.snap);
  const destPool = openPool(call, dest.pool, dest.namespace);
  const key = imageKey(destPool, dest.namespace, dest.image);
  let errno = call.operationErrno();
  if (errno === 0 && call.state.images[key] !== undefined) {
    call.lderr('librbd: ', `rbd image ${dest.image} already exists`);
    errno = ERRNO.EEXIST;
  }
  if (errno !== 0) {
    call.progressFailed(vm, 'Image copy');
    call.fail(errno, `rbd: copy failed: ${cppStrerror(errno)}`);
  }
  const snapshot = source.snap === '' ? undefined : image.snapshots.find((s) => s.name === source.snap);
  call.state.images[key] = {
    id: newImageId(),
    bytes: snapshot?.bytes ?? image.bytes,
    order: vm.has('order') || vm.has('object-size') ? options.order : image.order,
    features: vm.has('image-feature') ? options.features : [...RBD_DEFAULT_FEATURES],
    meta: { ...image.meta },
    snapshots: [],
    parent: null,
    created: nowSeconds(),
  };
  call.progressDone(vm, 'Image copy');
}

export function doFlatten(call: RbdCall, vm: Parsed): void {
  const names = poolImageSnapNames(call, vm, 'none', { value: 0 }, true, 'none', 'none');
  const { pool, image } = openImage(call, names);
  let errno = call.operationErrno();
  if (errno === 0 && image.parent === null) {
    // Assumption: librbd's message for flattening an image that is not a clone.
    call.lderr(`librbd::Operations: ${fakePointer()} flatten: `, 'image has no parent');
    errno = ERRNO.EINVAL;
  }
  if (errno !== 0) {
    call.progressFailed(vm, 'Image flatten');
    call.fail(errno, `rbd: flatten error: ${cppStrerror(errno)}`);
  }
  unlinkChild(call, image, imageKey(pool, names.namespace, names.image));
  image.parent = null;
  call.progressDone(vm, 'Image flatten');
}
