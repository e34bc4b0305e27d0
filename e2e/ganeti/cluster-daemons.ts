// The cluster's daemons, the Debian way without systemd: an sshd of the stage's own (Ganeti sshes
// to its node: `gnt-cluster verify` fails without one), then `gnt-cluster init`, which runs
// `daemon-util start-all` itself (noded, confd, wconfd, rapi, luxid, mond; kvmd with KVM). All in
// the node's namespaces: noded binds 0.0.0.0, but 0.0.0.0 of the e2e's private network namespace.
// The end: instances removed, `gnt-cluster destroy`, `daemon-util stop-all`, sshd killed by PID.

import { setTimeout as sleep } from 'node:timers/promises';
import { startDetached } from '../lib/exec.js';
import { isAlive, terminate } from '../lib/processes.js';
import { BRIDGE, CLUSTER_NAME, NODE_IP, type ClusterHost } from './cluster-host.js';

const DAEMON_UTIL = '/usr/lib/ganeti/daemon-util';
const SSHD_PID_FILE = '/run/sshd-e2e.pid';
const GNT_TIMEOUT_MS = 120_000;

/** sshd in the foreground (-D, so its PID is the one started), listening on the node's address only. */
export async function startSshd(host: ClusterHost, logFile: string): Promise<number> {
  const pid = await startDetached(
    host.argv(['/usr/sbin/sshd', '-D', '-e', '-o', `ListenAddress=${NODE_IP}`, '-o', `PidFile=${SSHD_PID_FILE}`]),
    { logFile },
  );
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (!isAlive(pid)) throw new Error(`sshd exited at once (its log: ${logFile})`);
    const listening = await host.exec(['ss', '-Hltn', 'src', `${NODE_IP}:22`]);
    if (listening.stdout.trim() !== '') return pid;
    if (Date.now() > deadline) {
      await terminate([pid], 1_000);
      throw new Error(`sshd does not listen on ${NODE_IP}:22 after 10 s (its log: ${logFile})`);
    }
    await sleep(50);
  }
}

/** `gnt-cluster init` with the ext template only, the given hypervisors, the node's devices. */
export async function initCluster(host: ClusterHost, hypervisors: readonly string[]): Promise<void> {
  await gnt(host, [
    'gnt-cluster',
    'init',
    // The private /etc/hosts has the names already; Ganeti would otherwise rewrite it.
    '--no-etc-hosts',
    `--enabled-hypervisors=${hypervisors.join(',')}`,
    '--enabled-disk-templates=ext',
    `--master-netdev=${host.netdev}`,
    `--nic-parameters=mode=bridged,link=${BRIDGE}`,
    CLUSTER_NAME,
  ]);
}

/** A gnt-* command in the node's namespaces; throws with its output when it fails. */
export async function gnt(host: ClusterHost, argv: readonly string[]): Promise<string> {
  return (await host.exec(argv, { timeoutMs: GNT_TIMEOUT_MS })).stdout;
}

/**
 * Takes the cluster down, whatever state a failure left it in: each instance removed (which stops
 * it and removes its disks), the cluster destroyed, the daemons stopped, sshd killed. Returns the
 * problems; never throws, so the namespace is closed after it in any case.
 */
export async function stopCluster(host: ClusterHost, initialized: boolean, sshdPid?: number): Promise<string[]> {
  const problems: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (error) {
      problems.push(`${what}: ${(error as Error).message}`);
    }
  };
  if (initialized) {
    await attempt('removing what is left of the instances', async () => {
      const names = (await gnt(host, ['gnt-instance', 'list', '--no-headers', '-o', 'name'])).split('\n');
      for (const name of names.map((n) => n.trim()).filter((n) => n !== ''))
        await gnt(host, ['gnt-instance', 'remove', '-f', '--ignore-failures', name]);
    });
    await attempt('gnt-cluster destroy --yes-do-it', () => gnt(host, ['gnt-cluster', 'destroy', '--yes-do-it']));
  }
  // Also when init failed half-way: it may have started some of them.
  await attempt('daemon-util stop-all', () => host.exec([DAEMON_UTIL, 'stop-all'], { timeoutMs: GNT_TIMEOUT_MS }));
  if (sshdPid !== undefined) await attempt('stopping sshd', () => terminate([sshdPid], 3_000));
  return problems;
}
