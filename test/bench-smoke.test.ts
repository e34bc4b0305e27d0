// Every benchmark in bench/ runs to its end at its smallest size, on this build, and prints the
// figures its goals are judged by. Nothing else runs them between the sessions that quote their
// figures, so a benchmark broken by a change elsewhere (a provider that grew a check, a renamed
// option) would otherwise be found only when someone wants its numbers. Figures are not judged
// here: timing goals live in the benchmarks, not in tests.

import { join } from 'node:path';
import t from 'tap';
import { REPO_ROOT } from './helpers/cli.js';
import { authorEnv, sh, shown } from './helpers/install.js';

interface Bench {
  readonly name: string;
  readonly argv: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Lines the run must print: the figures its goals are judged by. */
  readonly prints: readonly RegExp[];
}

const node = process.execPath;
const BENCHES: readonly Bench[] = [
  {
    name: 'harness: run against a shell loop and bats',
    argv: ['bash', join(REPO_ROOT, 'bench', 'harness', 'run.sh')],
    env: { BENCH_N: '4', BENCH_REPS: '1' },
    prints: [
      /^ {2}harness\/loop \(--jobs 2\) +\d+\.\d+ +goal <= 1 /m,
      // Where bubblewrap cannot run, the contained loop says it was skipped.
      /^ {2}(harness\/loop with bwrap per run \(--jobs 2\) +\d+\.\d+ +\(info\)|loop, bwrap per run +skipped)/m,
      /^ {2}peak RSS of the harness, MB/m,
    ],
  },
  {
    name: 'startup: the command line against node -e 0',
    argv: [node, join(REPO_ROOT, 'bench', 'startup', 'run.mjs'), '--runs', '1'],
    prints: [/^run until attach starts \/ node -e 0: \d+\.\d+ \(goal <= 2/m],
  },
  {
    name: 'simulate: one simulated call, the rbd scenarios and suite',
    argv: [node, join(REPO_ROOT, 'bench', 'simulate', 'run.mjs'), '--reps', '1'],
    prints: [
      /one simulated call \(median of \d+\): this \d+\.\d ms/,
      /rbd scenarios, --jobs 2: this \d+\.\d+ s/,
      /test of the rbd provider: this \d+\.\d+ s/,
    ],
  },
  {
    name: 'provider-latency: the built providers’ attach against node -e 0',
    argv: [node, join(REPO_ROOT, 'bench', 'provider-latency', 'run.mjs'), '2'],
    prints: [/^rbd attach +\d+\.\d +\d+\.\d\dx$/m, /^gluster attach +\d+\.\d/m, /^goal: attach at most 1\.30x/m],
  },
  {
    name: 'explore: script runs judged per second, no false alarm',
    argv: [node, join(REPO_ROOT, 'bench', 'explore', 'run.mjs'), '3', '1', '--jobs', '1'],
    // Every provider passes: the reference providers have no false alarm, the sound one neither.
    prints: [/^sound .* 1 {2}pass /m, /^legacy .* 1 {2}pass /m, /^rbd .* 1 {2}pass /m, /^gluster .* 1 {2}pass /m],
  },
  {
    name: 'loader-fuzz: the loader against mutants of the real scenario files',
    argv: [node, join(REPO_ROOT, 'bench', 'loader-fuzz', 'run.mjs'), '40', '1'],
    prints: [/byte flips/],
  },
];

for (const bench of BENCHES) {
  t.test(bench.name, async (t) => {
    // Through `env -i`: tap's hooks would otherwise load into every Node process a benchmark starts.
    const r = sh(bench.argv[0]!, bench.argv.slice(1), REPO_ROOT, authorEnv(bench.env));
    t.equal(r.code, 0, `${bench.argv.join(' ')} ran to its end\n${shown(r)}`);
    for (const line of bench.prints) t.match(r.stdout, line);
  });
}
