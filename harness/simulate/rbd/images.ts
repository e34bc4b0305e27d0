// The image commands: create, resize, remove and list (src/tools/rbd/action/Create.cc, Resize.cc,
// Remove.cc, List.cc).

import { byteU, fakePointer, siSize } from '../ceph-format.js';
import { cppStrerror, ERRNO } from '../errno.js';
import { imageKey, newImageId, nowSeconds } from '../state.js';
import type { Parsed } from './arguments.js';
import type { RbdCall } from './call.js';
import { findImage, openImage, openPool, poolExists, unlinkChild, watched } from './cluster.js';
import { formatter } from './formatter.js';
import { imageOptions } from './image-options.js';
import { poolImageSnapNames } from './names.js';
import { sizeBytes } from './options.js';

export function doCreate(call: RbdCall, vm: Parsed): void {
  const index = { value: 0 };
  const names = poolImageSnapNames(call, vm, 'none', index, true, 'none', 'full');
  const options = imageOptions(call, vm, true);
  if (!vm.has('size')) call.fail(ERRNO.EINVAL, 'rbd: must specify --size <M/G/T>');
  const bytes = sizeBytes(vm.get('size')!)!;
  const pool = openPool(call, names.pool, names.namespace, undefined, true);
  const errno = call.operationErrno();
  if (errno !== 0) call.fail(errno, `rbd: create error: ${cppStrerror(errno)}`);
  if (options.format === 1) {
    call.lderr('librbd: ', 'Format 1 image creation unsupported. ');
    call.fail(ERRNO.EINVAL, `rbd: create error: ${cppStrerror(ERRNO.EINVAL)}`);
  }
  if (options.dataPool !== undefined && !poolExists(call, options.dataPool)) {
    // Assumption: librbd's CreateRequest refuses a data pool that does not exist this way.
    call.lderr(
      `librbd::image::CreateRequest: ${fakePointer()} validate_data_pool: `,
      `data pool ${options.dataPool} does not exist`,
    );
    call.fail(ERRNO.ENOENT, `rbd: create error: ${cppStrerror(ERRNO.ENOENT)}`);
  }
  if (findImage(call, pool, names.namespace, names.image) !== undefined) {
    call.lderr('librbd: ', `rbd image ${names.image} already exists`);
    call.fail(ERRNO.EEXIST, `rbd: create error: ${cppStrerror(ERRNO.EEXIST)}`);
  }
  call.state.images[imageKey(pool, names.namespace, names.image)] = {
    id: newImageId(),
    bytes,
    order: options.order,
    features: options.features,
    meta: {},
    snapshots: [],
    parent: null,
    created: nowSeconds(),
  };
  if (vm.flag('thick-provision')) call.progressDone(vm, 'Thick provisioning');
}

export function doResize(call: RbdCall, vm: Parsed): void {
  const names = poolImageSnapNames(call, vm, 'none', { value: 0 }, true, 'none', 'none');
  if (!vm.has('size')) call.fail(ERRNO.EINVAL, 'rbd: must specify --size <M/G/T>');
  const bytes = sizeBytes(vm.get('size')!)!;
  const { image } = openImage(call, names);
  if (image.bytes === bytes) call.fail(ERRNO.EINVAL, 'rbd: new size is equal to original size ');
  const allowShrink = vm.flag('allow-shrink');
  if (image.bytes > bytes && !allowShrink) {
    call.fail(ERRNO.EINVAL, 'rbd: shrinking an image is only allowed with the --allow-shrink flag');
  }
  const errno = call.operationErrno();
  if (errno !== 0) {
    call.progressFailed(vm, 'Resizing image');
    call.fail(errno, `rbd: resize error: ${cppStrerror(errno)}`);
  }
  image.bytes = bytes;
  if (image.parent !== null) image.parent.overlap = Math.min(image.parent.overlap, bytes);
  call.progressDone(vm, 'Resizing image');
}

export function doRemove(call: RbdCall, vm: Parsed): void {
  const names = poolImageSnapNames(call, vm, 'none', { value: 0 }, true, 'none', 'none');
  const pool = openPool(call, names.pool, names.namespace);
  const key = imageKey(pool, names.namespace, names.image);
  const image = call.state.images[key];
  let errno = call.operationErrno();
  if (errno === 0 && image === undefined) errno = ERRNO.ENOENT;
  if (errno === 0 && image!.snapshots.length > 0) {
    // Ceph 16.2.15 logs nothing here (e2e/drift/rbd.ts).
    errno = ERRNO.ENOTEMPTY;
  }
  if (errno === 0 && watched(call, pool, names.namespace, names.image)) errno = ERRNO.EBUSY;
  if (errno === ERRNO.EBUSY) {
    call.lderr(
      `librbd::image::PreRemoveRequest: ${fakePointer()} check_image_watchers: `,
      'image has watchers - not removing',
    );
  }
  if (errno !== 0) {
    call.progressFailed(vm, 'Removing image');
    if (errno === ERRNO.ENOTEMPTY) {
      call.fail(
        errno,
        "rbd: image has snapshots - these must be deleted with 'rbd snap purge' before the image can be removed.",
      );
    }
    if (errno === ERRNO.EBUSY) {
      call.fail(
        errno,
        'rbd: error: image still has watchers',
        'This means the image is still open or the client using it crashed. Try again after closing/unmapping it or waiting 30s for the crashed client to timeout.',
      );
    }
    call.fail(errno, `rbd: delete error: ${cppStrerror(errno)}`);
  }
  if (image!.parent !== null) unlinkChild(call, image!, key);
  delete call.state.images[key];
  call.progressDone(vm, 'Removing image');
}

