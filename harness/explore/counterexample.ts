// Writes a shrunk failing plan as an ordinary scenario file that `extstorage-kit run` replays to the
// same failure: the plan's volumes, each step as it ran (a kill where the run was killed, the
// exit status it had), groups as `together`, and the broken invariant as an expectation of the
// step (its exit, the device) or as a check step after it (the simulators' state, a file's size).

import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { parse } from 'yaml';
import type { Backend } from '../conformance/backend.js';
import type { ScriptRun } from '../run/result.js';
import type { Execution, StepRole } from './execute.js';
import type { Violation } from './model.js';
import type { Plan } from './plan.js';

export interface CounterexampleSource {
  readonly plan: Plan;
  readonly execution: Execution;
  readonly violation: Violation;
  readonly seed: number;
  readonly providerDir: string;
  readonly backend: Backend;
  readonly timeoutSeconds: number;
  /** False: a kill at a random time landed inside the script's own work; written at the nearest call, it may not replay. */
  readonly replayable: boolean;
}

/** YAML's flow style takes JSON as it is. */
const flow = (value: unknown) => JSON.stringify(value);

/** The backend file's own keys that a scenario takes as they are written (the simulators' options, the sandbox's). */
function backendKeys(backend: Backend): Record<string, unknown> {
  try {
    const raw = parse(readFileSync(backend.file, 'utf8')) as Record<string, unknown> | null;
    const keys: Record<string, unknown> = {};
    for (const key of ['simulate', 'install_path', 'devices'])
      if (raw?.[key] !== undefined && raw[key] !== null) keys[key] = raw[key];
    return keys;
  } catch {
    return { simulate: backend.simulate }; // a backend from the command line alone: defaults
  }
}

/** One step as it ran, in flow style; `expect` replaces the observed exit status when given. */
function stepText(
  plan: Plan,
  role: StepRole,
  run: ScriptRun | undefined,
  expect: Record<string, unknown> | null,
): Record<string, unknown> {
  const op = role.action;
  const disturbed = role.role === 'disturbed' ? op.disturb : undefined;
  const withKeys = {
    ...(op.size !== undefined ? { size: op.size } : {}),
    ...(op.newSize !== undefined ? { new_size: op.newSize } : {}),
    ...(op.metadata !== undefined ? { metadata: op.metadata } : {}),
    ...(op.snapshot !== undefined ? { snapshot_name: plan.volumes[op.snapshot]!.name } : {}),
    ...(op.snapshotSize !== undefined ? { snapshot_size: op.snapshotSize } : {}),
    ...(op.exclusive !== undefined ? { exclusive: op.exclusive } : {}),
    ...(disturbed?.kind === 'fail' ? { fail_backend: true } : {}),
  };
  const step: Record<string, unknown> = {
    action: op.action,
    volume: plan.volumes[op.volume]!.label,
    ...(Object.keys(withKeys).length > 0 ? { with: withKeys } : {}),
  };
  // Where the kill landed (for a kill at a random time, the call the gate kills at to do it again).
  if (run?.fault?.kind === 'killed') {
    step.kill = { call: run.fault.call, when: run.fault.when };
    return step; // a killed step's exit is the kill's
  }
  step.expect = expect ?? { exit: disturbed?.kind === 'fail' ? 'any' : exitOf(run) };
  return step;
}

/** The exit status a step is written to expect: as it ended. */
function exitOf(run: ScriptRun | undefined): 0 | 'nonzero' {
  return run?.exitCode === 0 && run.signal === null && run.fault === undefined ? 0 : 'nonzero';
}

