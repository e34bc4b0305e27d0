// `npm start`, the main job: the conformance suite against every reference provider (built into
// dist/providers/, on the simulated backends in providers/<name>/backend.yaml), then each one's own
// scenario suite in one run and one report, then `parse` and `check` on the examples in examples/.
// Exits 1 when a check or scenario fails or an example does not get the verdict it is meant to get.

import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REFERENCE_PROVIDERS } from '../harness/build/reference.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist/harness/cli.js');
const examples = join(root, 'examples');

function run(args: string[]): number | null {
  process.stdout.write(`\n$ extstorage-kit ${args.map((a) => a.replace(root, '')).join(' ')}\n`);
  return spawnSync(process.execPath, [cli, ...args], { stdio: ['ignore', 'inherit', 'inherit'], cwd: root }).status;
}

let conformant = true;
for (const name of REFERENCE_PROVIDERS) {
  process.stdout.write(`=== The conformance suite against the ${name} provider\n`);
  const code = run([
    'test',
    join('providers', name),
    '--backend',
    join('providers', name, 'backend.yaml'),
    '--ganeti',
    '2.16',
    '--ganeti',
    '3.1',
  ]);
  conformant = code === 0 && conformant;
}

process.stdout.write('\n=== The reference providers through their own scenario suites\n');
const suites = REFERENCE_PROVIDERS.map((name) => join('providers', name, 'scenarios'));
const scenariosPassed = run(['run', ...suites]) === 0;

// The exit code each example should give: 0 accepted / valid, 1 rejected / invalid.
const expected: Record<string, number> = {
  'attach/legacy-single-line.out': 0,
  'attach/rbd-device-and-uri.out': 1,
  'attach/gluster-userspace-only.out': 1,
  'attach/crlf-broken.out': 1,
  'attach/missing-prefix.out': 1,
  'providers/echo-legacy': 0,
  'providers/half-installed': 1,
};
process.stdout.write('\n=== parse and check on the examples in examples/\n');
const unexpected: string[] = [];
for (const file of readdirSync(join(examples, 'attach')).sort()) {
  const key = `attach/${file}`;
  if (run(['parse', '--file', join(examples, key)]) !== expected[key]) unexpected.push(key);
}
for (const dir of readdirSync(join(examples, 'providers')).sort()) {
  const key = `providers/${dir}`;
  if (run(['check', join(examples, key)]) !== expected[key]) unexpected.push(key);
}

process.stdout.write(
  `\n${conformant ? 'every reference provider passed the conformance suite' : 'A REFERENCE PROVIDER FAILED THE CONFORMANCE SUITE'}; ` +
    `${scenariosPassed ? 'every reference scenario passed' : 'REFERENCE SCENARIOS FAILED (see above)'}; ` +
    `${unexpected.length === 0 ? `every example got its verdict (${Object.keys(expected).length})` : `UNEXPECTED VERDICTS: ${unexpected.join(', ')}`}\n`,
);
process.exitCode = conformant && scenariosPassed && unexpected.length === 0 ? 0 : 1;
