// The output format a call asks for (--format, --pretty-format): a Ceph formatter, or plain text.

import { createFormatter, type CephFormatter } from '../ceph-format.js';
import { ERRNO } from '../errno.js';
import type { Parsed } from './arguments.js';
import type { RbdCall } from './call.js';

/** utils::get_formatter: null for plain output. */
export function formatter(call: RbdCall, vm: Parsed): CephFormatter | null {
  const pretty = vm.flag('pretty-format');
  const format = vm.get('format');
  if (format !== undefined && format !== 'plain') return createFormatter(format as 'json' | 'xml', pretty);
  if (pretty) call.fail(ERRNO.EINVAL, 'rbd: --pretty-format only works when --format is json or xml');
  return null;
}
