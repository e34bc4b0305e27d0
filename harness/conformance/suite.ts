// The conformance suite (spec/conformance/*.yaml): loaded, then shaped for one provider: the
// backend merged in, the Ganeti versions and repeat count asked for, live volume names.

import { join } from 'node:path';
import { PACKAGE_ROOT } from '../build/reference.js';
import { loadScenarioPaths } from '../scenario/load.js';
import type { Scenario, ScenarioFileError } from '../scenario/model.js';
import type { Backend } from './backend.js';

export const SUITE_DIR = join(PACKAGE_ROOT, 'spec', 'conformance');

export function loadSuite(dir = SUITE_DIR): { scenarios: Scenario[]; errors: ScenarioFileError[] } {
  const { files, errors } = loadScenarioPaths([dir]);
  return { scenarios: files.flatMap((f) => f.scenarios), errors };
}

export interface SuiteOptions {
  readonly ganeti: readonly string[];
  /** How many times ATTACH-IDEMPOTENT runs attach. */
  readonly idempotentCount: number;
  readonly backend?: Backend;
  /** Live runs: a unique volume name per scenario, from this prefix. */
  readonly livePrefix?: string;
  readonly timeoutSeconds?: number;
}

const ATTACH_CHECKS = new Set(['ATTACH-ACCEPTED', 'ATTACH-LINT']);

/** The check ids in the suite, in suite order. */
export function checkIds(scenarios: readonly Scenario[]): string[] {
  return [...new Set(scenarios.flatMap((s) => (s.check ? [s.check.id] : [])))];
}

/** Why a live run cannot play this scenario at all (it makes the backend fail), or null. */
function liveCannot(scenario: Scenario, options: SuiteOptions): string | null {
  if (options.livePrefix === undefined || !scenario.steps.some((s) => s.input.failBackend)) return null;
  return `${NOT_VERIFIED_SKIP}a live run cannot make the real backend fail (fail_backend)`;
}

/** A skip reason that starts so makes the check "not verified", not skipped (verdict.ts). */
export const NOT_VERIFIED_SKIP = 'not verified: ';

export function prepareScenario(scenario: Scenario, serial: number, options: SuiteOptions): Scenario {
  const backend = options.backend;
  const cannot = liveCannot(scenario, options);
  const name = options.livePrefix !== undefined ? `${options.livePrefix}-${serial}.ext.disk0` : scenario.volume.name;
  return {
    ...scenario,
    ...(cannot !== null ? { skip: cannot } : {}),
    volume: {
      ...scenario.volume,
      ...(name !== undefined ? { name } : {}),
      ...(backend?.cname !== undefined ? { cname: backend.cname } : {}),
      // GROW-NEW-SIZE looks for its own sizes (1024 -> 3072 MiB) in the backend calls.
      ...(backend?.size !== undefined && scenario.check?.id !== 'GROW-NEW-SIZE' ? { size: backend.size } : {}),
      params: { ...(backend?.params ?? {}), ...scenario.volume.params },
    },
    env: { ...(backend?.env ?? {}), ...scenario.env },
    stubs: backend?.stubs ?? {},
    ...(backend?.installPath !== undefined ? { installPath: backend.installPath } : {}),
    ...(backend?.devices !== undefined ? { devices: backend.devices } : {}),
    stubMode: 'lookup',
    simulate: backend?.simulate ?? [],
    simulators: backend?.simulators ?? {},
    steps: scenario.steps.map((step) => ({
      ...step,
      // Only the attach checks judge the output per version; elsewhere a rejection would blur which
      // check failed (the report still shows every attach step's compatibility row).
      ganeti: ATTACH_CHECKS.has(scenario.check?.id ?? '') ? options.ganeti : [],
      ...(options.timeoutSeconds !== undefined ? { timeout: options.timeoutSeconds } : {}),
      ...(scenario.check?.id === 'ATTACH-IDEMPOTENT' && step.action === 'attach'
        ? { repeat: options.idempotentCount }
        : {}),
    })),
  };
}
