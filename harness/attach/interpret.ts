// interpretAttachOutput: what a given Ganeti release makes of attach's stdout (spec/SPEC.md §5-§6).

import { HYPERVISORS, type Hypervisor } from '../ganeti/hypervisors.js';
import { isPython2, parseGanetiVersion } from '../ganeti/versions.js';
import { decodeLossy, toBytes } from './bytes.js';
import { lintAttachOutput, type AttachProblem } from './lint.js';
import { probeDevice, readAttachOutput, uriFor, type AttachReading, type DeviceProbe } from './reading.js';

export type { AttachProblem } from './lint.js';

export interface InterpretOptions {
  /** stat() the device path for real instead of the model (absolute, no control character). */
  readonly stat?: boolean;
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

/** Ganeti's own verdict, before lint: shared with lint so both agree on every detail. */
export interface AttachVerdict {
  readonly ok: boolean;
  readonly device: string | null;
  readonly uris: string[];
  readonly select: Record<Hypervisor, string | null>;
  /** The stat() outcome for the device path Ganeti looked at, or null when it looked at none. */
  readonly probe: DeviceProbe | null;
}

function noSelection(): Record<Hypervisor, string | null> {
  return Object.fromEntries(HYPERVISORS.map((h) => [h, null])) as Record<Hypervisor, string | null>;
}

export function judgeAttachOutput(reading: AttachReading, stat: boolean): AttachVerdict {
  const { version, lines } = reading;
  if (reading.undecodable) {
    return { ok: false, device: null, uris: [], select: noSelection(), probe: null };
  }
  if (version.behaviour === 'A') {
    // 2.7-2.12: the whole output, newlines and all, is the device path.
    const probe = probeDevice(reading.bytes, stat);
    const ok = probe === 'block';
    return { ok, device: ok ? decodeLossy(reading.bytes) : null, uris: [], select: noSelection(), probe };
  }
  const [first, ...rest] = lines;
  const uriLines = rest;
  const uris = uriLines.map((line) => line.text);
  let ok: boolean;
  let device: string | null = null;
  let probe: DeviceProbe | null = null;
  if (first!.bytes.length === 0) {
    // B stats "" and fails; C and D accept "no local device" when any URI line follows.
    ok = version.behaviour !== 'B' && uriLines.length > 0;
    if (version.behaviour === 'B') probe = 'missing';
  } else {
    probe = probeDevice(first!.bytes, stat);
    ok = probe === 'block';
    if (ok) device = first!.text;
  }
  const select = noSelection();
  if (ok) {
    const python2 = isPython2(version);
    for (const hypervisor of HYPERVISORS) {
      for (const line of uriLines) {
        const uri = uriFor(line, hypervisor, python2);
        if (uri !== null) {
          select[hypervisor] = uri;
          break;
        }
      }
    }
  }
  return { ok, device, uris, select, probe };
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
  const verdict = judgeAttachOutput(reading, options.stat === true);
  return {
    ganeti,
    ok: verdict.ok,
    device: verdict.device,
    uris: verdict.uris,
    select: verdict.select,
    problems: lintAttachOutput(reading, verdict),
  };
}
