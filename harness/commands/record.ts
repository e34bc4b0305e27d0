// `extstorage-kit record`: run a provider's script once for real with every command it calls
// spied on, and write a scenario that replays those calls with stubs and expects what it did.

import { randomUUID } from 'node:crypto';

import { dirname, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isProviderProject, projectBuild } from './provider-arg.js';
import { EXIT, HELP_OPTION, UsageError, usageErrors, type Command } from '../cli/command.js';
import { checkProvider } from '../provider/check.js';
import { ACTIONS, isAction, OPTIONAL_SCRIPTS, type OptionalScript } from '../provider/layout.js';
import { compileMasks } from '../record/mask.js';
import { reportPathProblem, ReportWriteError, writeReportFile } from '../report/index.js';
import { recordAction, type RecordedVolume, type RecordRequest } from '../record/recorder.js';
import { writeScenario } from '../record/scenario-writer.js';
import { RECORD_PATH_VARIABLE, STUBBABLE_NAME } from '../record/spies.js';
import { killAllRunning } from '../run/invoke.js';
import { parseDuration, parseScenarioText } from '../scenario/load.js';
import { formatFileError } from '../scenario/model.js';
import { SCHEMA_PATH } from '../scenario/schema.js';

const DEFAULT_TIMEOUT = '60s';

const help = `Usage: extstorage-kit record <provider-dir> --action A [options]

Runs the provider's script for action A once, for real, exactly as Ganeti
runs it (no arguments, the provider directory as working directory, stdin
closed, LC_ALL=C, the VOL_* and EXTP_* variables of the action, on the same
minimal environment as "run"), with every command it calls wrapped by a
pass-through spy: the real program runs with the same arguments, stdin and
environment, its stdout, stderr and exit status (or signal) reach the script
unchanged, and the call is recorded. Then it writes a scenario file whose
stubs replay exactly those calls, in order, and whose expect holds what the
script did (exit status, stdout, stderr, the commands called; for attach the
device, the URIs and which Ganeti versions accept the output), so that
  extstorage-kit run <provider-dir> <file>
passes against the same provider on any machine, with no storage at all.

Spied by default: every executable on the standard PATH
(/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin) except basic
utilities that are no storage backend (shells, cat, sed, grep, awk, cut, tr,
sort, head, tail, mkdir, rm, cp, mv, ln, ls, chmod, stat, date, sleep, mktemp,
find, dd, flock, logger, xargs, timeout, python3, perl, node and the like).
Calls made by a spied program itself are passed through, not recorded. A
command the script calls by absolute path (/sbin/losetup) bypasses PATH and
cannot be caught: it runs unrecorded, and on replay it runs for real.

Options:
  -a, --action A          create attach detach remove grow setinfo verify
                          snapshot open close (required)
      --volume NAME       VOL_NAME (default: a new "<uuid>.ext.disk0")
      --size MiB          the volume's size, VOL_SIZE for create and grow
                          (default 1024)
      --new-size MiB      grow only: VOL_NEW_SIZE (default: size + 1024)
      --cname NAME        VOL_CNAME (default: not set)
      --uuid UUID         VOL_UUID (default: a new random UUID)
      --param NAME=VALUE  an ext parameter: EXTP_<NAME> (repeatable)
      --env NAME=VALUE    a raw variable for the script, not PATH (repeatable)
      --spy CMD           spy on CMD too, e.g. a basic utility (repeatable)
      --no-spy CMD        do not spy on CMD: it runs for real on replay too
                          (repeatable)
      --mask REGEX        hide every match in the recorded arguments and
                          output, the script's output and the volume and
                          environment values: written as ***, matched on
                          replay by {regex: ...} that accept anything there
                          (repeatable; for keys, passwords)
      --timeout D         time limit for the script, e.g. 90s, 5m (default
                          ${DEFAULT_TIMEOUT}); past it the whole process group is killed
  -o, --output FILE       write the scenario to FILE (default: stdout); a
                          one-line summary goes to stderr. Missing folders
                          are made inside the working directory
  -h, --help              show this help
In values of --param and --env, \${SANDBOX} stands for the run's temporary
directory (HOME and TMPDIR are in it), as in scenarios.
For tests, ${RECORD_PATH_VARIABLE} replaces the standard PATH above.

Text that is not valid UTF-8 cannot go into YAML exactly: a stub prints U+FFFD
in place of such bytes (and the script's output, which may differ on replay,
is then not checked), and of the script's own output only the valid text is
checked (contains). A call killed by a signal is replayed as exit 128+N.
Comments in the file say where.

Exit status: 0 the recording was made (whatever the script's exit status:
it is recorded), 1 the script could not be run (the provider is not valid,
the script is missing, it timed out or left a process holding its output),
2 usage error.

Examples:
  extstorage-kit record /srv/ganeti/extstorage/rbd --action attach \\
      --volume vol1 --param pool=rbd -o scenarios/attach.yaml
  extstorage-kit record ./my-provider -a grow --volume vol1 --size 1024 \\
      --new-size 2048 --param pool=fast --mask 'AQ[A-Za-z0-9+/]{36}=='
  extstorage-kit record ./my-provider -a attach --volume vol1 --no-spy ssh
  extstorage-kit run ./my-provider scenarios/attach.yaml
`;

