// What the bridge (run_action.py) says Ganeti did for one step, and where that differs from what
// the kit predicts for the same inputs and output: the environment the script got, and for attach
// whether the output is accepted, the device, the URI lines and the URI each hypervisor is handed.
// Any difference is a defect of the kit's model (Ganeti is the judge), never of the provider.

import { readFileSync } from 'node:fs';
import { interpretAttachOutput } from '../attach/interpret.js';
import type { DeviceProbe } from '../attach/reading.js';
import { isHypervisor } from '../ganeti/hypervisors.js';

export interface BridgeScriptRun {
  readonly script: string;
  /** The script's VOL_* and EXTP_* variables as Ganeti set them. */
  readonly env: Readonly<Record<string, string>>;
  readonly exit?: number | null;
  readonly signal?: number | null;
  /** What Ganeti's RunCmd raised instead of returning (e.g. UnicodeDecodeError on attach output). */
  readonly raised?: string;
}

export interface BridgeReport {
  readonly release: string;
  /** What Ganeti's call raised: its error type and message (a failed script, a refused provider). */
  readonly raised: { readonly type: string; readonly message: string } | null;
  /** attach only, when the script succeeded: Ganeti's reading of its output. */
  readonly attach?: {
    readonly attached: boolean;
    readonly dev_path: string | null;
    readonly uris: readonly string[];
    readonly select?: Readonly<Record<string, string | null>>;
    /** What stat() of dev_path found in Ganeti's process (its view of /dev: the sandbox's). */
    readonly probe?: DeviceProbe;
  };
  readonly scripts: readonly BridgeScriptRun[];
  /** Ganeti's own log messages during the call. */
  readonly logged: readonly string[];
}

/** The bridge's report file, or why it cannot be read (the bridge died before writing it). */
export function readBridgeReport(file: string): BridgeReport | { readonly problem: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return { problem: `the bridge wrote no report (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  try {
    return JSON.parse(text) as BridgeReport;
  } catch {
    return { problem: `the bridge's report is not JSON: ${JSON.stringify(text.slice(0, 200))}` };
  }
}

const show = (value: unknown) => JSON.stringify(value);

/** The kit's VOL_* and EXTP_* variables, the part of the environment Ganeti builds. */
function ganetiPart(env: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env)
      .filter(([name]) => name.startsWith('VOL_') || name.startsWith('EXTP_'))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

function environmentDifferences(ganeti: Readonly<Record<string, string>>, kit: Record<string, string>): string[] {
  const names = [...new Set([...Object.keys(ganeti), ...Object.keys(kit)])].sort();
  return names
    .filter((name) => ganeti[name] !== kit[name])
    .map(
      (name) =>
        `${name}: Ganeti ${ganeti[name] === undefined ? 'unset' : show(ganeti[name])}, kit ${kit[name] === undefined ? 'unset' : show(kit[name])}`,
    );
}

/**
 * Every way Ganeti's handling of this step differs from the kit's prediction, in words (empty when
 * they agree). `kitEnv` is the environment the kit would have given the script; `stdout` the
 * attach output as the script wrote it (null when it was cut short: not compared then).
 */
export function disagreements(
  report: BridgeReport,
  action: string,
  kitEnv: Readonly<Record<string, string>>,
  stdout: Uint8Array | null,
  modelVersion: string,
): string[] {
  const run = report.scripts.find((s) => s.script === action);
  if (run === undefined) return [];
  const found = environmentDifferences(run.env, ganetiPart(kitEnv)).map((d) => `environment of ${action}: ${d}`);
  if (action !== 'attach' || stdout === null) return found;
  const decodedByGaneti = run.raised === undefined;
  if (decodedByGaneti && run.exit !== 0) return found; // a failed attach: Ganeti reads nothing
  const ganeti = report.attach ?? { attached: false, dev_path: null, uris: [] };
  // The device as Ganeti's process saw it (in the sandbox, /dev may hold the simulators' nodes).
  const seen = ganeti.dev_path && ganeti.probe ? Buffer.from(ganeti.dev_path, 'utf8') : null;
  const stat = (path: Uint8Array) => (seen?.equals(path) ? (ganeti.probe ?? null) : null);
  const kit = interpretAttachOutput(stdout, modelVersion, { stat });
  const where = `attach output ${show(Buffer.from(stdout).toString('latin1'))}`;
  if (kit.ok !== ganeti.attached) {
    const why = run.raised !== undefined ? ` (Ganeti raised ${run.raised})` : '';
    return [
      ...found,
      `${where}: Ganeti ${ganeti.attached ? 'accepts' : 'refuses'} it${why}, the kit's model of ${modelVersion} ${kit.ok ? 'accepts' : 'refuses'} it`,
    ];
  }
  if (!kit.ok) return found;
  if (kit.device !== ganeti.dev_path)
    found.push(`${where}: device: Ganeti ${show(ganeti.dev_path)}, kit ${show(kit.device)}`);
  if (show(kit.uris) !== show(ganeti.uris))
    found.push(`${where}: URI lines: Ganeti ${show(ganeti.uris)}, kit ${show(kit.uris)}`);
  for (const [hypervisor, uri] of Object.entries(ganeti.select ?? {})) {
    const predicted = isHypervisor(hypervisor) ? kit.select[hypervisor] : undefined;
    if (predicted !== uri)
      found.push(
        `${where}: URI for ${hypervisor}: Ganeti ${show(uri)}, kit ${show(predicted ?? 'no such hypervisor')}`,
      );
  }
  return found;
}
