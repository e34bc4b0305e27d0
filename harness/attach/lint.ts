// Lint of attach output for one Ganeti release: why it rejects the output, and what it accepts
// but will hurt later. The codes and severities are listed in spec/SPEC.md §7.

import { BEHAVIOUR_RANGES, isPython2 } from '../ganeti/versions.js';
import type { Hypervisor } from '../ganeti/hypervisors.js';
import { isControlByte, lineOfOffset } from './bytes.js';
import type { AttachVerdict } from './verdict.js';
import { qemuUriProblem } from './qemu-uri.js';
import { hypervisorOf, type AttachLine, type AttachReading } from './reading.js';

export type Severity = 'error' | 'warning';

export interface AttachProblem {
  readonly code: string;
  readonly severity: Severity;
  /** 1-based line of the output the problem is on. */
  readonly line: number;
  readonly message: string;
}

const WHITESPACE = /^[ \u00a0\u2000-\u200b\u3000]|[ \u00a0\u2000-\u200b\u3000]$/u;

export function lintAttachOutput(reading: AttachReading, verdict: AttachVerdict): AttachProblem[] {
  const problems: AttachProblem[] = [];
  const add = (code: string, severity: Severity, line: number, message: string) =>
    problems.push({ code, severity, line, message });
  const { version, lines, bytes } = reading;

  if (bytes.length === 0) {
    add('empty-output', 'error', 1, 'attach printed nothing: it must print the block device path on its first line');
    return problems;
  }

  if (reading.invalidUtf8At >= 0) {
    const at = reading.invalidUtf8At;
    const line = lineOfOffset(bytes, at);
    const byte = bytes[at]!.toString(16).padStart(2, '0');
    if (reading.undecodable) {
      add(
        'invalid-utf8',
        'error',
        line,
        `byte 0x${byte} at offset ${at} is not valid UTF-8: Ganeti 3.x fails the whole attach call`,
      );
      return problems;
    }
    add(
      'invalid-utf8',
      'warning',
      line,
      `byte 0x${byte} at offset ${at} is not valid UTF-8: Ganeti ${version.asked} passes it on, but Ganeti 3.x fails the whole attach call`,
    );
  }

  // 2.x splits on LF only, so a CRLF's CR stays in the line; 3.x reads CR and CRLF as line breaks.
  const crlfLines = new Set(lines.filter((l, i) => i < lines.length - 1 && endsWithCr(l)).map((l) => l.number));
  if (crlfLines.size > 0) {
    const first = Math.min(...crlfLines);
    add(
      'crlf',
      'error',
      first,
      `CRLF line ending${crlfLines.size > 1 ? `s (lines ${[...crlfLines].join(', ')})` : ''}: Ganeti ${version.asked} splits on LF only, so the CR stays in the ${first === 1 ? 'device path' : 'URI'} (3.x would read it as a line break)`,
    );
  }
  if (reading.crLineBreaks.length > 0) {
    const crLines = reading.crLineBreaks;
    add(
      'crlf',
      'warning',
      crLines[0]!,
      `CR line break${crLines.length > 1 ? `s (lines ${crLines.join(', ')})` : ''}: Ganeti ${version.asked} reads CRLF and a lone CR as LF, but 2.13-2.16 split on LF only and keep the CR in the device path or URI; end lines with LF alone`,
    );
  }

  const first = lines[0]!;
  if (version.behaviour === 'A') {
    lintLegacy(reading, add);
    // The path stat()ed is the whole output; with several lines, lintLegacy has said why it fails.
    if (first.bytes.length > 0)
      lintDevice(first, lines.length === 1 ? verdict : { ...verdict, probe: null }, crlfLines, add);
    return problems;
  }

  if (first.bytes.length === 0) {
    // Usable means some line offers a non-empty URI to a Ganeti hypervisor.
    const python2 = isPython2(version);
    const hasUri = lines.slice(1).some((l) => {
      const match = hypervisorOf(l, python2);
      return match !== null && match.uri.replace(/\r$/, '') !== '';
    });
    if (version.behaviour === 'B') {
      add(
        'userspace-only-unsupported',
        'error',
        1,
        `empty first line (userspace access only) is understood from 2.14.2 and 2.15.1 on; Ganeti ${version.asked} needs a block device path there`,
      );
    } else if (!hasUri) {
      add(
        'no-device-no-uri',
        'error',
        1,
        'neither a block device (the first line is empty) nor a URI line for any hypervisor: nothing can use this volume',
      );
    }
  } else {
    lintDevice(first, verdict, crlfLines, add);
  }
  lintUris(reading, crlfLines, add);
  return problems;
}

type Add = (code: string, severity: Severity, line: number, message: string) => void;

function endsWithCr(line: AttachLine): boolean {
  return line.bytes[line.bytes.length - 1] === 0x0d;
}

/** Control bytes other than the CR of a CRLF ending, which `crlf` reports already. */
function strayControls(line: AttachLine, crlfLines: Set<number>): string[] {
  const body = crlfLines.has(line.number) ? line.bytes.subarray(0, -1) : line.bytes;
  const found = new Set<string>();
  for (const b of body) if (isControlByte(b)) found.add(`0x${b.toString(16).padStart(2, '0')}`);
  return [...found];
}

