// `extstorage-kit test`: the zero-config conformance suite (spec/conformance/) against any provider.

import { randomInt } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PACKAGE_ROOT } from '../build/reference.js';
import { EXIT, HELP_OPTION, UsageError, usageErrors, type Command } from '../cli/command.js';
import {
  RUNNER_OPTIONS,
  filterOption,
  interruptible,
  MAX_JOBS,
  positiveInteger,
  reporterOption,
  shardOption,
} from '../cli/options.js';
import { loadBackend, type Backend } from '../conformance/backend.js';
import { LiveRegistry } from '../conformance/live.js';
import { THROUGH_GANETI_HELP, throughGanetiLines, throughGanetiOption } from './through-ganeti.js';
import { checkIds, loadSuite, prepareScenario, SUITE_DIR } from '../conformance/suite.js';
import { buildVerdict, judgeCheckResult, renderVerdict, withCheck } from '../conformance/verdict.js';
import { counterexampleLine, exploreCheck, exploreReport } from '../explore/check.js';
import { explore, type ExploreOutcome } from '../explore/explore.js';
import { parseGanetiVersion, UnsupportedVersionError } from '../ganeti/versions.js';
import { checkProvider } from '../provider/check.js';
import { startIsolationProbe } from '../run/isolation/probe.js';
import { isProviderProject, projectBuild } from './provider-arg.js';
import {
  createReporters,
  jsonDocument,
  reportPathProblems,
  ReportWriteError,
  writeReportFile,
} from '../report/index.js';
import { BACKENDS } from '../backends.js';
import { runScenarios, type PlannedScenario } from '../run/runner.js';
import { formatFileError } from '../scenario/model.js';

const help = `Usage: extstorage-kit test <provider-dir> (--backend FILE | --live) [options]

Is this a correct Ganeti ExtStorage provider? Runs the built-in conformance
suite (spec/conformance/, one page per check in spec/conformance/checks/) with
no scenario of yours: the layout, usage messages, refusing a bad VOL_NAME,
attach output per Ganeti version and its lint, idempotent attach and detach,
the whole lifecycle, grow to VOL_NEW_SIZE, snapshot and open/close (skipped,
with the reason, when the optional script is missing), quiet stdout, no
process left holding stdout, no timeout. Every check has an id, a level (MUST:
Ganeti breaks otherwise; SHOULD: the man page asks for it; ADVICE) and the spec
section it enforces. It ends with a verdict: the Ganeti releases the attach
output works with, and every MUST that failed.

The backend, one of:
      --backend FILE   fake the storage: a YAML file with the keys volume
                       (params every volume gets), env, stubs (stateless: each
                       call is answered by the first entry that matches) and
                       simulate (rbd, losetup), as in scenario files
      --live           use the real storage the provider talks to (a test
                       cluster!): unique volume names per run, and every volume
                       a check may create is detached and removed afterwards,
                       last first, also after a failure or Ctrl-C

Options:
  -p, --param N=V      a disk parameter every volume gets (EXTP_<N>); repeatable;
                       over the backend file's volume.params
  -g, --ganeti V       Ganeti versions attach output must work with; repeatable
                       (default: 3.1)
      --only ID        run only this check (repeatable)
      --skip ID        do not run this check (repeatable)
      --allow-unverified ID
                       accept that this check could not be exercised with this
                       backend (repeatable; recorded in the report). Without
                       it, a MUST or SHOULD check that is "not verified" (e.g.
                       grow called no backend command, or remove was answered
                       by a stateless stub) makes the exit status 1
      --explore N      model-based exploration, the MUST check EXPLORE: N random
                       plans over 2-4 volumes (create, attach, detach, grow,
                       setinfo, verify, remove, and snapshot, open, close when
                       the provider has them, in orders Ganeti sends them),
                       some steps killed with SIGKILL before or after a backend
                       call or at a random time and retried, some meeting a
                       failing backend, some started together on two volumes;
                       --jobs plans at once (the same outcome at any count,
                       but where a kill at a random time decides);
                       after every step the simulators' state is checked
                       against a model (the invariants:
                       spec/conformance/EXPLORE.md). A failure is
                       shrunk and written as a scenario file that "run"
                       replays, printed on a line "counterexample: PATH (seed
                       S)". Needs a --backend that simulates (simulate:
                       [losetup] or [rbd]) without stubs. Try 200; with --only
                       EXPLORE nothing else runs
      --seed S         the exploration's seed (default: a new one, printed):
                       the same seed, provider and backend play the same plans
      --no-timed-kills no kill at a random time: a seed then gives the same
                       verdict and counterexample on any machine, at any load
                       (a kill at a random time lands where timing puts it)
      --counterexample FILE
                       where to write a counterexample (default:
                       extstorage-kit-counterexample-<seed>.yaml here)
      --idempotent-count N   attach runs in ATTACH-IDEMPOTENT (default: 5)
      --timeout S      seconds each script may take (default: 30)
${THROUGH_GANETI_HELP}
                       (spec/SPEC.md §11.2; docs/testing-in-ci.md)
  -j, --jobs N         checks (and --explore plans) run at once (default:
                       ${availableParallelism()}; 1 with --live)
      --shard I/N, --filter REGEX, --bail, --keep
      --reporter R     human (default), tap or tap13
      --junit FILE, --json FILE (the JSON gets a "conformance" verdict too)
  -h, --help           show this help

<provider-dir> may also be a provider project (provider.ts, e.g. providers/rbd
or one made by "new"): its build is tested.

Exit status: 0 every MUST and SHOULD check passed or was accepted with
--allow-unverified (ADVICE does not count), 1 one failed or is not verified,
2 usage error, a bad backend file or a report path that cannot be written, 74
a --junit or --json file could not be written after the run (its content was
saved to a file named on stderr), 130 interrupted.

Examples:
  extstorage-kit test ./my-provider --backend my-backend.yaml
  extstorage-kit test providers/rbd --backend providers/rbd/backend.yaml
  extstorage-kit test /srv/ganeti/extstorage/rbd --live -p pool=test --ganeti 2.16 --ganeti 3.1 \\
      --allow-unverified GROW-NEW-SIZE --allow-unverified BACKEND-FAILURE
  extstorage-kit test ./my-provider --backend b.yaml --only ATTACH-IDEMPOTENT --reporter tap
  extstorage-kit test ./my-provider --backend b.yaml --explore 20 --only EXPLORE
  extstorage-kit test ./my-provider --backend b.yaml --explore 20 --only EXPLORE --seed 42   # the same plans again
  extstorage-kit test providers/rbd --backend providers/rbd/backend.yaml -p userspace_only=true --through-ganeti
`;

