// A throwaway one-monitor, one-memstore-OSD Ceph cluster on 127.0.0.1 inside a private
// namespace, with its own /etc/ceph there, so plain `rbd` and `qemu-io rbd:` reach it the
// way they reach the cluster on a real Ganeti node.

import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tails } from '../lib/logs.js';
import { isAlive, listProcesses, terminate } from '../lib/processes.js';
import { Phases, ensureMountPoint } from '../lib/setup.js';
import type { Namespace } from './namespace.js';

export interface CephCluster {
  /** <dir>/etc-ceph/ceph.conf, also visible as /etc/ceph/ceph.conf inside the namespace. */
  readonly conf: string;
  readonly pool: 'rbd';
  readonly logFiles: string[];
  readonly pids: number[];
  /** The `ceph --version` line. */
  readonly version: string;
  /** Milliseconds per setup phase. */
  readonly timings: Record<string, number>;
  /** Kills the daemons and removes the /etc/ceph bind mount; idempotent. */
  stop(): Promise<void>;
}

const POOL = 'rbd';
const MON_ID = 'a';
const COMMAND_TIMEOUT_MS = 60_000;
const HEALTH_TIMEOUT_MS = 60_000;
// A Ceph daemon can take ~7 s to exit on SIGTERM; nothing is worth keeping, so don't wait that long.
const STOP_GRACE_MS = 3_000;

function cephConf(dir: string, fsid: string, keyring: string): string {
  // `$name`, `$cluster` and `$id` are Ceph metavariables, expanded by Ceph per daemon.
  return `[global]
fsid = ${fsid}
mon_host = v2:127.0.0.1:3300,v1:127.0.0.1:6789
mon_initial_members = ${MON_ID}
public_network = 127.0.0.0/8
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
keyring = ${keyring}
run_dir = ${dir}/run
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_autoscale_mode = off
mon_allow_pool_size_one = true
mon_allow_pool_delete = true
mon_warn_on_pool_no_redundancy = false
osd_crush_chooseleaf_type = 0
ms_bind_ipv6 = false
auth_allow_insecure_global_id_reclaim = false

# Daemon-only settings: clients (rbd, qemu-io) keep their defaults, so concurrent
# clients neither share one admin socket nor write into the daemons' logs.
[mon]
mon_data = ${dir}/mon/$cluster-$id
# The mon store shares the host's disk: its fill level is not ours to warn about (HEALTH_WARN
# at 30% free by default), nor to shut the monitor down for (at 5%).
mon_data_avail_warn = 1
mon_data_avail_crit = 0
# One monitor has nobody to batch proposals with: the 1 s default interval made each
# pool/OSD map change take a second (setup 8 s instead of 1.5 s).
paxos_propose_interval = 0.1
paxos_min_wait = 0.01
admin_socket = ${dir}/run/$name.asok
pid_file = ${dir}/run/$name.pid
log_file = ${dir}/log/$name.log

[osd]
osd_data = ${dir}/osd/$cluster-$id
keyring = ${dir}/osd/$cluster-$id/keyring
osd_objectstore = memstore
memstore_device_bytes = 1073741824
admin_socket = ${dir}/run/$name.asok
pid_file = ${dir}/run/$name.pid
log_file = ${dir}/log/$name.log
`;
}

