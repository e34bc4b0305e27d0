// `npm start`: the main job. For now it shows `parse` and `check` at work on the examples in
// examples/, each with the verdict it is meant to get; it exits 1 if any verdict differs.

import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist/harness/cli.js');
const examples = join(root, 'examples');

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

function run(title: string, args: string[], key: string): boolean {
  process.stdout.write(`\n=== ${title}\n$ extstorage-kit ${args.map((a) => a.replace(root, '')).join(' ')}\n`);
  const result = spawnSync(process.execPath, [cli, ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
  const ok = result.status === expected[key];
  process.stdout.write(`--> exit ${result.status}${ok ? '' : ` (expected ${expected[key]})`}\n`);
  return ok;
}

let allAsExpected = true;
for (const file of readdirSync(join(examples, 'attach')).sort()) {
  const key = `attach/${file}`;
  allAsExpected = run(`attach output ${file}`, ['parse', '--file', join(examples, key)], key) && allAsExpected;
}
for (const dir of readdirSync(join(examples, 'providers')).sort()) {
  const key = `providers/${dir}`;
  allAsExpected = run(`provider directory ${dir}`, ['check', join(examples, key)], key) && allAsExpected;
}
const unknown = Object.keys(expected).length;
process.stdout.write(`\n${allAsExpected ? 'every example got the verdict it is meant to get' : 'SOME EXAMPLES GOT AN UNEXPECTED VERDICT'} (${unknown} examples)\n`);
process.exitCode = allAsExpected ? 0 : 1;
