// Which isolation this machine gives provider scripts, found once per process by running a trivial
// command under each mechanism (never assumed from the kernel, the user or a file's presence):
// bubblewrap, else `unshare` (user, mount and PID namespaces), else none (an unprivileged container,
// Ubuntu 24.04's AppArmor rule). EXTSTORAGE_KIT_ISOLATION=none|unshare|bwrap caps the level, so
// tests can exercise every path; it never raises it past what the probe found.

import { spawn, spawnSync } from 'node:child_process';
import { WAITER_SCRIPT } from './waiter.js';

export type IsolationLevel = 'bwrap' | 'unshare' | 'none';

export const ISOLATION_ENV = 'EXTSTORAGE_KIT_ISOLATION';

const ORDER: readonly IsolationLevel[] = ['none', 'unshare', 'bwrap'];

export interface IsolationProbe {
  readonly level: IsolationLevel;
  /** Why each stronger level is not used, in words (empty at bwrap). */
  readonly reasons: readonly string[];
}

/** The argv that runs `command` in fresh user, mount and PID namespaces (`--kill-child`: it dies with unshare). */
export const UNSHARE_ARGS: readonly string[] = [
  '--user',
  '--map-root-user',
  '--mount',
  '--pid',
  '--fork',
  '--mount-proc',
  '--kill-child',
];

interface Outcome {
  readonly error?: Error;
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/** What a probe's run says: null when the level works, else why not. */
function verdict(command: string, r: Outcome): string | null {
  if (r.error !== undefined) return `${command}: ${(r.error as NodeJS.ErrnoException).code ?? r.error.message}`;
  if (r.status === 0) return null;
  const said = r.stderr.trim().split('\n').pop() ?? '';
  return `${command} failed (${r.status === null ? `signal ${r.signal ?? '?'}` : `exit ${r.status}`})${said === '' ? '' : `: ${said}`}`;
}

const PROBE_TIMEOUT_MS = 10_000;

function tryRun([command, args]: readonly [string, readonly string[]]): string | null {
  const r = spawnSync(command, [...args], {
    encoding: 'utf8',
    timeout: PROBE_TIMEOUT_MS,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return verdict(command, r);
}

function tryRunAsync([command, args]: readonly [string, readonly string[]]): Promise<string | null> {
  return new Promise((resolve) => {
    const child = spawn(command, [...args], { timeout: PROBE_TIMEOUT_MS, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let error: Error | undefined;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (e) => (error = e));
    child.on('close', (status, signal) => {
      resolve(verdict(command, { ...(error !== undefined ? { error } : {}), status, signal, stderr }));
    });
  });
}

/** The command that runs the waiter itself (the script every sandboxed run goes through) under `level`. */
function probeCommand(level: Exclude<IsolationLevel, 'none'>): readonly [string, readonly string[]] {
  const waiter = ['/bin/sh', '-c', WAITER_SCRIPT, 'sh', '--', '/', 'true'];
  if (level === 'bwrap') {
    return [
      'bwrap',
      [
        '--ro-bind',
        '/',
        '/',
        '--dev',
        '/dev',
        '--proc',
        '/proc',
        '--tmpfs',
        '/tmp',
        '--unshare-pid',
        '--die-with-parent',
        '--',
        ...waiter,
      ],
    ];
  }
  // A tmpfs mount inside, as the unshare sandbox makes them.
  return ['unshare', [...UNSHARE_ARGS, '--', '/bin/sh', '-c', WAITER_SCRIPT, 'sh', 'tmpfs', '/mnt', '--', '/', 'true']];
}

const cache = new Map<string, IsolationProbe>();

/** The levels to try, strongest first, under the cap EXTSTORAGE_KIT_ISOLATION sets, and what the cap says. */
function candidates(asked: string): { levels: Exclude<IsolationLevel, 'none'>[]; reasons: string[] } {
  const reasons: string[] = [];
  let cap = ORDER.length - 1;
  if (asked !== '') {
    const index = ORDER.indexOf(asked as IsolationLevel);
    if (index < 0) reasons.push(`${ISOLATION_ENV}=${asked} is not one of none, unshare, bwrap: ignored`);
    else {
      cap = index;
      if (index < ORDER.length - 1) reasons.push(`${ISOLATION_ENV}=${asked} asked for no more than ${asked}`);
    }
  }
  const levels = ORDER.slice(1, cap + 1).reverse() as Exclude<IsolationLevel, 'none'>[];
  return { levels, reasons };
}

/** The strongest level that works here, at most the one EXTSTORAGE_KIT_ISOLATION asks for. */
export function probeIsolation(env: NodeJS.ProcessEnv = process.env): IsolationProbe {
  const asked = env[ISOLATION_ENV]?.trim() ?? '';
  const cached = cache.get(asked);
  if (cached) return cached;
  const { levels, reasons } = candidates(asked);
  let level: IsolationLevel = 'none';
  for (const candidate of levels) {
    const problem = tryRun(probeCommand(candidate));
    if (problem === null) {
      level = candidate;
      break;
    }
    reasons.push(`${candidate} is not usable here: ${problem}`);
  }
  const probe = { level, reasons };
  cache.set(asked, probe);
  return probe;
}

/**
 * The same probe without blocking: the commands start it before they read their scenarios, so that
 * its sandbox start (some 8 ms) runs on another core meanwhile; probeIsolation() then finds it done.
 */
export async function startIsolationProbe(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const asked = env[ISOLATION_ENV]?.trim() ?? '';
  if (cache.has(asked)) return;
  const { levels, reasons } = candidates(asked);
  let level: IsolationLevel = 'none';
  for (const candidate of levels) {
    const problem = await tryRunAsync(probeCommand(candidate));
    if (problem === null) {
      level = candidate;
      break;
    }
    reasons.push(`${candidate} is not usable here: ${problem}`);
  }
  // A synchronous probe that ran meanwhile came first: keep the one the process has been using.
  if (!cache.has(asked)) cache.set(asked, { level, reasons });
}
