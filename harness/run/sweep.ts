// Finds and kills every process a scenario left behind, by the marker in its environment:
// process groups alone miss daemons that call setsid(). Only processes started since the
// scenario began can carry its marker, and Linux hands out PIDs in increasing order, so only
// PIDs above the last one allocated at the start are read (all of them after a wrap-around).

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface SweptProcess {
  readonly pid: number;
  readonly command: string;
}

/** The last PID the kernel handed out, or 0 when that cannot be read (then every PID is read). */
export function lastPid(): number {
  try {
    return Number(readFileSync('/proc/sys/kernel/ns_last_pid', 'utf8').trim()) || 0;
  } catch {
    return 0;
  }
}

/**
 * Kills (SIGKILL) every process whose environment holds `name=value` and that started after
 * `sincePid` was allocated; returns what it killed.
 */
export function sweepProcesses(name: string, value: string, sincePid = 0): SweptProcess[] {
  const needle = Buffer.from(`\0${name}=${value}\0`);
  const swept: SweptProcess[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return swept; // not Linux: process groups are all we have
  }
  const wrapped = lastPid() < sincePid;
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid || (!wrapped && pid <= sincePid)) continue;
    try {
      const environ = Buffer.concat([Buffer.from([0]), readFileSync(`/proc/${pid}/environ`)]);
      if (!environ.includes(needle)) continue;
      const command = readFileSync(`/proc/${pid}/cmdline`).toString('utf8').split('\0').filter(Boolean).join(' ');
      process.kill(pid, 'SIGKILL');
      swept.push({ pid, command });
    } catch {
      // gone already, or not ours to read
    }
  }
  return swept;
}

/** The parent PID and working directory of a process, or null when they cannot be read. */
function parentAndCwd(pid: number): { ppid: number; cwd: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return { ppid, cwd: readlinkSync(`/proc/${pid}/cwd`) };
  } catch {
    return null;
  }
}

/**
 * Without a PID namespace (isolation none), the last resort for daemons that changed their
 * environment and session (`setsid env -i sleep 999 &`): kills every process started after
 * `sincePid` that was orphaned (its parent is init) and whose working directory is one of `dirs`
 * or below (Ganeti starts scripts in the provider folder). Returns what it killed.
 */
export function sweepOrphans(dirs: readonly string[], sincePid = 0): SweptProcess[] {
  const swept: SweptProcess[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return swept;
  }
  const wrapped = lastPid() < sincePid;
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid || (!wrapped && pid <= sincePid)) continue;
    const info = parentAndCwd(pid);
    if (info?.ppid !== 1) continue;
    if (!dirs.some((dir) => info.cwd === dir || info.cwd.startsWith(`${dir}/`))) continue;
    try {
      const command = readFileSync(`/proc/${pid}/cmdline`).toString('utf8').split('\0').filter(Boolean).join(' ');
      process.kill(pid, 'SIGKILL');
      swept.push({ pid, command });
    } catch {
      // gone already
    }
  }
  return swept;
}
