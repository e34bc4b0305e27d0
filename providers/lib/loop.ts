// Loop devices through losetup (util-linux): find the devices backed by a file, attach one,
// refresh its size, detach them all.

import { ProviderError } from './errors.js';
import { lastWords, render, run, tryRun } from './command.js';

/** The loop devices whose backing file is `file` (losetup -j), in device order. */
export function loopDevicesOf(file: string): string[] {
  const result = tryRun(['losetup', '--associated', file]);
  if (result.status !== 0) throw new ProviderError(`cannot list the loop devices of ${file}: ${lastWords(result)}`);
  // "/dev/loop0: [2049]:1311 (/srv/images/vol.img)"
  return result.stdout
    .split('\n')
    .map((line) => /^(\/dev\/loop\d+):/.exec(line)?.[1])
    .filter((d): d is string => d !== undefined);
}

/** The file's loop device, attaching a new one only when it has none. */
export function ensureLoopDevice(file: string): string {
  const existing = loopDevicesOf(file);
  if (existing.length > 0) return existing[0]!;
  const argv = ['losetup', '--find', '--show', file];
  const result = tryRun(argv);
  const device = result.stdout.trim().split('\n').pop() ?? '';
  if (result.status !== 0 || !/^\/dev\/loop\d+$/.test(device)) {
    throw new ProviderError(`cannot attach a loop device to ${file}: ${render(argv)}: ${lastWords(result)}`);
  }
  return device;
}

/** Tells each loop device of `file` that the file has grown. */
export function refreshLoopDevices(file: string): void {
  for (const device of loopDevicesOf(file))
    run(['losetup', '--set-capacity', device], `refreshing the size of ${device}`);
}

/** Detaches every loop device of `file`; none is fine. */
export function detachLoopDevices(file: string): void {
  for (const device of loopDevicesOf(file)) run(['losetup', '--detach', device], `detaching ${device}`);
}
