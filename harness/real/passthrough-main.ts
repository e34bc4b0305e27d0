// The executable a real command gets in the sandbox's stubs directory under `run --real`: it runs
// the real program found further along PATH with the same arguments, stdin and streams, logs the
// call for expect.calls (as a simulator's call: never "unexpected"), and ends as the program ended.
// The real program is found as `record`'s spies find it (../backend/find-real.ts), after the stubs directory.

import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { findReal } from '../backend/find-real.js';
import type { LoggedCall } from '../backend/call-log.js';

export interface PassthroughConfig {
  readonly command: string;
  /** The stubs directory this executable lives in: skipped when looking for the real program. */
  readonly stubsDir: string;
  readonly callLog: string;
  /** The harness's environment marker, left out of logged environments. */
  readonly marker: string;
}

export function main(config: PassthroughConfig, argv: readonly string[]): void {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== config.marker)) as Record<
    string,
    string
  >;
  const log = (exit: number) => {
    const logged: LoggedCall = { command: config.command, argv: [...argv], env, entry: null, exit, simulated: true };
    appendFileSync(config.callLog, `${JSON.stringify(logged)}\n`);
  };
  const program = findReal(config.command, process.env.PATH ?? '', config.stubsDir);
  if (program === null) {
    process.stderr.write(`${config.command}: command not found\n`);
    log(127);
    process.exit(127);
  }
  const child = spawn(program, [...argv], { stdio: 'inherit', argv0: config.command });
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal));
  child.on('error', (error) => {
    process.stderr.write(`${config.command}: ${error.message}\n`);
    log(126);
    process.exit(126);
  });
  child.on('exit', (code, signal) => {
    log(code ?? 128 + (signal !== null ? osConstants.signals[signal] : 0));
    if (signal !== null) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    }
    process.exit(code ?? 1);
  });
}
