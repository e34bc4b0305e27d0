// `extstorage-kit run`: put a provider through YAML scenarios, exactly as Ganeti would call it.

import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { EXIT, HELP_OPTION, UsageError, usageErrors, type Command } from '../cli/command.js';
import { ACTIONS, PARAMETERS_FILE } from '../provider/layout.js';
import { createReporters, reportPathProblems } from '../report/index.js';
import { BACKENDS } from '../backends.js';
import { runScenarios, selectScenarios, type PlannedScenario } from '../run/runner.js';
import {
  RUNNER_OPTIONS,
  filterOption,
  interruptible,
  MAX_JOBS,
  positiveInteger,
  reporterOption,
  shardOption,
} from '../cli/options.js';
import { startIsolationProbe } from '../run/isolation/probe.js';
import { loadScenarioPaths } from '../scenario/load.js';
import { isProviderProject, projectBuild } from './provider-arg.js';
import { THROUGH_GANETI_HELP, throughGanetiLines, throughGanetiOption } from './through-ganeti.js';
import { displayPath } from '../text/display-path.js';
import { formatFileError } from '../scenario/model.js';

const help = `Usage: extstorage-kit run [<provider-dir>] <scenario file or dir>... [options]

Runs a provider's scripts through YAML scenarios exactly as Ganeti calls them:
no arguments, the provider directory as working directory, stdin closed,
LC_ALL=C and the VOL_* / EXTP_* variables Ganeti builds for each action, on a
minimal environment that is the same on every machine. Stubbed commands
(stubs:) come first on PATH and answer from the scenario's plan. Each scenario
runs in its own temporary directory, in parallel with the others.

A directory argument means every *.yaml/*.yml file below it. With a provider
directory alone, its scenarios/ folder is run. A provider project (provider.ts,
e.g. providers/rbd or one made by "new") stands for its build, with its
scenarios/ by default. Without a provider directory, each file's "provider:"
key names it (relative to the file).
Scenario format: spec/SCENARIOS.md (JSON Schema: spec/scenario.schema.json).

Options:
      --provider DIR   the provider directory (same as the first argument)
  -j, --jobs N         scenarios run at once (default: ${availableParallelism()}, the CPU count)
      --filter REGEX   only scenarios whose name (or "file: name") matches
      --shard I/N      only the I-th of N equal parts (CI matrices), e.g. 2/4
      --bail           start no new scenario after the first failure
      --keep           keep each scenario's sandbox directory (shown in reports)
      --reporter R     human (default), tap (TAP version 14 on stdout), or tap13
                       (the same with a version 13 line, for prove < 3.48)
      --junit FILE     also write a JUnit XML report to FILE
      --json FILE      also write the full results as JSON to FILE
                       (report paths are checked before the run; missing
                       folders are made only inside the working directory)
      --real NAME      run the real NAME (rbd or losetup) and its storage where
                       scenarios simulate it, with the same expectations:
                       the starting state is made for real, expect.simulated
                       reads the real state, and what the scenario made is
                       removed afterwards. A scenario the real backend cannot
                       take (injected failures, another host) is skipped,
                       saying why. Needs a test cluster (the pools a scenario
                       names must be empty) and root for losetup. Repeatable;
                       implies --jobs 1 (spec/SCENARIOS.md §12.7)
      --host-devices   the scenarios use the host's real storage and devices
                       (no simulator stands in, e.g. real loop devices): no
                       sandbox hides /dev from them; every result says the
                       host was not contained (spec/SCENARIOS.md §14)
${THROUGH_GANETI_HELP}
                       (spec/SPEC.md §11.2)
  -h, --help           show this help
GitHub Actions annotations are written when GITHUB_ACTIONS=true.

Exit status: 0 every scenario passed (or was skipped), 1 a scenario failed,
2 usage error or an error in a scenario file (reported as file:line:col,
before anything runs, a report path that cannot be written included), 74 a
--junit or --json file could not be written after the run (its content was
saved to a file named on stderr), 130 interrupted.

Examples:
  extstorage-kit run ./my-provider ./my-provider/scenarios
  extstorage-kit run providers/rbd
  extstorage-kit run ./my-provider attach.yaml --filter idempot --keep
  extstorage-kit run ./my-provider tests/ --reporter tap --junit report.xml
  extstorage-kit run ./my-provider tests/ --shard 1/3 --jobs 4
  extstorage-kit run providers/rbd --real rbd      # on a node of a test cluster
  extstorage-kit run providers/legacy --through-ganeti  # where Ganeti is installed
`;

/** A directory that holds an ExtStorage script or parameters.list. */
function looksLikeProvider(path: string): boolean {
  try {
    return statSync(path).isDirectory() && [...ACTIONS, PARAMETERS_FILE].some((f) => existsSync(join(path, f)));
  } catch {
    return false;
  }
}

