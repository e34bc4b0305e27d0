// `npm run test:e2e`: the reference providers against real storage. As root, it installs what is
// missing from Debian's packages, opens a private network + mount namespace (only loopback up, so
// nothing can leave the machine), starts a real Ceph and a real GlusterFS in it, runs the stages of
// stages.ts there, then stops every daemon by PID and checks that nothing is left behind (loop
// devices, mounts, listeners, processes, files). Prints TAP with a time per stage (report.ts).

import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCeph, type CephCluster } from './backends/ceph.js';
import { startGluster, type GlusterVolume } from './backends/gluster.js';
import { detachNewLoops, leaksSince, loops, takeInventory } from './backends/leaks.js';
import { checkPrerequisites, openNamespace, type Namespace } from './backends/namespace.js';
import { ensurePackages } from './backends/packages.js';
import { ensureGaneti, type GanetiAvailability } from './ganeti/install.js';
import { reapStaleRuns, recordOwner } from './backends/stale.js';
import { tail } from './lib/logs.js';
import { E2eReport, lastLines, seconds, type StageOutcome } from './report.js';
import {
  ONLY_VARIABLE,
  STAGES,
  backendsNeeded,
  selectStages,
  type CheckResult,
  type Stage,
  type StageEnvironment,
} from './stages.js';

/** The repository root: this file is dist/e2e/main.js once built. */
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(REPO, 'dist', 'harness', 'cli.js');

/** Where the scenarios expect the GlusterFS volume (e2e/scenarios/gluster.yaml), inside the namespace only. */
const GLUSTER_MOUNT = '/mnt/extstorage-kit-gluster';

/** Each run's folder in the temporary directory: the daemons' files, reports; removed at the end. */
const WORK_DIR_PREFIX = 'extstorage-kit-e2e-';

interface Backends {
  ns?: Namespace;
  ceph?: CephCluster;
  gluster?: GlusterVolume;
  glusterExposed?: boolean;
}

/** Runs `fn` as a stage of its own: timed, reported, its error shown (with the daemons' log tails). */
async function timed<T>(
  report: E2eReport,
  name: string,
  fn: () => Promise<{ value: T; summary?: string }>,
  logs: () => string[],
): Promise<T | undefined> {
  const started = performance.now();
  try {
    const { value, summary } = await fn();
    report.stage({ name, ok: true, durationMs: performance.now() - started, ...(summary ? { summary } : {}) });
    return value;
  } catch (error) {
    const message = (error as Error).message.split('\n');
    report.stage({
      name,
      ok: false,
      durationMs: performance.now() - started,
      details: [...message, ...logTails(logs())],
    });
    return undefined;
  }
}

/** A daemon log's last lines: enough to see why it failed, short enough to read in a CI log. */
const LOG_TAIL_LINES = 12;

function logTails(files: readonly string[]): string[] {
  return files.flatMap((file) => [`--- last lines of ${file}`, ...tail(file, LOG_TAIL_LINES).split('\n')]);
}

type DaemonLogs = (backends: readonly ('ceph' | 'gluster')[]) => string[];

interface JsonReport {
  passed: number;
  failed: number;
  skipped: number;
  results: { name: string; status: string; skipReason?: string }[];
}

/** One harness command inside the namespace; its --json report says what passed and what was skipped. */
/**
 * A stage, and the loop devices it left attached: they are detached (so the next stages start
 * clean) and fail the stage, as a real node would be left with them.
 */
async function runStageAndTidy(
  stage: Stage,
  ns: Namespace,
  env: StageEnvironment,
  logs: DaemonLogs,
  index: number,
): Promise<StageOutcome> {
  const before = loops();
  const outcome = { ...(await runStage(stage, ns, env, logs, index)), layer: stage.layer };
  const left = detachNewLoops(before);
  if (left.length === 0) return outcome;
  return {
    ...outcome,
    ok: false,
    details: [...(outcome.details ?? []), ...left.map((line) => `left attached: ${line}`)],
  };
}

