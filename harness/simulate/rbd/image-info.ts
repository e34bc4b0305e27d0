// `rbd info`: an image's or snapshot's size, layout, features and parent, plain or formatted, as
// each release prints it (src/tools/rbd/action/Info.cc).

import { byteU, ctime, prettyByte, type CephFormatter } from '../ceph-format.js';
import { cppStrerror, ERRNO } from '../errno.js';
import type { RbdImage } from '../state.js';
import type { Parsed } from './arguments.js';
import type { RbdCall } from './call.js';
import { openImage } from './cluster.js';
import { formatter } from './formatter.js';
import { poolImageSnapNames } from './names.js';

export function doInfo(call: RbdCall, vm: Parsed): void {
  if (vm.has('image-id')) {
    call.fail(ERRNO.EOPNOTSUPP, "rbd (extstorage-kit simulator): 'rbd info --image-id' is not simulated");
  }
  const names = poolImageSnapNames(call, vm, 'none', { value: 0 }, true, 'permitted', 'none');
  const f = formatter(call, vm);
  const { image } = openImage(call, names, names.snap);
  const errno = call.operationErrno();
  if (errno !== 0) call.fail(errno, `rbd: info: ${cppStrerror(errno)}`);
  const snapshot = names.snap === '' ? undefined : image.snapshots.find((s) => s.name === names.snap);
  const bytes = snapshot?.bytes ?? image.bytes;
  const objectSize = 2 ** image.order;
  const objects = Math.ceil(bytes / objectSize);
  const stamp = ctime(image.created);
  const protectedSnap = snapshot?.protected ?? false;
  if (call.release === 12) {
    infoLuminous(
      call,
      f,
      names.image,
      image,
      bytes,
      objects,
      objectSize,
      stamp,
      snapshot === undefined ? null : protectedSnap,
    );
    return;
  }
  if (f) {
    f.openObject('image');
    f.dumpString('name', names.image);
    f.dumpString('id', image.id);
    f.dumpNumber('size', bytes);
    f.dumpNumber('objects', objects);
    f.dumpNumber('order', image.order);
    f.dumpNumber('object_size', objectSize);
    f.dumpNumber('snapshot_count', image.snapshots.length);
    f.dumpString('block_name_prefix', `rbd_data.${image.id}`);
    f.dumpNumber('format', 2);
    f.openArray('features');
    for (const feature of image.features) f.dumpString('feature', feature);
    f.close();
    f.openArray('op_features');
    f.close();
    f.openArray('flags');
    f.close();
    f.dumpString('create_timestamp', stamp);
    f.dumpString('access_timestamp', stamp);
    f.dumpString('modify_timestamp', stamp);
    if (snapshot !== undefined) f.dumpString('protected', protectedSnap ? 'true' : 'false');
    if (image.parent !== null) {
      f.openObject('parent');
      f.dumpString('pool', image.parent.pool);
      f.dumpString('pool_namespace', image.parent.namespace);
      f.dumpString('image', image.parent.image);
      f.dumpString('id', image.parent.imageId);
      f.dumpString('snapshot', image.parent.snapshot);
      f.dumpBool('trash', false);
      f.dumpNumber('overlap', image.parent.overlap);
      f.close();
    }
    f.close();
    call.stdout(f.flush());
    return;
  }
  let text = `rbd image '${names.image}':\n`;
  text += `\tsize ${byteU(bytes)} in ${objects} objects\n`;
  text += `\torder ${image.order} (${byteU(objectSize)} objects)\n`;
  text += `\tsnapshot_count: ${image.snapshots.length}\n`;
  text += `\tid: ${image.id}\n`;
  text += `\tblock_name_prefix: rbd_data.${image.id}\n`;
  text += '\tformat: 2\n';
  text += `\tfeatures: ${image.features.join(', ')}\n`;
  text += '\top_features: \n';
  text += '\tflags: \n';
  text += `\tcreate_timestamp: ${stamp}\n`;
  text += `\taccess_timestamp: ${stamp}\n`;
  text += `\tmodify_timestamp: ${stamp}\n`;
  if (snapshot !== undefined) text += `\tprotected: ${protectedSnap ? 'True' : 'False'}\n`;
  if (image.parent !== null) {
    const p = image.parent;
    text += `\tparent: ${p.pool}/${p.namespace === '' ? '' : `${p.namespace}/`}${p.image}@${p.snapshot}\n`;
    text += `\toverlap: ${byteU(p.overlap)}\n`;
  }
  call.stdout(text);
}

/**
 * Ceph 12: `rbd info` as Luminous prints it (src/tools/rbd/action/Info.cc of 12.2): no `id`,
 * `snapshot_count` or `op_features` (all new in 13), no `access_timestamp`/`modify_timestamp`
 * (new in 14); sizes as prettybyte_t ("1024 MB", "4096 kB objects"); `create_timestamp` after the
 * flags; a parent without `pool_namespace`, `id` and `trash` (librbd parent_info of 12).
 */
function infoLuminous(
  call: RbdCall,
  f: CephFormatter | null,
  name: string,
  image: RbdImage,
  bytes: number,
  objects: number,
  objectSize: number,
  stamp: string,
  protectedSnap: boolean | null,
): void {
  const p = image.parent;
  if (f) {
    f.openObject('image');
    f.dumpString('name', name);
    f.dumpNumber('size', bytes);
    f.dumpNumber('objects', objects);
    f.dumpNumber('order', image.order);
    f.dumpNumber('object_size', objectSize);
    f.dumpString('block_name_prefix', `rbd_data.${image.id}`);
    f.dumpNumber('format', 2);
    f.openArray('features');
    for (const feature of image.features) f.dumpString('feature', feature);
    f.close();
    f.openArray('flags');
    f.close();
    f.dumpString('create_timestamp', stamp);
    if (protectedSnap !== null) f.dumpString('protected', protectedSnap ? 'true' : 'false');
    if (p !== null) {
      f.openObject('parent');
      f.dumpString('pool', p.pool);
      f.dumpString('image', p.image);
      f.dumpString('snapshot', p.snapshot);
      f.dumpNumber('overlap', p.overlap);
      f.close();
    }
    f.close();
    call.stdout(f.flush());
    return;
  }
  let text = `rbd image '${name}':\n`;
  text += `\tsize ${prettyByte(bytes)} in ${objects} objects\n`;
  text += `\torder ${image.order} (${prettyByte(objectSize)} objects)\n`;
  text += `\tblock_name_prefix: rbd_data.${image.id}\n`;
  text += '\tformat: 2\n';
  text += `\tfeatures: ${image.features.join(', ')}\n`;
  text += '\tflags: \n';
  text += `\tcreate_timestamp: ${stamp}\n`;
  if (protectedSnap !== null) text += `\tprotected: ${protectedSnap ? 'True' : 'False'}\n`;
  if (p !== null) {
    text += `\tparent: ${p.pool}/${p.image}@${p.snapshot}\n`;
    text += `\toverlap: ${prettyByte(p.overlap)}\n`;
  }
  call.stdout(text);
}
