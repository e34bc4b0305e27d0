// The scenario loader against thousands of mutants of the real scenario files (issue 16): prints
// how many were tried, how many crashed it (threw instead of returning errors), how many errors
// lacked a usable file:line:col or held raw control characters, the largest resident memory and
// the time, overall and per mutation kind. Needs `npm run build` first. Exit status: 0 when no
// mutant crashed the loader or broke an error's position, 1 otherwise.
//
//   node bench/loader-fuzz/run.mjs [mutants=5000] [seed=random]
//
// Reproduce one seed with the fuzz test too: SCENARIO_FUZZ_SEED=<seed> npx tap test/scenario-fuzz.test.ts
//
// It runs with --expose-gc (it restarts itself with it) and collects garbage after a mutant that
// left more than 64 MB of heap, so that the peak resident memory is about that of the costliest
// single mutant, as a `run` of one file would see it, not garbage the collector had not needed to
// reclaim yet (in one process without it, 300 mutants reach 500-800 MB).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { corpus, mutant } from './mutate.mjs';

if (typeof globalThis.gc !== 'function') {
  const again = spawnSync(process.execPath, ['--expose-gc', ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(again.status ?? 1);
}

const root = fileURLToPath(new URL('../..', import.meta.url));
const { loadScenarioFile } = await import(join(root, 'dist/harness/scenario/load.js'));
const { formatFileError } = await import(join(root, 'dist/harness/scenario/model.js'));

const count = Number(process.argv[2] ?? 5000);
const seed = Number(process.argv[3] ?? Math.floor(Math.random() * 2 ** 31));
if (!Number.isInteger(count) || count < 1 || !Number.isInteger(seed)) {
  console.error('usage: node bench/loader-fuzz/run.mjs [mutants] [seed]');
  process.exit(2);
}

const files = corpus(root);
const dir = mkdtempSync(join(tmpdir(), 'loader-fuzz-'));
// Control characters that must not reach a terminal raw (tab aside).
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

const stats = { loaded: 0, refused: 0, crashes: [], badPositions: [], unsafe: [], errors: 0 };
const perKind = new Map();
let slowest = { ms: 0 };
const startedAt = performance.now();
const cpuAt = process.cpuUsage();
let loaderMs = 0;
try {
  for (let i = 0; i < count; i++) {
    const m = mutant(files, seed, i);
    const path = join(dir, `mutant-${i}.yaml`);
    writeFileSync(path, m.bytes);
    const t0 = performance.now();
    let result;
    try {
      result = loadScenarioFile(path);
    } catch (error) {
      stats.crashes.push({
        i,
        kinds: m.kinds,
        from: m.from,
        error: String(error?.stack ?? error)
          .split('\n')
          .slice(0, 3)
          .join(' | '),
      });
    }
    const ms = performance.now() - t0;
    loaderMs += ms;
    for (const kind of new Set(m.kinds)) {
      const k = perKind.get(kind) ?? { n: 0, ms: 0, max: 0 };
      k.n++;
      k.ms += ms;
      k.max = Math.max(k.max, ms);
      perKind.set(kind, k);
    }
    if (ms > slowest.ms) slowest = { ms, i, kinds: m.kinds, bytes: m.bytes.length };
    if (result && 'file' in result) stats.loaded++;
    else if (result) {
      stats.refused++;
      stats.errors += result.errors.length;
      for (const e of result.errors) {
        const { file, line, col } = e.position;
        if (file !== path || !Number.isInteger(line) || !Number.isInteger(col) || line < 1 || col < 1 || !e.message) {
          stats.badPositions.push({ i, kinds: m.kinds, error: formatFileError(e) });
        } else if (UNSAFE.test(formatFileError(e)))
          stats.unsafe.push({ i, kinds: m.kinds, error: JSON.stringify(formatFileError(e)).slice(0, 200) });
      }
    }
    rmSync(path);
    if (process.memoryUsage().heapUsed > 64 * 2 ** 20) globalThis.gc();
    if ((i + 1) % 1000 === 0) process.stderr.write(`${i + 1} mutants...\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const wall = performance.now() - startedAt;
const cpu = process.cpuUsage(cpuAt);
const peak = process.resourceUsage().maxRSS * 1024;

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
console.log(`scenario loader fuzz: ${count} mutants of ${files.length} files, seed ${seed}`);
console.log(
  `  mutants tried        ${count} (${stats.loaded} loaded, ${stats.refused} refused with ${stats.errors} errors)`,
);
console.log(`  crashes              ${stats.crashes.length}`);
console.log(`  errors without a usable file:line:col   ${stats.badPositions.length}`);
console.log(`  errors with raw control characters      ${stats.unsafe.length}`);
console.log(
  `  max RSS              ${mb(peak)} (process peak; garbage collected after any mutant that left over 64 MB of heap)`,
);
console.log(
  `  time                 ${(wall / 1000).toFixed(1)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU; in the loader ${(loaderMs / 1000).toFixed(1)} s, ${(loaderMs / count).toFixed(1)} ms per mutant`,
);
console.log(
  `  slowest mutant       #${slowest.i} ${slowest.ms.toFixed(0)} ms (${slowest.kinds?.join(' + ')}, ${slowest.bytes} bytes)`,
);
console.log('  per mutation kind (a mutant with several counts in each):');
for (const [kind, k] of [...perKind].sort((a, b) => b[1].max - a[1].max)) {
  console.log(
    `    ${kind.padEnd(28)} ${String(k.n).padStart(6)}  mean ${(k.ms / k.n).toFixed(1).padStart(7)} ms  max ${k.max.toFixed(0).padStart(6)} ms`,
  );
}
for (const c of stats.crashes.slice(0, 10))
  console.log(`CRASH #${c.i} (${c.kinds.join(' + ')} of ${c.from}): ${c.error}`);
for (const b of stats.badPositions.slice(0, 10))
  console.log(`BAD POSITION #${b.i} (${b.kinds.join(' + ')}): ${b.error}`);
for (const u of stats.unsafe.slice(0, 10)) console.log(`RAW CONTROL #${u.i} (${u.kinds.join(' + ')}): ${u.error}`);
process.exitCode = stats.crashes.length + stats.badPositions.length + stats.unsafe.length > 0 ? 1 : 0;