async function runStage(
  stage: Stage,
  ns: Namespace,
  env: StageEnvironment,
  logs: DaemonLogs,
  index: number,
): Promise<StageOutcome> {
  if (stage.check) {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<CheckResult>((resolve) => {
      timer = setTimeout(
        () => resolve({ ok: false, summary: `still running after ${seconds(stage.timeoutMs)}: given up`, details: [] }),
        stage.timeoutMs,
      );
    });
    const checked = stage.check(ns, env).catch((error: unknown) => ({
      ok: false,
      summary: 'failed',
      details: (error instanceof Error ? error.message : String(error)).split('\n'),
    }));
    const result = await Promise.race([checked, limit]);
    clearTimeout(timer);
    const details = result.ok ? result.details : [...result.details, ...logTails(logs(stage.backends))];
    return {
      name: stage.name,
      ok: result.ok,
      durationMs: performance.now() - started,
      summary: result.summary,
      details,
    };
  }
  if (stage.needsGaneti && !env.ganeti.available)
    return { name: stage.name, ok: true, durationMs: 0, summary: `# SKIP ${env.ganeti.reason}` };
  const json = join(env.workDir, `stage-${index}.json`);
  const args = [...stage.args!(env), '--json', json];
  const started = performance.now();
  const result = await ns.exec([process.execPath, CLI, ...args], {
    cwd: REPO,
    allowFailure: true,
    timeoutMs: stage.timeoutMs,
    env: { NO_COLOR: '1' },
  });
  const durationMs = performance.now() - started;
  let report: JsonReport | undefined;
  try {
    report = JSON.parse(readFileSync(json, 'utf8')) as JsonReport;
  } catch {
    // no report: the command failed before running anything; its output says why
  }
  const ok = result.code === 0 && report?.failed === 0;
  const through = result.stderr.split('\n').find((line) => line.startsWith('through Ganeti '));
  const counts =
    (report ? `${report.passed} passed, ${report.failed} failed, ${report.skipped} skipped` : 'no report') +
    (through === undefined ? '' : `; ${through}`);
  const skips = (report?.results ?? [])
    .filter((r) => r.status === 'skip')
    .map((r) => `skipped: ${r.name}: ${r.skipReason ?? ''}`);
  const details = ok
    ? skips
    : [
        `command: extstorage-kit ${args.join(' ')} (exit ${result.timedOut ? `killed after ${seconds(stage.timeoutMs)}` : (result.code ?? result.signal)})`,
        ...lastLines(`${result.stdout}${result.stderr}`, 80),
        ...logTails(logs(stage.backends)),
      ];
  return { name: stage.name, ok, durationMs, summary: counts, details };
}

/** Mounts a private tmpfs on /mnt inside the namespace and the GlusterFS volume on /mnt/extstorage-kit-gluster in it. */
async function exposeGluster(ns: Namespace, gluster: GlusterVolume): Promise<void> {
  await ns.exec(['mount', '-t', 'tmpfs', '-o', 'size=1m,mode=0755', 'extstorage-kit-e2e', '/mnt']);
  await ns.exec(['mkdir', GLUSTER_MOUNT]);
  await ns.exec(['mount', '--bind', gluster.mountpoint, GLUSTER_MOUNT]);
}

async function teardown(backends: Backends, loopsBefore: readonly string[]): Promise<void> {
  const problems: string[] = [];
  // A loop device over a file on the volume keeps the FUSE mount busy: detach what the run attached
  // (each stage detaches what it left, so anything here is a fault of the run's own).
  for (const line of detachNewLoops(loopsBefore)) problems.push(`left attached at teardown: ${line}`);
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (error) {
      problems.push(`${what}: ${(error as Error).message}`);
    }
  };
  const ns = backends.ns;
  if (ns && backends.glusterExposed) {
    await attempt('umount /mnt/extstorage-kit-gluster', () => ns.exec(['umount', GLUSTER_MOUNT]));
    await attempt('umount /mnt', () => ns.exec(['umount', '/mnt']));
  }
  // Both at once: Ceph's daemons take seconds to go, GlusterFS's volume stop too.
  await Promise.all([
    backends.gluster && attempt('stopping GlusterFS', () => backends.gluster!.stop()),
    backends.ceph && attempt('stopping Ceph', () => backends.ceph!.stop()),
  ]);
  if (ns) await attempt('closing the namespace', () => ns.close());
  if (problems.length > 0) throw new Error(problems.join('\n'));
}

/**
 * Starts the backends the chosen stages use (Ceph, GlusterFS) in the namespace, then runs the
 * stages while nothing has failed to start.
 */
async function startAndRun(
  report: E2eReport,
  ns: Namespace,
  backends: Backends,
  workDir: string,
  ganeti: GanetiAvailability,
  logs: DaemonLogs,
  interrupted: () => boolean,
  stages: readonly Stage[],
): Promise<void> {
  const needed = backendsNeeded(stages);
  // Both at once: each spends most of its time waiting on its daemons.
  const [ceph, gluster] = await Promise.all([
    !needed.has('ceph')
      ? null
      : timed(
          report,
          'Ceph: one monitor and one memstore OSD on 127.0.0.1, pool rbd',
          async () => {
            const cluster = await startCeph(ns, join(workDir, 'ceph'));
            backends.ceph = cluster;
            return { value: cluster, summary: `${cluster.version}; ${phases(cluster.timings)}` };
          },
          () =>
            backends.ceph?.logFiles ?? [
              join(workDir, 'ceph', 'log', 'mon.a.log'),
              join(workDir, 'ceph', 'log', 'osd.0.log'),
            ],
        ),
    !needed.has('gluster')
      ? null
      : timed(
          report,
          'GlusterFS: glusterd on 127.0.0.1, volume gv0 FUSE-mounted',
          async () => {
            const volume = await startGluster(ns, join(workDir, 'gluster'));
            backends.gluster = volume;
            await exposeGluster(ns, volume);
            backends.glusterExposed = true;
            return { value: volume, summary: `${volume.version}; ${phases(volume.timings)}; at ${GLUSTER_MOUNT}` };
          },
          () => backends.gluster?.logFiles ?? [join(workDir, 'gluster', 'log', 'glusterd.log')],
        ),
  ]);
  if (ceph !== undefined && gluster !== undefined) {
    const env: StageEnvironment = { repo: REPO, workDir, glusterMount: GLUSTER_MOUNT, ganeti };
    mkdirSync(join(workDir, 'legacy-live'));
    mkdirSync(join(workDir, 'legacy-live-ganeti'));
    for (const [index, stage] of stages.entries()) {
      if (interrupted()) break;
      report.stage(await runStageAndTidy(stage, ns, env, logs, index));
    }
  }
}

