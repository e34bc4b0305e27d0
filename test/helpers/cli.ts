// Runs the built CLI as a real process, the way users and CI run it.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = fileURLToPath(new URL('../../dist/harness/cli.js', import.meta.url));

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The caller's environment without tap's process tracking (NODE_OPTIONS=--import ..., _TAPJS_*).
 * tap patches child_process in this process and adds them back to any env it is given, so the CLI
 * is started through `env -i` with the variables as arguments: then nothing the CLI starts (stubs
 * are Node programs too) loads tap's hooks.
 */
export function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => name !== 'NODE_OPTIONS' && !name.startsWith('_TAPJS_')),
  );
}

function envArgs(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env).flatMap(([k, v]) =>
    v === undefined || k === 'NODE_OPTIONS' || k.startsWith('_TAPJS_') ? [] : [`${k}=${v}`],
  );
}

/**
 * Runs the built CLI (or `options.cli`, another copy of it) with `args`. `options.env` is laid over
 * the clean environment (a variable set to undefined is left out); `options.nodeArgs` go to node
 * before the CLI's path.
 */
export function runCli(
  args: string[],
  options: {
    input?: string | Uint8Array;
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    nodeArgs?: readonly string[];
    cli?: string;
  } = {},
): CliResult {
  const result = spawnSync(
    '/usr/bin/env',
    [
      '-i',
      ...envArgs({ ...cleanEnv(), NO_COLOR: '1', ...options.env }),
      process.execPath,
      ...(options.nodeArgs ?? []),
      options.cli ?? CLI,
      ...args,
    ],
    {
      input: options.input ?? '',
      cwd: options.cwd ?? REPO_ROOT,
      encoding: 'utf8',
      timeout: 300_000,
    },
  );
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
