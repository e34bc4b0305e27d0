#!/usr/bin/env node
// bench/simulate (issue #14, goals 1 and 2): what a simulated backend call costs, and the rbd
// reference provider's scenarios and conformance suite, for this build and optionally another one
// (a copy of an older build: its dist/, spec/, providers/ and package.json, node_modules linked),
// interleaved in one run so load drifts hit both alike.
//
//   call     one `rbd ls` on a simulated Ceph, spawned as a provider spawns it; median of 20
//   suite    node dist/harness/cli.js run providers/rbd/scenarios --jobs 2; median of 3
//   test     node dist/harness/cli.js test providers/rbd --backend providers/rbd/backend.yaml; median of 3
//   sh       /bin/sh -c 'exit 0' spawned the same way: the floor for any executable on PATH
// Goals: call <= 5 ms, suite <= 3 s, test <= 2 s. Reported, not asserted; the exit status is 0 when
// everything ran and 1 when something failed to run.
//
// Usage (after npm run build): node bench/simulate/run.mjs [--base DIR] [--reps N]

import '../clean-node-env.mjs'; // first: the environment every process here starts with
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { base: { type: 'string' }, reps: { type: 'string', default: '3' } } });
const reps = Number(values.reps);
if (!Number.isInteger(reps) || reps < 1) {
  console.error(`--reps must be a positive integer, got ${JSON.stringify(values.reps)}`);
  process.exit(2);
}
const builds = [['this', fileURLToPath(new URL('../..', import.meta.url))]];
if (values.base !== undefined) builds.push(['base', values.base]);
for (const [, dir] of builds) {
  if (!existsSync(join(dir, 'dist', 'harness', 'cli.js'))) {
    console.error(`${dir}/dist/harness/cli.js is missing: build it first (npm run build)`);
    process.exit(2);
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Wall time of one asynchronous spawn to its exit, in ms; throws when it fails. */
function timed(file, args, options) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let stderr = '';
    child.stdout.resume();
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(performance.now() - started);
      else
        reject(
          new Error(`${file} ${args.join(' ')} exited ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`),
        );
    });
  });
}

/** Median of 20 simulated `rbd ls` calls in a fresh sandbox folder of `dir`'s build. */
async function oneCall(dir) {
  const install = await import(pathToFileURL(join(dir, 'dist', 'harness', 'simulate', 'install.js')).href);
  const root = mkdtempSync(join(tmpdir(), 'esk-bench-sim-'));
  try {
    const simulators = { rbd: { pools: ['rbd'], images: [], devices: 16, release: 'reef', fail: [] } };
    install.installSimulators(
      simulators,
      root,
      join(root, 'stubs'),
      join(root, 'stub-state', 'calls.jsonl'),
      'ESK_BENCH',
    );
    const env = { PATH: `${join(root, 'stubs')}:/usr/bin:/bin`, LC_ALL: 'C' };
    await timed('rbd', ['ls'], { env }); // the first call may wait for a server to start
    const times = [];
    for (let i = 0; i < 20; i++) times.push(await timed('rbd', ['ls'], { env }));
    return median(times);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function shFloor() {
  const times = [];
  for (let i = 0; i < 20; i++) times.push(await timed('/bin/sh', ['-c', 'exit 0'], {}));
  return median(times);
}

const cli = (dir, args) => timed(process.execPath, [join(dir, 'dist', 'harness', 'cli.js'), ...args], { cwd: dir });

const figures = Object.fromEntries(builds.map(([name]) => [name, { call: [], suite: [], test: [] }]));
const floor = [];
let failed = false;
for (let rep = 0; rep < reps; rep++) {
  floor.push(await shFloor());
  for (const [name, dir] of builds) {
    try {
      figures[name].call.push(await oneCall(dir));
      figures[name].suite.push(await cli(dir, ['run', 'providers/rbd/scenarios', '--jobs', '2']));
      figures[name].test.push(
        await cli(dir, ['test', 'providers/rbd', '--backend', 'providers/rbd/backend.yaml', '--jobs', '2']),
      );
    } catch (error) {
      console.error(`bench: ${name}: ${error.message}`);
      failed = true;
    }
  }
}

const load = spawnSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).stdout.trim();
console.log(`bench/simulate: ${reps} rep(s), load average at the end: ${load}`);
console.log(`  /bin/sh -c 'exit 0' (floor): ${median(floor).toFixed(1)} ms`);
const row = (label, key, unit, goal) => {
  const cells = builds.map(([name]) => {
    const xs = figures[name][key];
    return xs.length
      ? `${name} ${(unit === 's' ? median(xs) / 1000 : median(xs)).toFixed(unit === 's' ? 2 : 1)} ${unit}`
      : `${name} -`;
  });
  const mine = figures.this[key];
  const met = mine.length
    ? (unit === 's' ? median(mine) / 1000 : median(mine)) <= goal
      ? 'met'
      : 'missed'
    : 'not run';
  const ratio =
    builds.length > 1 && mine.length && figures.base[key].length
      ? `, base/this ${(median(figures.base[key]) / median(mine)).toFixed(1)}x`
      : '';
  console.log(`  ${label}: ${cells.join(', ')}${ratio} (goal <= ${goal} ${unit}: ${met})`);
};
row('one simulated call (median of 20)', 'call', 'ms', 5);
row('rbd scenarios, --jobs 2', 'suite', 's', 3);
row('test of the rbd provider', 'test', 's', 2);
process.exit(failed ? 1 : 0);
