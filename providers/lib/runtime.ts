// The entry point every action script of a provider runs: usage on -h/--help or unexpected
// arguments, the environment validated before anything happens, the volume locked, then the
// action. Diagnostics go to stderr; stdout carries only the contract (attach's answer).

import { writeSync } from 'node:fs';
import { readEnvironment, type Action, type ActionEnvironment } from './environment.js';
import { isSystemError, ProviderError, why } from './errors.js';
import { note, setDiagnosticPrefix } from './diagnostics.js';
import { withVolumeLock } from './lock.js';
import type { ParameterSpec } from './parameters.js';

/** Returns what the action prints on stdout (attach, snapshot), or nothing for the quiet actions. */
// eslint-disable-next-line @typescript-eslint/no-invalid-void-type -- a quiet action is a plain function with no return
export type ActionHandler = (env: ActionEnvironment, args: readonly string[]) => string | void;

export interface ProviderDefinition {
  readonly name: string;
  /** One line: what the provider stores volumes in. */
  readonly summary: string;
  readonly parameters: readonly ParameterSpec[];
  readonly actions: Readonly<Record<Action, ActionHandler>>;
  /** verify's checks by name; `verify` with no argument runs them all. */
  readonly checks: Readonly<Record<string, string>>;
}

const WHAT: Readonly<Record<Action, string>> = {
  create: 'create the volume VOL_NAME of VOL_SIZE MiB; never overwrites an existing one',
  attach: 'make the volume visible on this node and print where it is (device path, then any URI lines)',
  detach: 'undo attach; succeeds when nothing is attached',
  remove: 'detach and delete the volume and its data; succeeds when it is already gone',
  grow: 'grow the volume from VOL_SIZE to VOL_NEW_SIZE MiB; never shrinks',
  setinfo: 'store VOL_METADATA with the volume',
  verify: 'check that this node can serve volumes (arguments name checks; none means all)',
  snapshot: 'copy the volume into a new volume named VOL_SNAPSHOT_NAME',
  open: 'make the volume ready for I/O (VOL_OPEN_EXCLUSIVE: True or False)',
  close: 'stop I/O on the volume',
};

const VARIABLES: Readonly<Record<Action, string>> = {
  create: 'VOL_NAME VOL_SIZE [VOL_CNAME VOL_UUID]',
  attach: 'VOL_NAME [VOL_CNAME VOL_UUID]',
  detach: 'VOL_NAME [VOL_CNAME VOL_UUID]',
  remove: 'VOL_NAME [VOL_CNAME VOL_UUID]',
  grow: 'VOL_NAME VOL_SIZE VOL_NEW_SIZE [VOL_CNAME VOL_UUID]',
  setinfo: 'VOL_NAME VOL_METADATA [VOL_CNAME VOL_UUID]',
  verify: 'VOL_NAME',
  snapshot: 'VOL_NAME VOL_SNAPSHOT_NAME [VOL_SNAPSHOT_SIZE]',
  open: 'VOL_NAME [VOL_OPEN_EXCLUSIVE VOL_CNAME VOL_UUID]',
  close: 'VOL_NAME [VOL_CNAME VOL_UUID]',
};

export function usage(def: ProviderDefinition, action: Action): string {
  const params = def.parameters
    .map(
      (p) =>
        `  EXTP_${p.name.toUpperCase().padEnd(16)} ${p.description}${p.required ? ' (required)' : p.default !== undefined ? ` (default: ${p.default})` : ''}`,
    )
    .join('\n');
  const checks =
    action === 'verify'
      ? `\nChecks:\n${Object.entries(def.checks)
          .map(([n, d]) => `  ${n.padEnd(22)} ${d}`)
          .join('\n')}\n`
      : '';
  return `Usage: ${action}${action === 'verify' ? ' [CHECK]...' : ''}
${def.name} ExtStorage provider for Ganeti: ${def.summary}.
Ganeti runs this script with no arguments to ${WHAT[action]}.
Environment: ${VARIABLES[action]}, and the disk parameters below.
Parameters (set per disk: gnt-instance add --disk 0:size=10G,provider=${def.name},<name>=<value>):
${params || '  (none)'}
${checks}`;
}

function fail(def: ProviderDefinition, action: Action, message: string, code: number): never {
  process.stderr.write(`${def.name} ${action}: ${message}\n`);
  process.exit(code);
}

/** @public Runs `action` of `def` in this process and exits: each bundled action's whole body. */
export function runAction(
  def: ProviderDefinition,
  action: Action,
  argv = process.argv.slice(2),
  env = process.env,
): never {
  if (argv.includes('-h') || argv.includes('--help')) {
    process.stderr.write(usage(def, action));
    process.exit(0);
  }
  if (argv.length > 0 && action !== 'verify') {
    process.stderr.write(
      `${def.name} ${action}: unexpected argument ${JSON.stringify(argv[0])}: Ganeti passes none\n${usage(def, action)}`,
    );
    process.exit(2);
  }
  const unknownCheck = action === 'verify' ? argv.find((a) => !(a in def.checks)) : undefined;
  if (unknownCheck !== undefined) {
    process.stderr.write(`${def.name} verify: unknown check ${JSON.stringify(unknownCheck)}\n${usage(def, action)}`);
    process.exit(2);
  }
  setDiagnosticPrefix(def.name, action);
  try {
    const environment = readEnvironment(action, def.parameters, env);
    const handler = def.actions[action];
    const answer =
      action === 'verify'
        ? handler(environment, argv)
        : withVolumeLock(def.name, environment.volume, () => handler(environment, argv), { onWait: note });
    if (typeof answer === 'string' && answer !== '') writeSync(1, answer);
  } catch (error) {
    if (error instanceof ProviderError) fail(def, action, error.message, error.exitCode);
    // A file operation no action wrapped still gets one line that says where and why, no stack.
    if (isSystemError(error)) fail(def, action, `${error.message.replace(/^\w+: [^,]*, /, '')}: ${why(error)}`, 1);
    fail(def, action, `internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, 1);
  }
  process.exit(0);
}
