// The model of the volumes and the judge: what each step must have done, given what the steps
// before it did, compared with what the observers read. The first MUST invariant broken ends the
// judgement, with how a scenario file can show it again (the counterexample's check); SHOULD
// invariants broken are collected as warnings.

import { completeBytes } from '../run/capture.js';
import type { ScriptRun, StepResult } from '../run/result.js';
import type { Execution, StepRole } from './execute.js';
import { invariant, type Invariant, type InvariantId } from './invariants.js';
import { BackendState } from './observe.js';
import { describeOp, type ExploredAction, type Plan } from './plan.js';

const MIB = 1024 * 1024;

/** How a scenario file shows the violation again: on the step, or in a check step after it. */
export type Replay =
  | { readonly kind: 'exit'; readonly exit: 0 | 'nonzero' }
  | { readonly kind: 'device'; readonly device: string }
  | { readonly kind: 'simulated'; readonly simulator: 'rbd' | 'losetup'; readonly subset: Record<string, unknown> }
  | { readonly kind: 'file-size'; readonly path: string; readonly bytes: number }
  | { readonly kind: 'file-absent'; readonly path: string }
  /** The step left processes running when it ended: `expect.processes_left: none` on the step. */
  | { readonly kind: 'left' };

export interface Violation {
  readonly invariant: Invariant;
  /** The scenario step it is seen on (for exit and device), or the last step of the unit after which the state is wrong. */
  readonly step: number;
  readonly message: string;
  readonly replay: Replay;
}

export interface Judgement {
  /** The first MUST invariant broken, or null. */
  readonly violation: Violation | null;
  /** SHOULD invariants broken (the first time each). */
  readonly warnings: readonly Violation[];
  /** Steps judged. */
  readonly steps: number;
}

interface VolumeModel {
  exists: boolean;
  attached: boolean;
  bytes: number;
  device: string | null;
  /** A retry failed: what the volume holds is no longer known, and it is no longer judged. */
  uncertain: boolean;
  /** Killed or failed, not yet retried. */
  inFlux: boolean;
  /** Its last step was a retry after a disturbed one. */
  retried: boolean;
  /** Its disturbed step ran whole and succeeded (the kill was never reached): the retry is a repeat Ganeti would not send. */
  ranWhole: boolean;
  /** Where the backend showed it last (rbd image key, image file): for checks of a volume gone. */
  imageKey: string | null;
  imageFile: string | null;
}

const succeeded = (run: ScriptRun) => run.exitCode === 0 && run.signal === null && run.fault === undefined;

/** The first line of what attach printed, as Ganeti 2.13 and later read the device. */
function printedDevice(run: ScriptRun): string {
  const bytes = completeBytes(run.stdout);
  return bytes === null ? '' : (Buffer.from(bytes).toString('utf8').split('\n')[0] ?? '');
}

function requiredExit(
  m: VolumeModel,
  action: ExploredAction,
  snapshot: VolumeModel | undefined,
): 0 | 'nonzero' | 'any' {
  if (action === 'create') return m.exists ? 'nonzero' : 0;
  // verify judges the node and the parameters (an rbd provider wants the kernel module's tools): not the volume.
  if (action === 'verify') return 'any';
  // A snapshot into a name that is taken (what a failed export left) may fail: Ganeti sends it into a free one.
  if (action === 'snapshot' && (snapshot === undefined || snapshot.exists || snapshot.uncertain)) return 'any';
  return m.exists ? 0 : 'any';
}

/** Actions whose script must leave no process running when it ends (attach and open may start a daemon: FUSE, nbd). */
const LEAK_JUDGED: ReadonlySet<ExploredAction> = new Set([
  'create',
  'detach',
  'remove',
  'grow',
  'setinfo',
  'snapshot',
  'close',
]);

/** The scenario step a process was left by, from the isolation report's `after` (execute.ts, stepName). */
const leftBy = (after: string): number | null => {
  const match = /^#(\d+) /.exec(after);
  return match === null ? null : Number(match[1]);
};

function envMiB(run: ScriptRun, name: string): number {
  return Number(run.env[name] ?? '0');
}

