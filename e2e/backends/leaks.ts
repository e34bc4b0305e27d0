// Snapshots of host state (loop devices, mounts, storage processes, TCP listeners, temp
// files) taken before and after the e2e tests, to report whatever the tests left behind.

import { readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { execaSync } from 'execa';
import { listProcesses } from '../lib/processes.js';

export interface Inventory {
  /** `/dev/loopN -> backing file`. */
  readonly loops: string[];
  /** `<mount point> type <fstype> from <source>`, from /proc/self/mountinfo. */
  readonly mounts: string[];
  /** `<pid>: <cmdline>` of storage-related processes. */
  readonly processes: string[];
  /** `address:port` of listening TCP sockets in the host network namespace. */
  readonly listeners: string[];
  /** Absolute paths of temp entries named with the work dir prefix. */
  readonly files: string[];
}

const WATCHED_PROGRAMS = new Set([
  'ceph-mon',
  'ceph-osd',
  'glusterd',
  'glusterfs',
  'glusterfsd',
  'qemu-io',
  'qemu-img',
  'unshare',
]);

/** Attached loop devices, as `/dev/loopN -> backing file`. */
export function loops(): string[] {
  // sysfs instead of `losetup --json`, which prints nothing at all (not even []) when no device is attached.
  const found: string[] = [];
  let devices: string[];
  try {
    devices = readdirSync('/sys/block').filter((name) => /^loop\d+$/.test(name));
  } catch {
    return found;
  }
  for (const device of devices) {
    try {
      const backing = readFileSync(`/sys/block/${device}/loop/backing_file`, 'utf8').trim();
      found.push(`/dev/${device} -> ${backing}`);
    } catch {
      // no loop/ directory: the device is not attached
    }
  }
  return found;
}

// mountinfo escapes space, tab, newline and backslash as octal.
const unescapeMount = (field: string): string =>
  field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));

function mounts(): string[] {
  const found: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    if (line === '') continue;
    const [before, after] = line.split(' - ');
    const mountPoint = before?.split(' ')[4];
    const [fstype, source] = after?.split(' ') ?? [];
    // Mount ids change on every remount: compare what is mounted where, not the ids.
    if (mountPoint !== undefined)
      found.push(`${unescapeMount(mountPoint)} type ${fstype ?? '?'} from ${unescapeMount(source ?? '?')}`);
  }
  return found;
}

function processes(): string[] {
  return listProcesses()
    .filter((p) => WATCHED_PROGRAMS.has(p.comm) || WATCHED_PROGRAMS.has(basename(p.argv[0] ?? '')))
    .map((p) => `${p.pid}: ${p.argv.join(' ')}`);
}

function hexToIPv4(hex: string): string {
  // /proc/net/tcp prints the address as one host-order (little-endian here) 32-bit word.
  const bytes = [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16)).reverse();
  return bytes.join('.');
}

function hexToIPv6(hex: string): string {
  // Four 32-bit words, each in host order.
  const bytes: number[] = [];
  for (let word = 0; word < 4; word++) {
    const chunk = hex.slice(word * 8, word * 8 + 8);
    bytes.push(...[0, 2, 4, 6].map((i) => parseInt(chunk.slice(i, i + 2), 16)).reverse());
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

function listeners(): string[] {
  const found: string[] = [];
  for (const [file, toAddress, wrap] of [
    ['/proc/net/tcp', hexToIPv4, false],
    ['/proc/net/tcp6', hexToIPv6, true],
  ] as const) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue; // no IPv6 in this kernel
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [local, state] = [fields[1], fields[3]];
      if (local === undefined || state !== '0A') continue; // 0A = TCP_LISTEN
      const [addressHex, portHex] = local.split(':');
      if (addressHex === undefined || portHex === undefined) continue;
      const address = toAddress(addressHex);
      found.push(`${wrap ? `[${address}]` : address}:${parseInt(portHex, 16)}`);
    }
  }
  return found;
}

function files(workDirPrefix: string): string[] {
  // An absolute prefix names its own directory; a bare one is looked for in os.tmpdir().
  const dir = isAbsolute(workDirPrefix) ? dirname(workDirPrefix) : tmpdir();
  const prefix = isAbsolute(workDirPrefix) ? basename(workDirPrefix) : workDirPrefix;
  try {
    return readdirSync(dir)
      .filter((name) => name.startsWith(prefix))
      .map((name) => join(dir, name));
  } catch {
    return [];
  }
}

/** Host state now; `workDirPrefix` is e.g. `extstorage-kit` (in os.tmpdir()) or an absolute path prefix. */
export function takeInventory(workDirPrefix = 'extstorage-kit'): Inventory {
  return {
    loops: loops(),
    mounts: mounts(),
    processes: processes(),
    listeners: listeners(),
    files: files(workDirPrefix),
  };
}

/** One line per thing present in `after` but not in `before`. */
export function leaksSince(before: Inventory, after: Inventory): string[] {
  const added = (a: readonly string[], b: readonly string[]): string[] => {
    const seen = new Set(a);
    return [...new Set(b)].filter((item) => !seen.has(item));
  };
  return [
    ...added(before.loops, after.loops).map((l) => {
      const [device, backing] = l.split(' -> ');
      return `loop device ${device} still attached to ${backing}`;
    }),
    ...added(before.mounts, after.mounts).map((m) => `mount still present: ${m}`),
    ...added(before.processes, after.processes).map((p) => {
      const [pid, ...rest] = p.split(': ');
      return `process ${pid} still running: ${rest.join(': ')}`;
    }),
    ...added(before.listeners, after.listeners).map((l) => `listener ${l}`),
    ...added(before.files, after.files).map((f) => `file left: ${f}`),
  ];
}

/** Detaches the given entries of loops(); one line per device, saying whether it worked. */
function detach(entries: readonly string[]): string[] {
  return entries.map((entry) => {
    const detached = execaSync('losetup', ['--detach', entry.split(' -> ')[0]!], { reject: false, timeout: 30_000 });
    return `${entry}: ${detached.failed ? `could not be detached: ${detached.stderr || detached.shortMessage}` : 'detached'}`;
  });
}

/**
 * Detaches the loop devices attached now that were not in `before` (entries of loops()): what a
 * failed scenario left. Loop devices are global, so this works from the host, whatever namespace
 * their backing file was seen in. Returns one line per device.
 */
export function detachNewLoops(before: readonly string[]): string[] {
  return detach(loops().filter((e) => !before.includes(e)));
}

/** Detaches the loop devices whose backing file lies below one of `dirs`; one line per device. */
export function detachLoopsUnder(dirs: readonly string[]): string[] {
  return detach(loops().filter((e) => dirs.some((dir) => e.split(' -> ')[1]?.startsWith(`${dir}/`))));
}
