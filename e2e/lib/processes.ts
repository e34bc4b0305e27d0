// Watching and stopping the processes the e2e run starts, from /proc: the storage daemons, the
// namespace holder, what a killed run left.

import { readFileSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ProcessInfo {
  pid: number;
  comm: string;
  /** argv as the process sees it. */
  argv: string[];
}

/** Every live (non-zombie) process on the host, read from /proc. */
export function listProcesses(): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
        .split('\0')
        .filter((a) => a !== '');
      if (!isAlive(pid)) continue;
      found.push({ pid, comm, argv });
    } catch {
      // exited while we looked
    }
  }
  return found;
}

/** True while the process exists and is not a zombie (an unreaped daemon counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state follows the parenthesised comm, which may itself contain ") ".
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/**
 * SIGTERM, then SIGKILL for whatever survives graceMs, then wait until all are gone.
 * Returns the pids that had to be SIGKILLed.
 */
export async function terminate(pids: readonly number[], graceMs = 3_000, killWaitMs = 5_000): Promise<number[]> {
  const signal = (pid: number, sig: NodeJS.Signals): void => {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  };
  const alive = (): number[] => pids.filter(isAlive);
  for (const pid of alive()) signal(pid, 'SIGTERM');
  const termDeadline = Date.now() + graceMs;
  while (alive().length > 0 && Date.now() < termDeadline) await sleep(50);
  const killed = alive();
  for (const pid of killed) signal(pid, 'SIGKILL');
  const killDeadline = Date.now() + killWaitMs;
  while (alive().length > 0) {
    if (Date.now() >= killDeadline) throw new Error(`processes ${alive().join(', ')} survived SIGKILL`);
    await sleep(50);
  }
  return killed;
}
