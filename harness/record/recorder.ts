// Runs a provider's script once, for real, the way Ganeti does (the environment of
// harness/run/environment.ts, the invocation of harness/run/invoke.ts), with a pass-through spy
// first on PATH for every spied command, and collects what happened: the script's own output
// and exit, and every call it made to a spied command.

import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import tmp from 'tmp';
import type { Action } from '../provider/layout.js';
import {
  actionEnvironment,
  providerName,
  defaultNewSize,
  SYSTEM_PATH,
  type SandboxPaths,
  type VolumeState,
} from '../run/environment.js';
import { invokeScript, type InvokeResult } from '../run/invoke.js';
import { expandSandbox } from '../run/scenario-runner.js';
import type { StepInput } from '../scenario/model.js';
import { installSpies, readSpyLog, RECORD_PATH_VARIABLE, selectSpies, type RecordedCall } from './spies.js';

/** The volume as given on the command line (parameter values before ${SANDBOX} is expanded). */
export interface RecordedVolume {
  readonly name: string;
  readonly size: number;
  readonly cname?: string;
  readonly uuid: string;
  readonly params: Readonly<Record<string, string>>;
}

export interface RecordRequest {
  readonly providerDir: string;
  readonly action: Action;
  readonly volume: RecordedVolume;
  /** grow: VOL_NEW_SIZE. */
  readonly newSize?: number;
  /** Raw variables for the script (before ${SANDBOX} is expanded). */
  readonly env: Readonly<Record<string, string>>;
  readonly spy: readonly string[];
  readonly noSpy: readonly string[];
  readonly timeoutSeconds: number;
}

export interface Recording {
  readonly request: RecordRequest;
  /** The temporary directory the run had as ${SANDBOX} (HOME and TMPDIR are in it); removed since. */
  readonly sandboxRoot: string;
  /** The PATH spied on, after the spy directory. */
  readonly systemPath: string;
  readonly run: InvokeResult;
  /** Every call to a spied command, in the order they began (calls made by spied programs themselves excluded). */
  readonly calls: readonly RecordedCall[];
  /** How many commands were spied on. */
  readonly spiedCount: number;
  /** --spy names not found on the spied PATH. */
  readonly notFound: readonly string[];
}

/** Waits (up to 2 s) for spied calls still running, such as one the script started in the background. */
async function spiesDone(activeDir: string): Promise<void> {
  for (let waited = 0; waited < 2000; waited += 20) {
    try {
      if (readdirSync(activeDir).length === 0) return;
    } catch {
      return;
    }
    await sleep(20);
  }
}

/** The PATH spied on: the standard one, or EXTSTORAGE_KIT_RECORD_PATH (for tests). */
export function spiedSystemPath(env: NodeJS.ProcessEnv = process.env): string {
  const override = env[RECORD_PATH_VARIABLE];
  return override !== undefined && override !== '' ? override : SYSTEM_PATH;
}

export async function recordAction(request: RecordRequest, systemPath = spiedSystemPath()): Promise<Recording> {
  const sandbox = tmp.dirSync({ prefix: 'extstorage-kit-record-', unsafeCleanup: true });
  const root = sandbox.name;
  try {
    const selection = selectSpies(systemPath, request.spy, request.noSpy);
    const spies = installSpies(root, selection.commands);
    const paths: SandboxPaths = {
      id: randomUUID(),
      root,
      stubsDir: spies.spyDir,
      home: join(root, 'home'),
      tmp: join(root, 'tmp'),
    };
    for (const dir of [paths.home, paths.tmp, join(root, 'data')]) mkdirSync(dir);
    const expand = (values: Readonly<Record<string, string>>) =>
      Object.fromEntries(Object.entries(values).map(([k, v]) => [k, expandSandbox(v, root)]));
    const volume: VolumeState = {
      provider: providerName(request.providerDir),
      name: request.volume.name,
      size: request.volume.size,
      ...(request.volume.cname !== undefined ? { cname: request.volume.cname } : {}),
      uuid: request.volume.uuid,
      params: expand(request.volume.params),
    };
    const input: StepInput = {
      args: [],
      unset: [],
      env: {},
      ...(request.action === 'grow' ? { newSize: request.newSize ?? defaultNewSize(request.volume.size) } : {}),
    };
    const env = actionEnvironment(request.action, volume, input, expand(request.env), paths);
    env.PATH = `${spies.spyDir}:${systemPath}`;
    const run = await invokeScript({
      script: join(request.providerDir, request.action),
      args: [],
      cwd: request.providerDir,
      env,
      timeoutSeconds: request.timeoutSeconds,
      streamsAwaited: request.action === 'attach', // as Ganeti: only attach's output is read through pipes
    });
    await spiesDone(spies.activeDir);
    return {
      request,
      sandboxRoot: root,
      systemPath,
      run,
      calls: readSpyLog(spies),
      spiedCount: selection.commands.length,
      notFound: selection.notFound,
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
