// The cluster as rbd reaches it: connecting, opening pools, namespaces and images, and the image
// store's links (kernel watchers, a clone's parent snapshot).

import { logPrefix } from '../ceph-format.js';
import { cppStrerror, ERRNO } from '../errno.js';
import { imageKey, type RbdImage } from '../state.js';
import type { RbdCall } from './call.js';
import type { Names } from './names.js';

/** utils::init_rados: connecting to the monitors. Injected unreachable/permission fail here. */
export function connect(call: RbdCall): void {
  call.backend();
  if (call.failure === 'unreachable') {
    call.failure = null;
    // Assumption: what a client prints when no monitor answers within client_mount_timeout.
    call.stderr(`${logPrefix(0)}monclient(hunting): authenticate timed out after 300`);
    call.fail(ERRNO.ETIMEDOUT, "rbd: couldn't connect to the cluster!");
  }
  if (call.failure === 'permission') {
    call.failure = null;
    // Assumption: a cephx key the monitors reject (one line per monitor tried in reality).
    call.stderr(
      `${logPrefix(-1)}monclient(hunting): handle_auth_bad_method server allowed_methods [2] but i only support [2]`,
    );
    call.fail(ERRNO.EACCES, "rbd: couldn't connect to the cluster!");
  }
}

export function poolExists(call: RbdCall, pool: string): boolean {
  return call.state.pools.includes(pool);
}

/** utils::init: connect, then open the pool (and namespace); prints rbd's messages on failure. */
export function openPool(
  call: RbdCall,
  pool: string,
  namespace: string,
  after: (errno: number) => void = () => undefined,
  notFoundHere = false,
): string {
  connect(call);
  const name = pool === '' ? 'rbd' : pool;
  if (!poolExists(call, name) || (notFoundHere && call.consume('not-found'))) {
    if (name === 'rbd') {
      call.stderr(`rbd: error opening default pool '${name}'`);
      call.stderr('Ensure that the default pool has been created or specify an alternate pool name.');
    } else {
      call.stderr(`rbd: error opening pool '${name}': ${cppStrerror(ERRNO.ENOENT)}`);
    }
    after(ERRNO.ENOENT);
    call.exit(ERRNO.ENOENT);
  }
  if (namespace !== '' && !call.state.pools.includes(`${name}/${namespace}`)) {
    call.stderr(`rbd: namespace '${namespace}' does not exist.`);
    after(ERRNO.ENOENT);
    call.exit(ERRNO.ENOENT);
  }
  return name;
}

export function findImage(call: RbdCall, pool: string, namespace: string, name: string): RbdImage | undefined {
  return call.state.images[imageKey(pool, namespace, name)];
}

/** utils::init_and_open_image (or utils::open_image after init). */
export function openImage(call: RbdCall, names: Names, snapshot = ''): { pool: string; image: RbdImage } {
  const pool = openPool(call, names.pool, names.namespace);
  const image = findImage(call, pool, names.namespace, names.image);
  if (image === undefined || call.consume('not-found')) {
    call.fail(ERRNO.ENOENT, `rbd: error opening image ${names.image}: ${cppStrerror(ERRNO.ENOENT)}`);
  }
  if (snapshot !== '' && !image.snapshots.some((s) => s.name === snapshot)) {
    call.fail(ERRNO.ENOENT, `error setting snapshot context: ${cppStrerror(ERRNO.ENOENT)}`);
  }
  return { pool, image: image };
}

/** Whether a kernel mapping (a watcher on the header) exists for the image or one of its snapshots. */
export function watched(call: RbdCall, pool: string, namespace: string, name: string): boolean {
  return call.state.devices.some((d) => d.pool === pool && d.namespace === namespace && d.image === name);
}

/** Forgets a clone in its parent snapshot's list of children. */
export function unlinkChild(call: RbdCall, image: RbdImage, key: string): void {
  const parent = image.parent!;
  const snapshot = findImage(call, parent.pool, parent.namespace, parent.image)?.snapshots.find(
    (s) => s.name === parent.snapshot,
  );
  if (snapshot !== undefined) snapshot.children = snapshot.children.filter((c) => c !== key);
}
