#!/usr/bin/env node
// Start-up of the command line against Node's own (issue 14, goal 3: `run` starts in <= 2x
// `node -e 0`). In one run, interleaved round by round so drift hits all alike, it times:
//   node -e 0                                  Node alone
//   extstorage-kit --version / --help          the CLI entry and nothing else
//   extstorage-kit run PROVIDER one.yaml       one attach scenario: the time until the provider's
//                                              attach script starts (it writes `date +%s%N` first
//                                              thing) and the whole run
// for this repository's build and, with --baseline DIR, for another build (e.g. main's) too, and
// prints the medians and their ratios to `node -e 0`. Figures are reported, not asserted: the exit
// status is 0 when everything ran, 1 when a command failed or the attach script left no stamp.
//
// Usage: node bench/startup/run.mjs [--baseline DIR] [--runs N=15]
//   DIR: a checkout with its own build (DIR/dist/harness/cli.js); see bench/README.md.

import '../clean-node-env.mjs'; // first: the environment every process here starts with
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = resolve(here, '..', '..');

function fail(message) {
  process.stderr.write(`bench/startup: ${message}\n`);
  process.exit(1);
}

let values;
try {
  ({ values } = parseArgs({ options: { baseline: { type: 'string' }, runs: { type: 'string', default: '15' } } }));
} catch (error) {
  fail(`${error.message}\nusage: node bench/startup/run.mjs [--baseline DIR] [--runs N=15]`);
}
if (!/^[1-9]\d*$/.test(values.runs)) fail(`--runs takes a whole number from 1, got ${JSON.stringify(values.runs)}`);
const runs = Number(values.runs);

const builds = [{ label: 'this build', cli: join(repo, 'dist', 'harness', 'cli.js') }];
if (values.baseline !== undefined)
  builds.unshift({ label: 'baseline', cli: join(resolve(values.baseline), 'dist', 'harness', 'cli.js') });
for (const build of builds) {
  if (!existsSync(build.cli)) fail(`no build at ${build.cli} (run "npm run build" there first)`);
}

// The provider: the harness benchmark's shell provider, with an attach that stamps its start.
const work = mkdtempSync(join(tmpdir(), 'bench-startup-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
const provider = join(work, 'provider');
const stamp = join(work, 'attach-started');
cpSync(join(repo, 'bench', 'harness', 'provider'), provider, { recursive: true });
writeFileSync(
  join(provider, 'attach'),
  `#!/bin/sh\n# Stamps its start (ns since the epoch), then prints the device and the KVM URI.\ndate +%s%N >'${stamp}'\nprintf '/dev/%s/%s\\nkvm:bench:%s/%s\\n' "$EXTP_POOL" "$VOL_NAME" "$EXTP_POOL" "$VOL_NAME"\n`,
);
chmodSync(join(provider, 'attach'), 0o755);
const scenario = join(work, 'one.yaml');
writeFileSync(
  scenario,
  [
    'scenarios:',
    '  - name: attach vol1',
    '    volume: { name: vol1, uuid: 00000000-0000-4000-8000-000000000001, params: { pool: bench } }',
    '    steps:',
    '      - action: attach',
    '        expect: { exit: 0, device: /dev/bench/vol1, uris: { kvm: "bench:bench/vol1" } }',
    '',
  ].join('\n'),
);

/** Wall-clock milliseconds with sub-millisecond precision, comparable with `date +%s%N`. */
const now = () => performance.timeOrigin + performance.now();

/** Runs argv with Node, checks it exits 0; the milliseconds it took and, for run, until attach started. */
function time(argv, stamped) {
  rmSync(stamp, { force: true });
  const start = now();
  const result = spawnSync(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const total = now() - start;
  if (result.status !== 0)
    fail(`node ${argv.join(' ')} exited ${result.status ?? result.signal}:\n${result.stdout}${result.stderr}`);
  if (!stamped) return { total };
  if (!existsSync(stamp)) fail(`node ${argv.join(' ')}: the attach script wrote no stamp at ${stamp}`);
  return { total, first: Number(readFileSync(stamp, 'utf8').trim()) / 1e6 - start };
}

const rows = [{ label: 'node -e 0', argv: ['-e', '0'], key: 'total' }];
for (const { label, cli } of builds) {
  rows.push(
    { label: `${label}: --version`, argv: [cli, '--version'], key: 'total' },
    { label: `${label}: --help`, argv: [cli, '--help'], key: 'total' },
    { label: `${label}: run, until attach starts`, argv: [cli, 'run', provider, scenario], key: 'first' },
    { label: `${label}: run, whole`, argv: [cli, 'run', provider, scenario], key: 'total', same: true },
  );
}
const samples = rows.map(() => []);
for (let round = 0; round < runs; round++) {
  let last;
  rows.forEach((row, i) => {
    // "run, whole" is the same process as "run, until attach starts": one spawn gives both.
    if (!row.same) last = time(row.argv, row.key === 'first');
    samples[i].push(last[row.key]);
  });
}

const median = (list) => {
  const sorted = [...list].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const medians = samples.map(median);
const node = medians[0];
process.stdout.write(`Node ${process.version}, ${runs} runs each, medians:\n\n`);
process.stdout.write('| what | ms | / node -e 0 |\n|---|---:|---:|\n');
rows.forEach((row, i) =>
  process.stdout.write(`| ${row.label} | ${medians[i].toFixed(1)} | ${(medians[i] / node).toFixed(2)} |\n`),
);
const firstOf = (label) => medians[rows.findIndex((r) => r.label === `${label}: run, until attach starts`)];
const ratio = firstOf('this build') / node;
process.stdout.write(
  `\nrun until attach starts / node -e 0: ${ratio.toFixed(2)} (goal <= 2: ${ratio <= 2 ? 'met' : 'not met'})\n`,
);
if (values.baseline !== undefined)
  process.stdout.write(
    `baseline / this build, run until attach starts: ${(firstOf('baseline') / firstOf('this build')).toFixed(2)}\n`,
  );
