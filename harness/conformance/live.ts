// --live: the suite against the provider's real backend. Every volume a check may create has a
// unique name and is registered before the check runs; afterwards, and also after a failure or
// Ctrl-C, each is detached and removed, last registered first.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { actionEnvironment, providerName, SANDBOX_MARKER, type SandboxPaths } from '../run/environment.js';
import { invokeScript } from '../run/invoke.js';
import type { Scenario } from '../scenario/model.js';

export interface CleanupOutcome {
  readonly volume: string;
  readonly ok: boolean;
  readonly message?: string;
}

export class LiveRegistry {
  private readonly volumes: {
    name: string;
    params: Readonly<Record<string, string>>;
    env: Readonly<Record<string, string>>;
  }[] = [];

  /** A prefix no earlier run used: volume names are <prefix>-<n>.ext.disk0. */
  readonly prefix = `esk-${randomUUID().slice(0, 8)}`;

  /** Registers the volumes `scenario` may create: its own, and the snapshot of it. */
  register(scenario: Scenario): void {
    const name = scenario.volume.name!;
    this.volumes.push({ name, params: scenario.volume.params, env: scenario.env });
    if (scenario.steps.some((s) => s.action === 'snapshot' && s.input.args.length === 0))
      this.volumes.push({ name: `${name}.snap`, params: scenario.volume.params, env: scenario.env });
  }

  get size(): number {
    return this.volumes.length;
  }

  /** detach then remove every registered volume, last first; a volume already gone is fine. */
  async cleanup(providerDir: string, timeoutSeconds: number): Promise<CleanupOutcome[]> {
    const root = mkdtempSync(join(tmpdir(), 'extstorage-kit-cleanup-'));
    const paths: SandboxPaths = { id: randomUUID(), root, stubsDir: join(root, 'stubs'), home: root, tmp: root };
    const outcomes: CleanupOutcome[] = [];
    try {
      for (const volume of [...this.volumes].reverse()) {
        let ok = true;
        let message: string | undefined;
        for (const action of ['detach', 'remove'] as const) {
          const env = actionEnvironment(
            action,
            {
              provider: providerName(providerDir),
              name: volume.name,
              size: 1024,
              uuid: randomUUID(),
              params: volume.params,
            },
            { args: [], unset: [], env: {} },
            volume.env,
            paths,
          );
          delete env[SANDBOX_MARKER];
          const run = await invokeScript({
            script: join(providerDir, action),
            args: [],
            cwd: providerDir,
            env,
            timeoutSeconds,
            streamsAwaited: false, // detach and remove: Ganeti returns when the script exits
          });
          if (run.exitCode !== 0 || run.fault) {
            ok = false;
            message = `${action} exited ${run.exitCode ?? run.fault?.kind}: ${Buffer.from(run.stderr.head).toString('utf8').trim().split('\n').pop() ?? ''}`;
          }
        }
        outcomes.push({ volume: volume.name, ok, ...(message ? { message } : {}) });
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
    return outcomes;
  }
}