export const runCommand: Command = {
  name: 'run',
  help,
  async run(argv) {
    const { values, positionals } = usageErrors(() =>
      parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          ...HELP_OPTION,
          ...RUNNER_OPTIONS,
          provider: { type: 'string' },
          real: { type: 'string', multiple: true },
          'host-devices': { type: 'boolean', default: false },
          'through-ganeti': { type: 'boolean', default: false },
        },
      }),
    );
    if (values.help) {
      process.stdout.write(help);
      return EXIT.ok;
    }
    const reporterName = reporterOption(values.reporter);
    const real = (values.real ?? []).map((name) => {
      if (name !== 'rbd' && name !== 'losetup')
        throw new UsageError(`--real takes rbd or losetup (the simulated commands), got ${JSON.stringify(name)}`);
      return name;
    });
    // Real backends are shared by every scenario: one at a time, so their states stay apart.
    const jobs =
      values.jobs === undefined
        ? real.length > 0
          ? 1
          : availableParallelism()
        : positiveInteger('--jobs', values.jobs, MAX_JOBS);
    if (real.length > 0 && jobs > 1)
      throw new UsageError(`--real runs one scenario at a time (the real backend is shared); drop --jobs ${jobs}`);
    const ganeti = throughGanetiOption(values['through-ganeti']);
    const filter = values.filter === undefined ? undefined : filterOption(values.filter);
    const shard = values.shard === undefined ? undefined : shardOption(values.shard);

    let provider = values.provider;
    let paths = positionals;
    // A provider project stands for its build, and its scenarios/ are the default.
    let project: string | undefined;
    if (provider !== undefined && isProviderProject(provider)) project = provider;
    else if (provider === undefined && paths.length > 0 && isProviderProject(paths[0]!)) {
      project = paths[0]!;
      paths = paths.slice(1);
    }
    if (project !== undefined) {
      provider = projectBuild(project);
      if (paths.length === 0 && existsSync(join(project, 'scenarios'))) paths = [join(project, 'scenarios')];
    }
    if (provider === undefined && paths.length > 0 && looksLikeProvider(paths[0]!)) {
      provider = paths[0]!;
      paths = paths.slice(1);
    }
    if (provider !== undefined && !looksLikeProvider(provider)) {
      throw new UsageError(
        `${displayPath(provider)} is not a provider directory (it holds no ExtStorage script and no ${PARAMETERS_FILE})`,
      );
    }
    if (paths.length === 0) {
      if (provider !== undefined && existsSync(join(provider, 'scenarios'))) paths = [join(provider, 'scenarios')];
      else throw new UsageError('no scenario file or directory given');
    }

    const reportProblems = reportPathProblems(
      [
        ['--junit', values.junit],
        ['--json', values.json],
      ],
      process.cwd(),
    );
    if (reportProblems.length > 0) throw new UsageError(reportProblems.join('; '));

    // Which sandbox this machine allows, found while the scenarios are read (harness/run/isolation).
    const probing = startIsolationProbe();
    const loaded = loadScenarioPaths(paths);
    const errors = [...loaded.errors];
    const planned: PlannedScenario[] = [];
    for (const file of loaded.files) {
      const dir = provider ?? file.provider;
      if (dir === undefined) {
        errors.push({
          position: { file: file.file, line: 1, col: 1 },
          message: 'no provider: give <provider-dir> on the command line or "provider:" in this file',
        });
        continue;
      }
      for (const scenario of file.scenarios) planned.push({ scenario, providerDir: resolve(dir) });
    }
    if (errors.length > 0) {
      for (const error of errors) process.stderr.write(`${formatFileError(error)}\n`);
      process.stderr.write(
        `${errors.length} error${errors.length > 1 ? 's' : ''} in scenario files; nothing was run\n`,
      );
      return EXIT.usage;
    }
    if (planned.length === 0) throw new UsageError(`no scenario found in ${paths.join(', ')}`);
    // A filter that selects nothing is a typo, not a pass.
    if (filter && selectScenarios(planned, filter).length === 0) {
      throw new UsageError(`--filter ${JSON.stringify(values.filter)} matches none of the ${planned.length} scenarios`);
    }

    const reporter = createReporters({
      reporter: reporterName,
      ...(values.junit !== undefined ? { junit: values.junit } : {}),
      ...(values.json !== undefined ? { json: values.json } : {}),
      stdout: process.stdout,
      stderr: process.stderr,
      env: process.env,
      cwd: process.cwd(),
    });
    await probing;
    return interruptible(async (signal) => {
      const summary = await runScenarios(planned, {
        jobs,
        bail: values.bail,
        keep: values.keep,
        ...(filter ? { filter } : {}),
        ...(shard ? { shard } : {}),
        reporter,
        backends: BACKENDS,
        ...(real.length > 0 ? { real } : {}),
        ...(values['host-devices'] ? { realDevices: true } : {}),
        ...(ganeti ? { throughGaneti: ganeti } : {}),
        providerLabel: provider ?? [...new Set(planned.map((p) => p.providerDir))].join(', '),
        signal,
      });
      if (signal.aborted) return 130;
      if (ganeti) for (const line of throughGanetiLines(ganeti, summary)) process.stderr.write(`${line}\n`);
      if (reporter.writeErrors.length > 0) return EXIT.report;
      return summary.failed > 0 ? EXIT.failed : EXIT.ok;
    });
  },
};