/** The check step after the unit, for a violation seen in the state. */
function checkStep(violation: Violation): Record<string, unknown> | null {
  const name = `${violation.invariant.id}: ${violation.message}`;
  const replay = violation.replay;
  switch (replay.kind) {
    case 'simulated':
      return { name, command: ['true'], expect: { simulated: { [replay.simulator]: replay.subset } } };
    case 'file-size':
      return {
        name,
        command: ['stat', '-c', '%s', `\${SANDBOX}/${replay.path}`],
        expect: { stdout: { equals: `${replay.bytes}\n` } },
      };
    case 'file-absent':
      return { name, command: ['test', '!', '-e', `\${SANDBOX}/${replay.path}`] };
    case 'exit':
    case 'device':
    case 'left':
      return null;
  }
}

/** The scenario file's text. */
export function counterexampleText(source: CounterexampleSource, file: string): string {
  const { plan, execution, violation, backend } = source;
  const { roles, steps } = execution;
  // Up to the end of the unit the violation was seen in (a group is written whole).
  let end = violation.step;
  const group = roles[end]!.group;
  while (group !== undefined && end + 1 < roles.length && roles[end + 1]!.group === group) end++;
  const replay = violation.replay;
  const onStep = (run: ScriptRun | undefined) =>
    replay.kind === 'exit'
      ? { exit: replay.exit }
      : replay.kind === 'device'
        ? { exit: 0, device: replay.device }
        : replay.kind === 'left'
          ? { exit: exitOf(run), processes_left: 'none' }
          : null;
  const lines: Record<string, unknown>[] = [];
  for (let k = 0; k <= end;) {
    const g = roles[k]!.group;
    let last = k;
    while (g !== undefined && last + 1 <= end && roles[last + 1]!.group === g) last++;
    const texts = [];
    for (let i = k; i <= last; i++)
      if (roles[i]!.role !== 'observe')
        texts.push(
          stepText(plan, roles[i]!, steps[i]?.runs[0], i === violation.step ? onStep(steps[i]?.runs[0]) : null),
        );
    if (texts.length > 0) lines.push(texts.length > 1 ? { together: texts } : texts[0]!);
    k = last + 1;
  }
  const check = checkStep(violation);
  if (check !== null) lines.push(check);
  const volume = {
    ...(backend.size !== undefined ? { size: backend.size } : {}),
    ...(backend.cname !== undefined ? { cname: backend.cname } : {}),
    params: backend.params,
  };
  const volumes = Object.fromEntries(plan.volumes.map((v) => [v.label, { name: v.name }]));
  const out = [
    `# yaml-language-server: $schema=https://raw.githubusercontent.com/OWNER/extstorage-kit/main/spec/scenario.schema.json`,
    `# A counterexample found by extstorage-kit test --explore (seed ${source.seed}), shrunk to ${end + 1} steps.`,
    `# Invariant ${violation.invariant.id} (${violation.invariant.level}): ${violation.invariant.text}.`,
    `# Broken: ${violation.message.replaceAll('\n', ' ')}`,
    `# Replay: extstorage-kit run ${relative(process.cwd(), file) || file}`,
    ...(source.replayable
      ? []
      : [
          "# Caution: a kill at a random time landed inside the script's own work; written at the nearest",
          '# backend call, which did not break the invariant again when tried: this replay may pass.',
        ]),
    `provider: ${flow(relative(dirname(resolve(file)), source.providerDir) || '.')}`,
    'scenarios:',
    `  - name: ${flow(`EXPLORE ${violation.invariant.id}: ${violation.message}`)}`,
    `    timeout: ${source.timeoutSeconds}`,
    `    volume: ${flow(volume)}`,
    `    volumes: ${flow(volumes)}`,
    ...(Object.keys(backend.env).length > 0 ? [`    env: ${flow(backend.env)}`] : []),
    ...Object.entries(backendKeys(backend)).map(([key, value]) => `    ${key}: ${flow(value)}`),
    '    steps:',
    ...lines.map((step) => `      - ${flow(step)}`),
    '',
  ];
  return out.join('\n');
}

/** Writes the counterexample to `file`; returns the path written. */
export function writeCounterexample(source: CounterexampleSource, file: string): string {
  const path = resolve(file);
  writeFileSync(path, counterexampleText(source, path));
  return path;
}