function positiveInteger(option: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[0-9]+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`${option} takes a size in MiB, a whole number of at least 1; got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

function assignments(
  option: string,
  values: readonly string[] | undefined,
  check: (name: string) => string | null,
): Record<string, string> {
  const result: Record<string, string> = {};
  for (const value of values ?? []) {
    const at = value.indexOf('=');
    const name = at < 0 ? '' : value.slice(0, at);
    if (at <= 0) throw new UsageError(`${option} takes NAME=VALUE, got ${JSON.stringify(value)}`);
    const problem = check(name);
    if (problem !== null) throw new UsageError(`${option} ${JSON.stringify(value)}: ${problem}`);
    result[name] = value.slice(at + 1);
  }
  return result;
}

function commandNames(option: string, values: readonly string[] | undefined): string[] {
  for (const name of values ?? []) {
    if (!STUBBABLE_NAME.test(name)) {
      throw new UsageError(
        `${option} takes a command name (letters, digits and _ . + -, not starting with . + or -), got ${JSON.stringify(name)}`,
      );
    }
  }
  return [...(values ?? [])];
}

/** The first line: $schema relative to the output file, or where the schema is when writing to stdout. */
function schemaLine(output: string | undefined): string {
  if (output === undefined) {
    return `# JSON Schema for editors: put "# yaml-language-server: $schema=<path>" here, <path> leading to ${SCHEMA_PATH}`;
  }
  const path = relative(dirname(resolve(output)), SCHEMA_PATH)
    .split('\\')
    .join('/');
  return `# yaml-language-server: $schema=${path}`;
}

