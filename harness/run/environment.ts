// The environment Ganeti builds for each action (spec/SPEC.md §4), on a base that is the same on
// every machine: nothing leaks in from the caller's environment.

import { basename, resolve } from 'node:path';
import type { Action } from '../provider/layout.js';
import { DEFAULT_GROW_BY, type StepInput } from '../scenario/model.js';

export const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Set in every script's environment so leftover processes can be found and killed. */
export const SANDBOX_MARKER = 'EXTSTORAGE_KIT_SANDBOX';

/** Actions that get VOL_CNAME and VOL_UUID (snapshot and verify do not). */
const NAMED_ACTIONS: ReadonlySet<Action> = new Set([
  'create',
  'attach',
  'detach',
  'remove',
  'grow',
  'setinfo',
  'open',
  'close',
]);

/** What Ganeti sends as VOL_METADATA when setinfo has no text of its own in the scenario. */
export const DEFAULT_METADATA = 'originstname+instance1.example.com';

/** The volume as Ganeti knows it during a scenario; size follows successful grows. */
export interface VolumeState {
  /** The provider's name (its directory's name): Ganeti passes it as EXTP_PROVIDER. */
  readonly provider: string;
  readonly name: string;
  size: number;
  readonly cname?: string;
  readonly uuid: string;
  /** The user's ext parameters; `access` is the disk's access mode (kernelspace when absent). */
  readonly params: Readonly<Record<string, string>>;
}

/** The name Ganeti knows a provider by: its directory's name. */
export function providerName(providerDir: string): string {
  return basename(resolve(providerDir));
}

/** Ganeti's default for the disk's access parameter (constants.DISK_DT_DEFAULTS["ext"]). */
export const DEFAULT_ACCESS = 'kernelspace';

/**
 * The disk's ext parameters in the order a node gets them (Ganeti 3.0.2: GenerateDiskTemplate in
 * cmdlib/instance_storage.py adds `provider` and `access` to the user's keys; AnnotateDiskParams in
 * rpc/node.py fills them over the cluster's ext defaults, so `access` comes first). `provider` and
 * `access` are Ganeti's own disk parameters: a user key of that name is the disk's, not an extra.
 */
export function diskParameters(volume: VolumeState): [string, string][] {
  const params = new Map<string, string>([
    ['access', volume.params.access ?? DEFAULT_ACCESS],
    ['provider', volume.provider],
  ]);
  for (const [name, value] of Object.entries(volume.params)) {
    if (name !== 'access' && name !== 'provider') params.set(name, value);
  }
  return [...params];
}

export interface SandboxPaths {
  readonly id: string;
  /** The scenario's sandbox directory: ${SANDBOX} in scenario values. */
  readonly root: string;
  readonly stubsDir: string;
  readonly home: string;
  readonly tmp: string;
}

/**
 * Ganeti's SetInfo sanitising (Python 3 str semantics, one code point at a time): a first
 * character outside [A-Za-z0-9_+.] and any later one outside [-A-Za-z0-9_+.] become "_",
 * then the text is cut to 128 characters.
 */
export function sanitizeMetadata(text: string): string {
  const replaced = text.replace(/^[^A-Za-z0-9_+.]/u, '_').replace(/[^-A-Za-z0-9_+.]/gu, '_');
  return Array.from(replaced).slice(0, 128).join('');
}

/** The new size grow gets when a step names none: Ganeti always sends a larger VOL_NEW_SIZE. */
export function defaultNewSize(size: number): number {
  return size + DEFAULT_GROW_BY;
}

export function baseEnvironment(sandbox: SandboxPaths): Record<string, string> {
  return {
    PATH: `${sandbox.stubsDir}:${SYSTEM_PATH}`,
    HOME: sandbox.home,
    TMPDIR: sandbox.tmp,
    LC_ALL: 'C',
    [SANDBOX_MARKER]: sandbox.id,
  };
}

/** For a real backend's own commands (`run --real`): the system PATH, no stubs, and the scenario's env. */
export function realEnvironment(
  sandbox: SandboxPaths,
  scenarioEnv: Readonly<Record<string, string>>,
): Record<string, string> {
  return { PATH: SYSTEM_PATH, HOME: sandbox.home, TMPDIR: sandbox.tmp, LC_ALL: 'C', ...scenarioEnv };
}

/** The whole environment one action's script gets, in the order Ganeti and the scenario add to it. */
export function actionEnvironment(
  action: Action,
  volume: VolumeState,
  input: StepInput,
  scenarioEnv: Readonly<Record<string, string>>,
  sandbox: SandboxPaths,
): Record<string, string> {
  const env = baseEnvironment(sandbox);
  env.VOL_NAME = volume.name;
  // extstorage.py _ExtStorageEnvironment: one EXTP_ per parameter; on an upper-case clash the later wins.
  for (const [name, value] of diskParameters(volume)) env[`EXTP_${name.toUpperCase()}`] = value;
  if (action === 'create' || action === 'grow') env.VOL_SIZE = String(input.size ?? volume.size);
  if (action === 'grow') env.VOL_NEW_SIZE = String(input.newSize ?? defaultNewSize(input.size ?? volume.size));
  if (action === 'setinfo') env.VOL_METADATA = sanitizeMetadata(input.metadata ?? DEFAULT_METADATA);
  if (NAMED_ACTIONS.has(action)) {
    if (volume.cname !== undefined) env.VOL_CNAME = volume.cname;
    env.VOL_UUID = volume.uuid;
  }
  if (action === 'snapshot') {
    env.VOL_SNAPSHOT_NAME = input.snapshotName ?? `${volume.name}.snap`;
    env.VOL_SNAPSHOT_SIZE = String(input.snapshotSize ?? volume.size);
  }
  if (action === 'open') env.VOL_OPEN_EXCLUSIVE = input.exclusive === false ? 'False' : 'True';
  Object.assign(env, scenarioEnv, input.env);
  for (const name of input.unset) delete env[name];
  return env;
}
