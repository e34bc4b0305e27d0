// Ganeti's own verdict on an attach output, before lint (spec/SPEC.md §5-§6): whether the release
// accepts it, the device and the URI each hypervisor gets. interpret.ts and lint.ts both build on it.

import { HYPERVISORS, type Hypervisor } from '../ganeti/hypervisors.js';
import { isPython2 } from '../ganeti/versions.js';
import { decodeLossy } from './bytes.js';
import { probeDevice, uriFor, type AttachReading, type DeviceProbe, type DeviceStat } from './reading.js';

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

export function judgeAttachOutput(reading: AttachReading, stat: DeviceStat): AttachVerdict {
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
