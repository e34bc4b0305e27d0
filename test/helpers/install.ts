// What the install-route and CI tests share: commands run as in an author's shell (npm, npx, git,
// bash), a tarball of this checkout, and a small sound bash provider with its backend file.

import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { cleanEnv, REPO_ROOT, type CliResult } from './cli.js';

/** The test's environment without tap's hooks nor the variables npm sets for a script it runs. */
export function authorEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(cleanEnv()).filter(([name]) => !/^npm_/i.test(name)));
  return { ...env, NO_COLOR: '1', ...extra };
}

/**
 * Runs a command in cwd with exactly `env` (through `env -i`: tap patches child_process in this
 * process and would add its hooks back). Slow commands are npm installs: 10 minutes at most.
 */
export function sh(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = authorEnv()): CliResult {
  const assignments = Object.entries(env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
  const result = spawnSync('/usr/bin/env', ['-i', ...assignments, command, ...args], {
    cwd,
    encoding: 'utf8',
    input: '',
    timeout: 600_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** For a failed command's assertion message: its exit status and output. */
export function shown(result: CliResult): string {
  return `exit ${String(result.code)}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

/** npm's flags for an install that can work from the warm cache alone. */
export const OFFLINE = ['--prefer-offline', '--no-audit', '--no-fund'];

/**
 * `npm pack` of this checkout into dest, as built (the test run built dist/ already; packing runs no
 * script, so it neither rebuilds dist/ under the other tests nor takes a minute). Returns the path.
 */
export function packKit(dest: string): string {
  mkdirSync(dest, { recursive: true });
  const packed = sh('npm', ['pack', '--ignore-scripts', '--pack-destination', dest], REPO_ROOT);
  if (packed.code !== 0) throw new Error(`npm pack failed: ${shown(packed)}`);
  const tarballs = readdirSync(dest).filter((f) => f.endsWith('.tgz'));
  if (tarballs.length !== 1) throw new Error(`npm pack left ${tarballs.length} tarballs in ${dest}`);
  return join(dest, tarballs[0]!);
}

const WILD = join(REPO_ROOT, 'test', 'fixtures', 'wild');

/**
 * A bash provider the whole conformance suite passes (test/fixtures/wild/bash-loop), copied with its
 * modes to parent/<name>, and its backend file to parent/<backend>.
 */
export function bashProvider(parent: string, name = 'provider', backend = 'ci/backend.yaml'): void {
  cpSync(join(WILD, 'bash-loop'), join(parent, name), { recursive: true });
  cpSync(join(WILD, 'bash-loop.backend.yaml'), join(parent, backend));
}
