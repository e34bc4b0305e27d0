// What the Ceph and GlusterFS setups share: a timer of their phases, and mount points made for
// them on the host and removed afterwards.

import { existsSync, mkdirSync, rmdirSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Makes `path` exist as a mount point on the host, and returns what undoes that: the folders this
 * call created, removed deepest first once unmounted (nothing of the run may stay behind).
 */
export function ensureMountPoint(path: string): () => void {
  const created: string[] = [];
  for (let dir = path; !existsSync(dir); dir = dirname(dir)) created.push(dir);
  if (created.length > 0) mkdirSync(path, { recursive: true });
  return () => {
    for (const dir of created) {
      try {
        rmdirSync(dir);
      } catch {
        // still mounted or not empty: the leak check reports what is left
      }
    }
  };
}

/** Times the phases of a setup, and remembers which one is running (for "did not start (phase X)"). */
export class Phases {
  current = 'setup';
  readonly timings: Record<string, number> = {};

  async run(name: string, body: () => Promise<void>): Promise<void> {
    this.current = name;
    const started = Date.now();
    await body();
    this.timings[name] = Date.now() - started;
  }
}
