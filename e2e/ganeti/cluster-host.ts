// The node a cluster stage makes Ganeti run on: inside the e2e's private network namespace, a
// nested mount + UTS namespace of the stage's own (held by a `sleep infinity`), with its own host
// name, /etc/hosts, fresh sysfs, and tmpfs over every folder Ganeti writes, so nothing of the
// cluster reaches the host or the other stages. Its network device lives in the e2e's network
// namespace (shared with the other stages, which never look at it) and is deleted at the end.

import { readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Namespace } from '../backends/namespace.js';
import { exec, startDetached, type ExecOptions, type ExecResult } from '../lib/exec.js';
import { isAlive, terminate } from '../lib/processes.js';

export const NODE_NAME = 'node1.ganeti.test';
export const NODE_IP = '192.0.2.10';
export const CLUSTER_NAME = 'cluster.ganeti.test';
const CLUSTER_IP = '192.0.2.100';
/** The instances' NIC link; it carries the node's address where there is no dummy device. */
export const BRIDGE = 'gnt-br0';
const DUMMY = 'gnt-dummy0';

/**
 * Private to the stage: Ganeti's state, logs and pid files, root's ssh keys (`gnt-cluster init`
 * writes them), the ExtStorage search path and legacy's images. Sizes are limits, not
 * reservations; /srv holds legacy's sparse 2 GiB image, whose free space the provider checks.
 */
const TMPFS: readonly (readonly [dir: string, size: string])[] = [
  ['/var/lib/ganeti', '64m'],
  ['/var/log/ganeti', '64m'],
  ['/run', '64m'],
  ['/root', '16m'],
  ['/srv', '4g'],
];

/** Made after the tmpfs are mounted: /var/lock is /run/lock; sshd's privilege separation folder. */
const FOLDERS: readonly (readonly [dir: string, mode: string])[] = [
  ['/run/lock', '1777'],
  ['/run/sshd', '0755'],
  // Neither the packages nor `ensure-dirs` make it; extstorage._VolumeLogName requires it.
  ['/var/log/ganeti/extstorage', '0755'],
];

export interface ClusterHost {
  readonly holderPid: number;
  readonly unsharePid: number;
  /** How the node got its address: on a dummy device, or on the bridge (no dummy module). */
  readonly network: string;
  /** The device holding the node's and the cluster's address (`--master-netdev`). */
  readonly netdev: string;
  argv(command: readonly string[]): string[];
  exec(command: readonly string[], options?: ExecOptions): Promise<ExecResult>;
}

