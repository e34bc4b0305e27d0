// Which isolation this machine gives provider scripts, found once per process by running a trivial
// command under each mechanism (never assumed from the kernel, the user or a file's presence):
// bubblewrap, else `unshare` (user, mount and PID namespaces), else none (an unprivileged container,
// Ubuntu 24.04's AppArmor rule). EXTSTORAGE_KIT_ISOLATION=none|unshare|bwrap caps the level, so
// tests can exercise every path; it never raises it past what the probe found.

import { spawnSync } from 'node:child_process';
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

function tryRun(command: string, args: readonly string[]): string | null {
  const r = spawnSync(command, [...args], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.error !== undefined) return `${command}: ${(r.error as NodeJS.ErrnoException).code ?? r.error.message}`;
  if (r.status === 0) return null;
  const said = r.stderr.trim().split('\n').pop() ?? '';
  return `${command} failed (${r.status === null ? `signal ${r.signal ?? '?'}` : `exit ${r.status}`})${said === '' ? '' : `: ${said}`}`;
}

/** Runs the waiter itself (the script every sandboxed run goes through) under each mechanism. */
function probeLevel(level: IsolationLevel): string | null {
  if (level === 'none') return null;
  const waiter = ['/bin/sh', '-c', WAITER_SCRIPT, 'sh', '--', '/', 'true'];
  if (level === 'bwrap') {
    return tryRun('bwrap', [
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
    ]);
  }
  // A tmpfs mount inside, as the unshare sandbox makes them.
  return tryRun('unshare', [
    ...UNSHARE_ARGS,
    '--',
    '/bin/sh',
    '-c',
    WAITER_SCRIPT,
    'sh',
    'tmpfs',
    '/mnt',
    '--',
    '/',
    'true',
  ]);
}

const cache = new Map<string, IsolationProbe>();

/** The strongest level that works here, at most the one EXTSTORAGE_KIT_ISOLATION asks for. */
export function probeIsolation(env: NodeJS.ProcessEnv = process.env): IsolationProbe {
  const asked = env[ISOLATION_ENV]?.trim() ?? '';
  const cached = cache.get(asked);
  if (cached) return cached;
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
  let level: IsolationLevel = 'none';
  for (let i = cap; i > 0; i--) {
    const candidate = ORDER[i]!;
    const problem = probeLevel(candidate);
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
