#!/usr/bin/env node
// Where the harness's time goes per scenario: replays what runScenario in
// dist/harness/run/scenario-runner.js does (the same exported functions in the same order, one
// scenario at a time; written against commit bd21256, so keep it in step when runScenario
// changes) with a timer around each phase, and prints the mean per scenario. A diagnostic for
// bench/README.md; it does not replace the benchmark (run.sh times the real CLI).
//
// Usage: node bench/harness/phases.mjs SCENARIO-FILE [PROVIDER-DIR]   (after npm run build)
//   e.g. BENCH_KEEP=1 bash bench/harness/run.sh, then the attach.yaml of the kept work directory,
//   or: node bench/harness/generate.mjs /tmp/b bench/harness/provider && node bench/harness/phases.mjs /tmp/b/attach.yaml

import '../clean-node-env.mjs'; // first: the environment every process here starts with
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = resolve(here, '../../dist/harness');
const load = async (p) => import(pathToFileURL(join(dist, p)).href);

const [file, providerArg = join(here, 'provider')] = process.argv.slice(2);
if (file === undefined) {
  process.stderr.write('usage: node phases.mjs SCENARIO-FILE [PROVIDER-DIR]\n');
  process.exit(2);
}

const t = () => performance.now();
const t0 = t();
const { loadScenarioPaths } = await load('scenario/load.js');
const { checkProvider } = await load('provider/check.js');
const { actionEnvironment, SANDBOX_MARKER } = await load('run/environment.js');
const { judgeStep } = await load('run/expect.js');
const { invokeScript } = await load('run/invoke.js');
const { callMark, callsSince, installStubs, unusedStubFailures } = await load('run/stubs.js');
const { sweepProcesses } = await load('run/sweep.js');
const { jsonDocument } = await load('report/json.js');
const tmp = (await import(pathToFileURL(resolve(here, '../../node_modules/tmp/lib/tmp.js')).href)).default;
const tImport = t() - t0;

const t1 = t();
const loaded = loadScenarioPaths([file]);
if (loaded.errors.length > 0) throw new Error(`scenario file errors: ${JSON.stringify(loaded.errors)}`);
const scenarios = loaded.files.flatMap((f) => f.scenarios);
const tLoad = t() - t1;
const providerDir = resolve(providerArg);
checkProvider(providerDir); // the runner checks each provider once before its scenarios: part of the cost measured

const phases = new Map();
const add = (name, ms) => phases.set(name, (phases.get(name) ?? 0) + ms);
const results = [];
let scriptMs = 0;
let failures = 0;
const tRun = t();
for (const scenario of scenarios) {
  let s = t();
  const sandbox = tmp.dirSync({ prefix: 'extstorage-kit-', unsafeCleanup: true, keep: false });
  const id = randomUUID();
  const paths = {
    id,
    root: sandbox.name,
    stubsDir: join(sandbox.name, 'stubs'),
    home: join(sandbox.name, 'home'),
    tmp: join(sandbox.name, 'tmp'),
  };
  mkdirSync(paths.home);
  mkdirSync(paths.tmp);
  mkdirSync(join(sandbox.name, 'data'));
  add('1 sandbox: tmp.dirSync + mkdir home, tmp, data', t() - s);

  s = t();
  const stubs = installStubs(scenario.stubs, sandbox.name, SANDBOX_MARKER);
  const volume = {
    name: scenario.volume.name ?? `${randomUUID()}.ext.disk0`,
    size: scenario.volume.size,
    uuid: scenario.volume.uuid ?? randomUUID(),
    params: scenario.volume.params,
  };
  add('2 installStubs (no stubs: 2 mkdir, 2 writeFile)', t() - s);

  const steps = [];
  for (const step of scenario.steps) {
    const runs = [];
    for (let i = 0; i < step.repeat; i++) {
      s = t();
      const env = actionEnvironment(step.action, volume, step.input, scenario.env, paths);
      const mark = callMark(stubs);
      add('3 actionEnvironment + callMark (read calls.jsonl)', t() - s);

      s = t();
      const run = await invokeScript({
        script: join(providerDir, step.action),
        args: step.input.args,
        cwd: providerDir,
        env,
        timeoutSeconds: step.timeout,
      });
      add('4 invokeScript (execa spawn .. exit, streams closed)', t() - s);
      scriptMs += run.durationMs;

      s = t();
      const shownEnv = Object.fromEntries(Object.entries(env).filter(([k]) => k !== SANDBOX_MARKER));
      runs.push({ ...run, env: shownEnv, calls: callsSince(stubs, mark) });
      add('5 callsSince (read calls.jsonl)', t() - s);
    }
    s = t();
    const verdict = judgeStep(step, runs);
    if (verdict.failures.length > 0) failures++;
    steps.push({
      status: verdict.failures.length === 0 ? 'pass' : 'fail',
      runs,
      failures: verdict.failures,
      compatibility: verdict.compatibility,
    });
    add('6 judgeStep (checks, Ganeti 3.1 verdict, compat row)', t() - s);
  }
  s = t();
  unusedStubFailures(stubs);
  add('7 unusedStubFailures', t() - s);

  s = t();
  sweepProcesses(SANDBOX_MARKER, id);
  add('8 sweepProcesses (/proc scan)', t() - s);

  s = t();
  sandbox.removeCallback();
  add('9 sandbox.removeCallback (rimraf)', t() - s);
  results.push({ file: scenario.file, name: scenario.name, status: 'pass', steps, failures: [] });
}
const runMs = t() - tRun;

const s = t();
jsonDocument({
  provider: providerDir,
  results,
  passed: results.length,
  failed: 0,
  skipped: 0,
  notRun: 0,
  durationMs: runMs,
});
const tJson = t() - s;

const n = scenarios.length;
const line = (name, ms) =>
  console.log(`  ${name.padEnd(58)} ${ms.toFixed(0).padStart(7)} ms ${(ms / n).toFixed(3).padStart(8)} ms/scenario`);
console.log(`${n} scenarios of ${file}, one at a time${failures ? `, ${failures} FAILED` : ''}`);
line('import the harness modules (once)', tImport);
line('load + validate the scenario file (once)', tLoad);
for (const [name, ms] of [...phases.entries()].sort()) line(name, ms);
line('  of which in the script runs (sum of durationMs)', scriptMs);
const measured = [...phases.values()].reduce((a, b) => a + b, 0);
line('unmeasured (loop, awaits)', runMs - measured);
line('JSON report document (once)', tJson);
line('total scenario loop', runMs);
