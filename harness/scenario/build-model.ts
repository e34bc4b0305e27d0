// The last stage of the loader: the raw document (raw-document.ts), which has passed every check,
// into the model of model.ts with every default applied (spec/SCENARIOS.md).

import { dirname, resolve } from 'node:path';
import type { Path } from './issue.js';
import type {
  ArgMatcher,
  DeviceExpectation,
  FakeDevice,
  LosetupSimulation,
  RbdPreloadedImage,
  RbdSimulation,
  Scenario,
  ScenarioFile,
  SimulatedFailure,
  SimulatorName,
  Simulators,
  StateExpectation,
  Step,
  StepExpectation,
  StepInput,
  StreamExpectation,
  StubEntry,
  VolumeSpec,
} from './model.js';
import type {
  RawFailure,
  RawFile,
  RawMatcher,
  RawSimulate,
  RawStep,
  RawStream,
  RawText,
  RawVersion,
} from './raw-document.js';
import { isObj, parseDuration, parseImageSpec, versionText } from './values.js';
import type { YamlSource } from './yaml-source.js';

// Defaults (documented in spec/SCENARIOS.md)

/** VOL_SIZE when neither the scenario nor defaults.volume gives a size (MiB). */
export const DEFAULT_VOLUME_SIZE = 1024;
/** Seconds per script run when no timeout is given anywhere. */
export const DEFAULT_TIMEOUT_SECONDS = 10;
/** Versions a successful attach must satisfy when no `ganeti` list is given anywhere. */
export const DEFAULT_GANETI: readonly string[] = ['3.1'];
/** Default pools of the rbd simulator. */
export const DEFAULT_RBD_POOLS: readonly string[] = ['rbd'];
/** Default number of loop devices of the losetup simulator. */
export const DEFAULT_LOOP_DEVICES = 8;

/** The model of a file that has passed every check; `raw` is its data, `source` where it was written. */
export function buildModel(raw: RawFile, source: YamlSource): ScenarioFile {
  const file = source.file;
  const defaults = raw.defaults ?? {};
  const defaultVersions = defaults.ganeti
    ? versionList(source, ['defaults', 'ganeti'], defaults.ganeti)
    : DEFAULT_GANETI;
  const defaultTimeout = defaults.timeout !== undefined ? parseDuration(defaults.timeout)! : DEFAULT_TIMEOUT_SECONDS;
  const defaultVolume = defaults.volume ?? {};
  const defaultParams = defaults.volume?.params
    ? params(source, ['defaults', 'volume', 'params'], defaults.volume.params)
    : {};

  const scenarios = raw.scenarios.map((s, index): Scenario => {
    const at: Path = ['scenarios', index];
    const ownVolume = s.volume ?? {};
    const volume: VolumeSpec = {
      ...optional('name', ownVolume.name ?? defaultVolume.name),
      size: ownVolume.size ?? defaultVolume.size ?? DEFAULT_VOLUME_SIZE,
      ...optional('cname', ownVolume.cname ?? defaultVolume.cname),
      ...optional('uuid', ownVolume.uuid ?? defaultVolume.uuid),
      params: {
        ...defaultParams,
        ...(ownVolume.params ? params(source, [...at, 'volume', 'params'], ownVolume.params) : {}),
      },
    };
    const scenarioVersions = s.ganeti ? versionList(source, [...at, 'ganeti'], s.ganeti) : defaultVersions;
    const scenarioTimeout = s.timeout !== undefined ? parseDuration(s.timeout)! : defaultTimeout;
    const stubs: Record<string, StubEntry[]> = {};
    for (const [command, entries] of Object.entries(s.stubs ?? {})) {
      stubs[command] = entries.map((entry, e): StubEntry => ({
        args: (entry.args ?? []).map(argMatcher),
        stdout: entry.stdout ?? '',
        stderr: entry.stderr ?? '',
        exit: entry.exit ?? 0,
        times: entry.times ?? 1,
        position: source.positionOf([...at, 'stubs', command, e], 'value'),
      }));
    }
    const { names: simulate, simulators } = buildSimulators(source, [...at, 'simulate'], s.simulate);
    const buildStep = (step: RawStep, stepAt: Path, group: number | undefined): Step => ({
      action: step.action ?? 'command',
      ...optional('command', step.command),
      ...optional('name', step.name),
      ...optional('volume', step.volume),
      ...optional('kill', step.kill),
      ...optional('group', group),
      input: stepInput(step),
      repeat: step.repeat ?? 1,
      timeout: step.timeout !== undefined ? parseDuration(step.timeout)! : scenarioTimeout,
      expect: expectation(source, [...stepAt, 'expect'], step.expect),
      ganeti: step.ganeti ? versionList(source, [...stepAt, 'ganeti'], step.ganeti) : scenarioVersions,
      position: source.positionOf(stepAt, 'value'),
    });
    // A `together` step becomes its members, one after the other, sharing a group number.
    const steps = s.steps.flatMap((step, i): Step[] => {
      const stepAt: Path = [...at, 'steps', i];
      if (step.together === undefined) return [buildStep(step, stepAt, undefined)];
      return step.together.map((member, m) => buildStep(member, [...stepAt, 'together', m], i));
    });
    const volumes =
      s.volumes === undefined
        ? undefined
        : Object.fromEntries(
            Object.entries(s.volumes).map(([label, own]): [string, VolumeSpec] => [
              label,
              {
                ...optional('name', own.name),
                size: own.size ?? volume.size,
                ...optional('cname', own.cname ?? volume.cname),
                ...optional('uuid', own.uuid),
                params: {
                  ...volume.params,
                  ...(own.params ? params(source, [...at, 'volumes', label, 'params'], own.params) : {}),
                },
              },
            ]),
          );
    return {
      name: s.name,
      ...optional('check', s.check),
      requires: s.requires ?? [],
      file,
      index,
      ...optional('skip', s.skip),
      volume,
      ...optional('volumes', volumes),
      env: { ...(defaults.env ?? {}), ...(s.env ?? {}) },
      stubs,
      simulate,
      simulators,
      ...optional('installPath', s.install_path),
      ...(s.devices
        ? {
            devices: s.devices.map((d, i): FakeDevice => ({
              ...(typeof d === 'string' ? { path: d } : { path: d.path, symlink: d.symlink }),
              position: source.positionOf([...at, 'devices', i], 'value'),
            })),
          }
        : {}),
      ...optional('scratch', s.scratch),
      steps,
      position: source.positionOf(at, 'value'),
    };
  });

  return {
    file,
    ...optional('provider', raw.provider === undefined ? undefined : resolve(dirname(file), raw.provider)),
    scenarios,
  };
}

