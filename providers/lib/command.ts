// Runs the backend's tools from argv arrays, never through a shell. Their stdout is captured (the
// provider's own stdout carries only the contract); a failure becomes a ProviderError that quotes
// the tool's own last words.

import { spawnSync } from 'node:child_process';
import { ProviderError } from './errors.js';

export interface CommandResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** What a tool said on failure, short enough for one diagnostic line. */
export function lastWords(result: CommandResult): string {
  const text = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-3).join(' / ');
  return text === '' ? `exit status ${result.status}` : text;
}

export function render(argv: readonly string[]): string {
  return argv.map((a) => (/^[-\w./:=@,+%]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

/** Runs argv; returns whatever it did. Throws only when the program cannot be started at all. */
export function tryRun(argv: readonly string[], options: { timeoutMs?: number } = {}): CommandResult {
  const [program, ...args] = argv as [string, ...string[]];
  const result = spawnSync(program, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs, killSignal: 'SIGKILL' as const } : {}),
  });
  if (result.error) {
    const code = (result.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new ProviderError(`${program} not found on PATH (${process.env.PATH ?? ''}): install it on this node`);
    if (code === 'ETIMEDOUT') throw new ProviderError(`${render(argv)} did not finish within ${options.timeoutMs} ms`);
    throw new ProviderError(`cannot run ${program}: ${result.error.message}`);
  }
  if (result.signal !== null)
    return { status: 128 + 9, stdout: result.stdout, stderr: `${result.stderr}\n(killed by ${result.signal})` };
  return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}

/** Runs argv and insists on success; `what` says what the call was for. */
export function run(argv: readonly string[], what: string): CommandResult {
  const result = tryRun(argv);
  if (result.status !== 0) throw new ProviderError(`${what} failed: ${render(argv)}: ${lastWords(result)}`);
  return result;
}
