// interpretAttachOutput: what a given Ganeti release makes of attach's stdout (spec/SPEC.md §5-§6).

import type { Hypervisor } from '../ganeti/hypervisors.js';
import { parseGanetiVersion } from '../ganeti/versions.js';
import { toBytes } from './bytes.js';
import { lintAttachOutput, type AttachProblem } from './lint.js';
import { readAttachOutput, type DeviceStat } from './reading.js';
import { judgeAttachOutput } from './verdict.js';

export type { AttachProblem } from './lint.js';

export interface InterpretOptions {
  /**
   * stat() the device path for real (a relative one from /, as the node daemon) instead of the
   * model; or a function giving the outcome another process saw (null: stat() here).
   */
  readonly stat?: DeviceStat;
}

export interface AttachInterpretation {
  /** The version as asked for. */
  readonly ganeti: string;
  /** Whether that release's attach succeeds with this output. */
  readonly ok: boolean;
  /** The block device path that release uses; null when userspace-only or not ok. */
  readonly device: string | null;
  /** The URI lines exactly as that release keeps them ([] for 2.7-2.12). */
  readonly uris: string[];
  /** The URI handed to each hypervisor, or null. */
  readonly select: Record<Hypervisor, string | null>;
  readonly problems: AttachProblem[];
}

/**
 * What Ganeti release `ganeti` makes of `stdout`, the output of a provider's attach script.
 * Strings are taken as their UTF-8 bytes. Throws UnsupportedVersionError for an unknown version.
 */
export function interpretAttachOutput(
  stdout: Uint8Array | string,
  ganeti: string,
  options: InterpretOptions = {},
): AttachInterpretation {
  const version = parseGanetiVersion(ganeti);
  const reading = readAttachOutput(toBytes(stdout), version);
  const verdict = judgeAttachOutput(reading, options.stat ?? false);
  return {
    ganeti,
    ok: verdict.ok,
    device: verdict.device,
    uris: verdict.uris,
    select: verdict.select,
    problems: lintAttachOutput(reading, verdict),
  };
}
