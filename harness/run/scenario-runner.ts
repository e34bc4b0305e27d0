// Runs one scenario in a sandbox of its own: its steps in order, each script as Ganeti runs it,
// then the checks that span the scenario (unused stubs), then every process it left is killed.

import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import tmp from 'tmp';
import type { ProviderCheck } from '../provider/check.js';
import type { BackendPlace, Backends, ScenarioBackend } from '../backend/backend.js';
import { FAIL_BACKEND_FLAG } from '../backend/call-log.js';
import { OPTIONAL_SCRIPTS } from '../provider/layout.js';
import type { GanetiInstallation } from '../ganeti-bridge/installation.js';
import type { Scenario, SimulatorName, Step } from '../scenario/model.js';
import { completeBytes } from './capture.js';
import {
  actionEnvironment,
  providerName,
  baseEnvironment,
  defaultNewSize,
  realEnvironment,
  SANDBOX_MARKER,
  type SandboxPaths,
  type VolumeState,
} from './environment.js';
import { judgeStep, readDeviceAndUris, type AttachedVolume, type JudgedRun } from './expect.js';
import { fileChanges, snapshotFiles } from './file-snapshot.js';
import { GANETI_FOLDER, GanetiSteps } from './ganeti-step.js';
import { invokeScript } from './invoke.js';
import { ScenarioCallGate, type GatedStep } from './call-gate.js';
import { emptyIsolationReport, isolationSkipReason, ScenarioIsolation } from './isolation/scenario.js';
import type { Failure, ScenarioResult, StepResult } from './result.js';
import { callMark, callsSince, installStubs, unusedStubFailures, type StubSandbox } from './stubs.js';
import { lastPid, sweepProcesses, sweepUntilQuiet } from './sweep.js';
import { displayPath } from '../text/display-path.js';

export interface ScenarioContext {
  readonly providerDir: string;
  readonly providerCheck: ProviderCheck;
  /** Keep the sandbox directory afterwards. */
  readonly keep: boolean;
  readonly lingerGraceMs?: number;
  /** Simulators to replace by the real command and storage (`run --real`, spec/SCENARIOS.md §12.7). */
  readonly real?: readonly SimulatorName[];
  /** The simulated and the real backends (../backend/backend.ts). */
  readonly backends: Backends;
  /**
   * The scenario runs against real storage (`test --live`): the sandbox keeps the host's /dev and a
   * writable host. Absent: true under `run --real` for a scenario it changes, and for a lookup-mode
   * scenario (the conformance suite) with neither stubs nor simulators, which is how `test --live` runs.
   */
  readonly realDevices?: boolean;
  /** Run each action's script through Ganeti's own storage code (`--through-ganeti`, ganeti-step.ts). */
  readonly throughGaneti?: GanetiInstallation;
}

/** `${SANDBOX}` in parameter and environment values stands for the scenario's sandbox directory. */
export function expandSandbox(value: string, sandboxDir: string): string {
  return value.replaceAll('${SANDBOX}', sandboxDir);
}

function expandAll(values: Readonly<Record<string, string>>, sandboxDir: string): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, expandSandbox(v, sandboxDir)]));
}

function initialVolume(spec: Scenario['volume'], sandboxDir: string, providerDir: string): VolumeState {
  return {
    provider: providerName(providerDir),
    name: spec.name ?? `${randomUUID()}.ext.disk0`,
    size: spec.size,
    ...(spec.cname !== undefined ? { cname: spec.cname } : {}),
    uuid: spec.uuid ?? randomUUID(),
    params: expandAll(spec.params, sandboxDir),
  };
}

/** The sandbox's folders that belong to the harness (HOME and TMPDIR: scratch), not to the provider's state. */
const HARNESS_FOLDERS = [
  'stubs',
  'stub-state',
  'sim-state',
  'home',
  'tmp',
  '.isolation',
  'absolute-stubs',
  GANETI_FOLDER,
];