function lintLegacy(reading: AttachReading, add: Add): void {
  const { lines, version } = reading;
  if (lines.length === 1) return;
  const range = BEHAVIOUR_RANGES.A;
  if (lines.length === 2 && lines[1]!.bytes.length === 0) {
    add(
      'legacy-trailing-newline',
      'error',
      1,
      `trailing newline: Ganeti ${version.asked} (like all of ${range}) takes the whole output as the device path, newline included; print it with printf '%s' or echo -n`,
    );
  } else {
    add(
      'legacy-extra-lines',
      'error',
      2,
      `more than one line: Ganeti ${version.asked} (like all of ${range}) takes the whole output as one device path; URI lines are understood from 2.13.0 on`,
    );
  }
}

function lintDevice(line: AttachLine, verdict: AttachVerdict, crlfLines: Set<number>, add: Add): void {
  const text = line.text;
  if (text.length > 0 && !text.startsWith('/')) {
    // The node daemon stats it from its working directory, /; the model only places dev/... there.
    const unplaced = verdict.probe === 'relative';
    add(
      'relative-device',
      unplaced ? 'error' : 'warning',
      line.number,
      `device path ${JSON.stringify(text)} is not absolute: Ganeti stat()s it from the node daemon's working directory, /, as ${JSON.stringify(`/${text}`)}${unplaced ? ', which is not under /dev' : ''}; print the absolute path`,
    );
  }
  const controls = strayControls(line, crlfLines);
  if (controls.length > 0) {
    add(
      'device-control-char',
      'error',
      line.number,
      `device path contains control character${controls.length > 1 ? 's' : ''} ${controls.join(', ')}`,
    );
  }
  if (WHITESPACE.test(crlfLines.has(line.number) ? text.slice(0, -1) : text)) {
    add(
      'device-whitespace',
      'error',
      line.number,
      `device path ${JSON.stringify(text)} has leading or trailing whitespace, which Ganeti keeps`,
    );
  }
  if (verdict.probe === 'missing' && text.length > 0) {
    add('device-missing', 'error', line.number, `device path ${JSON.stringify(text)} does not exist on this machine`);
  } else if (verdict.probe === 'not-block') {
    add('device-not-block', 'error', line.number, `${JSON.stringify(text)} exists but is not a block device`);
  }
}

function lintUris(reading: AttachReading, crlfLines: Set<number>, add: Add): void {
  const python2 = isPython2(reading.version);
  const uriLines = reading.lines.slice(1);
  // The empty piece after a final newline is how every provider ends its output: not a blank line.
  const meaningful =
    uriLines.length > 0 && uriLines[uriLines.length - 1]!.bytes.length === 0 ? uriLines.slice(0, -1) : uriLines;
  const firstLineFor = new Map<Hypervisor, number>();
  for (const line of meaningful) {
    const body = crlfLines.has(line.number) ? line.text.slice(0, -1) : line.text;
    if (body.trim() === '') {
      add(
        'blank-uri-line',
        'warning',
        line.number,
        'blank line among the URI lines: Ganeti keeps it as an empty URI line',
      );
      continue;
    }
    const match = hypervisorOf(line, python2);
    if (match === null) {
      const hint = qemuUriProblem(body) === null ? `; did you mean "kvm:${body}"?` : '';
      add(
        'unknown-hypervisor',
        'warning',
        line.number,
        `URI line does not start with a Ganeti hypervisor name and a colon (kvm:, xen-pvm:, xen-hvm:, lxc:, chroot:, fake:), so no hypervisor will ever use it${hint}`,
      );
      continue;
    }
    if (!python2 && hypervisorOf(line, true) === null) {
      add(
        'prefix-not-ascii',
        'warning',
        line.number,
        `the "${match.hypervisor}:" prefix only matches through Unicode lowercasing: Ganeti 2.x will not find this URI`,
      );
    }
    const earlier = firstLineFor.get(match.hypervisor);
    if (earlier !== undefined) {
      add(
        'duplicate-hypervisor',
        'warning',
        line.number,
        `second "${match.hypervisor}:" line: Ganeti uses the first one (line ${earlier}), never this one`,
      );
      continue;
    }
    firstLineFor.set(match.hypervisor, line.number);
    const uri = crlfLines.has(line.number) ? match.uri.slice(0, -1) : match.uri;
    if (uri.length === 0) {
      add(
        'empty-uri',
        'error',
        line.number,
        `nothing after "${match.hypervisor}:": the hypervisor would get an empty URI`,
      );
      continue;
    }
    const controls = strayControls(line, crlfLines);
    if (controls.length > 0) {
      add(
        'uri-control-char',
        'error',
        line.number,
        `URI contains control character${controls.length > 1 ? 's' : ''} ${controls.join(', ')}`,
      );
    }
    if (WHITESPACE.test(uri)) {
      add(
        'uri-whitespace',
        'error',
        line.number,
        `URI ${JSON.stringify(uri)} has leading or trailing whitespace, which Ganeti passes on to the hypervisor`,
      );
    }
    if (match.hypervisor === 'kvm') {
      const problem = qemuUriProblem(uri.trim());
      if (problem !== null)
        add('qemu-unknown-uri', 'warning', line.number, `QEMU would not open ${JSON.stringify(uri)}: ${problem}`);
    }
  }
}
