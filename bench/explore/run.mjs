// Benchmark: `test --explore` with the simulators (issue 19, goal 5): script runs judged per
// second, for the kit's sound test provider over the losetup simulator and the three reference
// providers on their backend files, at a fixed seed. The goal: at least 50 a second on 2 cores.
// Also the no-false-alarm run: each reference provider must pass EXPLORE at N plans.
// With --jobs J1,J2,... each provider is run at each job count in turn (interleaved, so the load of
// the machine weighs on each alike); the same seed must play the same plans at every job count.
// Usage: node bench/explore/run.mjs [N] [SEED] [--jobs J1,J2,...]
//        (defaults 500, 1 and the number of CPUs; needs `npm run build`)

import '../clean-node-env.mjs'; // first: the environment every process here starts with
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist', 'harness', 'cli.js');
const { values, positionals } = parseArgs({ options: { jobs: { type: 'string' } }, allowPositionals: true });
const runs = positionals[0] ?? '500';
const seed = positionals[1] ?? '1';
for (const [name, value] of [
  ['N', runs],
  ['SEED', seed],
]) {
  if (!/^[0-9]+$/.test(value)) throw new Error(`${name} must be a whole number, got ${JSON.stringify(value)}`);
}
const jobCounts = (values.jobs ?? String(availableParallelism())).split(',');
for (const jobs of jobCounts) {
  if (!/^[1-9][0-9]*$/.test(jobs)) throw new Error(`--jobs takes job counts like 1,2; got ${JSON.stringify(jobs)}`);
}
const GOAL = 50;

const providers = [
  ['sound (test fixture, losetup)', 'test/fixtures/explore/sound', 'test/fixtures/explore/backend.yaml'],
  ['legacy (losetup)', 'dist/providers/legacy', 'providers/legacy/backend.yaml'],
  ['rbd (rbd)', 'dist/providers/rbd', 'providers/rbd/backend.yaml'],
  ['gluster (losetup)', 'dist/providers/gluster', 'providers/gluster/backend.yaml'],
];

const dir = mkdtempSync(join(tmpdir(), 'bench-explore-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true })); // also when a case fails
console.log(`test --explore ${runs} --seed ${seed} --only EXPLORE, ${availableParallelism()} cores\n`);
console.log('provider                        jobs  result  plans  runs   seconds  runs/s');
let allRan = true;
for (const [label, provider, backend] of providers) {
  for (const jobs of jobCounts) {
    const json = join(dir, 'report.json');
    const result = spawnSync(
      process.execPath,
      [
        cli,
        'test',
        join(root, provider),
        '--backend',
        join(root, backend),
        '--only',
        'EXPLORE',
        '--explore',
        runs,
        '--seed',
        seed,
        '--jobs',
        jobs,
        '--counterexample',
        join(dir, 'counterexample.yaml'),
        '--json',
        json,
      ],
      { encoding: 'utf8', cwd: dir },
    );
    if (result.status !== 0 && result.status !== 1) {
      allRan = false;
      console.log(
        `${label.padEnd(32)}${jobs.padStart(4)}  did not run (exit ${result.status}): ${result.stderr.trim().split('\n').pop()}`,
      );
      continue;
    }
    const report = JSON.parse(readFileSync(json, 'utf8')).explore;
    const rate = report.steps / (report.durationMs / 1000);
    const verdict = report.failure === null ? 'pass' : `FAIL ${report.failure.invariant.id}`;
    console.log(
      `${label.padEnd(32)}${jobs.padStart(4)}  ${verdict.padEnd(8)}${String(report.plans).padStart(5)}  ${String(report.steps).padStart(5)}  ${(report.durationMs / 1000).toFixed(1).padStart(7)}  ${rate.toFixed(1).padStart(6)}  ${rate >= GOAL ? 'goal met' : `below the goal of ${GOAL}/s`}`,
    );
    if (report.failure !== null)
      console.log(`    ${report.failure.message}\n    ${report.failure.operations.join('\n    ')}`);
  }
}
process.exitCode = allRan ? 0 : 1;
