// A scenario's isolation from start to end, for the scenario runner: the level probed, the sandbox
// prepared, each script run wrapped and what it did checked (writes into the provider folder,
// processes left), and at the end the sweep and the report (result.ts, IsolationReport).

import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { snapshotFiles, type FileSnapshot } from '../file-snapshot.js';
import type { Scenario } from '../../scenario/model.js';
import type { Failure, IsolationReport } from '../result.js';
import { sweepOrphans, sweepProcesses, sweepUntilQuiet, type SweptProcess } from '../sweep.js';
import { hostCommands } from './host-commands.js';
import { folderChanges, providerWriteFailure, readOnlyFailure } from './provider-folder.js';
import { probeIsolation, type IsolationLevel } from './probe.js';
import { prepareSandbox, type ScriptSandbox } from './sandbox.js';

export interface ScenarioIsolationOptions {
  readonly scenario: Scenario;
  readonly providerDir: string;
  /** The scenario's sandbox directory. */
  readonly root: string;
  /** Absolute-path stubs: path -> stub executable. */
  readonly absoluteStubs: ReadonlyMap<string, string>;
  readonly realDevices: boolean;
}

/** The level this process runs scripts at, and the report of a scenario that did not run. */
export function isolationLevel(): IsolationLevel {
  return probeIsolation().level;
}

/**
 * Against real storage scripts run without a sandbox: a loop device or mount made inside a mount
 * namespace names its file by a path the host does not know (the kit's own cleanup could not find it).
 */
const REAL_STORAGE_NOTE =
  'real storage (--real or --live): scripts run without a sandbox, as loop devices and mounts made in a mount namespace name their files by paths the host cannot find';

/** Why the scenario must not run at this level (its absolute-path stubs would run the host commands), or null. */
export function isolationSkipReason(scenario: Scenario, realDevices: boolean): string | null {
  const absolute = Object.keys(scenario.stubs).filter((command) => command.startsWith('/'));
  if (absolute.length === 0) return null;
  if (realDevices)
    return `against real storage scripts run without a sandbox, so nothing can be put over ${absolute.join(', ')}: running the scenario would run the host commands`;
  if (isolationLevel() !== 'none') return null;
  return `isolation none cannot put the stubs over ${absolute.join(', ')}: running the scenario would run the host commands (bubblewrap or unshare is needed)`;
}

/** The report of a scenario that ran no script. */
export function emptyIsolationReport(providerDir: string): IsolationReport {
  const probe = probeIsolation();
  return { level: probe.level, notContained: [...probe.reasons], hostCommands: hostCommands(providerDir), killed: [] };
}

export class ScenarioIsolation {
  readonly sandbox: ScriptSandbox;
  private readonly notes: string[];
  private readonly killed: { pid: number; command: string; after: string }[] = [];
  private readonly failures: Failure[] = [];
  private readonly reported = new Set<string>();

  constructor(private readonly options: ScenarioIsolationOptions) {
    const probe = probeIsolation();
    this.sandbox = prepareSandbox({
      level: options.realDevices ? 'none' : probe.level,
      root: options.root,
      providerDir: options.providerDir,
      ...(options.scenario.installPath !== undefined ? { installPath: options.scenario.installPath } : {}),
      absoluteStubs: options.absoluteStubs,
      devices: options.scenario.devices ?? [],
      scratch: options.scenario.scratch ?? [],
      realDevices: options.realDevices,
    });
    this.notes = [...probe.reasons, ...(options.realDevices ? [REAL_STORAGE_NOTE] : []), ...this.sandbox.notContained];
  }

  /** The script of `action` and its working directory, as the sandbox shows the provider folder. */
  actionPaths(action: string): { script: string; cwd: string; hostScript: string } {
    return {
      script: join(this.sandbox.providerPath, action),
      cwd: this.sandbox.providerPath,
      hostScript: join(this.options.providerDir, action),
    };
  }

  /** Before a provider script runs: at level none, the provider folder as it is. */
  before(): FileSnapshot | null {
    return this.sandbox.level === 'none' ? snapshotFiles(this.options.providerDir) : null;
  }

  /** After a script ran: what it left and what it wrote where it must not. */
  after(
    label: string,
    snapshot: FileSnapshot | null,
    run: {
      readonly stderr: { readonly head: Uint8Array };
      readonly killed?: readonly { pid: number; command: string }[];
      readonly unmounted?: readonly string[];
    },
    providerScript: boolean,
  ): void {
    for (const k of run.killed ?? []) this.killed.push({ ...k, after: label });
    for (const what of run.unmounted ?? []) this.note(`not mounted (the run went on without it): ${what}`);
    if (!providerScript) return;
    let failure: Failure | null;
    if (snapshot !== null) {
      const changes = folderChanges(snapshot, snapshotFiles(this.options.providerDir)).filter(
        (change) => !this.reported.has(change),
      );
      for (const change of changes) this.reported.add(change);
      failure = providerWriteFailure(label, this.options.providerDir, changes);
    } else failure = readOnlyFailure(label, this.sandbox.providerPath, Buffer.from(run.stderr.head).toString('utf8'));
    if (failure !== null) this.failures.push(failure);
  }

  /** Every process left on the host that carries the scenario's marker or is an orphan in its folders. */
  private sweepHost(marker: string, id: string, sincePid: number): SweptProcess[] {
    const dirs = [this.options.providerDir, this.options.root].map((dir) => {
      try {
        return realpathSync(dir);
      } catch {
        return dir;
      }
    });
    return sweepUntilQuiet((signal) => [
      ...sweepProcesses(marker, id, sincePid, signal),
      ...sweepOrphans(dirs, sincePid, signal),
    ]);
  }

  private note(text: string): void {
    if (!this.notes.includes(text)) this.notes.push(text);
  }

  /** At the end of the scenario: every process it left is killed; the failures and the report. */
  finish(marker: string, id: string, sincePid: number): { failures: Failure[]; report: IsolationReport } {
    // Under bwrap and unshare every script ran as a PID namespace's processes, and the kernel
    // killed them all when that namespace's first process ended, at the end of each run (what the
    // waiter saw killed is in `killed` already): nothing of the scenario can be left to find, and
    // reading /proc (about 2 ms) would be a cost per scenario for nothing.
    const swept = this.sandbox.level === 'none' ? this.sweepHost(marker, id, sincePid) : [];
    const seen = new Set<number>();
    for (const p of swept) {
      if (seen.has(p.pid)) continue; // found by both sweeps
      seen.add(p.pid);
      this.killed.push({ ...p, after: 'the scenario' });
    }
    const commands = hostCommands(this.options.providerDir);
    const stubbed = new Set(Object.keys(this.options.scenario.stubs).filter((c) => c.startsWith('/')));
    const unstubbed = commands.filter((c) => !stubbed.has(c.slice(0, c.indexOf(' (')) || c));
    if (this.sandbox.level === 'none' && unstubbed.length > 0)
      this.note(`host commands run for real on this host (isolation none): ${unstubbed.join(', ')}`);
    return {
      failures: this.failures,
      report: { level: this.sandbox.level, notContained: this.notes, hostCommands: commands, killed: this.killed },
    };
  }
}
