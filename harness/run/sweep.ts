// Finds and kills every process a scenario left behind, by the marker in its environment:
// process groups alone miss daemons that call setsid(). Only processes started since the
// scenario began can carry its marker, and Linux hands out PIDs in increasing order, so only
// PIDs above the last one allocated at the start are read (all of them after a wrap-around).

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface SweptProcess {
  readonly pid: number;
  readonly command: string;
}

/**
 * A process's command line, as ps shows it: argv joined by spaces, or, when argv is blank (the
 * process is inside execve, or blanked it), its name in brackets.
 */
export function processCommand(pid: number): string {
  const argv = readFileSync(`/proc/${pid}/cmdline`).toString('utf8').split('\0').filter(Boolean).join(' ');
  if (argv.trim() !== '') return argv;
  let name = '';
  try {
    name = readFileSync(`/proc/${pid}/comm`, 'utf8').trim() || readlinkSync(`/proc/${pid}/exe`);
  } catch {
    // not ours to read
  }
  return `[${name || 'unknown'}]`;
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
 * Sends `signal` (SIGKILL unless told) to every process whose environment holds `name=value` and
 * that started after `sincePid` was allocated; returns what it signalled.
 */
export function sweepProcesses(
  name: string,
  value: string,
  sincePid = 0,
  signal: NodeJS.Signals = 'SIGKILL',
): SweptProcess[] {
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
      const command = processCommand(pid);
      process.kill(pid, signal);
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
export function sweepOrphans(
  dirs: readonly string[],
  sincePid = 0,
  signal: NodeJS.Signals = 'SIGKILL',
): SweptProcess[] {
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
      const command = processCommand(pid);
      process.kill(pid, signal);
      swept.push({ pid, command });
    } catch {
      // gone already
    }
  }
  return swept;
}

/** Most passes of a sweep: a provider cannot keep it busy for ever. */
const MAX_PASSES = 20;

/**
 * Every process `find` matches, frozen then killed, until a pass finds nothing: reading /proc once
 * misses what a loop forks meanwhile and the children a killed parent leaves as orphans (then found
 * by the orphan sweep, or by the marker they inherited). `find` signals what it matches.
 */
export function sweepUntilQuiet(find: (signal: NodeJS.Signals) => SweptProcess[]): SweptProcess[] {
  const seen = new Map<number, SweptProcess>();
  // Freeze first, so nothing forks between one read of /proc and the next.
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const found = find('SIGSTOP').filter((p) => !seen.has(p.pid));
    if (found.length === 0) break;
    for (const p of found) seen.set(p.pid, p);
  }
  // Nothing found, nothing killed: no orphans to wait for (the common case, every scenario).
  if (seen.size === 0) return [];
  for (const pid of seen.keys()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  // The children of what was killed are orphans now: they go the same way, a pass at a time.
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    waitBriefly();
    const found = find('SIGKILL').filter((p) => !seen.has(p.pid));
    if (found.length === 0) break;
    for (const p of found) seen.set(p.pid, p);
  }
  return [...seen.values()];
}

/** A few milliseconds for the kernel to reparent a killed process's children (no busy loop). */
function waitBriefly(): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
}
