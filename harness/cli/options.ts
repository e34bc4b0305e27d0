// Options `run` and `test` share: their parsing (each error a UsageError naming the option) and
// running with Ctrl-C handled (running scripts killed, no new scenario started).

import type { Shard } from '../run/runner.js';
import { killAllRunning } from '../run/invoke.js';
import { UsageError } from './command.js';

export type ReporterName = 'human' | 'tap' | 'tap13';

/** The parseArgs options of the scenario runner, as `run` and `test` both take them. */
export const RUNNER_OPTIONS = {
  jobs: { type: 'string', short: 'j' },
  filter: { type: 'string' },
  shard: { type: 'string' },
  bail: { type: 'boolean', default: false },
  keep: { type: 'boolean', default: false },
  reporter: { type: 'string', default: 'human' },
  junit: { type: 'string' },
  json: { type: 'string' },
} as const;

/** A whole number from 1 to `max` (a bound keeps a typo like --jobs 1000000000 from forking a storm). */
export function positiveInteger(option: string, text: string, max = 100_000): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max)
    throw new UsageError(`${option} takes a whole number from 1 to ${max}, got ${JSON.stringify(text)}`);
  return Number(text);
}

/** Scenarios at once: more than a few per core only adds contention. */
export const MAX_JOBS = 256;

export function shardOption(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index < 1 || index > count) {
    throw new UsageError(`--shard takes I/N with 1 <= I <= N, e.g. 2/4; got ${JSON.stringify(text)}`);
  }
  return { index, count };
}

export function filterOption(text: string): RegExp {
  try {
    return new RegExp(text);
  } catch (error) {
    throw new UsageError(`--filter: ${(error as Error).message}`);
  }
}

export function reporterOption(text: string): ReporterName {
  if (text !== 'human' && text !== 'tap' && text !== 'tap13')
    throw new UsageError(`--reporter takes human, tap or tap13, got ${JSON.stringify(text)}`);
  return text;
}

/** Runs `fn` with SIGINT/SIGTERM turned into an abort: running scripts are killed at once. */
export async function interruptible<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const abort = new AbortController();
  const onInterrupt = () => {
    process.stderr.write('\ninterrupted: killing running scripts and cleaning up\n');
    abort.abort();
    killAllRunning();
  };
  process.once('SIGINT', onInterrupt);
  process.once('SIGTERM', onInterrupt);
  try {
    return await fn(abort.signal);
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
  }
}