function transition(m: VolumeModel, action: ExploredAction, run: ScriptRun): void {
  switch (action) {
    case 'create':
      if (!m.exists)
        Object.assign(m, { exists: true, attached: false, device: null, bytes: envMiB(run, 'VOL_SIZE') * MIB });
      break;
    case 'attach':
      if (m.exists) Object.assign(m, { attached: true, device: printedDevice(run) });
      break;
    case 'detach':
      Object.assign(m, { attached: false, device: null });
      break;
    case 'grow':
      if (m.exists) m.bytes = envMiB(run, 'VOL_NEW_SIZE') * MIB;
      break;
    case 'remove':
      Object.assign(m, { exists: false, attached: false, device: null });
      break;
    case 'setinfo':
    case 'verify':
    case 'open':
    case 'close':
      break;
    case 'snapshot':
      break; // the snapshot volume's model moves on (judgeStep), not the volume's
  }
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** What is wrong with one volume's state, named so that the invariant follows from the context. */
type Aspect = 'exists' | 'size' | 'gone' | 'mapped' | 'unmapped';

export function judge(plan: Plan, execution: Execution): Judgement {
  const { steps, roles } = execution;
  const state = new BackendState(plan.volumes.map((v) => v.name));
  // Processes each step's script left running (killed when its run ended), by scenario step.
  const left = new Map<number, string[]>();
  for (const k of execution.result.isolation?.killed ?? []) {
    const index = leftBy(k.after);
    if (index !== null) left.set(index, [...(left.get(index) ?? []), k.command]);
  }
  const model: VolumeModel[] = plan.volumes.map(() => ({
    exists: false,
    attached: false,
    bytes: 0,
    device: null,
    uncertain: false,
    inFlux: false,
    retried: false,
    ranWhole: false,
    imageKey: null,
    imageFile: null,
  }));
  const warnings: Violation[] = [];
  const found = (id: InvariantId, step: number, message: string, replay: Replay): Violation => ({
    invariant: invariant(id),
    step,
    message,
    replay,
  });
  const what = (role: StepRole) => describeOp(plan.ops[role.op]!, plan.volumes);

  /** Judges one step's exit and output, and moves the model on. */
  const judgeStep = (k: number, inGroup: boolean): Violation | null => {
    const role = roles[k]!;
    const op = role.action;
    const m = model[op.volume]!;
    const run = steps[k]!.runs[0];
    if (run === undefined) return null;
    const ok = succeeded(run);
    const label = plan.volumes[op.volume]!.label;
    // A process left running by a script that ended by itself (one the harness killed is excused).
    const leftover = left.get(k) ?? [];
    if (leftover.length > 0 && LEAK_JUDGED.has(op.action) && run.fault?.kind !== 'killed')
      return found(
        'NO-LEAK-PROCESS',
        k,
        `${what(role)}: ${op.action} ${label} ${ok ? 'succeeded' : 'ended'}, but left ${leftover.length === 1 ? 'a process' : `${leftover.length} processes`} running: ${leftover.join(', ')}`,
        { kind: 'left' },
      );
    // A remove that succeeded leaves nothing, whatever was known of the volume before.
    if (m.uncertain && op.action === 'remove' && ok && role.role !== 'disturbed')
      Object.assign(m, { uncertain: false, exists: false, attached: false, device: null, inFlux: false });
    else if (m.uncertain) {
      // Nothing is known of the volume, so nothing of a snapshot made of it either.
      if (op.snapshot !== undefined) model[op.snapshot]!.uncertain = true;
      return null;
    }
    // A snapshot's subject is its snapshot volume: killed, retried or failed, it is that volume's
    // state that is in doubt; the volume itself must stay as it was throughout.
    const snap = op.snapshot === undefined ? undefined : model[op.snapshot];
    const subject = snap ?? m;
    if (snap?.uncertain === true) {
      // Nothing is known of the snapshot volume: only a snapshot that succeeded tells something.
      if (!ok) return null;
      snap.uncertain = false;
      snap.exists = false;
    }
    // A repeat Ganeti would not send (grow to the size it has): its exit is not judged, its effect is.
    const required = role.role === 'retry' && subject.ranWhole ? 'any' : requiredExit(m, op.action, snap);
    subject.ranWhole = role.role === 'disturbed' && ok;
    subject.retried = false;
    if (role.role === 'disturbed' && !ok) {
      subject.inFlux = true; // judged at its retry
      return null;
    }
    if (role.role === 'retry' && subject.inFlux) {
      subject.inFlux = false;
      if (!ok) {
        subject.uncertain = true; // failed loudly: allowed, and the volume is no longer judged
        return null;
      }
      subject.retried = true;
    }
    const id: InvariantId = subject.retried
      ? 'RETRY'
      : inGroup
        ? 'CONCURRENT'
        : op.action === 'create' && m.exists
          ? 'CREATE-EXISTING'
          : 'SUCCEEDS';
    if (required !== 'any' && (required === 0) !== ok) {
      const status = run.signal !== null ? `killed by ${run.signal}` : `exit ${run.exitCode ?? 'none'}`;
      const expected = required === 0 ? 'should have succeeded' : `should have failed (${label} exists)`;
      return found(id, k, `${what(role)}: ${op.action} ${label} ${expected}, but ended with ${status}`, {
        kind: 'exit',
        exit: required,
      });
    }
    if (!ok) return null;
    if (op.action === 'attach' && m.exists && m.attached && m.device !== null) {
      const device = printedDevice(run);
      if (device !== m.device)
        return found(
          m.retried ? 'RETRY' : inGroup ? 'CONCURRENT' : 'ATTACH-DEVICE',
          k,
          `${what(role)}: attach ${label} printed ${JSON.stringify(device)}, but it is attached at ${m.device}`,
          { kind: 'device', device: m.device },
        );
    }
    transition(m, op.action, run);
    // A snapshot makes a volume: VOL_SNAPSHOT_NAME, of VOL_SNAPSHOT_SIZE (the volume's size).
    if (snap !== undefined && op.action === 'snapshot' && m.exists && !snap.exists)
      Object.assign(snap, {
        exists: true,
        attached: false,
        device: null,
        bytes: envMiB(run, 'VOL_SNAPSHOT_SIZE') * MIB,
        imageKey: null,
        imageFile: null,
      });
    return null;
  };

  /** Compares every volume the model knows with what the backend shows, after a unit of steps. */
  const checkState = (first: number, last: number): Violation | null => {
    const unit = roles.slice(first, last + 1);
    const inGroup = unit.length > 1 && unit[0]!.group !== undefined;
    for (const [index, m] of model.entries()) {
      if (m.uncertain || m.inFlux) continue;
      const volume = plan.volumes[index]!;
      const acted = unit.filter((r) => r.action.volume === index || r.action.snapshot === index).at(-1);
      const context = acted === undefined ? 'untouched' : what(acted);
      const idFor = (aspect: Aspect): InvariantId => {
        if (acted === undefined) return 'OTHERS';
        if (inGroup) return 'CONCURRENT';
        const action = acted.action.action;
        // A snapshot retried: the snapshot volume's state is the retry's; the volume's, the snapshot's.
        if (m.retried || (action === 'snapshot' && model[acted.action.snapshot!]!.retried)) return 'RETRY';
        if (action === 'snapshot') return 'SNAPSHOT';
        if (action === 'open' || action === 'close') return 'OPEN-CLOSE';
        switch (aspect) {
          case 'exists':
          case 'size':
            return action === 'create'
              ? 'CREATE'
              : action === 'grow'
                ? 'GROW'
                : action === 'remove'
                  ? 'REMOVE'
                  : 'STATE';
          case 'gone':
            return action === 'remove' ? 'REMOVE' : 'NO-LEAK';
          case 'mapped':
            return 'ATTACH-DEVICE';
          case 'unmapped':
            return action === 'detach' ? 'DETACH' : action === 'remove' ? 'REMOVE' : 'NO-LEAK';
        }
      };
      const seen = state.observe(volume.name);
      const who = `${volume.label} (${volume.name})`;
      const after = acted === undefined ? `after ${what(unit.at(-1)!)}` : `after ${context}`;
      if (seen.where?.kind === 'rbd') m.imageKey = seen.where.key;
      const file = state.imageFile(volume.name);
      if (file !== null && m.exists) m.imageFile = file;
      const simulator = (device: string): 'rbd' | 'losetup' => (device.startsWith('/dev/rbd') ? 'rbd' : 'losetup');
      const deviceReplay = (device: string, expected: unknown): Replay => ({
        kind: 'simulated',
        simulator: simulator(device),
        subset: { devices: { [device]: expected } },
      });
      if (m.exists && seen.exists === false) {
        const replay: Replay =
          m.imageKey !== null
            ? { kind: 'simulated', simulator: 'rbd', subset: { images: { [m.imageKey]: { bytes: m.bytes } } } }
            : { kind: 'file-size', path: m.imageFile ?? `${volume.name}.img`, bytes: m.bytes };
        return found(
          idFor('exists'),
          last,
          `${after}: ${who} should exist (${m.bytes / MIB} MiB), but the backend has no image or file of it`,
          replay,
        );
      }
      if (m.exists && seen.bytes !== null && seen.bytes !== m.bytes) {
        const replay: Replay =
          seen.where?.kind === 'rbd'
            ? { kind: 'simulated', simulator: 'rbd', subset: { images: { [seen.where.key]: { bytes: m.bytes } } } }
            : { kind: 'file-size', path: file!, bytes: m.bytes };
        return found(
          idFor('size'),
          last,
          `${after}: ${who} should be ${m.bytes / MIB} MiB (${m.bytes} bytes), but it is ${seen.bytes} bytes`,
          replay,
        );
      }
      if (!m.exists && seen.exists === true) {
        const replay: Replay =
          seen.where?.kind === 'rbd'
            ? { kind: 'simulated', simulator: 'rbd', subset: { images: { [seen.where.key]: null } } }
            : { kind: 'file-absent', path: seen.where?.kind === 'files' ? seen.where.paths[0]! : volume.name };
        const left =
          seen.where?.kind === 'rbd'
            ? `the image ${seen.where.key}`
            : seen.where?.kind === 'files'
              ? seen.where.paths.join(', ')
              : '';
        return found(idFor('gone'), last, `${after}: ${who} should not exist, but ${left} is left`, replay);
      }
      const devices = seen.devices.map((d) => d.path);
      if (m.attached && m.device !== null && !devices.includes(m.device)) {
        const expected =
          simulator(m.device) === 'rbd'
            ? { image: volume.name }
            : { file: { regex: `/${escapeRegex(volume.name)}(\\.[^/]*)?$` } };
        return found(
          idFor('mapped'),
          last,
          `${after}: ${who} is attached at ${m.device}, but ${m.device} ${devices.length === 0 ? 'maps nothing of it' : `does not map it (it is on ${devices.join(', ')})`}`,
          deviceReplay(m.device, expected),
        );
      }
      const extra = devices.filter((d) => !m.attached || d !== m.device);
      if (extra.length > 0) {
        return found(
          idFor('unmapped'),
          last,
          `${after}: ${who} ${m.attached ? `is attached at ${m.device}, but also` : 'is not attached, but it is'} mapped at ${extra.join(', ')}`,
          deviceReplay(extra[0]!, null),
        );
      }
      const loop = seen.devices.find((d) => d.path === m.device && d.path.startsWith('/dev/loop'));
      if (
        m.attached &&
        loop !== undefined &&
        loop.bytes !== m.bytes &&
        !warnings.some((w) => w.invariant.id === 'DEVICE-SIZE')
      )
        warnings.push(
          found(
            'DEVICE-SIZE',
            last,
            `${after}: ${loop.path} of ${who} is ${loop.bytes} bytes, the volume ${m.bytes}`,
            deviceReplay(loop.path, { bytes: m.bytes }),
          ),
        );
    }
    return null;
  };

  let judged = 0;
  for (let first = 0; first < steps.length;) {
    const group = roles[first]!.group;
    let last = first;
    while (group !== undefined && last + 1 < steps.length && roles[last + 1]!.group === group) last++;
    const unit: StepResult[] = steps.slice(first, last + 1);
    const observed = roles[last + 1]?.role === 'observe' ? steps[last + 1] : undefined;
    // A step the runner itself failed (a write into the provider folder...): the other checks of `test` say it.
    if (unit.some((s) => s.status === 'fail')) break;
    // The state after the unit: the runs in the order they ended (a group's started together).
    state.update(
      unit
        .flatMap((s) => s.runs)
        .slice()
        .sort((a, b) => a.durationMs - b.durationMs),
    );
    const observedRun = observed?.runs[0];
    if (observedRun !== undefined) state.replace(observedRun);
    for (let k = first; k <= last; k++) {
      const violation = judgeStep(k, group !== undefined && last > first);
      if (violation !== null) return { violation, warnings, steps: judged + k - first + 1 };
    }
    const violation = checkState(first, last);
    judged += last - first + 1;
    if (violation !== null) return { violation, warnings, steps: judged };
    first = last + 1 + (observed !== undefined ? 1 : 0);
  }
  return { violation: null, warnings, steps: judged };
}
