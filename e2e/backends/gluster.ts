// A throwaway single-brick GlusterFS volume served by a glusterd on 127.0.0.1 inside a
// private namespace, FUSE-mounted there like on a Ganeti node using the gluster provider.

import { mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDetached } from '../lib/exec.js';
import { tails } from '../lib/logs.js';
import { listProcesses, terminate } from '../lib/processes.js';
import { Phases, ensureMountPoint } from '../lib/setup.js';
import type { Namespace } from './namespace.js';

export interface GlusterVolume {
  /** Brick and volfile server name, resolved through a private /etc/hosts inside the namespace. */
  readonly host: 'e2e-gluster';
  readonly volume: 'gv0';
  /** Where the volume is FUSE-mounted, inside the namespace only. */
  readonly mountpoint: string;
  /** Folder created in the volume for the images. */
  readonly dir: 'ganeti';
  readonly logFiles: string[];
  /** Milliseconds per setup phase. */
  readonly timings: Record<string, number>;
  /** The `glusterfs --version` line. */
  readonly version: string;
  /** Unmounts, deletes the volume, kills every gluster process it started, undoes the bind mounts; idempotent. */
  stop(): Promise<void>;
}

// The gluster CLI refuses 127.0.0.1 and localhost as brick hosts, hence a name of our own.
const HOST = 'e2e-gluster';
const VOLUME = 'gv0';
const FOLDER = 'ganeti';
const COMMAND_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;
const READY_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 3_000;
// Inside the namespace, /run/gluster is <dir>/run: the CLI socket stays out of the host's /run.
const CLI_SOCKET = '/run/gluster/glusterd.socket';

const GLUSTERD_VOL = `volume management
    type mgmt/glusterd
    option working-directory /var/lib/glusterd
    option glusterd-sockfile ${CLI_SOCKET}
    option transport-type socket
    option transport.address-family inet
    option transport.socket.bind-address 127.0.0.1
    option transport.socket.listen-port 24007
    option transport.socket.read-fail-log off
    option ping-timeout 0
    option event-threads 1
    option max-port 60999
end-volume
`;

