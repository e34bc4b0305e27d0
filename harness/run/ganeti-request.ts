// What the bridge asks Ganeti to do for one step: the same inputs the kit builds its environment
// from (the volume as Ganeti knows it, the step's sizes, metadata, snapshot and open mode), never
// the environment itself: Ganeti builds that, and the two are compared afterwards.

import type { Action } from '../provider/layout.js';
import { DEFAULT_METADATA, defaultNewSize, type VolumeState } from './environment.js';
import type { StepInput } from '../scenario/model.js';

export interface BridgeRequest {
  readonly lib: string;
  readonly searchPath: string;
  readonly logDir: string;
  readonly report: string;
  readonly action: Action;
  readonly provider: string;
  readonly volume: string;
  readonly size: number;
  readonly newSize?: number;
  readonly metadata?: string;
  readonly name?: string;
  readonly uuid: string;
  readonly snapshotName?: string;
  readonly snapshotSize?: number;
  readonly exclusive?: boolean;
  /** The user's disk parameters; Ganeti adds provider and its defaults (access) itself. */
  readonly params: Readonly<Record<string, string>>;
}

/** Where the bridge's files go: the search path holding the provider, Ganeti's log folder, the report. */
export interface BridgePlaces {
  readonly lib: string;
  readonly searchPath: string;
  readonly logDir: string;
  readonly report: string;
}

/**
 * Why Ganeti cannot run this step as written, or null: Ganeti runs a script with no arguments and
 * builds its whole VOL_* and EXTP_* environment itself, so a step that adds arguments, removes a
 * variable or sets one of Ganeti's variables by hand is the kit's to run.
 */
export function notExpressible(input: StepInput): string | null {
  if (input.args.length > 0) return 'it passes arguments (Ganeti runs scripts with none)';
  if (input.unset.length > 0) return `it removes ${input.unset.join(', ')} (Ganeti always sets them)`;
  const own = Object.keys(input.env).filter((name) => name.startsWith('VOL_') || name.startsWith('EXTP_'));
  if (own.length > 0) return `it sets ${own.join(', ')} by hand (Ganeti builds them)`;
  return null;
}

export function bridgeRequest(
  action: Action,
  volume: VolumeState,
  input: StepInput,
  places: BridgePlaces,
): BridgeRequest {
  const size = input.size ?? volume.size;
  return {
    ...places,
    action,
    provider: volume.provider,
    volume: volume.name,
    size,
    uuid: volume.uuid,
    params: volume.params,
    ...(volume.cname !== undefined ? { name: volume.cname } : {}),
    ...(action === 'grow' ? { newSize: input.newSize ?? defaultNewSize(size) } : {}),
    ...(action === 'setinfo' ? { metadata: input.metadata ?? DEFAULT_METADATA } : {}),
    ...(action === 'snapshot'
      ? { snapshotName: input.snapshotName ?? `${volume.name}.snap`, snapshotSize: input.snapshotSize ?? volume.size }
      : {}),
    ...(action === 'open' ? { exclusive: input.exclusive !== false } : {}),
  };
}
