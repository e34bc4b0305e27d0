// A stateful fake of losetup from util-linux 2.38.1 (Debian 12), following sys-utils/losetup.c
// step by step: the same option parsing (glibc getopt_long), the same choice of action, the same
// messages on the same streams and exit statuses, the same --list/--json/--raw output. Loop devices
// are not real block devices: /dev/loop0 .. /dev/loop<devices-1> exist in the simulated kernel only,
// and none can be added. Backing files are real files; their path, device and inode are read when a
// device is set up, and a backing file deleted since shows as "<path> (deleted)", as the kernel
// reports it.
//
// Checked against the real losetup 2.38.1 (messages, formats, orders). Devices are listed in the
// order the kernel's /sys/block directory gives them (kernfs sorts entries by a hash of their
// name: loop1 loop8 loop6 loop4 loop11 loop2 loop0 ...), as losetup walks that directory.
//
// The parts: command-line.ts reads the arguments (options.ts, sizes.ts, columns.ts), then the
// chosen action runs on the simulated kernel's devices (devices.ts, in sysfs-order.ts's order):
// setup.ts, device-control.ts or listing.ts, with the call's messages and failure (call.ts).

import { ERRNO } from '../errno.js';
import { GARBAGE, takeFailure, type Output } from '../runtime.js';
import type { LosetupState } from '../state.js';
import { LosetupCall } from './call.js';
import { parseCommandLine } from './command-line.js';
import { detach, findFree, setCapacity, setDeviceOption } from './device-control.js';
import { loopNumber, used } from './devices.js';
import { listTable, showAll, showOne } from './listing.js';
import { setUp } from './setup.js';

/** Answers one call: changes `state` as the real command would, and prints on `output`. */
export function simulateLosetup(state: LosetupState, argv: readonly string[], output: Output): void {
  const call = new LosetupCall(state, output);
  const command = parseCommandLine(call, argv);
  const {
    act,
    file,
    offset,
    sizelimit,
    blocksize,
    showdev,
    readOnly,
    partscan,
    useDio,
    loDio,
    haveOffset,
    haveSizelimit,
    noOverlap,
    list,
    json,
    raw,
    noHeadings,
    columns,
    operands,
  } = command;
  let { device, deviceName, next } = command;

  const failure = takeFailure(call.state.fail, argv);
  if (failure !== null) {
    if (failure.error === 'timeout') {
      call.out.hang = true;
      return;
    }
    if (failure.error === 'garbage') {
      call.out.out(GARBAGE);
      return;
    }
    call.failure = failure.error;
    if (failure.error === 'permission') call.noStatus = true;
  }

  const table = (n: number | undefined, fileFilter: string | undefined) =>
    listTable(call, columns, { json, raw, noHeadings }, n, fileFilter, haveOffset ? offset : undefined);
  let status = 0;
  switch (act) {
    case 'create':
      status = setUp(call, {
        device,
        deviceName,
        file: file!,
        offset,
        sizelimit,
        haveSizelimit,
        haveOffset,
        blocksize,
        readOnly,
        partscan,
        dio: loDio,
        noOverlap,
        showdev,
      });
      break;
    case 'delete':
      status = detach(call, device, deviceName!);
      while (next < operands.length) {
        const name = operands[next++]!;
        const n = loopNumber(call, name);
        if (n === undefined) call.warn(`${name}: failed to use device`, ERRNO.ENODEV);
        else {
          device = n;
          deviceName = name;
        }
        status += detach(call, device, deviceName!);
      }
      break;
    case 'delete-all':
      for (const d of used(call)) status += detach(call, d.number, `/dev/loop${d.number}`);
      break;
    case 'find-free':
      status = findFree(call);
      break;
    case 'show':
      status = list ? table(undefined, file) : showAll(call, file, haveOffset ? offset : undefined);
      break;
    case 'show-one':
      status = list ? table(device, undefined) : showOne(call, device!, deviceName!);
      break;
    case 'set-capacity':
      status = setCapacity(call, device!, deviceName!);
      break;
    case 'set-dio':
    case 'set-blocksize':
      status = setDeviceOption(call, act, device!, deviceName!, useDio, blocksize);
      break;
  }
  call.exit(status ? 1 : 0);
}
