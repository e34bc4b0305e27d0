// The cluster stages (issue 13, layer 2): a real single-node Ganeti 3.0 cluster in the e2e's
// private network namespace, each stage its own from `gnt-cluster init` to `gnt-cluster destroy`:
// the node's namespaces (cluster-host.ts), its daemons (cluster-daemons.ts), the gnt-* steps and
// their checks (cluster-steps.ts). Whatever fails, the cluster is taken down and every process
// left in the node's mount namespace is killed by PID, which fails the stage.

import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import type { Namespace } from '../backends/namespace.js';
import { seconds } from '../report.js';
import type { GanetiOutcome } from './driver.js';
import type { GanetiAvailability } from './install.js';
import { closeClusterHost, openClusterHost, type ClusterHost } from './cluster-host.js';
import { initCluster, startSshd, stopCluster } from './cluster-daemons.js';
import { fakeHypervisorSteps, kvmSteps, type StepContext } from './cluster-steps.js';
import { tail } from '../lib/logs.js';

interface ClusterPlaces {
  readonly repo: string;
  readonly workDir: string;
  readonly ganeti: GanetiAvailability;
}

/** Ganeti's logs worth reading when a step failed (they are in the node's tmpfs, gone after it). */
const GANETI_LOGS = ['/var/log/ganeti/node-daemon.log', '/var/log/ganeti/commands.log', '/var/log/ganeti/kvm/'];
const LOG_LINES = 15;

/** The fake hypervisor: diagnose, and an ext disk from legacy through an instance's life. */
export async function clusterFakeStage(ns: Namespace, env: ClusterPlaces): Promise<GanetiOutcome> {
  if (!env.ganeti.available) return { ok: true, summary: `# SKIP ${env.ganeti.reason}`, details: [] };
  if (!env.ganeti.cluster.available) return { ok: true, summary: `# SKIP ${env.ganeti.cluster.reason}`, details: [] };
  return runCluster(ns, env, env.ganeti.release, ['fake'], fakeHypervisorSteps);
}

/** KVM under QEMU TCG with rbd access=userspace on the e2e's Ceph. */
export async function clusterKvmStage(ns: Namespace, env: ClusterPlaces): Promise<GanetiOutcome> {
  if (!env.ganeti.available) return { ok: true, summary: `# SKIP ${env.ganeti.reason}`, details: [] };
  if (!env.ganeti.kvm.available) return { ok: true, summary: `# SKIP ${env.ganeti.kvm.reason}`, details: [] };
  return runCluster(ns, env, env.ganeti.release, ['kvm'], kvmSteps);
}

async function ganetiLogTails(host: ClusterHost, dir: string): Promise<string[]> {
  const lines: string[] = [];
  for (const log of GANETI_LOGS) {
    // Read through the node's namespace: the logs are on its tmpfs. A folder: each file in it.
    const listed = await host.exec(['find', log, '-maxdepth', '1', '-type', 'f'], { allowFailure: true });
    for (const file of listed.stdout.split('\n').filter((f) => f !== '')) {
      const text = await host.exec(['tail', '-n', String(LOG_LINES), file], { allowFailure: true });
      lines.push(`--- last lines of ${file}`, ...text.stdout.replace(/\n$/, '').split('\n'));
    }
  }
  const sshd = tail(join(dir, 'sshd.log'), 5);
  if (sshd !== '') lines.push(`--- last lines of sshd's log`, ...sshd.split('\n'));
  return lines;
}

async function runCluster(
  ns: Namespace,
  env: ClusterPlaces,
  release: string,
  hypervisors: readonly string[],
  steps: (ctx: StepContext) => Promise<void>,
): Promise<GanetiOutcome> {
  const dir = mkdtempSync(join(env.workDir, `ganeti-cluster-${hypervisors.join('-')}-`));
  const lines: string[] = [];
  const problems: string[] = [];
  let failure: string[] = [];
  let host: ClusterHost | undefined;
  let sshd: number | undefined;
  let initialized = false;
  try {
    host = await openClusterHost(ns, dir);
    sshd = await startSshd(host, join(dir, 'sshd.log'));
    const started = performance.now();
    // Set first: a failed init may still have written a cluster (and started daemons) to take down.
    initialized = true;
    await initCluster(host, hypervisors);
    lines.push(
      `gnt-cluster init --enabled-hypervisors=${hypervisors.join(',')} (${seconds(performance.now() - started)})`,
    );
    await steps({ host, repo: env.repo, lines });
  } catch (error) {
    failure = (error as Error).message.split('\n');
    if (host) failure.push(...(await ganetiLogTails(host, dir)));
  } finally {
    const started = performance.now();
    if (host) {
      problems.push(...(await stopCluster(host, initialized, sshd)));
      problems.push(...(await closeClusterHost(host, ns)));
      lines.push(
        `teardown: gnt-cluster destroy, daemon-util stop-all, sshd and the namespace's holder killed by PID (${seconds(performance.now() - started)})`,
      );
    }
  }
  const ok = failure.length === 0 && problems.length === 0;
  const network = host?.network ?? 'no node';
  const summary = ok
    ? `Ganeti ${release}, hypervisor ${hypervisors.join(',')}; ${network}`
    : `failed: ${failure[0] ?? problems[0]}`;
  return { ok, summary, details: [...lines, ...failure, ...problems] };
}