/** Why Ganeti would not run this step's script at all, or null. */
function refusal(step: Step, check: ProviderCheck): Failure | null {
  if (step.action === 'command') return null; // a check of ours, not a script of the provider
  if (!check.valid) {
    const reasons = check.problems.filter((p) => p.severity === 'error').map((p) => `${p.file}: ${p.message}`);
    return { message: `Ganeti would refuse this provider, so no action runs:\n${reasons.join('\n')}` };
  }
  const optional = (OPTIONAL_SCRIPTS as readonly string[]).includes(step.action);
  if (optional && !check.optional[step.action as keyof ProviderCheck['optional']]) {
    return {
      message: `the provider has no ${step.action} script: Ganeti would skip this action silently, so the step cannot be judged`,
    };
  }
  return null;
}

/** What the scenario's steps so far have left for the next ones: the last attach's output. */
interface ScenarioProgress {
  attached: AttachedVolume | null;
}

/** A command step's argv with its placeholders replaced, or why it cannot run. */
function commandArgv(
  command: readonly string[],
  volume: VolumeState,
  paths: SandboxPaths,
  progress: ScenarioProgress,
): string[] | Failure {
  const argv: string[] = [];
  for (const arg of command) {
    // Set inside the replace callback, where TypeScript's flow analysis does not look.
    let missing = null as string | null;
    const replaced = arg.replace(/\$\{(SANDBOX|VOLUME|DEVICE|URI:[^}]+)\}/g, (text, name: string) => {
      if (name === 'SANDBOX') return paths.root;
      if (name === 'VOLUME') return volume.name;
      const attached = progress.attached;
      const value =
        attached === null ? null : name === 'DEVICE' ? attached.device : attached.uri(name.slice('URI:'.length));
      if (value === null) {
        missing ??=
          attached === null
            ? `${text}: no attach step of this scenario has succeeded yet`
            : `${text}: the last attach printed ${name === 'DEVICE' ? 'no device' : `no URI for ${name.slice(4)}`}`;
        return '';
      }
      return value;
    });
    if (missing !== null) return { message: `cannot run the command: ${missing}` };
    argv.push(replaced);
  }
  return argv;
}

