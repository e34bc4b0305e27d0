// Which simulator answers a call of which command: the one place that names them all.

import type { CommandAnswer, CommandCall } from '../backend/command-server.js';
import { simulateLosetup } from './losetup/index.js';
import { simulateRbd } from './rbd/index.js';
import { answerCall, type SimulatorConfig } from './runtime.js';
import type { LosetupState, RbdState } from './state.js';

/** A simulated command as installed in a sandbox: what its server needs. */
export interface ServedSimulator {
  readonly config: SimulatorConfig;
  readonly requestFifo: string;
  readonly callsDir: string;
}

export function answerSimulated(config: SimulatorConfig, call: CommandCall): CommandAnswer {
  const output =
    config.command === 'rbd'
      ? answerCall<RbdState>(config, call, simulateRbd)
      : answerCall<LosetupState>(config, call, simulateLosetup);
  return { stdout: output.stdoutParts, stderr: output.stderrParts, status: output.hang ? 'hang' : output.code };
}