async function main(): Promise<number> {
  // A reader that goes away (`| head`) must not end the run before its teardown: output is lost, not the cleanup.
  process.stdout.on('error', () => undefined);
  const problems = checkPrerequisites();
  if (problems.length > 0) {
    for (const problem of problems) process.stderr.write(`e2e: cannot run: ${problem}\n`);
    process.stderr.write('e2e: nothing was tested\n');
    return 1;
  }
  let stages: readonly Stage[];
  try {
    stages = selectStages(STAGES, process.env[ONLY_VARIABLE]);
  } catch (error) {
    process.stderr.write(`e2e: cannot run: ${(error as Error).message}\ne2e: nothing was tested\n`);
    return 1;
  }
  const report = new E2eReport(process.stdout);
  report.note(
    'extstorage-kit e2e: the reference providers on real Ceph, GlusterFS, loop devices and QEMU, in a private network namespace (loopback only)',
  );
  const packages = await timed(
    report,
    'Debian packages',
    async () => {
      const result = await ensurePackages((line) => report.note(line));
      return {
        value: result,
        summary: result.installed.length > 0 ? `installed ${result.installed.join(' ')}` : 'all present',
      };
    },
    () => [],
  );
  if (packages === undefined) return report.finish();
  if (stages.length < STAGES.length) {
    const needed = [...backendsNeeded(stages)];
    report.note(
      `${ONLY_VARIABLE}=${JSON.stringify(process.env[ONLY_VARIABLE])}: ${stages.length} of ${STAGES.length} stages; backends started: ${needed.length > 0 ? needed.join(', ') : 'none'}`,
    );
  }
  // Apart from the backends' packages: where Debian has no ganeti-3.0, only the Ganeti stages skip.
  const ganeti: GanetiAvailability = (await timed(
    report,
    'Ganeti 3.0 storage code (Debian ganeti-3.0)',
    async () => {
      const found = await ensureGaneti((line) => report.note(line));
      const summary = found.available
        ? `${found.release}${found.installed ? ', installed' : ''}`
        : `not available: ${found.reason}`;
      return { value: found, summary };
    },
    () => [],
  )) ?? { available: false, reason: 'installing ganeti-3.0 failed (see the stage above)' };
  for (const line of await reapStaleRuns(tmpdir(), WORK_DIR_PREFIX, [GLUSTER_MOUNT]))
    report.note(`before starting: ${line}`);

  const before = takeInventory();
  const workDir = mkdtempSync(join(tmpdir(), WORK_DIR_PREFIX));
  recordOwner(workDir, { pid: process.pid });
  const backends: Backends = {};
  const logs: DaemonLogs = (which) => [
    ...(which.includes('ceph') ? (backends.ceph?.logFiles ?? []) : []),
    ...(which.includes('gluster') ? (backends.gluster?.logFiles ?? []) : []),
  ];
  // Set by the signal handler, where TypeScript's flow analysis does not look.
  let interrupted = false as boolean;
  const onSignal = () => {
    interrupted = true;
    report.note('interrupted: stopping after the current stage, then tearing everything down');
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  try {
    backends.ns = await timed(
      report,
      'namespace: private network (only lo up) and mounts',
      async () => {
        const ns = await openNamespace();
        // A later run can then clean up after this one, should it be killed before its teardown.
        recordOwner(workDir, { pid: process.pid, holderPid: ns.holderPid, unsharePid: ns.unsharePid });
        return { value: ns };
      },
      () => [],
    );
    if (backends.ns !== undefined)
      await startAndRun(report, backends.ns, backends, workDir, ganeti, logs, () => interrupted, stages);
  } finally {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(signal, onSignal);
    await timed(
      report,
      'teardown: every daemon stopped by PID, mounts and namespace gone',
      async () => {
        try {
          await teardown(backends, before.loops);
        } finally {
          rmSync(workDir, { recursive: true, force: true });
        }
        return { value: true };
      },
      () => logs(['ceph', 'gluster']),
    );
    await timed(
      report,
      'nothing left behind: loop devices, mounts, listeners, processes, files',
      async () => {
        const leaks = leaksSince(before, takeInventory());
        if (leaks.length > 0) throw new Error(leaks.join('\n'));
        return { value: true };
      },
      () => [],
    );
  }
  const code = report.finish();
  return interrupted ? 130 : code;
}

function phases(timings: Record<string, number>): string {
  return Object.entries(timings)
    .map(([phase, ms]) => `${phase} ${seconds(ms)}`)
    .join(', ');
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`e2e: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
