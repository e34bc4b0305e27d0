#!/usr/bin/env node
// bench/provider-latency: each built provider's attach against `node -e 0`, in the same run.
//
// The backend is faked by tiny shell scripts (losetup, rbd) that print what the real tools print
// for an attached volume, so the figure is the provider's own cost: Node's start-up, loading the
// bundle, validating the environment, taking the lock, one backend call, printing. (The kit's
// scenario simulators are Node programs themselves and would be counted too.)
// Goal (issue #4): attach at most 1.3x Node's own start-up. Usage: node bench/provider-latency/run.mjs [runs]

import '../clean-node-env.mjs'; // first: the environment every process here starts with
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const runs = Number(process.argv[2] ?? 60);
const built = join(root, 'dist', 'providers');
if (!existsSync(join(built, 'legacy', 'attach'))) {
  console.error('dist/providers is missing: run "npm run build" first');
  process.exit(2);
}

const scratch = mkdtempSync(join(tmpdir(), 'esk-latency-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true })); // also when a case fails
const bin = join(scratch, 'bin');
const images = join(scratch, 'images');
mkdirSync(bin);
mkdirSync(join(images, 'ganeti'), { recursive: true });
writeFileSync(join(images, 'vol1.img'), '');
writeFileSync(join(images, 'ganeti', 'vol1.img'), '');
const fake = (name, body) => {
  writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
  chmodSync(join(bin, name), 0o755);
};
fake('losetup', `printf '/dev/loop3: [2049]:1311 (%s)\\n' "$2"`);
fake('rbd', `printf '[{"id":"0","pool":"rbd","namespace":"","name":"vol1","snap":"-","device":"/dev/rbd0"}]\\n'`);

const baseEnv = {
  PATH: `${bin}:/usr/sbin:/usr/bin:/sbin:/bin`,
  LC_ALL: 'C',
  VOL_NAME: 'vol1',
  HOME: scratch,
  TMPDIR: scratch,
};
const cases = [
  { label: 'node -e 0', argv: [process.execPath, '-e', '0'], env: baseEnv },
  { label: 'legacy attach', argv: [join(built, 'legacy', 'attach')], env: { ...baseEnv, EXTP_DIR: images } },
  { label: 'rbd attach', argv: [join(built, 'rbd', 'attach')], env: baseEnv },
  {
    label: 'gluster attach',
    argv: [join(built, 'gluster', 'attach')],
    env: { ...baseEnv, EXTP_VOLUME: 'gv0', EXTP_MOUNTPOINT: images, EXTP_CHECK_MOUNT: 'false' },
  },
  {
    label: 'gluster attach (userspace)',
    argv: [join(built, 'gluster', 'attach')],
    env: { ...baseEnv, EXTP_VOLUME: 'gv0', EXTP_USERSPACE_ONLY: 'true' },
  },
];

function once({ argv, env }) {
  const start = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr}`);
  return ms;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const times = new Map(cases.map((c) => [c.label, []]));
for (const c of cases) once(c); // warm the page cache
for (let i = 0; i < runs; i++) for (const c of cases) times.get(c.label).push(once(c)); // interleaved
const nodeMs = median(times.get('node -e 0'));
console.log(`${runs} runs each, interleaved; median wall time per run`);
console.log(`${'case'.padEnd(28)} ${'ms'.padStart(7)}  ratio to node -e 0`);
let worst = 0;
for (const c of cases) {
  const ms = median(times.get(c.label));
  const ratio = ms / nodeMs;
  if (c.label !== 'node -e 0') worst = Math.max(worst, ratio);
  console.log(`${c.label.padEnd(28)} ${ms.toFixed(1).padStart(7)}  ${ratio.toFixed(2)}x`);
}
console.log(`goal: attach at most 1.30x node -e 0; worst ${worst.toFixed(2)}x: ${worst <= 1.3 ? 'met' : 'MISSED'}`);
