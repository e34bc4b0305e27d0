// Pool, namespace, image and snapshot names from a call's options and image spec, checked as
// rbd checks them (src/tools/rbd/Utils.cc).

import { ERRNO } from '../errno.js';
import type { Parsed } from './arguments.js';
import type { RbdCall } from './call.js';

type Modifier = 'none' | 'source' | 'dest';
type SnapPresence = 'none' | 'permitted' | 'required';
type Validation = 'full' | 'snap' | 'none';

export interface Names {
  pool: string;
  namespace: string;
  image: string;
  snap: string;
}

const SPEC_PATTERNS: Record<Validation, RegExp> = {
  full: /^(?:([^/@]+)\/(?:([^/@]+)\/)?)?([^/@]+)(?:@([^/@]+))?$/,
  snap: /^(?:([^/]+)\/(?:([^/@]+)\/)?)?([^@]+)(?:@([^/@]+))?$/,
  none: /^(?:([^/]+)\/(?:([^/@]+)\/)?)?([^@]+)(?:@(.+))?$/,
};

const NAME_PATTERN = /^[^@/]*$/;

/** utils::get_pool_image_snapshot_names. */
export function poolImageSnapNames(
  call: RbdCall,
  vm: Parsed,
  mod: Modifier,
  index: { value: number },
  imageRequired: boolean,
  presence: SnapPresence,
  validation: Validation,
): Names {
  const dest = mod === 'dest';
  const names: Names = {
    pool: vm.get(dest ? 'dest-pool' : 'pool') ?? '',
    namespace: vm.get(dest ? 'dest-namespace' : 'namespace') ?? '',
    image: vm.get(dest ? 'dest' : 'image') ?? '',
    snap: vm.get(dest ? 'dest-snap' : 'snap') ?? '',
  };
  if (names.image !== '') extractSpec(call, names.image, names, validation);
  if (names.image === '') {
    const spec = vm.arg(index.value++);
    if (spec !== '') extractSpec(call, spec, names, validation);
  }
  if (imageRequired && names.image === '') {
    call.fail(ERRNO.EINVAL, `rbd: ${dest ? 'destination ' : ''}image name was not specified`);
  }
  if (validation === 'full' && !NAME_PATTERN.test(names.pool))
    call.fail(ERRNO.EINVAL, `rbd: invalid pool name '${names.pool}'`);
  if (names.namespace !== '' && !NAME_PATTERN.test(names.namespace)) {
    call.fail(ERRNO.EINVAL, `rbd: invalid namespace name '${names.namespace}'`);
  }
  const prefix = dest ? 'destination ' : '';
  if (presence === 'none' && names.snap !== '') {
    call.fail(ERRNO.EINVAL, `rbd: ${prefix}snapshot name specified for a command that doesn't use it`);
  }
  if (presence === 'required' && names.snap === '')
    call.fail(ERRNO.EINVAL, `rbd: ${prefix}snapshot name was not specified`);
  if (validation === 'snap' && !NAME_PATTERN.test(names.snap))
    call.fail(ERRNO.EINVAL, `rbd: invalid snap name '${names.snap}'`);
  return names;
}

/** utils::extract_spec. */
function extractSpec(call: RbdCall, spec: string, names: Names, validation: Validation): void {
  const match = SPEC_PATTERNS[validation].exec(spec);
  if (!match) call.fail(ERRNO.EINVAL, `rbd: invalid spec '${spec}'`);
  if (match[1] !== undefined) names.pool = match[1];
  if (match[2] !== undefined) names.namespace = match[2];
  names.image = match[3]!;
  if (match[4] !== undefined) names.snap = match[4];
}
