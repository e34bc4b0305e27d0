// Running Ganeti's storage code from the e2e: the Python drivers in this folder, under Debian's
// /usr/bin/python3, inside the namespace; their JSON lines read back.

import { join } from 'node:path';
import type { Namespace } from '../backends/namespace.js';
import { GANETI_PYTHON } from './install.js';

/** Where things are (the e2e's StageEnvironment has these). */
export interface GanetiPlaces {
  /** The repository root: the drivers are in e2e/ganeti/, the built providers under dist/. */
  readonly repo: string;
  /** The run's own folder: the search path, Ganeti's logs and legacy's images go under ganeti/. */
  readonly workDir: string;
  /** Where the GlusterFS volume is mounted inside the namespace. */
  readonly glusterMount: string;
}

/** What a Ganeti stage found (the e2e's CheckResult). */
export interface GanetiOutcome {
  readonly ok: boolean;
  readonly summary: string;
  readonly details: readonly string[];
}

/** The search path the drivers point Ganeti at, and its log directory for the scripts. */
export function ganetiDirs(places: GanetiPlaces): { searchPath: string; logDir: string } {
  return { searchPath: join(places.workDir, 'ganeti', 'extstorage'), logDir: join(places.workDir, 'ganeti', 'log') };
}

/** A provider script Ganeti ran during a call. */
export interface ScriptRun {
  readonly script: string;
  /** Its VOL_* and EXTP_* variables. */
  readonly env: Record<string, string>;
  readonly exit?: number;
  /** attach's stdout, as Ganeti decoded it. */
  readonly stdout?: string;
}

/** One line of drive_extstorage.py: a node-daemon call and what came of it. */
export interface GanetiCall {
  readonly step: string;
  readonly ok: boolean;
  readonly returned?: unknown;
  readonly raised?: { readonly type: string; readonly message: string };
  readonly device: { attached: boolean; dev_path: string | null; uris: string[] } | null;
  readonly scripts: readonly ScriptRun[];
}

/** The disk a call is about, as the node daemon gets it. */
export interface DiskSpec {
  readonly provider: string;
  readonly volume: string;
  /** The disk's size in the config, MiB. */
  readonly size: number;
  /** The disk's name and uuid; a snapshot volume has none. */
  readonly cname?: string;
  readonly uuid?: string;
  readonly params: Readonly<Record<string, string>>;
}

/** The JSON lines a driver printed, or an error with its whole output. */
async function runDriver(ns: Namespace, argv: string[]): Promise<unknown[]> {
  // noded runs with / as its working directory (Daemonize), which matters for a relative device path.
  const result = await ns.exec(argv, { timeoutMs: 300_000, cwd: '/' });
  try {
    return result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as unknown);
  } catch {
    throw new Error(`${argv.join(' ')}: not JSON lines on stdout:\n${result.stdout}${result.stderr}`);
  }
}

/** One node-daemon call through drive_extstorage.py. */
export async function callGaneti(
  ns: Namespace,
  places: GanetiPlaces,
  disk: DiskSpec,
  step: string,
  arg?: string,
): Promise<GanetiCall> {
  const { searchPath, logDir } = ganetiDirs(places);
  const argv = [
    GANETI_PYTHON,
    join(places.repo, 'e2e', 'ganeti', 'drive_extstorage.py'),
    ...['--search-path', searchPath, '--log-dir', logDir],
    ...['--provider', disk.provider, '--volume', disk.volume, '--size', String(disk.size)],
    ...(disk.cname === undefined ? [] : ['--cname', disk.cname]),
    ...(disk.uuid === undefined ? [] : ['--uuid', disk.uuid]),
    ...Object.entries(disk.params).flatMap(([key, value]) => ['--param', `${key}=${value}`]),
    step,
    ...(arg === undefined ? [] : [arg]),
  ];
  const lines = await runDriver(ns, argv);
  return lines[lines.length - 1] as GanetiCall;
}

/** What Ganeti made of one attach output (attach_verdicts.py). */
export interface GanetiVerdict {
  readonly case: string;
  readonly ok: boolean;
  readonly dev_path: string | null;
  readonly uris: string[];
  /** The URI GetUserspaceAccessUri gave each hypervisor Ganeti knows, or null. */
  readonly select: Record<string, string | null>;
  readonly raised: string | null;
}

/** Ganeti's verdicts on attach outputs, one per file (the provider's attach prints $EXTP_CASE). */
export async function ganetiVerdicts(
  ns: Namespace,
  places: GanetiPlaces,
  provider: string,
  cases: readonly string[],
): Promise<GanetiVerdict[]> {
  const { searchPath, logDir } = ganetiDirs(places);
  const argv = [
    GANETI_PYTHON,
    join(places.repo, 'e2e', 'ganeti', 'attach_verdicts.py'),
    ...['--search-path', searchPath, '--log-dir', logDir, '--provider', provider],
    ...cases,
  ];
  return (await runDriver(ns, argv)) as GanetiVerdict[];
}