async function runStep(
  step: Step,
  index: number,
  scenario: Scenario,
  volume: VolumeState,
  paths: SandboxPaths,
  stubs: StubSandbox,
  views: ((step: Step) => Promise<Record<string, Record<string, unknown>>>) | null,
  context: ScenarioContext,
  progress: ScenarioProgress,
  isolation: ScenarioIsolation,
  ganeti: GanetiSteps | null,
  gated: GatedStep,
): Promise<StepResult> {
  const label = step.name ?? (step.command ? step.command.join(' ') : step.action);
  const base = { index, action: step.action, label, position: step.position };
  const argv = step.command ? commandArgv(step.command, volume, paths, progress) : null;
  const refused = argv !== null && !Array.isArray(argv) ? argv : refusal(step, context.providerCheck);
  if (refused !== null) {
    gated.finished(); // a step started with others must not keep them waiting
    return { ...base, status: 'fail', runs: [], failures: [refused] };
  }
  const runs: JudgedRun[] = [];
  const extraFailures: Failure[] = [];
  const ganetiNotObserved: string[] = [];
  let throughGaneti = false;
  for (let i = 0; i < step.repeat; i++) {
    let env: Record<string, string>;
    let input: Step['input'] | null = null;
    if (step.action === 'command') {
      // A check between actions: the sandbox's PATH (stubs and simulators first) and the scenario's env.
      env = { ...baseEnvironment(paths), ...expandAll(scenario.env, paths.root) };
    } else {
      // ${VOLUME} in a step's env is the scenario's volume name (e.g. VOL_NAME: "${VOLUME}.snap").
      const stepEnv = Object.fromEntries(
        Object.entries(step.input.env).map(([k, v]) => [k, v.replaceAll('${VOLUME}', volume.name)]),
      );
      input = { ...step.input, env: expandAll(stepEnv, paths.root) };
      env = actionEnvironment(step.action, volume, input, expandAll(scenario.env, paths.root), paths);
    }
    const mark = callMark(stubs);
    // A provider's own state may be files (image files in ${SANDBOX}/data): what each run changed
    // there tells the verdict whether the action did anything, where no backend command ran.
    const filesBefore = step.action === 'command' ? null : snapshotFiles(paths.root, HARNESS_FOLDERS);
    const failFlag = join(dirname(stubs.callLog), FAIL_BACKEND_FLAG);
    if (step.input.failBackend) {
      mkdirSync(dirname(failFlag), { recursive: true });
      writeFileSync(failFlag, '');
    }
    // Every script and command runs in the scenario's sandbox (isolation/), the provider's scripts
    // from where the sandbox shows the provider folder (its install_path when one is given).
    const plan = ganeti && input && step.action !== 'command' ? ganeti.plan(step.action, volume, input, env) : null;
    const through = plan !== null && !('direct' in plan) ? plan : null;
    const where = Array.isArray(argv)
      ? { script: argv[0]!, args: argv.slice(1), cwd: paths.root }
      : through
        ? { script: through.script, args: through.args, cwd: through.cwd, hostScript: through.script }
        : { ...isolation.actionPaths(step.action), args: step.input.args };
    const runEnv = through?.env ?? env;
    const folderBefore = Array.isArray(argv) ? null : isolation.before();
    const { killed, unmounted, ...invoked } = await invokeScript({
      ...where,
      wrap: isolation.sandbox.wrap(where.script, where.args, where.cwd, runEnv),
      env: runEnv,
      timeoutSeconds: step.timeout,
      // Ganeti waits for end-of-file only on attach's pipes (spec/SPEC.md §3.3); a check of ours is waited for.
      streamsAwaited: step.action === 'attach' || step.action === 'command',
      ...(context.lingerGraceMs !== undefined ? { lingerGraceMs: context.lingerGraceMs } : {}),
      onSpawn: (kill) => {
        gated.setKiller(kill);
      },
      ...(step.kill ? { kill: step.kill } : {}),
    });
    isolation.after(
      label,
      folderBefore,
      { stderr: invoked.stderr, ...(killed ? { killed } : {}), ...(unmounted ? { unmounted } : {}) },
      !Array.isArray(argv),
    );
    if (step.input.failBackend) rmSync(failFlag, { force: true });
    // A kill at a random time that happened: where it landed, as the kill at a call that replays it
    // (one that came while the sandbox was starting left it "not started": it was the kill).
    const landed = gated.landed;
    const killedStarting = invoked.fault?.kind === 'spawn' && invoked.signal === 'SIGKILL';
    let run: typeof invoked =
      landed !== null && (invoked.fault === undefined || killedStarting)
        ? { ...invoked, fault: { kind: 'killed', call: landed.call, when: landed.when } }
        : invoked;
    let record: JudgedRun['ganeti'];
    if (through && ganeti && step.action !== 'command') {
      const expectsAccepted = step.expect.exit === 0 && (step.expect.rejectedBy ?? []).length === 0;
      const settled = ganeti.settle(through, step.action, env, invoked, expectsAccepted);
      run = settled.run;
      record = settled.record;
      extraFailures.push(...settled.failures);
      ganetiNotObserved.push(...settled.notObserved);
      throughGaneti = true;
    } else if (plan !== null && 'direct' in plan) record = { direct: plan.direct };
    const shownEnv = Object.fromEntries(Object.entries(env).filter(([k]) => k !== SANDBOX_MARKER));
    runs.push({
      ...run,
      ...(record ? { ganeti: record } : {}),
      env: shownEnv,
      calls: callsSince(stubs, mark),
      ...(killed ? { left: killed } : {}),
      ...(filesBefore ? { files: fileChanges(filesBefore, snapshotFiles(paths.root, HARNESS_FOLDERS)) } : {}),
      ...(views ? { simulated: await views(step) } : {}),
    });
  }
  // Through Ganeti, the other actions' stdout and stderr go to Ganeti's log file together: not observable.
  // An empty log still proves both streams empty.
  const silent = runs.every((r) => r.stdout.totalBytes === 0);
  const unobservable =
    throughGaneti && step.action !== 'attach'
      ? (['stdout', 'stderr'] as const).filter((stream) => {
          const expected = step.expect[stream];
          if (expected === undefined) return false;
          const onlyEmpty =
            expected.empty === true && Object.values(expected).filter((v) => v !== undefined).length === 1;
          return !(onlyEmpty && silent);
        })
      : [];
  const judged =
    unobservable.length === 0 ? step : { ...step, expect: { ...step.expect, stdout: undefined, stderr: undefined } };
  gated.finished();
  const judgedVerdict = judgeStep(judged, runs);
  const verdict = { ...judgedVerdict, failures: [...judgedVerdict.failures, ...extraFailures] };
  const first = runs[0];
  if (step.action === 'attach' && verdict.failures.length === 0 && first?.exitCode === 0) {
    const bytes = completeBytes(first.stdout);
    if (bytes !== null) progress.attached = readDeviceAndUris(bytes);
  }
  return {
    ...base,
    status: verdict.failures.length === 0 ? 'pass' : 'fail',
    runs,
    failures: verdict.failures,
    ...(verdict.compatibility ? { compatibility: verdict.compatibility } : {}),
    ...(unobservable.length + ganetiNotObserved.length > 0
      ? {
          notObserved: [
            ...unobservable.map(
              (stream) =>
                `${label}: expect.${stream} (Ganeti sends ${step.action}'s stdout and stderr to its log file together)`,
            ),
            ...new Set(ganetiNotObserved),
          ],
        }
      : {}),
  };
}