export function doList(call: RbdCall, vm: Parsed): void {
  let pool = vm.get('pool') ?? '';
  let namespace = vm.get('namespace') ?? '';
  if (!vm.has('pool')) {
    const spec = vm.arg(0);
    if (spec !== '') {
      const slash = spec.lastIndexOf('/');
      if (slash >= 0) namespace = spec.slice(slash + 1);
      pool = slash >= 0 ? spec.slice(0, slash) : spec;
    }
  }
  if (namespace.includes('/') || namespace.includes('@'))
    call.fail(ERRNO.EINVAL, `rbd: invalid namespace '${namespace}'`);
  const f = formatter(call, vm);
  // Ceph 12: Luminous' action/List.cc execute() says "rbd: list: ..." instead.
  const failed = (errno: number) =>
    call.stderr(`rbd: ${call.release === 12 ? 'list' : 'listing images failed'}: ${cppStrerror(errno)}`);
  const name = openPool(call, pool, namespace, failed, true);
  const errno = call.operationErrno();
  if (errno !== 0) {
    failed(errno);
    call.exit(errno);
  }
  const prefix = namespace === '' ? `${name}/` : `${name}/${namespace}/`;
  const images = Object.keys(call.state.images)
    .filter((k) => k.startsWith(prefix) && !k.slice(prefix.length).includes('/'))
    .map((k) => k.slice(prefix.length))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (!vm.flag('long')) {
    if (f) {
      f.openArray('images');
      for (const image of images) f.dumpString('name', image);
      f.close();
      call.stdout(f.flush());
    } else {
      call.stdout(images.map((i) => `${i}\n`).join(''));
    }
    return;
  }
  // Ceph 12: Luminous' action/List.cc right-aligns the SIZE and FMT headings, prints sizes as
  // si_t ("1024M"), and gives no image `id` and no parent `pool_namespace` in JSON.
  const luminous = call.release === 12;
  const size = luminous ? siSize : byteU;
  const table = call.table();
  if (f) f.openArray('images');
  else {
    table.define('NAME', 'left', 'left');
    table.define('SIZE', luminous ? 'right' : 'left', 'right');
    table.define('PARENT', 'left', 'left');
    table.define('FMT', luminous ? 'right' : 'left', 'right');
    table.define('PROT', 'left', 'left');
    table.define('LOCK', 'left', 'left');
  }
  for (const imageName of images) {
    const image = call.state.images[prefix + imageName]!;
    const parent =
      image.parent === null
        ? ''
        : `${image.parent.pool}/${image.parent.namespace === '' ? '' : `${image.parent.namespace}/`}${image.parent.image}@${image.parent.snapshot}`;
    const dumpParent = () => {
      const p = image.parent!;
      f!.openObject('parent');
      f!.dumpString('pool', p.pool);
      if (!luminous) f!.dumpString('pool_namespace', p.namespace);
      f!.dumpString('image', p.image);
      f!.dumpString('snapshot', p.snapshot);
      f!.close();
    };
    if (f) {
      f.openObject('image');
      f.dumpString('image', imageName);
      if (!luminous) f.dumpString('id', image.id);
      f.dumpNumber('size', image.bytes);
      if (image.parent !== null) dumpParent();
      f.dumpNumber('format', 2);
      f.close();
    } else {
      table.row(imageName, size(image.bytes), parent, '2', '', '');
    }
    for (const s of image.snapshots) {
      if (f) {
        f.openObject('snapshot');
        f.dumpString('image', imageName);
        if (!luminous) f.dumpString('id', image.id);
        f.dumpString('snapshot', s.name);
        if (!luminous) f.dumpNumber('snapshot_id', s.id);
        f.dumpNumber('size', s.bytes);
        if (image.parent !== null) dumpParent();
        f.dumpNumber('format', 2);
        f.dumpString('protected', s.protected ? 'true' : 'false');
        f.close();
      } else {
        table.row(`${imageName}@${s.name}`, size(s.bytes), parent, '2', s.protected ? 'yes' : '', '');
      }
    }
  }
  if (f) {
    f.close();
    call.stdout(f.flush());
  } else if (images.length > 0) {
    call.stdout(table.render());
  }
}
