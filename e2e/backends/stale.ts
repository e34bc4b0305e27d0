// What an earlier e2e run left when it was killed before its teardown (SIGKILL, a lost machine):
// each run's folder records the run's PID and its namespace holder; a folder whose run is gone is
// cleaned up before a new run starts. A run still going is never touched.

import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, listProcesses, terminate } from '../lib/processes.js';
import { detachLoopsUnder } from './leaks.js';

/** The file in a run's folder that says whose it is. */
const OWNER_FILE = 'owner.json';

interface Owner {
  readonly pid: number;
  readonly holderPid?: number;
  readonly unsharePid?: number;
}

export function recordOwner(workDir: string, owner: Owner): void {
  writeFileSync(join(workDir, OWNER_FILE), `${JSON.stringify(owner)}\n`);
}

function readOwner(dir: string): Owner | null {
  try {
    return JSON.parse(readFileSync(join(dir, OWNER_FILE), 'utf8')) as Owner;
  } catch {
    return null;
  }
}

/**
 * Cleans up the folders of runs that died (in `parent`, named `<prefix>*`); one line per thing
 * done. `namespacePaths`: where a run's loop devices may point inside its namespace (the gluster
 * mount), detached too when such a run is found.
 */
export async function reapStaleRuns(
  parent: string,
  prefix: string,
  namespacePaths: readonly string[],
): Promise<string[]> {
  const done: string[] = [];
  for (const name of readdirSync(parent).filter((n) => n.startsWith(prefix))) {
    const dir = join(parent, name);
    const owner = readOwner(dir);
    if (owner === null || isAlive(owner.pid)) continue; // not ours to judge, or still running
    const daemons = listProcesses()
      .filter((p) => p.argv.some((arg) => arg.includes(dir)))
      .map((p) => p.pid);
    const holders = [owner.holderPid, owner.unsharePid].filter(
      (pid): pid is number => pid !== undefined && isAlive(pid) && isHolder(pid),
    );
    const pids = [...daemons, ...holders];
    if (pids.length > 0) {
      await terminate(pids, 1_000);
      done.push(`stopped ${pids.length} process${pids.length > 1 ? 'es' : ''} of a killed run (${dir})`);
    }
    for (const line of detachLoopsUnder([dir, ...namespacePaths])) done.push(`loop device of a killed run ${line}`);
    rmSync(dir, { recursive: true, force: true });
    done.push(`removed ${dir}`);
  }
  return done;
}

/** Only the namespace holder of a run is killed by PID: a reused PID must not be. */
function isHolder(pid: number): boolean {
  try {
    // `unshare --net --mount --fork -- sleep infinity`, and its child `sleep infinity` (namespace.ts).
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .filter((a) => a !== '');
    return argv.slice(-2).join(' ') === 'sleep infinity' && (argv.length === 2 || /(^|\/)unshare$/.test(argv[0] ?? ''));
  } catch {
    return false;
  }
}