/** The mount namespace a process is in (`mnt:[4026532...]`), or undefined once it is gone. */
export function mountNamespaceOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/mnt`);
  } catch {
    return undefined;
  }
}

/** Every process in the given mount namespace, but those listed. */
export function processesInMountNamespace(namespace: string, except: readonly number[]): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (!except.includes(pid) && mountNamespaceOf(pid) === namespace && isAlive(pid)) found.push(pid);
  }
  return found;
}

/** A process's command line, for a report of what had to be killed. */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '(gone)';
  }
}

function firstChild(pid: number): number | undefined {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return children === '' ? undefined : Number(children.split(/\s+/)[0]);
  } catch {
    return undefined;
  }
}

/** The /etc/hosts of the node: the namespace's own lines, then the node's and the cluster's names. */
export function hostsFile(inherited: string): string {
  const lines = inherited.endsWith('\n') || inherited === '' ? inherited : `${inherited}\n`;
  return `${lines}${NODE_IP} ${NODE_NAME} node1\n${CLUSTER_IP} ${CLUSTER_NAME} cluster\n`;
}

/** Opens the nested namespace; `dir` (in the run's folder) receives its /etc/hosts. */
export async function openClusterHost(ns: Namespace, dir: string): Promise<ClusterHost> {
  // nsenter execs unshare (no --fork of its own), which forks the holder: both are in the new namespaces.
  const unsharePid = await startDetached(
    ns.argv(['unshare', '--mount', '--uts', '--fork', '--', 'sleep', 'infinity'], '/'),
  );
  let holderPid: number | undefined;
  const deadline = Date.now() + 5_000;
  while (holderPid === undefined && Date.now() < deadline && isAlive(unsharePid)) {
    holderPid = firstChild(unsharePid);
    if (holderPid === undefined) await sleep(20);
  }
  if (holderPid === undefined) {
    await terminate([unsharePid], 1_000).catch(() => undefined);
    throw new Error('unshare --mount --uts did not start its holder process within 5 s');
  }
  const held = holderPid;
  const argv = (command: readonly string[]) => [
    'nsenter',
    '-t',
    String(held),
    '-n',
    '-m',
    '-u',
    '--wd=/',
    '--',
    ...command,
  ];
  const run = (command: readonly string[], options?: ExecOptions) => exec(argv(command), options);
  const host = { holderPid: held, unsharePid, argv, exec: run };
  try {
    return { ...host, ...(await setUp(host, ns, dir)) };
  } catch (error) {
    await closeClusterHost(host, ns).catch(() => undefined);
    throw error;
  }
}

async function setUp(
  host: Pick<ClusterHost, 'exec'>,
  ns: Namespace,
  dir: string,
): Promise<{ network: string; netdev: string }> {
  await host.exec(['hostname', NODE_NAME]);
  for (const [folder, size] of TMPFS)
    await host.exec(['mount', '-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'extstorage-kit-ganeti', folder]);
  for (const [folder, mode] of FOLDERS) await host.exec(['mkdir', '-m', mode, '-p', folder]);
  const hosts = join(dir, 'hosts');
  writeFileSync(hosts, hostsFile((await host.exec(['cat', '/etc/hosts'])).stdout));
  await host.exec(['mount', '--bind', hosts, '/etc/hosts']);
  // The namespace still shows the host's /sys: Ganeti looks for its bridge under /sys/class/net.
  await host.exec(['mount', '-t', 'sysfs', 'sysfs', '/sys']);
  await ns.exec(['ip', 'link', 'add', BRIDGE, 'type', 'bridge']);
  await ns.exec(['ip', 'link', 'set', BRIDGE, 'up']);
  const dummy = await ns.exec(['ip', 'link', 'add', DUMMY, 'type', 'dummy'], { allowFailure: true });
  const netdev = dummy.code === 0 ? DUMMY : BRIDGE;
  const network =
    dummy.code === 0
      ? `node address on a dummy device ${DUMMY}, bridge ${BRIDGE} for the NICs`
      : `node address on the bridge ${BRIDGE} (no dummy device: ${dummy.stderr.trim()})`;
  await ns.exec(['ip', 'addr', 'add', `${NODE_IP}/24`, 'dev', netdev]);
  await ns.exec(['ip', 'link', 'set', netdev, 'up']);
  return { network, netdev };
}

/**
 * Ends the nested namespace: every process still in it (but its holder) is killed by PID and
 * listed, then the holder; the network devices go. Returns the problems (what had to be killed).
 */
export async function closeClusterHost(
  host: Pick<ClusterHost, 'holderPid' | 'unsharePid'>,
  ns: Namespace,
): Promise<string[]> {
  const problems: string[] = [];
  const namespace = mountNamespaceOf(host.holderPid);
  if (namespace !== undefined) {
    const left = processesInMountNamespace(namespace, [host.holderPid, host.unsharePid]);
    const described = left.map((pid) => `${pid} ${commandLine(pid)}`);
    if (left.length > 0) {
      await terminate(left, 3_000);
      problems.push(...described.map((line) => `still running in the node's namespace, killed: ${line}`));
    }
  }
  await terminate([host.holderPid, host.unsharePid], 3_000);
  for (const device of [DUMMY, BRIDGE]) {
    const shown = await ns.exec(['ip', 'link', 'show', device], { allowFailure: true });
    if (shown.code === 0) await ns.exec(['ip', 'link', 'delete', device]);
  }
  return problems;
}
