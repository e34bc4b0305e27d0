// A private network + mount namespace, kept alive by a `sleep infinity` holder, so the
// storage daemons can bind 127.0.0.1 ports and mount over /etc without touching the host.

import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { exec, findInPath, startDetached, type ExecOptions, type ExecResult } from '../lib/exec.js';
import { isAlive, terminate } from '../lib/processes.js';

export interface Namespace {
  readonly holderPid: number;
  readonly unsharePid: number;
  /** argv running `command` inside the namespace, in `cwd` (default: our cwd). */
  argv(command: readonly string[], cwd?: string): string[];
  exec(command: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** Ends the namespace; idempotent. Whatever still runs inside it is not touched. */
  close(): Promise<void>;
}

const REQUIRED_COMMANDS: readonly (readonly [command: string, debianPackage: string])[] = [
  ['unshare', 'util-linux'],
  ['nsenter', 'util-linux'],
  // `ip` (iproute2) is not checked here: the e2e run installs it with the other packages.
];

/** Human-readable reasons why namespaces cannot be used here; empty when all is well. */
export function checkPrerequisites(): string[] {
  const problems: string[] = [];
  if (process.getuid?.() !== 0)
    problems.push('the e2e tests need root (loop devices, mounts, namespaces): run as root');
  for (const [command, pkg] of REQUIRED_COMMANDS) {
    if (findInPath(command) === undefined) problems.push(`\`${command}\` not found (Debian package ${pkg})`);
  }
  return problems;
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter((s) => s !== '')
      .map(Number);
  } catch {
    return [];
  }
}

export async function openNamespace(): Promise<Namespace> {
  // --fork: the namespace then belongs to a child we can nsenter, and unshare waits for it.
  const unsharePid = await startDetached(['unshare', '--net', '--mount', '--fork', '--', 'sleep', 'infinity']);

  let holderPid: number | undefined;
  const deadline = Date.now() + 5_000;
  while (holderPid === undefined && Date.now() < deadline && isAlive(unsharePid)) {
    holderPid = childrenOf(unsharePid)[0];
    if (holderPid === undefined) await sleep(20);
  }
  if (holderPid === undefined) {
    await terminate([unsharePid], 1_000).catch(() => undefined);
    throw new Error('unshare --net --mount did not start its holder process within 5 s');
  }

  const ns = makeNamespace(holderPid, unsharePid);
  try {
    // Private propagation: bind mounts made inside (over /etc/ceph, /etc/hosts...) must never reach the host.
    await ns.exec(['mount', '--make-rprivate', '/'], { timeoutMs: 10_000 });
    await ns.exec(['ip', 'link', 'set', 'lo', 'up'], { timeoutMs: 10_000 });
    const link = await ns.exec(['ip', '-o', 'link', 'show', 'lo'], { timeoutMs: 10_000 });
    if (!/<[^>]*\bUP\b[^>]*>/.test(link.stdout))
      throw new Error(`loopback is not up in the namespace: ${link.stdout.trim()}`);
  } catch (error) {
    await ns.close();
    throw error;
  }
  return ns;
}

function makeNamespace(holderPid: number, unsharePid: number): Namespace {
  let closing: Promise<void> | undefined;
  const argv = (command: readonly string[], cwd?: string): string[] => [
    'nsenter',
    '-t',
    String(holderPid),
    '-n',
    '-m',
    // Entering a mount namespace resets the working directory to its root unless told otherwise.
    `--wd=${cwd ?? process.cwd()}`,
    '--',
    ...command,
  ];
  return {
    holderPid,
    unsharePid,
    argv,
    exec(command, options) {
      // The cwd applies inside the namespace (--wd); it may not exist on the host side at all.
      const { cwd, ...rest } = options ?? {};
      return exec(argv(command, cwd), rest);
    },
    close() {
      // unshare ignores SIGTERM while it waits for its child, so the holder goes first.
      closing ??= terminate([holderPid, unsharePid], 5_000).then(() => undefined);
      return closing;
    },
  };
}
