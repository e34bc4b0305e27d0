// The image-meta commands: list, get, set and remove an image's key/value metadata
// (src/tools/rbd/action/ImageMeta.cc).

import { cppStrerror, ERRNO } from '../errno.js';
import type { Parsed } from './arguments.js';
import type { RbdCall } from './call.js';
import { openImage } from './cluster.js';
import { formatter } from './formatter.js';
import { poolImageSnapNames } from './names.js';

function metaKey(call: RbdCall, vm: Parsed): string {
  const key = vm.arg(1);
  if (key === '') call.fail(ERRNO.EINVAL, 'rbd: metadata key was not specified');
  return key;
}

export function doMetaList(call: RbdCall, vm: Parsed): void {
  const names = poolImageSnapNames(call, vm, 'none', { value: 0 }, true, 'none', 'none');
  const f = formatter(call, vm);
  const { image } = openImage(call, names);
  const errno = call.operationErrno();
  if (errno !== 0) {
    call.fail(
      errno,
      `failed to list metadata of image : ${cppStrerror(errno)}`,
      `rbd: listing metadata failed: ${cppStrerror(errno)}`,
    );
  }
  const keys = Object.keys(image.meta).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const count = keys.length;
  if (f === null) {
    const single = count === 1;
    call.stdout(
      `There ${single ? 'is' : 'are'} ${count} ${single ? 'metadatum' : 'metadata'} on this image${count === 0 ? '.' : ':'}\n`,
    );
  }
  if (count === 0) return;
  if (f) {
    f.openObject('metadatas');
    for (const key of keys) f.dumpString(key, image.meta[key]!);
    f.close();
    call.stdout(f.flush());
  } else {
    const table = call.table();
    table.define('Key', 'left', 'left');
    table.define('Value', 'left', 'left');
    for (const key of keys) table.row(key, image.meta[key]!);
    call.stdout(`\n${table.render()}`);
  }
}

export function doMetaGet(call: RbdCall, vm: Parsed): void {
  const names = poolImageSnapNames(call, vm, 'none', { value: 0 }, true, 'none', 'none');
  const key = metaKey(call, vm);
  const { image } = openImage(call, names);
  let errno = call.operationErrno();
  if (errno === 0 && !(key in image.meta)) errno = ERRNO.ENOENT;
  if (errno !== 0) {
    call.fail(
      errno,
      `failed to get metadata ${key} of image : ${cppStrerror(errno)}`,
      `rbd: getting metadata failed: ${cppStrerror(errno)}`,
    );
  }
  call.stdout(`${image.meta[key]}\n`);
}

export function doMetaSet(call: RbdCall, vm: Parsed): void {
  const names = poolImageSnapNames(call, vm, 'none', { value: 0 }, true, 'none', 'none');
  const key = metaKey(call, vm);
  const value = vm.arg(2);
  if (value === '') call.fail(ERRNO.EINVAL, 'rbd: metadata value was not specified');
  const { image } = openImage(call, names);
  const errno = call.operationErrno();
  if (errno !== 0) {
    call.fail(
      errno,
      `failed to set metadata ${key} of image : ${cppStrerror(errno)}`,
      `rbd: setting metadata failed: ${cppStrerror(errno)}`,
    );
  }
  image.meta[key] = value;
}

export function doMetaRemove(call: RbdCall, vm: Parsed): void {
  const names = poolImageSnapNames(call, vm, 'none', { value: 0 }, true, 'none', 'none');
  const key = metaKey(call, vm);
  const { image } = openImage(call, names);
  let errno = call.operationErrno();
  if (errno === 0 && !(key in image.meta)) errno = ERRNO.ENOENT;
  if (errno === ERRNO.ENOENT) {
    call.fail(
      errno,
      `rbd: no existing metadata key ${key} of image : ${cppStrerror(errno)}`,
      `rbd: removing metadata failed: ${cppStrerror(errno)}`,
    );
  }
  if (errno !== 0) {
    call.fail(
      errno,
      `failed to remove metadata ${key} of image : ${cppStrerror(errno)}`,
      `rbd: removing metadata failed: ${cppStrerror(errno)}`,
    );
  }
  delete image.meta[key];
}
