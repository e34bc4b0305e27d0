// `--through-ganeti`: a step's script run through Ganeti's own storage code instead of directly.
// The program the sandbox runs is then Ganeti's Python with the bridge (ganeti-bridge/run_action.py),
// which finds the provider where Ganeti looks for it (a search path of the sandbox's own, naming
// the provider's folder), lets Ganeti build the environment and run the script, and reports what
// Ganeti did. What Ganeti did is then compared with what the kit predicts for the same step.

import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { constants } from 'node:os';
import type { GanetiInstallation } from '../ganeti-bridge/installation.js';
import { disagreements, readBridgeReport } from '../ganeti-bridge/report.js';
import type { Action } from '../provider/layout.js';
import type { StepInput } from '../scenario/model.js';
import { completeBytes } from './capture.js';
import type { VolumeState } from './environment.js';
import { bridgeRequest, notExpressible } from './ganeti-request.js';
import type { InvokeResult } from './invoke.js';
import type { Failure, GanetiRunRecord } from './result.js';

/** The sandbox's folder for Ganeti's side: search path, Ganeti's script logs, the bridge's reports. */
export const GANETI_FOLDER = '.ganeti';

export interface GanetiPlan {
  readonly script: string;
  readonly args: readonly string[];
  /** The node daemon's working directory: a relative device path is resolved from there. */
  readonly cwd: string;
  /** The kit's environment without the part Ganeti builds (VOL_*, EXTP_*): Ganeti adds its own. */
  readonly env: Record<string, string>;
  readonly reportFile: string;
}

const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, number]) => [number, name]));

/** One scenario's way through Ganeti: made once, used by each of its action steps. */
export class GanetiSteps {
  private readonly searchPath: string;
  private readonly logDir: string;
  private reports = 0;

  constructor(
    private readonly installation: GanetiInstallation,
    private readonly root: string,
    /** The provider's folder as the sandbox shows it to the scripts. */
    providerPath: string,
    provider: string,
    /** The devices the scripts see are a simulator's stand-ins (files), which Ganeti's stat() never takes for block devices. */
    private readonly standInDevices: boolean,
  ) {
    this.searchPath = join(root, GANETI_FOLDER, 'extstorage');
    this.logDir = join(root, GANETI_FOLDER, 'log');
    mkdirSync(this.searchPath, { recursive: true });
    mkdirSync(this.logDir, { recursive: true });
    // Ganeti knows a provider by its folder's name in the search path: the same name as the kit's.
    symlinkSync(providerPath, join(this.searchPath, provider));
  }

  /** How to run this step through Ganeti, or why the kit must run it itself. */
  plan(
    action: Action,
    volume: VolumeState,
    input: StepInput,
    kitEnv: Readonly<Record<string, string>>,
  ): GanetiPlan | { readonly direct: string } {
    const reason = notExpressible(input);
    if (reason !== null) return { direct: `run by the kit: Ganeti cannot run this step, ${reason}` };
    const reportFile = join(this.root, GANETI_FOLDER, `report-${++this.reports}.json`);
    const request = bridgeRequest(action, volume, input, {
      lib: this.installation.lib,
      searchPath: this.searchPath,
      logDir: this.logDir,
      report: reportFile,
    });
    const env = Object.fromEntries(
      Object.entries(kitEnv).filter(([name]) => !name.startsWith('VOL_') && !name.startsWith('EXTP_')),
    );
    return {
      script: this.installation.python,
      args: [this.installation.bridge, JSON.stringify(request)],
      cwd: '/',
      env,
      reportFile,
    };
  }

  /** The run as the script's (its exit status and signal), what Ganeti did, and the kit's defects it shows. */
  settle(
    plan: GanetiPlan,
    action: Action,
    kitEnv: Readonly<Record<string, string>>,
    run: InvokeResult,
    /** The step expects attach to succeed, in every release it names (no rejected_by). */
    expectsAccepted: boolean,
  ): { run: InvokeResult; record: GanetiRunRecord; failures: Failure[]; notObserved: string[] } {
    const release = this.installation.release;
    if (run.fault !== undefined) return { run, record: { release, disagreements: [] }, failures: [], notObserved: [] };
    const report = readBridgeReport(plan.reportFile);
    if ('problem' in report) {
      const said = Buffer.from(run.stderr.head).toString('utf8').trim().split('\n').slice(-5).join('\n');
      return {
        run,
        record: { release, disagreements: [] },
        failures: [
          {
            message: `--through-ganeti: Ganeti's code did not run the step: ${report.problem}`,
            ...(said ? { actual: said } : {}),
          },
        ],
        notObserved: [],
      };
    }
    const script = report.scripts.find((s) => s.script === action);
    const signal = script?.signal ? (SIGNAL_NAMES.get(script.signal) ?? `signal ${script.signal}`) : null;
    const settled: InvokeResult = script?.signal ? { ...run, exitCode: null, signal } : run;
    const found: string[] = [];
    if (script === undefined && report.raised !== null)
      // Ganeti refused before running anything (it rejects the provider): the kit's check let it run.
      found.push(`Ganeti ran no ${action} script: ${report.raised.type}: ${report.raised.message}`);
    else
      found.push(...disagreements(report, action, kitEnv, completeBytes(run.stdout), this.installation.modelVersion));
    const raised = report.raised === null ? {} : { raised: `${report.raised.type}: ${report.raised.message}` };
    const failures: Failure[] = [];
    if (script?.raised !== undefined)
      failures.push({ message: `Ganeti ${release} failed on the ${action} script's output: ${script.raised}` });
    if (found.length > 0)
      failures.push({
        message: `kit defect: Ganeti ${release}'s own code and the kit's model disagree on this step (the provider is not at fault; please report it)`,
        actual: found.join('\n'),
      });
    // A simulator's device is a file in the sandbox: Ganeti refusing it says nothing about the provider.
    const refused = report.attach?.attached === false ? report.attach : null;
    const standIn =
      this.standInDevices && refused !== null && (refused.probe === 'not-block' || refused.probe === 'missing');
    const notObserved = standIn
      ? [
          `${action}: Ganeti's acceptance of the device (its stat() of ${JSON.stringify(refused.dev_path)} finds a simulator's stand-in, not a block device; --live or --real gives it a real one)`,
        ]
      : [];
    if (refused !== null && !standIn && expectsAccepted) {
      // Ganeti's own verdict on this output, whatever the kit's model said: its reason is in its log.
      const reason = [...report.logged].reverse().find((line) => line.startsWith('ERROR: '));
      failures.push({
        message: `Ganeti ${release} refused attach's output (the node daemon's call would fail)`,
        actual: reason === undefined ? 'Ganeti logged no reason' : reason.slice('ERROR: '.length),
      });
    }
    return { run: settled, record: { release, disagreements: found, ...raised }, failures, notObserved };
  }
}