export const recordCommand: Command = {
  name: 'record',
  help,
  async run(argv) {
    const { values, positionals } = usageErrors(() =>
      parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          ...HELP_OPTION,
          action: { type: 'string', short: 'a' },
          volume: { type: 'string' },
          size: { type: 'string' },
          'new-size': { type: 'string' },
          cname: { type: 'string' },
          uuid: { type: 'string' },
          param: { type: 'string', multiple: true },
          env: { type: 'string', multiple: true },
          spy: { type: 'string', multiple: true },
          'no-spy': { type: 'string', multiple: true },
          mask: { type: 'string', multiple: true },
          timeout: { type: 'string' },
          output: { type: 'string', short: 'o' },
        },
      }),
    );
    if (values.help) {
      process.stdout.write(help);
      return EXIT.ok;
    }
    if (positionals.length !== 1) {
      throw new UsageError(
        positionals.length === 0 ? 'missing <provider-dir>' : `expected one <provider-dir>, got ${positionals.length}`,
      );
    }
    const action = values.action;
    if (action === undefined) throw new UsageError('missing --action: one of ' + ACTIONS.join(' '));
    if (!isAction(action))
      throw new UsageError(`unknown action ${JSON.stringify(action)}: expected one of ${ACTIONS.join(', ')}`);
    const size = positiveInteger('--size', values.size) ?? 1024;
    const newSize = positiveInteger('--new-size', values['new-size']);
    if (newSize !== undefined && action !== 'grow')
      throw new UsageError(
        `--new-size applies to grow only (Ganeti sends VOL_NEW_SIZE to grow alone), not to ${action}`,
      );
    for (const [option, value] of [
      ['--volume', values.volume],
      ['--uuid', values.uuid],
    ] as const) {
      if (value === '') throw new UsageError(`${option} must not be empty`);
    }
    const params = assignments('--param', values.param, (name) =>
      /[\s=]/.test(name) ? 'a parameter name has no whitespace and no "="' : null,
    );
    const env = assignments('--env', values.env, (name) => {
      if (name.includes('\0')) return 'a variable name has no NUL';
      if (name === 'PATH')
        return 'PATH is not yours to set: on replay the stubs must come first on it (the script may add directories itself)';
      return null;
    });
    const spy = commandNames('--spy', values.spy);
    const noSpy = commandNames('--no-spy', values['no-spy']);
    const timeoutSeconds = parseDuration(values.timeout ?? DEFAULT_TIMEOUT);
    if (timeoutSeconds === undefined)
      throw new UsageError(`--timeout takes a duration such as 90s, 500ms, 5m; got ${JSON.stringify(values.timeout)}`);
    let masks;
    try {
      masks = compileMasks(values.mask ?? []);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }

    if (values.output !== undefined) {
      const problem = reportPathProblem(values.output, process.cwd());
      if (problem !== null) throw new UsageError(`--output ${problem}`);
    }

    // A provider project records through its build (its scripts are there).
    const providerDir = isProviderProject(positionals[0]!) ? projectBuild(positionals[0]!) : resolve(positionals[0]!);
    const fail = (message: string) => {
      process.stderr.write(`extstorage-kit record: ${message}\n`);
      return EXIT.failed;
    };
    const check = checkProvider(providerDir);
    if (!check.valid) {
      const reasons = check.problems.filter((p) => p.severity === 'error').map((p) => `  ${p.file}: ${p.message}`);
      return fail(`${positionals[0]} is not a provider Ganeti would load, so nothing was run:\n${reasons.join('\n')}`);
    }
    if ((OPTIONAL_SCRIPTS as readonly string[]).includes(action) && !check.optional[action as OptionalScript]) {
      return fail(`the provider has no ${action} script (optional: Ganeti would skip the action), so nothing was run`);
    }
    const declared = new Set(check.parameters.map((p) => p.name.toUpperCase()));
    for (const name of Object.keys(params)) {
      if (!declared.has(name.toUpperCase())) {
        process.stderr.write(
          `extstorage-kit record: warning: parameter ${name} is not declared in parameters.list (Ganeti would refuse it)\n`,
        );
      }
    }

    const volume: RecordedVolume = {
      name: values.volume ?? `${randomUUID()}.ext.disk0`,
      size,
      ...(values.cname !== undefined ? { cname: values.cname } : {}),
      uuid: values.uuid ?? randomUUID(),
      params,
    };
    const request: RecordRequest = {
      providerDir,
      action,
      volume,
      ...(newSize !== undefined ? { newSize } : {}),
      env,
      spy,
      noSpy,
      timeoutSeconds,
    };

    const onInterrupt = () => {
      process.stderr.write('\ninterrupted: killing the script\n');
      killAllRunning();
      process.exit(130);
    };
    process.once('SIGINT', onInterrupt);
    process.once('SIGTERM', onInterrupt);
    let recording;
    try {
      recording = await recordAction(request);
    } finally {
      process.off('SIGINT', onInterrupt);
      process.off('SIGTERM', onInterrupt);
    }
    for (const name of recording.notFound) {
      process.stderr.write(
        `extstorage-kit record: warning: --spy ${name}: not found on ${recording.systemPath}, not spied\n`,
      );
    }
    const fault = recording.run.fault;
    if (fault !== undefined) {
      const why =
        fault.kind === 'timeout'
          ? `${action} did not finish within ${fault.seconds}s; its process group was killed`
          : fault.kind === 'lingering'
            ? `${action} exited, but a process it started kept its ${fault.stream} open (Ganeti would wait forever); it was killed`
            : fault.kind === 'spawn'
              ? fault.message
              : `${action} was killed at backend call ${fault.call}`;
      return fail(`${why}: nothing was written`);
    }

    const written = writeScenario(recording, {
      masks,
      schemaLine: schemaLine(values.output),
      providerLabel: providerDir,
      recordedAt: new Date(),
    });
    // What is written must load: a failure here is a bug of the writer, not of the provider.
    const loaded = parseScenarioText(written.text, values.output ?? '<stdout>');
    if ('errors' in loaded) {
      throw new Error(
        `the recorded scenario does not load:\n${loaded.errors.map(formatFileError).join('\n')}\n${written.text}`,
      );
    }
    if (values.output !== undefined) {
      try {
        await writeReportFile(resolve(values.output), written.text);
      } catch (error) {
        // The recording is not lost: it was saved elsewhere, and the message says where.
        if (error instanceof ReportWriteError) return fail(error.message);
        throw error;
      }
    } else {
      process.stdout.write(written.text);
    }
    for (const note of written.notes) process.stderr.write(`extstorage-kit record: note: ${note}\n`);
    process.stderr.write(summary(recording, values.output) + '\n');
    return EXIT.ok;
  },
};

function summary(recording: Awaited<ReturnType<typeof recordAction>>, output: string | undefined): string {
  const { run, calls, request } = recording;
  const counts = new Map<string, number>();
  for (const call of calls) counts.set(call.command, (counts.get(call.command) ?? 0) + 1);
  const perCommand =
    counts.size === 0 ? 'no call to a spied command' : [...counts].map(([command, n]) => `${command} ${n}`).join(', ');
  const status = run.signal !== null ? `killed by ${run.signal}` : `exit ${run.exitCode}`;
  return `recorded ${request.action}: ${status}; calls: ${perCommand} (${recording.spiedCount} commands spied)${output !== undefined ? `; written to ${output}` : ''}`;
}
