// Ganeti 3.0 as the judge of the kit's model (issue 13, layer 3): a provider of the run's own whose
// attach prints given bytes goes through Ganeti's ExtStorageDevice; what Ganeti makes of each output
// (accepted, device, URI lines, the URI per hypervisor) must equal the interpreter's verdict for
// 3.0, and the VOL_*/EXTP_* environment Ganeti builds for each action must equal the one `run`
// builds. Every difference is listed: each one is a defect of the kit's model, not of the check.

import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HYPERVISORS, isHypervisor } from '../../harness/ganeti/hypervisors.js';
import { interpretAttachOutput } from '../../harness/attach/interpret.js';
import { actionEnvironment } from '../../harness/run/environment.js';
import { isAction } from '../../harness/provider/layout.js';
import type { Namespace } from '../backends/namespace.js';
import {
  callGaneti,
  ganetiDirs,
  ganetiVerdicts,
  type DiskSpec,
  type GanetiOutcome,
  type GanetiPlaces,
  type ScriptRun,
} from './driver.js';

const PROVIDER = 'kit-echo';

/** A provider whose attach prints the bytes of $EXTP_CASE and whose other scripts do nothing. */
function writeEchoProvider(places: GanetiPlaces): void {
  const dir = join(ganetiDirs(places).searchPath, PROVIDER);
  mkdirSync(dir, { recursive: true });
  const noop = '#!/bin/sh\nexit 0\n';
  for (const script of ['create', 'detach', 'remove', 'grow', 'setinfo', 'verify', 'snapshot', 'open', 'close']) {
    writeFileSync(join(dir, script), noop);
    chmodSync(join(dir, script), 0o755);
  }
  writeFileSync(join(dir, 'attach'), '#!/bin/sh\nexec cat -- "$EXTP_CASE"\n');
  chmodSync(join(dir, 'attach'), 0o755);
  writeFileSync(join(dir, 'parameters.list'), 'case the file whose bytes attach prints\n');
}

/** Attach outputs: device lines x URI blocks, then line endings, then the odd ones. */
function attachOutputs(device: string): string[] {
  const firstLines = [device, '', device.slice(1), '/dev/null', '/nonexistent/disk', `${device} `, ` ${device}`];
  const uriBlocks = [
    '',
    'kvm:rbd:pool/disk',
    'KVM:rbd:pool/disk',
    'kvm:rbd:pool/disk ',
    'xen-pvm:a\nkvm:b\nkvm:c',
    'lxc:l\nchroot:c\nfake:f\nxen-hvm:h',
    'kvm:',
    'Kvm:gluster://h/v/é',
    'unknown:u',
    '\u212Avm:kelvin', // KELVIN SIGN lowercases to "k"
  ];
  const outputs: string[] = [];
  for (const first of firstLines) {
    for (const block of uriBlocks) outputs.push(block === '' ? `${first}\n` : `${first}\n${block}\n`);
  }
  for (const first of [device, '']) {
    for (const block of ['kvm:rbd:pool/disk', 'xen-pvm:a\nkvm:b']) {
      for (const newline of ['\r\n', '\r']) {
        for (const end of ['', '\n', newline])
          outputs.push(`${first}${newline}${block.replaceAll('\n', newline)}${end}`);
      }
    }
  }
  outputs.push('', '\n', '\n\n', device, `${device}\n\n`, `\n\nkvm:x`, `\uFEFF${device}\n`, `${device}\u0000x\n`);
  outputs.push(`\nkvm:a\u2028b\n`, `\nkvm:a\u0085b\n`, `\nkvm:a\tb\n`, `${device}\nkvm:x\u000b\n`);
  return outputs;
}

/** The invalid UTF-8 cases, as bytes. */
function undecodableOutputs(device: string): Buffer[] {
  return [
    Buffer.concat([Buffer.from(`${device}\n`), Buffer.from([0xff]), Buffer.from('\n')]),
    Buffer.concat([Buffer.from('\nkvm:rbd:'), Buffer.from([0xc3, 0x28]), Buffer.from('\n')]),
    Buffer.from([0xfe]),
  ];
}