export async function startCeph(ns: Namespace, workDir: string): Promise<CephCluster> {
  // Absolute: the path is handed to daemons that run in other working directories.
  const dir = resolve(workDir);
  // The paths go into ceph.conf verbatim, where these characters would change the meaning.
  if (/[\s#;$=\\]/.test(dir)) throw new Error(`startCeph: unsupported characters in directory ${JSON.stringify(dir)}`);
  const etcCeph = join(dir, 'etc-ceph');
  const conf = join(etcCeph, 'ceph.conf');
  const adminKeyring = join(etcCeph, 'ceph.client.admin.keyring');
  const monKeyring = join(dir, 'mon.keyring');
  const monmap = join(dir, 'monmap');
  for (const sub of ['run', 'log', 'mon/ceph-a', 'osd/ceph-0', 'etc-ceph'])
    mkdirSync(join(dir, sub), { recursive: true });

  const fsid = randomUUID();
  writeFileSync(conf, cephConf(dir, fsid, adminKeyring));
  const logFiles = [join(dir, 'log', `mon.${MON_ID}.log`), join(dir, 'log', 'osd.0.log')];
  const pidFiles = [join(dir, 'run', `mon.${MON_ID}.pid`), join(dir, 'run', 'osd.0.pid')];
  const pids: number[] = [];
  let etcCephMounted = false;
  let removeMountPoint = (): void => undefined;

  // Every ceph call names its conf: without one, librados looks the monitors up in DNS.
  const ceph = (args: readonly string[]) =>
    ns.exec(['ceph', '-c', conf, '--connect-timeout', '30', ...args], { timeoutMs: COMMAND_TIMEOUT_MS });
  const run = (argv: readonly string[]) => ns.exec(argv, { timeoutMs: COMMAND_TIMEOUT_MS });
  const readPid = (file: string): number | undefined => {
    try {
      const pid = Number(readFileSync(file, 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  };
  const recordPid = (file: string, what: string): void => {
    const pid = readPid(file);
    if (pid === undefined || !isAlive(pid)) throw new Error(`${what} is not running after start (pid file ${file})`);
    pids.push(pid);
  };

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const candidates = new Set(pids);
      for (const file of pidFiles) {
        const pid = readPid(file);
        if (pid !== undefined) candidates.add(pid);
      }
      // A daemon that failed half-way may not have written its pid file yet.
      for (const proc of listProcesses()) if (proc.argv.includes(conf)) candidates.add(proc.pid);
      // A pid file can outlive its daemon and its pid be reused: only kill what runs our conf.
      const ours = [...candidates].filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(conf);
        } catch {
          return false;
        }
      });
      // The OSD goes first: on SIGTERM it waits for the monitor to acknowledge its shutdown,
      // which takes seconds if the monitor is already gone.
      const isOsd = (pid: number): boolean => {
        try {
          return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'ceph-osd';
        } catch {
          return false;
        }
      };
      const osds = ours.filter(isOsd);
      await terminate(osds, STOP_GRACE_MS);
      await terminate(
        ours.filter((pid) => !osds.includes(pid)),
        STOP_GRACE_MS,
      );
      if (etcCephMounted) {
        const umount = await ns.exec(['umount', '/etc/ceph'], { allowFailure: true, timeoutMs: 30_000 });
        // A client still inside the namespace may hold it busy; detach it anyway.
        if (umount.code !== 0) await ns.exec(['umount', '-l', '/etc/ceph'], { allowFailure: true, timeoutMs: 30_000 });
      }
      removeMountPoint();
    })();
    return stopping;
  };

  const phases = new Phases();
  const timed = (name: string, body: () => Promise<void>) => phases.run(name, body);

  try {
    const version = (await run(['ceph', '--version'])).stdout.trim().split('\n')[0] ?? '';

    await timed('mon', async () => {
      await run([
        'ceph-authtool',
        '--create-keyring',
        monKeyring,
        '--gen-key',
        '-n',
        'mon.',
        '--cap',
        'mon',
        'allow *',
      ]);
      await run([
        'ceph-authtool',
        '--create-keyring',
        adminKeyring,
        '--gen-key',
        '-n',
        'client.admin',
        '--cap',
        'mon',
        'allow *',
        '--cap',
        'osd',
        'allow *',
        '--cap',
        'mgr',
        'allow *',
      ]);
      await run(['ceph-authtool', monKeyring, '--import-keyring', adminKeyring]);
      await run([
        'monmaptool',
        '--create',
        '--addv',
        MON_ID,
        '[v2:127.0.0.1:3300,v1:127.0.0.1:6789]',
        '--fsid',
        fsid,
        monmap,
      ]);
      await run(['ceph-mon', '-c', conf, '--mkfs', '-i', MON_ID, '--monmap', monmap, '--keyring', monKeyring]);
      // Daemonizes; the parent returns once the monitor is initialised.
      await run(['ceph-mon', '-c', conf, '-i', MON_ID]);
      recordPid(pidFiles[0]!, 'ceph-mon');
    });

    await timed('osd', async () => {
      const osdUuid = randomUUID();
      const osdId = (await ceph(['osd', 'new', osdUuid])).stdout.trim();
      if (!/^\d+$/.test(osdId)) throw new Error(`ceph osd new returned ${JSON.stringify(osdId)}, expected an OSD id`);
      if (osdId !== '0') {
        mkdirSync(join(dir, 'osd', `ceph-${osdId}`), { recursive: true });
        logFiles[1] = join(dir, 'log', `osd.${osdId}.log`);
        pidFiles[1] = join(dir, 'run', `osd.${osdId}.pid`);
      }
      await ceph([
        'auth',
        'get-or-create',
        `osd.${osdId}`,
        'mon',
        'allow profile osd',
        'osd',
        'allow *',
        'mgr',
        'allow profile osd',
        '-o',
        join(dir, 'osd', `ceph-${osdId}`, 'keyring'),
      ]);
      await run(['ceph-osd', '-c', conf, '-i', osdId, '--mkfs', '--osd-uuid', osdUuid, '--no-mon-config']);
      await run(['ceph-osd', '-c', conf, '-i', osdId]);
      recordPid(pidFiles[1]!, 'ceph-osd');
    });

    await timed('pool', async () => {
      await ceph(['osd', 'pool', 'create', POOL, '8']);
      await ceph(['osd', 'pool', 'set', POOL, 'size', '1', '--yes-i-really-mean-it']);
      await run(['rbd', '-c', conf, 'pool', 'init', POOL]);
    });

    await timed('health', async () => {
      const deadline = Date.now() + HEALTH_TIMEOUT_MS;
      let last: string;
      for (;;) {
        const result = await ns.exec(['ceph', '-c', conf, '--connect-timeout', '10', 'health'], {
          allowFailure: true,
          timeoutMs: 20_000,
        });
        last = `${result.stdout}${result.stderr}`.trim();
        if (result.code === 0 && last.startsWith('HEALTH_OK')) break;
        if (Date.now() > deadline)
          throw new Error(`cluster not HEALTH_OK after ${HEALTH_TIMEOUT_MS / 1000} s: ${last}`);
        await sleep(500);
      }
    });

    await timed('etc-ceph', async () => {
      // ceph-common normally creates it; the bind mount needs a mount point.
      removeMountPoint = ensureMountPoint('/etc/ceph');
      await run(['mount', '--bind', etcCeph, '/etc/ceph']);
      etcCephMounted = true;
    });

    return { conf, pool: POOL, logFiles, pids, version, timings: phases.timings, stop };
  } catch (error) {
    await stop().catch(() => undefined);
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`Ceph did not start (phase ${phases.current}): ${message}\n${tails(logFiles)}`, { cause: error });
  }
}