/** Ganeti's idea of the volume's size follows a successful create or grow (passed, exit 0, not killed). */
function trackSize(step: Step, result: StepResult, volume: VolumeState): void {
  const last = result.runs.at(-1);
  if (last?.exitCode !== 0 || last.signal !== null || last.fault !== undefined) return;
  if (step.action === 'create' && step.input.size !== undefined) volume.size = step.input.size;
  if (step.action === 'grow') volume.size = step.input.newSize ?? defaultNewSize(step.input.size ?? volume.size);
}

export async function runScenario(scenario: Scenario, context: ScenarioContext): Promise<ScenarioResult> {
  const started = performance.now();
  const base = {
    file: scenario.file,
    name: scenario.name,
    ...(scenario.check ? { check: scenario.check } : {}),
    index: scenario.index,
    position: scenario.position,
  };
  if (scenario.skip !== undefined) {
    return { ...base, status: 'skip', skipReason: scenario.skip, steps: [], failures: [], durationMs: 0 };
  }
  const missing = scenario.requires.filter((script) => !context.providerCheck.optional[script]);
  if (missing.length > 0) {
    const reason = `the provider has no ${missing.join(' or ')} script (optional: Ganeti skips the action silently)`;
    return { ...base, status: 'skip', skipReason: reason, steps: [], failures: [], durationMs: 0 };
  }
  // Real storage (`run --real` for a simulator this scenario runs, `test --live`): see ScenarioContext.
  const realDevices = context.realDevices ?? scenario.simulate.some((name) => context.real?.includes(name));
  const unsafe = isolationSkipReason(scenario, realDevices);
  if (unsafe !== null) {
    const isolation = emptyIsolationReport(context.providerDir);
    return { ...base, status: 'skip', skipReason: unsafe, steps: [], failures: [], durationMs: 0, isolation };
  }
  const sandbox = tmp.dirSync({ prefix: 'extstorage-kit-', unsafeCleanup: true, keep: context.keep });
  const id = randomUUID();
  const pidsBefore = lastPid(); // every process the scenario starts gets a larger PID
  const paths: SandboxPaths = {
    id,
    root: sandbox.name,
    stubsDir: join(sandbox.name, 'stubs'),
    home: join(sandbox.name, 'home'),
    tmp: join(sandbox.name, 'tmp'),
  };
  mkdirSync(paths.home);
  mkdirSync(paths.tmp);
  mkdirSync(join(sandbox.name, 'data')); // an empty folder scenarios can use as ${SANDBOX}/data
  const steps: StepResult[] = [];
  const failures: Failure[] = [];
  const installed: { name: SimulatorName; backend: ScenarioBackend }[] = [];
  let closeStubs: (() => void) | undefined;
  let isolationReport = emptyIsolationReport(context.providerDir);
  let isolation: ScenarioIsolation | undefined;
  const gate = new ScenarioCallGate();
  try {
    const realNames = scenario.simulate.filter((name) => context.real?.includes(name));
    const stubsDir = join(sandbox.name, 'stubs');
    const place: BackendPlace = {
      root: sandbox.name,
      stubsDir,
      callLog: join(sandbox.name, 'stub-state', 'calls.jsonl'),
      marker: SANDBOX_MARKER,
      env: realEnvironment(paths, expandAll(scenario.env, paths.root)),
      sandbox: realpathSync(sandbox.name),
      gate,
    };
    // The simulated commands first (rbd, then losetup), then the real ones in the scenario's order.
    const simulatedNames = (['rbd', 'losetup'] as const).filter(
      (name) => scenario.simulators[name] !== undefined && !realNames.includes(name),
    );
    const backends = await Promise.all([
      ...simulatedNames.map(async (name) => ({
        name,
        backend: await context.backends.simulated(name, scenario.simulators, place),
      })),
      ...realNames.map(async (name) => ({
        name,
        backend: await context.backends.real(name, scenario.simulators, place),
      })),
    ]);
    if (realNames.length > 0 && scenario.steps.some((s) => s.kill !== undefined || s.group !== undefined)) {
      // A real command is not answered by the kit: it cannot be held at a call.
      const reason = 'a kill at a backend call and "together" steps need the simulators (the kit holds their calls)';
      return {
        ...base,
        status: 'skip',
        skipReason: `--real ${realNames.join(', ')}: ${reason}`,
        steps: [],
        failures: [],
        durationMs: performance.now() - started,
      };
    }
    for (const { name, backend } of backends) {
      const reason = await backend.unsupported();
      if (reason !== null) {
        return {
          ...base,
          status: 'skip',
          skipReason: `--real ${name}: ${reason}`,
          steps: [],
          failures: [],
          durationMs: performance.now() - started,
        };
      }
    }
    const stubs = installStubs(scenario.stubs, sandbox.name, SANDBOX_MARKER, scenario.stubMode === 'lookup', gate);
    closeStubs = stubs.close;
    for (const entry of backends) {
      entry.backend.install();
      installed.push(entry);
    }
    // The stubs' folders exist even when nothing is stubbed or simulated: PATH names the first.
    mkdirSync(stubs.stubsDir, { recursive: true });
    mkdirSync(dirname(stubs.callLog), { recursive: true });
    isolation = new ScenarioIsolation({
      scenario,
      providerDir: context.providerDir,
      root: sandbox.name,
      absoluteStubs: stubs.absolute,
      realDevices,
    });
    // A backend that fails to prepare undoes its own part: the storage may not be the scenario's.
    for (const { backend } of backends) await backend.prepare();
    const views =
      backends.length === 0
        ? null
        : async (step: Step) => {
            const all: Record<string, Record<string, unknown>> = {};
            // A real state costs real calls: read it only where a step checks it.
            for (const { name, backend } of backends)
              if (!backend.costlyView || step.expect.simulated?.[name] !== undefined) all[name] = await backend.view();
            return all;
          };
    const volume = initialVolume(scenario.volume, sandbox.name, context.providerDir);
    const labelled = new Map(
      Object.entries(scenario.volumes ?? {}).map(([label, spec]) => [
        label,
        initialVolume(spec, sandbox.name, context.providerDir),
      ]),
    );
    const volumeOf = (step: Step): VolumeState => (step.volume === undefined ? volume : labelled.get(step.volume)!);
    const progress: ScenarioProgress = { attached: null };
    const ganeti = context.throughGaneti
      ? new GanetiSteps(
          context.throughGaneti,
          sandbox.name,
          isolation.actionPaths('attach').cwd,
          volume.provider,
          !realDevices,
        )
      : null;
    for (let first = 0; first < scenario.steps.length;) {
      // A step alone, or the steps of one `together` group, started at once.
      const group = scenario.steps[first]!.group;
      let end = first + 1;
      while (group !== undefined && end < scenario.steps.length && scenario.steps[end]!.group === group) end++;
      const batch = scenario.steps.slice(first, end);
      const gated = gate.begin(
        batch.map((step) => ({
          volumeName: volumeOf(step).name,
          ...(step.kill ? { kill: step.kill } : {}),
          ...(step.killAfterMs !== undefined ? { killAfterMs: step.killAfterMs } : {}),
        })),
      );
      const results = await Promise.all(
        batch.map((step, k) =>
          runStep(
            step,
            first + k,
            scenario,
            volumeOf(step),
            paths,
            stubs,
            views,
            context,
            progress,
            isolation!,
            ganeti,
            gated[k]!,
          ),
        ),
      );
      gate.end();
      steps.push(...results);
      if (results.some((r) => r.status === 'fail')) break; // later steps build on this one
      batch.forEach((step, k) => {
        trackSize(step, results[k]!, volumeOf(step));
      });
      first = end;
    }
    if (steps.every((s) => s.status === 'pass'))
      failures.push(...unusedStubFailures(stubs), ...backends.flatMap(({ backend }) => backend.unused()));
  } catch (error) {
    failures.push({ message: `the harness failed to run this scenario: ${(error as Error).message}` });
  } finally {
    const contained = isolation?.finish(SANDBOX_MARKER, id, pidsBefore);
    if (contained) {
      failures.push(...contained.failures);
      isolationReport = contained.report;
    } else sweepUntilQuiet((signal) => sweepProcesses(SANDBOX_MARKER, id, pidsBefore, signal));
    closeStubs?.();
    for (const { name, backend } of installed)
      for (const problem of await backend.cleanup())
        failures.push({ message: `--real ${name}: cleanup failed: ${problem}` });
    // Removed off the main thread: the next scenario need not wait for it.
    if (!context.keep) {
      const problem = await removeSandbox(sandbox.name);
      if (problem !== null) failures.push({ message: problem });
    }
  }
  const failed = failures.length > 0 || steps.some((s) => s.status === 'fail');
  const notObserved = steps.flatMap((s) => s.notObserved ?? []);
  if (!failed && notObserved.length > 0) {
    // It passed on what could be seen; what could not is said, not passed.
    return {
      ...base,
      status: 'skip',
      skipReason: `not verified through Ganeti: ${notObserved.join('; ')}`,
      notExercised: true,
      steps,
      failures,
      durationMs: performance.now() - started,
      ...(context.keep || existsSync(sandbox.name) ? { sandbox: sandbox.name } : {}),
      isolation: isolationReport,
    };
  }
  return {
    ...base,
    status: failed ? 'fail' : 'pass',
    steps,
    failures,
    durationMs: performance.now() - started,
    ...(context.keep || existsSync(sandbox.name) ? { sandbox: sandbox.name } : {}),
    isolation: isolationReport,
  };
}

/**
 * Removes a scenario's sandbox; says what was left, and where, when it cannot (a provider made a
 * file immutable with chattr +i, or mounted something inside and left it).
 */
async function removeSandbox(root: string): Promise<string | null> {
  try {
    await rm(root, { recursive: true, force: true });
    return null;
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const where = e.path !== undefined && e.path !== root ? `${displayPath(e.path)} in it` : 'it';
    const hint =
      // Node's rm reports a file it may not unlink as ENOTDIR (it then tries rmdir on it).
      e.code === 'EPERM' || e.code === 'ENOTDIR' || e.code === 'EACCES'
        ? ' (an immutable or append-only file? lsattr shows it, chattr -i clears it)'
        : e.code === 'EBUSY'
          ? ' (something is mounted there? see findmnt)'
          : '';
    return `the sandbox ${displayPath(root)} could not be removed: ${e.code ?? e.message} on ${where}${hint}; it was left in place`;
  }
}