function show(value: unknown): string {
  return JSON.stringify(value);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** An attach output for the report: as a JSON string when it is UTF-8, else its bytes in hex. */
function showOutput(bytes: Buffer): string {
  try {
    return show(strictUtf8.decode(bytes));
  } catch {
    return `(not UTF-8) ${bytes.toString('hex')}`;
  }
}

async function attachDifferences(ns: Namespace, places: GanetiPlaces, device: string): Promise<[number, string[]]> {
  const caseDir = join(places.workDir, 'ganeti', 'attach-cases');
  mkdirSync(caseDir, { recursive: true });
  const outputs = [...attachOutputs(device).map((text) => Buffer.from(text)), ...undecodableOutputs(device)];
  const files = outputs.map((bytes, index) => {
    const file = join(caseDir, String(index));
    writeFileSync(file, bytes);
    return file;
  });
  const verdicts = await ganetiVerdicts(ns, places, PROVIDER, files);
  const differences: string[] = [];
  const ganetiHypervisors = Object.keys(verdicts.find((v) => v.ok)?.select ?? {});
  const unknown = ganetiHypervisors.filter((h) => !isHypervisor(h));
  const missing = HYPERVISORS.filter((h) => !ganetiHypervisors.includes(h));
  if (unknown.length + missing.length > 0)
    differences.push(`hypervisors: Ganeti knows ${show(ganetiHypervisors)}, the kit ${show(HYPERVISORS)}`);
  for (const [index, ganeti] of verdicts.entries()) {
    const bytes = outputs[index]!;
    const kit = interpretAttachOutput(bytes, '3.0', { stat: true });
    const problems: string[] = [];
    if (kit.ok !== ganeti.ok) problems.push(`accepted: Ganeti ${ganeti.ok}, kit ${kit.ok}`);
    if (kit.ok && ganeti.ok) {
      if (kit.device !== ganeti.dev_path)
        problems.push(`device: Ganeti ${show(ganeti.dev_path)}, kit ${show(kit.device)}`);
      if (show(kit.uris) !== show(ganeti.uris))
        problems.push(`URI lines: Ganeti ${show(ganeti.uris)}, kit ${show(kit.uris)}`);
      for (const [hypervisor, uri] of Object.entries(ganeti.select)) {
        const predicted = isHypervisor(hypervisor) ? kit.select[hypervisor] : undefined;
        if (predicted !== uri) problems.push(`${hypervisor}: Ganeti ${show(uri)}, kit ${show(predicted)}`);
      }
    }
    if (problems.length > 0) {
      const why = ganeti.raised === null ? '' : ` (Ganeti raised ${ganeti.raised})`;
      differences.push(`attach output ${showOutput(bytes)}${why}: ${problems.join('; ')}`);
    }
  }
  return [verdicts.length, differences];
}

/** The kit's environment for a script Ganeti ran, from the same inputs. */
function kitEnvironment(run: ScriptRun, disk: DiskSpec, input: Record<string, unknown>): Record<string, string> {
  if (!isAction(run.script)) throw new Error(`Ganeti ran ${run.script}, which is not an action the kit knows`);
  const sandbox = { id: 'differential', root: '/', stubsDir: '/nonexistent', home: '/nonexistent', tmp: '/tmp' };
  const volume = {
    provider: disk.provider,
    name: disk.volume,
    size: disk.size,
    uuid: disk.uuid ?? '',
    params: disk.params,
    ...(disk.cname === undefined ? {} : { cname: disk.cname }),
  };
  const env = actionEnvironment(run.script, volume, { args: [], unset: [], env: {}, ...input }, {}, sandbox);
  return Object.fromEntries(
    Object.entries(env).filter(([name]) => name.startsWith('VOL_') || name.startsWith('EXTP_')),
  );
}

/** What differs between Ganeti's and the kit's environment of one script, or null. */
function envDifference(ganeti: Record<string, string>, kit: Record<string, string>): string | null {
  const names = [...new Set([...Object.keys(ganeti), ...Object.keys(kit)])].sort();
  const differ = names.filter((name) => ganeti[name] !== kit[name]);
  if (differ.length === 0) return null;
  return differ
    .map((name) => `${name}: Ganeti ${show(ganeti[name] ?? null)}, kit ${show(kit[name] ?? null)}`)
    .join('; ');
}

async function environmentDifferences(
  ns: Namespace,
  places: GanetiPlaces,
  device: string,
): Promise<[number, string[]]> {
  const caseFile = join(places.workDir, 'ganeti', 'attach-device');
  writeFileSync(caseFile, `${device}\n`);
  // The user's parameters; Ganeti adds provider and access on its own (the kit must too).
  const params = { case: caseFile };
  const disk: DiskSpec = {
    provider: PROVIDER,
    volume: '0c2f1a52-7c0e-4d2e-9a41-1b9a7f7f7e10.ext.disk0',
    size: 512,
    cname: 'data',
    uuid: '0c2f1a52-7c0e-4d2e-9a41-1b9a7f7f7e10',
    params,
  };
  const metadata = 'originstname+web 1/é';
  const steps: [string, string | undefined, Record<string, unknown>][] = [
    ['create', undefined, {}],
    ['attach', undefined, {}],
    ['grow', '512', { size: 512, newSize: 1024 }],
    ['setinfo', metadata, { metadata }],
    ['snapshot', `${disk.volume}.snap`, { snapshotName: `${disk.volume}.snap`, snapshotSize: 512 }],
    ['open', 'exclusive', { exclusive: true }],
    ['open', 'shared', { exclusive: false }],
    ['close', undefined, {}],
    ['shutdown', undefined, {}],
    ['remove', undefined, {}],
  ];
  let compared = 0;
  const failed: string[] = [];
  // The same difference in many scripts is listed once, with the scripts it was seen in.
  const seenIn = new Map<string, string[]>();
  for (const [step, arg, input] of steps) {
    const call = await callGaneti(ns, places, disk, step, arg);
    if (!call.ok) failed.push(`${step}: Ganeti raised ${call.raised?.type}: ${call.raised?.message}`);
    for (const run of call.scripts) {
      compared += 1;
      // Only the script the step is about gets the step's inputs; the attach calls around it get none.
      const own = run.script === step;
      const difference = envDifference(run.env, kitEnvironment(run, disk, own ? input : {}));
      if (difference === null) continue;
      const label = `${run.script} (in ${step}${arg === undefined ? '' : ` ${arg}`})`;
      seenIn.set(difference, [...(seenIn.get(difference) ?? []), label]);
    }
  }
  const differences = [...seenIn].map(([what, where]) =>
    where.length === compared
      ? `environment of every script Ganeti ran (${compared}): ${what}`
      : `environment of ${where.join(', ')}: ${what}`,
  );
  return [compared, [...failed, ...differences]];
}

/** The stage: both comparisons; a block device for the attach outputs is any /dev/loopN there is. */
export async function differentialStage(ns: Namespace, places: GanetiPlaces): Promise<GanetiOutcome> {
  writeEchoProvider(places);
  mkdirSync(ganetiDirs(places).logDir, { recursive: true });
  const found = await ns.exec(['losetup', '--find'], { allowFailure: true });
  const device = found.stdout.trim();
  if (!/^\/dev\/loop\d+$/.test(device))
    return { ok: false, summary: `no loop device node: ${found.stderr}`, details: [] };
  const [outputs, attach] = await attachDifferences(ns, places, device);
  const [scripts, environment] = await environmentDifferences(ns, places, device);
  const differences = [...attach, ...environment];
  return {
    ok: differences.length === 0,
    summary: `${outputs} attach outputs, ${scripts} script environments; ${attach.length} + ${environment.length} differ`,
    details: differences,
  };
}
