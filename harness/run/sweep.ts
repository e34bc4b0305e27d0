// Finds and kills every process a scenario left behind, by the marker in its environment:
// process groups alone miss daemons that call setsid().

import { readdirSync, readFileSync } from 'node:fs';

export interface SweptProcess {
  readonly pid: number;
  readonly command: string;
}

/** Kills (SIGKILL) every process whose environment holds `name=value`; returns what it killed. */
export function sweepProcesses(name: string, value: string): SweptProcess[] {
  const needle = Buffer.from(`\0${name}=${value}\0`);
  const swept: SweptProcess[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return swept; // not Linux: process groups are all we have
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
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
