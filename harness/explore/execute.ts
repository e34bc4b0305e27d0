// Plays a plan: it becomes one scenario (the plan's volumes under `volumes`, a disturbed operation
// as its killed or failing step and then the retry, a group as steps started together) run by the
// runner's own scenario machinery, in a sandbox of its own with the backend's simulators, exactly
// as `test` and `run` run scenarios. Every step accepts any exit status (the model judges them),
// so the whole plan runs.

import type { Backend } from '../conformance/backend.js';
import type { ProviderCheck } from '../provider/check.js';
import type { Backends } from '../backend/backend.js';
import { runScenario } from '../run/scenario-runner.js';
import type { ScenarioResult, StepResult } from '../run/result.js';
import type { Scenario, SourcePosition, Step, VolumeSpec } from '../scenario/model.js';
import type { ActionOp, Plan } from './plan.js';

export interface ExecutionContext {
  readonly providerDir: string;
  readonly providerCheck: ProviderCheck;
  readonly backend: Backend;
  readonly backends: Backends;
  readonly timeoutSeconds: number;
}

/** What a scenario step stands for in the plan. */
export interface StepRole {
  /** Index of the operation in the plan. */
  readonly op: number;
  /** Its action (for a group, the member's). */
  readonly action: ActionOp;
  /**
   * plain: undisturbed; disturbed: killed or failing; retry: the ordinary step after a disturbed
   * one; observe: a command listing the sandbox's files after a group (each step of a group sees
   * the others' files half made: only a listing after the group tells what is there).
   */
  readonly role: 'plain' | 'disturbed' | 'retry' | 'observe';
  /** Steps of one group share it (the scenario's group number). */
  readonly group?: number;
}

export interface Execution {
  readonly roles: readonly StepRole[];
  readonly result: ScenarioResult;
  /** The steps that ran, in order (fewer than the roles when the runner stopped the scenario). */
  readonly steps: readonly StepResult[];
}

const POSITION: SourcePosition = { file: '(explore)', line: 1, col: 1 };

/** Lists the sandbox's regular files, "path<TAB>size" a line (observe.ts reads it). */
const OBSERVE_FILES = ['find', '${SANDBOX}', '-type', 'f', '-printf', '%P\t%s\n'];

/** The name of scenario step `index`: the isolation report says which step left a process by it. */
const stepName = (index: number, op: ActionOp, label: string) => `#${index} ${op.action} ${label}`;

function step(plan: Plan, index: number, op: ActionOp, timeout: number, role: StepRole['role'], group?: number): Step {
  const disturbed = role === 'disturbed' ? op.disturb : undefined;
  const label = plan.volumes[op.volume]!.label;
  return {
    name: stepName(index, op, label),
    action: op.action,
    volume: label,
    ...(disturbed?.kind === 'kill' ? { kill: { call: disturbed.call, when: disturbed.when } } : {}),
    ...(disturbed?.kind === 'kill-timed' ? { killAfterMs: disturbed.ms } : {}),
    ...(group !== undefined ? { group } : {}),
    input: {
      ...(op.size !== undefined ? { size: op.size } : {}),
      ...(op.newSize !== undefined ? { newSize: op.newSize } : {}),
      ...(op.metadata !== undefined ? { metadata: op.metadata } : {}),
      ...(op.snapshot !== undefined ? { snapshotName: plan.volumes[op.snapshot]!.name } : {}),
      ...(op.snapshotSize !== undefined ? { snapshotSize: op.snapshotSize } : {}),
      ...(op.exclusive !== undefined ? { exclusive: op.exclusive } : {}),
      ...(disturbed?.kind === 'fail' ? { failBackend: true } : {}),
      args: [],
      unset: [],
      env: {},
    },
    repeat: 1,
    timeout,
    // Any status: the model judges it. With a kill, a script that ends before the call is recorded too.
    expect: { exit: 'any' },
    ganeti: [],
    position: POSITION,
  };
}

/** The plan as a scenario, and what each of its steps stands for. */
export function planScenario(plan: Plan, context: ExecutionContext): { scenario: Scenario; roles: StepRole[] } {
  const { backend, timeoutSeconds: timeout } = context;
  const steps: Step[] = [];
  const roles: StepRole[] = [];
  const push = (s: Step, r: StepRole) => {
    steps.push(s);
    roles.push(r);
  };
  plan.ops.forEach((op, index) => {
    const members = op.kind === 'one' ? [op.op] : op.ops;
    const group = op.kind === 'together' ? index : undefined;
    for (const member of members) {
      const role = member.disturb === undefined ? 'plain' : 'disturbed';
      push(step(plan, steps.length, member, timeout, role, group), {
        op: index,
        action: member,
        role,
        ...(group !== undefined ? { group } : {}),
      });
    }
    if (group !== undefined)
      push(
        {
          action: 'command',
          command: [...OBSERVE_FILES],
          input: { args: [], unset: [], env: {} },
          repeat: 1,
          timeout,
          expect: { exit: 'any' },
          ganeti: [],
          position: POSITION,
        },
        { op: index, action: members[0], role: 'observe' },
      );
    // The retries, one after the other, as an operator re-runs what failed.
    for (const member of members) {
      if (member.disturb === undefined) continue;
      push(step(plan, steps.length, member, timeout, 'retry'), {
        op: index,
        action: member,
        role: 'retry',
      });
    }
  });
  const volume: VolumeSpec = { size: backend.size ?? 1024, params: backend.params, ...cname(backend) };
  const scenario: Scenario = {
    name: 'explore',
    requires: [],
    file: POSITION.file,
    index: 0,
    volume,
    volumes: Object.fromEntries(plan.volumes.map((v) => [v.label, { ...volume, name: v.name }])),
    env: backend.env,
    stubs: {},
    simulate: backend.simulate,
    simulators: backend.simulators,
    ...(backend.installPath !== undefined ? { installPath: backend.installPath } : {}),
    ...(backend.devices !== undefined ? { devices: backend.devices } : {}),
    steps,
    position: POSITION,
  };
  return { scenario, roles };
}

function cname(backend: Backend): { cname?: string } {
  return backend.cname !== undefined ? { cname: backend.cname } : {};
}

export async function executePlan(plan: Plan, context: ExecutionContext): Promise<Execution> {
  const { scenario, roles } = planScenario(plan, context);
  const result = await runScenario(scenario, {
    providerDir: context.providerDir,
    providerCheck: context.providerCheck,
    keep: false,
    backends: context.backends,
  });
  return { roles, result, steps: result.steps };
}