function buildFailures(source: YamlSource, path: Path, raw: readonly RawFailure[] | undefined): SimulatedFailure[] {
  return (raw ?? []).map((f, i) => ({
    when: (f.when ?? []).map(argMatcher),
    error: f.error,
    times: f.times ?? 'any',
    position: source.positionOf([...path, i], 'value'),
  }));
}

function buildSimulators(
  source: YamlSource,
  path: Path,
  raw: RawSimulate | undefined,
): { names: SimulatorName[]; simulators: Simulators } {
  const names: SimulatorName[] =
    raw === undefined ? [] : Array.isArray(raw) ? [...raw] : (Object.keys(raw) as SimulatorName[]);
  const options = raw !== undefined && !Array.isArray(raw) ? raw : {};
  const simulators: { rbd?: RbdSimulation; losetup?: LosetupSimulation } = {};
  if (names.includes('rbd')) {
    const rbd = options.rbd ?? {};
    const images = (rbd.images ?? []).map((image): RbdPreloadedImage => {
      const spec = parseImageSpec(image.spec);
      return {
        ...spec,
        size: image.size ?? DEFAULT_VOLUME_SIZE,
        meta: image.meta ?? {},
        mapped: image.mapped ?? false,
        snapshots: (image.snapshots ?? []).map((snap) =>
          typeof snap === 'string'
            ? { name: snap, protected: false }
            : { name: snap.name, protected: snap.protected ?? false },
        ),
        ...optional('features', image.features),
      };
    });
    simulators.rbd = {
      pools: rbd.pools ?? DEFAULT_RBD_POOLS,
      images,
      kernelModule: rbd.kernel_module ?? true,
      ...optional('cephRelease', rbd.ceph_release),
      fail: buildFailures(source, [...path, 'rbd', 'fail'], rbd.fail),
      ...optional('given', Object.keys(rbd).length > 0 ? Object.keys(rbd) : undefined),
    };
  }
  if (names.includes('losetup')) {
    const losetup = options.losetup ?? {};
    simulators.losetup = {
      devices: losetup.devices ?? DEFAULT_LOOP_DEVICES,
      fail: buildFailures(source, [...path, 'losetup', 'fail'], losetup.fail),
      ...optional('given', Object.keys(losetup).length > 0 ? Object.keys(losetup) : undefined),
    };
  }
  return { names, simulators };
}