export async function startGluster(ns: Namespace, workDir: string): Promise<GlusterVolume> {
  // Absolute: the path is handed to daemons that run in other working directories.
  const dir = resolve(workDir);
  const mountpoint = join(dir, 'mnt');
  const pidFile = join(dir, 'glusterd.pid');
  const volFile = join(dir, 'glusterd.vol');
  const logDir = join(dir, 'log');
  // Private copies of the directories glusterd writes to, bound over the real ones in the namespace only.
  const hostsFile = join(dir, 'hosts');
  const binds: readonly (readonly [source: string, target: string])[] = [
    [hostsFile, '/etc/hosts'],
    [join(dir, 'lib'), '/var/lib/glusterd'],
    [join(dir, 'run'), '/run/gluster'],
    [logDir, '/var/log/glusterfs'],
  ];
  for (const sub of ['lib', 'run', 'log', 'brick', 'mnt']) mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(hostsFile, `127.0.0.1 localhost\n127.0.0.1 ${HOST}\n`);
  writeFileSync(volFile, GLUSTERD_VOL);
  const glusterdLog = join(logDir, 'glusterd.log');
  const daemonOutput = join(dir, 'glusterd.out');
  // Gluster names brick and client logs after their paths, slashes turned into dashes.
  const logName = (path: string): string => `${path.slice(1).replaceAll('/', '-')}.log`;
  const brick = join(dir, 'brick', VOLUME);
  const logFiles = [
    glusterdLog,
    daemonOutput,
    join(logDir, 'bricks', logName(brick)),
    join(logDir, logName(mountpoint)),
  ];
  const mounted: string[] = [];
  const removeMountPoints: (() => void)[] = [];
  let glusterdPid: number | undefined;
  let volumeCreated = false;
  let fuseMounted = false;

  const gluster = (args: readonly string[], timeoutMs = COMMAND_TIMEOUT_MS, allowFailure = false) =>
    ns.exec(['gluster', '--mode=script', `--glusterd-sock=${CLI_SOCKET}`, ...args], { timeoutMs, allowFailure });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (fuseMounted) {
        const umount = await ns.exec(['umount', mountpoint], { allowFailure: true, timeoutMs: STOP_TIMEOUT_MS });
        if (umount.code !== 0)
          await ns.exec(['umount', '-l', mountpoint], { allowFailure: true, timeoutMs: STOP_TIMEOUT_MS });
      }
      if (volumeCreated) {
        await gluster(['volume', 'stop', VOLUME, 'force'], STOP_TIMEOUT_MS, true);
        await gluster(['volume', 'delete', VOLUME], STOP_TIMEOUT_MS, true);
      }
      await terminate(ourProcesses(), STOP_GRACE_MS);
      for (const target of [...mounted].reverse()) {
        const umount = await ns.exec(['umount', target], { allowFailure: true, timeoutMs: STOP_TIMEOUT_MS });
        if (umount.code !== 0)
          await ns.exec(['umount', '-l', target], { allowFailure: true, timeoutMs: STOP_TIMEOUT_MS });
      }
      for (const remove of removeMountPoints.reverse()) remove();
    })();
    return stopping;
  };

  const netNamespace = (pid: number): string | undefined => {
    try {
      return readlinkSync(`/proc/${pid}/ns/net`);
    } catch {
      return undefined;
    }
  };
  // glusterd, the brick (glusterfsd), the FUSE client and any helper it spawned for this volume:
  // all carry our directory or our host name on their command line. The host name is shared
  // with other e2e runs, so it only counts inside our own namespace.
  const ourProcesses = (): number[] => {
    const ourNet = netNamespace(ns.holderPid);
    const pids = new Set<number>();
    if (glusterdPid !== undefined) pids.add(glusterdPid);
    try {
      const fromFile = Number(readFileSync(pidFile, 'utf8').trim());
      if (Number.isInteger(fromFile) && fromFile > 0) pids.add(fromFile);
    } catch {
      // glusterd never got far enough to write it
    }
    for (const proc of listProcesses()) {
      if (proc.pid === process.pid) continue;
      const program = basename(proc.argv[0] ?? '');
      const isGluster = /gluster|gsyncd/.test(proc.comm) || /gluster|gsyncd/.test(program);
      const cmdline = proc.argv.join(' ');
      const inOurNamespace = ourNet !== undefined && netNamespace(proc.pid) === ourNet;
      if (isGluster && (cmdline.includes(dir) || (cmdline.includes(HOST) && inOurNamespace))) pids.add(proc.pid);
    }
    // The pid file's pid may be stale: only signal processes that still look like gluster.
    return [...pids].filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').includes('gluster');
      } catch {
        return false;
      }
    });
  };

  const phases = new Phases();
  const timed = (name: string, body: () => Promise<void>) => phases.run(name, body);

  try {
    const version =
      (await ns.exec(['glusterfs', '--version'], { timeoutMs: COMMAND_TIMEOUT_MS })).stdout.trim().split('\n')[0] ?? '';

    await timed('glusterd', async () => {
      for (const [source, target] of binds) {
        // The packages create most of these; the bind mounts need them as mount points either way.
        removeMountPoints.push(ensureMountPoint(target));
        await ns.exec(['mount', '--bind', source, target], { timeoutMs: COMMAND_TIMEOUT_MS });
        mounted.push(target);
      }
      // -N keeps glusterd in the foreground: its pid is the one we spawn (nsenter execs it).
      glusterdPid = await startDetached(ns.argv(['glusterd', '-N', '-f', volFile, '-p', pidFile, '-l', glusterdLog]), {
        logFile: daemonOutput,
      });
      const deadline = Date.now() + READY_TIMEOUT_MS;
      for (;;) {
        const probe = await gluster(['pool', 'list'], 10_000, true);
        if (probe.code === 0) break;
        if (Date.now() > deadline) {
          throw new Error(
            `glusterd does not answer after ${READY_TIMEOUT_MS / 1000} s: ${`${probe.stdout}${probe.stderr}`.trim()}`,
          );
        }
        await sleep(250);
      }
    });

    await timed('volume', async () => {
      volumeCreated = true; // from here on, stop() must try to delete it
      await gluster(['volume', 'create', VOLUME, `${HOST}:${brick}`, 'force']);
      await gluster(['volume', 'start', VOLUME]);
    });

    await timed('mount', async () => {
      fuseMounted = true;
      await ns.exec(['mount', '-t', 'glusterfs', `${HOST}:/${VOLUME}`, mountpoint], { timeoutMs: COMMAND_TIMEOUT_MS });
      // The FUSE mount exists only inside the namespace, so the folder is created from there.
      await ns.exec(['mkdir', '-p', join(mountpoint, FOLDER)], { timeoutMs: COMMAND_TIMEOUT_MS });
    });

    return { host: HOST, volume: VOLUME, mountpoint, dir: FOLDER, logFiles, timings: phases.timings, version, stop };
  } catch (error) {
    await stop().catch(() => undefined);
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`GlusterFS did not start (phase ${phases.current}): ${message}\n${tails(logFiles)}`, {
      cause: error,
    });
  }
}
