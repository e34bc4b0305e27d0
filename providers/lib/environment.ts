// The environment Ganeti gives each action (spec/SPEC.md §4), read into one typed object and
// validated before anything is done.

import { InputError } from './errors.js';
import { readParameters, type ParameterSpec, type ParameterValue } from './parameters.js';
import * as validate from './validate.js';

export const ACTIONS = [
  'create',
  'attach',
  'detach',
  'remove',
  'grow',
  'setinfo',
  'verify',
  'snapshot',
  'open',
  'close',
] as const;
export type Action = (typeof ACTIONS)[number];

export interface ActionEnvironment {
  readonly action: Action;
  /** VOL_NAME. */
  readonly volume: string;
  /** VOL_SIZE (create, grow), MiB. */
  readonly size?: number;
  /** VOL_NEW_SIZE (grow), MiB, larger than size. */
  readonly newSize?: number;
  /** VOL_METADATA (setinfo), already sanitised by Ganeti. */
  readonly metadata?: string;
  readonly cname?: string;
  readonly uuid?: string;
  /** VOL_SNAPSHOT_NAME / VOL_SNAPSHOT_SIZE (snapshot). */
  readonly snapshotName?: string;
  readonly snapshotSize?: number;
  /** VOL_OPEN_EXCLUSIVE (open); true when absent, as before Ganeti 3.0. */
  readonly exclusive?: boolean;
  readonly params: Readonly<Record<string, ParameterValue | undefined>>;
}

const METADATA = /^([A-Za-z0-9_+.][-A-Za-z0-9_+.]*)?$/;

export function readEnvironment(
  action: Action,
  specs: readonly ParameterSpec[],
  env: NodeJS.ProcessEnv,
): ActionEnvironment {
  // verify is run by hand, not by Ganeti: it needs no volume.
  const volume = action === 'verify' && !env.VOL_NAME ? '' : validate.volumeName('VOL_NAME', env.VOL_NAME);
  const optionalText = (name: string) => (env[name] === undefined ? undefined : validate.noControl(name, env[name]));
  const cname = optionalText('VOL_CNAME');
  const uuid = optionalText('VOL_UUID');
  const params = readParameters(specs, env);
  const base = {
    action,
    volume,
    params,
    ...(cname !== undefined ? { cname } : {}),
    ...(uuid !== undefined ? { uuid } : {}),
  };
  switch (action) {
    case 'create':
      return { ...base, size: validate.sizeMiB('VOL_SIZE', env.VOL_SIZE) };
    case 'grow': {
      const size = validate.sizeMiB('VOL_SIZE', env.VOL_SIZE);
      const newSize = validate.sizeMiB('VOL_NEW_SIZE', env.VOL_NEW_SIZE);
      if (newSize <= size)
        throw new InputError(
          `VOL_NEW_SIZE (${newSize} MiB) must be larger than VOL_SIZE (${size} MiB): grow never shrinks`,
        );
      return { ...base, size, newSize };
    }
    case 'setinfo': {
      const metadata = env.VOL_METADATA;
      if (metadata === undefined) throw new InputError('VOL_METADATA is not set: Ganeti always passes it to setinfo');
      if (!METADATA.test(metadata) || metadata.length > 128) {
        throw new InputError(
          `VOL_METADATA must be at most 128 characters of [-A-Za-z0-9_+.] (as Ganeti sanitises it), got ${validate.describe(metadata)}`,
        );
      }
      return { ...base, metadata };
    }
    case 'snapshot': {
      const snapshotName = validate.volumeName('VOL_SNAPSHOT_NAME', env.VOL_SNAPSHOT_NAME);
      if (snapshotName === volume) throw new InputError(`VOL_SNAPSHOT_NAME must differ from VOL_NAME (${volume})`);
      const snapshotSize =
        env.VOL_SNAPSHOT_SIZE === undefined ? undefined : validate.sizeMiB('VOL_SNAPSHOT_SIZE', env.VOL_SNAPSHOT_SIZE);
      return { ...base, snapshotName, ...(snapshotSize !== undefined ? { snapshotSize } : {}) };
    }
    case 'open': {
      const raw = env.VOL_OPEN_EXCLUSIVE;
      return { ...base, exclusive: raw === undefined ? true : validate.boolean('VOL_OPEN_EXCLUSIVE', raw) };
    }
    default:
      return base;
  }
}