/** A state expectation with its {regex: ...} leaves compiled. */
function stateExpectation(raw: unknown): StateExpectation {
  if (Array.isArray(raw)) return raw.map(stateExpectation);
  if (isObj(raw)) {
    if (Object.keys(raw).length === 1 && typeof raw.regex === 'string')
      return { regex: new RegExp(raw.regex), source: raw.regex };
    return Object.fromEntries(Object.entries(raw).map(([key, value]) => [key, stateExpectation(value)]));
  }
  return raw as StateExpectation;
}

/** `{ [key]: value }`, or nothing when value is undefined (keeps optional fields absent, not undefined). */
function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;
}

function versionList(source: YamlSource, path: Path, values: readonly RawVersion[]): string[] {
  return values.map((value, i) => versionText(source, [...path, i], value));
}

/** Ext parameter values as strings: numbers as written, booleans as "true"/"false". */
function params(
  source: YamlSource,
  path: Path,
  values: Readonly<Record<string, string | number | boolean>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    if (typeof value === 'string') out[name] = value;
    else if (typeof value === 'boolean') out[name] = value ? 'true' : 'false';
    else out[name] = source.plainText([...path, name]) ?? String(value);
  }
  return out;
}

function argMatcher(raw: RawMatcher): ArgMatcher {
  return typeof raw === 'string' ? { equals: raw } : { regex: new RegExp(raw.regex), source: raw.regex };
}

function textExpectation(raw: RawText): DeviceExpectation {
  if (raw === null || typeof raw === 'string') return raw;
  return { regex: new RegExp(raw.regex), source: raw.regex };
}

function stepInput(step: RawStep): StepInput {
  const w = step.with ?? {};
  // Without new_size the runner uses the size at that point of the scenario plus DEFAULT_GROW_BY.
  const newSize = w.new_size;
  const exclusive = step.action === 'open' ? (w.exclusive ?? true) : undefined;
  return {
    ...optional('newSize', newSize),
    ...optional('size', w.size),
    ...optional('metadata', w.metadata),
    ...optional('exclusive', exclusive),
    ...optional('snapshotName', w.snapshot_name),
    ...optional('snapshotSize', w.snapshot_size),
    args: w.args ?? [],
    unset: w.unset ?? [],
    env: w.env ?? {},
    ...(w.fail_backend === true ? { failBackend: true } : {}),
  };
}

function stream(raw: RawStream | undefined): StreamExpectation | undefined {
  if (!raw) return undefined;
  return {
    ...optional('equals', raw.equals),
    ...optional(
      'contains',
      raw.contains === undefined ? undefined : typeof raw.contains === 'string' ? [raw.contains] : raw.contains,
    ),
    ...optional('regex', raw.regex === undefined ? undefined : new RegExp(raw.regex)),
    ...optional('lines', raw.lines),
    ...optional('empty', raw.empty),
  };
}

function expectation(source: YamlSource, path: Path, raw: RawStep['expect']): StepExpectation {
  const e = raw ?? {};
  let uris: Record<string, DeviceExpectation> | undefined;
  if (e.uris) {
    uris = {};
    for (const [hypervisor, value] of Object.entries(e.uris)) uris[hypervisor] = textExpectation(value);
  }
  return {
    exit: e.exit ?? 0,
    ...optional('device', e.device === undefined ? undefined : textExpectation(e.device)),
    ...optional('uris', uris),
    ...optional('acceptedBy', e.accepted_by ? versionList(source, [...path, 'accepted_by'], e.accepted_by) : undefined),
    ...optional('rejectedBy', e.rejected_by ? versionList(source, [...path, 'rejected_by'], e.rejected_by) : undefined),
    ...optional('lint', e.lint),
    ...optional('stdout', stream(e.stdout)),
    ...optional('stderr', stream(e.stderr)),
    ...optional('calls', e.calls),
    ...optional('processesLeft', e.processes_left),
    ...optional(
      'simulated',
      e.simulated === undefined
        ? undefined
        : (Object.fromEntries(
            Object.entries(e.simulated).map(([name, subset]) => [name, stateExpectation(subset)]),
          ) as StepExpectation['simulated']),
    ),
  };
}