/** The provider directory to test: a project (provider.ts) is tested through its build. */
function providerDirOf(arg: string): string {
  const dir = resolve(arg);
  // Before anything runs: a typo must not cost a whole suite of "cannot run" failures.
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${arg}: no such provider directory`);
  if (!isProviderProject(dir)) return dir;
  const built = projectBuild(arg);
  process.stderr.write(`testing the build of ${arg}: ${built}\n`);
  return built;
}

export const testCommand: Command = {
  name: 'test',
  help,
  async run(argv) {
    const { values, positionals } = usageErrors(() =>
      parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          ...HELP_OPTION,
          ...RUNNER_OPTIONS,
          backend: { type: 'string' },
          live: { type: 'boolean', default: false },
          param: { type: 'string', short: 'p', multiple: true },
          ganeti: { type: 'string', short: 'g', multiple: true },
          only: { type: 'string', multiple: true },
          'allow-unverified': { type: 'string', multiple: true },
          skip: { type: 'string', multiple: true },
          'idempotent-count': { type: 'string' },
          timeout: { type: 'string' },
          'through-ganeti': { type: 'boolean', default: false },
          explore: { type: 'string' },
          seed: { type: 'string' },
          counterexample: { type: 'string' },
          'no-timed-kills': { type: 'boolean', default: false },
        },
      }),
    );
    if (values.help) {
      process.stdout.write(help);
      return EXIT.ok;
    }
    if (positionals.length !== 1)
      throw new UsageError(
        positionals.length === 0 ? 'missing <provider-dir>' : `expected one <provider-dir>, got ${positionals.length}`,
      );
    if (values.live === (values.backend !== undefined))
      throw new UsageError('give either --backend FILE (fake storage) or --live (the real storage)');
    const reporterName = reporterOption(values.reporter);
    const throughGaneti = throughGanetiOption(values['through-ganeti']);
    const ganeti = values.ganeti ?? ['3.1'];
    for (const v of ganeti) {
      try {
        parseGanetiVersion(v);
      } catch (error) {
        if (error instanceof UnsupportedVersionError) throw new UsageError(error.message);
        throw error;
      }
    }
    const idempotentCount =
      values['idempotent-count'] === undefined ? 5 : positiveInteger('--idempotent-count', values['idempotent-count']);
    const timeoutSeconds = values.timeout === undefined ? 30 : positiveInteger('--timeout', values.timeout);
    const jobs =
      values.jobs === undefined
        ? values.live
          ? 1
          : availableParallelism()
        : positiveInteger('--jobs', values.jobs, MAX_JOBS);
    const filter = values.filter === undefined ? undefined : filterOption(values.filter);
    const shard = values.shard === undefined ? undefined : shardOption(values.shard);
    const reportProblems = reportPathProblems(
      [
        ['--junit', values.junit],
        ['--json', values.json],
      ],
      process.cwd(),
    );
    if (reportProblems.length > 0) throw new UsageError(reportProblems.join('; '));

    const exploreRuns = values.explore === undefined ? null : positiveInteger('--explore', values.explore);
    if (
      exploreRuns === null &&
      (values.seed !== undefined || values.counterexample !== undefined || values['no-timed-kills'])
    )
      throw new UsageError('--seed, --counterexample and --no-timed-kills go with --explore N');
    if (exploreRuns !== null && values.live) throw new UsageError('--explore needs a simulated --backend, not --live');
    const seed =
      values.seed === undefined
        ? randomInt(1, 2 ** 31 - 1)
        : values.seed === '0'
          ? 0
          : positiveInteger('--seed', values.seed, 2 ** 31 - 1);
    const providerDir = providerDirOf(positionals[0]!);
    // Which sandbox this machine allows, found while the provider and the suite are read.
    const probing = startIsolationProbe();
    const layout = checkProvider(providerDir);
    const suite = loadSuite();
    if (suite.errors.length > 0)
      throw new Error(`the built-in suite does not load:\n${suite.errors.map(formatFileError).join('\n')}`);
    const known = new Set([
      'LAYOUT-VALID',
      'LAYOUT-CLEAN',
      'PROCESS-LINGER',
      'PROCESS-TIMEOUT',
      ...checkIds(suite.scenarios),
      ...(exploreRuns !== null ? ['EXPLORE'] : []),
    ]);
    for (const id of [...(values.only ?? []), ...(values.skip ?? []), ...(values['allow-unverified'] ?? [])]) {
      if (!known.has(id))
        throw new UsageError(`unknown check ${JSON.stringify(id)}: the checks are ${[...known].join(', ')}`);
    }
    let backend: Backend | undefined;
    if (values.backend !== undefined) {
      const loaded = loadBackend(values.backend);
      if ('errors' in loaded) {
        for (const e of loaded.errors) process.stderr.write(`${formatFileError(e)}\n`);
        process.stderr.write(
          `${loaded.errors.length} error${loaded.errors.length > 1 ? 's' : ''} in the backend file; nothing was run\n`,
        );
        return EXIT.usage;
      }
      backend = loaded.backend;
    }

    const params: Record<string, string> = {};
    for (const text of values.param ?? []) {
      const eq = text.indexOf('=');
      if (eq < 1 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(text.slice(0, eq)))
        throw new UsageError(`--param takes NAME=VALUE, got ${JSON.stringify(text)}`);
      params[text.slice(0, eq)] = text.slice(eq + 1);
    }
    if (Object.keys(params).length > 0) {
      backend = {
        file: backend?.file ?? '(command line)',
        env: backend?.env ?? {},
        stubs: backend?.stubs ?? {},
        simulate: backend?.simulate ?? [],
        simulators: backend?.simulators ?? {},
        ...(backend?.size !== undefined ? { size: backend.size } : {}),
        params: { ...(backend?.params ?? {}), ...params },
      };
    }

    if (exploreRuns !== null) {
      const problem =
        backend === undefined || backend.simulate.length === 0
          ? 'a --backend file that simulates the storage (simulate: [losetup] or [rbd])'
          : Object.keys(backend.stubs).length > 0
            ? 'a backend without stubs (a stub answers the same whatever was done before: there is no state to check)'
            : null;
      if (problem !== null) throw new UsageError(`--explore needs ${problem}`);
    }
    const selected = (id: string) =>
      (values.only === undefined || values.only.includes(id)) && !(values.skip ?? []).includes(id);
    const registry = values.live ? new LiveRegistry() : undefined;
    const planned: PlannedScenario[] = [];
    const skippedIds = new Set<string>();
    suite.scenarios.forEach((scenario, serial) => {
      const id = scenario.check?.id ?? '';
      if (!selected(id)) {
        skippedIds.add(id);
        return;
      }
      const prepared = prepareScenario(scenario, serial, {
        ganeti,
        idempotentCount,
        timeoutSeconds,
        ...(backend ? { backend } : {}),
        ...(registry ? { livePrefix: registry.prefix } : {}),
      });
      registry?.register(prepared);
      planned.push({ scenario: prepared, providerDir });
    });
    for (const id of ['LAYOUT-VALID', 'LAYOUT-CLEAN', 'PROCESS-LINGER', 'PROCESS-TIMEOUT'])
      if (!selected(id)) skippedIds.add(id);

    // The JSON report carries the verdict, so it is written below, once the verdict is known.
    const reporter = createReporters({
      reporter: reporterName,
      ...(values.junit !== undefined ? { junit: values.junit } : {}),
      stdout: process.stdout,
      stderr: process.stderr,
      env: process.env,
      cwd: process.cwd(),
      // The suite's files are named as in the kit ("spec/conformance/attach.yaml"), wherever it is installed.
      listKilled: false, // the verdict lists them, by check
      // The suite's files are the kit's: a failing check is annotated on the provider's script.
      annotationPlace: (step) =>
        existsSync(join(providerDir, step.action))
          ? { file: join(providerDir, step.action), line: 1, col: 1 }
          : undefined,
      pathLabel: (file) => (file.startsWith(`${SUITE_DIR}/`) ? relative(PACKAGE_ROOT, file) : file),
    });
    // Set inside the callback, where TypeScript's flow analysis does not look.
    let interrupted = false as boolean;
    await probing;
    const summary = await interruptible(async (signal) => {
      try {
        return await runScenarios(planned, {
          jobs,
          bail: values.bail,
          keep: values.keep,
          ...(filter ? { filter } : {}),
          ...(shard ? { shard } : {}),
          reporter,
          backends: BACKENDS,
          providerLabel: providerDir,
          realDevices: values.live,
          ...(throughGaneti ? { throughGaneti } : {}),
          judge: (result) => judgeCheckResult(result, values.live),
          signal,
        });
      } finally {
        interrupted = signal.aborted;
        // Live volumes are cleaned up whatever happened: failures, Ctrl-C.
        if (registry && registry.size > 0) {
          process.stderr.write(`cleaning up ${registry.size} volume names of this run (detach, remove; last first)\n`);
          for (const outcome of await registry.cleanup(providerDir, timeoutSeconds)) {
            if (!outcome.ok) process.stderr.write(`  could not clean up ${outcome.volume}: ${outcome.message ?? ''}\n`);
          }
        }
      }
    });
    if (interrupted) return 130;
    const ran = new Set(summary.results.map((r) => r.check?.id));
    for (const id of checkIds(suite.scenarios)) if (!ran.has(id) && selected(id)) skippedIds.add(id);
    let verdict = buildVerdict(layout, suite.scenarios, summary, skippedIds, {
      live: values.live,
      allowUnverified: values['allow-unverified'] ?? [],
    });
    let explored: ExploreOutcome | undefined;
    if (exploreRuns !== null && backend !== undefined && selected('EXPLORE')) {
      const timedKills = !values['no-timed-kills'];
      process.stderr.write(
        `exploring: ${exploreRuns} plans over 2-4 volumes, seed ${seed}${timedKills ? '' : ', no kill at a random time'}\n`,
      );
      let shrinking = false; // said once: the plans tried while shrinking are not counted aloud
      explored = await explore(
        { providerDir, providerCheck: layout, backend, backends: BACKENDS, timeoutSeconds },
        {
          runs: exploreRuns,
          seed,
          jobs,
          timedKills,
          counterexample: values.counterexample ?? `extstorage-kit-counterexample-${seed}.yaml`,
          progress: (played, failing) => {
            if (shrinking) return;
            shrinking = failing;
            if (failing || played % 50 === 0)
              process.stderr.write(`  ${played} plans played${failing ? ': one failed, shrinking it' : ''}\n`);
          },
        },
      );
      if (explored.failure !== null)
        process.stdout.write(`${counterexampleLine(explored.failure.counterexample, explored.seed)}\n`);
      verdict = withCheck(verdict, exploreCheck(explored));
    }
    process.stdout.write(renderVerdict(verdict, reporterName !== 'human'));
    if (throughGaneti) for (const line of throughGanetiLines(throughGaneti, summary)) process.stderr.write(`${line}\n`);
    if (values.json !== undefined) {
      try {
        await writeReportFile(
          resolve(values.json),
          jsonDocument(summary, { conformance: verdict, ...(explored ? { explore: exploreReport(explored) } : {}) }),
        );
      } catch (error) {
        if (!(error instanceof ReportWriteError)) throw error;
        process.stderr.write(`${error.message}\n`);
        return EXIT.report;
      }
    }
    if (reporter.writeErrors.length > 0) return EXIT.report;
    return verdict.passed ? EXIT.ok : EXIT.failed;
  },
};
