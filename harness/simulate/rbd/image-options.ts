// The options of a new image (order, features, format, data pool), as create, clone and copy read them.

import { RBD_DEFAULT_FEATURES } from '../state.js';
import type { Parsed } from './arguments.js';
import type { RbdCall } from './call.js';
import { FEATURES, iecBytes } from './options.js';

/** utils::get_image_options, as far as the simulated image keeps it. */
export function imageOptions(
  call: RbdCall,
  vm: Parsed,
  withFormat: boolean,
): { order: number; features: string[]; format: number; dataPool?: string } {
  let order = 22;
  if (vm.has('order')) order = Number(vm.get('order'));
  else if (vm.has('object-size')) order = Math.round(Math.log2(iecBytes(vm.get('object-size')!)!));
  let features = [...RBD_DEFAULT_FEATURES];
  if (vm.has('image-feature')) {
    const wanted = new Set(
      vm
        .all('image-feature')
        .flatMap((v) => v.split(','))
        .filter((f) => f !== ''),
    );
    features = FEATURES.filter((f) => wanted.has(f));
  }
  if (vm.flag('image-shared'))
    features = features.filter((f) => !['exclusive-lock', 'object-map', 'fast-diff', 'journaling'].includes(f));
  let format = 2;
  if (withFormat && vm.flag('new-format')) format = 2;
  else if (withFormat && vm.has('image-format')) format = Number(vm.get('image-format'));
  if (format === 1) call.stderr('rbd: image format 1 is deprecated');
  const dataPool = vm.get('data-pool');
  if (dataPool !== undefined && !features.includes('data-pool')) {
    features = FEATURES.filter((f) => f === 'data-pool' || features.includes(f));
  }
  return { order, features, format, ...(dataPool !== undefined ? { dataPool } : {}) };
}
