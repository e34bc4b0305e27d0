// Fuzzing the scenario loader (issue 16): mutants of the real scenario files (byte flips,
// truncation, duplicated keys, deep nesting, huge numbers, BOMs, NULs, invalid UTF-8, alias bombs,
// ...; bench/loader-fuzz/mutate.mjs) must each load or be refused with errors, never crash, and
// every error must stand at a real file:line:col with nothing raw for the terminal in it.
//
// The seed is random and printed; SCENARIO_FUZZ_SEED=<n> replays a run, SCENARIO_FUZZ_MUTANTS=<n>
// sets how many (300 by default; bench/loader-fuzz/run.mjs runs thousands). Time and memory are
// recorded in comments, never asserted.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { corpus, mutant } from '../bench/loader-fuzz/mutate.mjs';
import { loadScenarioFile } from '../harness/scenario/load.js';
import { formatFileError } from '../harness/scenario/model.js';
import { REPO_ROOT } from './helpers/cli.js';
import { tempDir } from './helpers/provider-dir.js';

/** A non-negative integer from the environment, or the default; anything else stops the test. */
function envInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^[0-9]{1,10}$/.test(raw)) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

// Control characters (tab aside), C1, line separators and bidi controls: none may reach a terminal raw.
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

t.test('mutants of the real scenario files: no crash, every error at file:line:col', async (t) => {
  const seed = envInteger('SCENARIO_FUZZ_SEED', Math.floor(Math.random() * 2 ** 31));
  const count = envInteger('SCENARIO_FUZZ_MUTANTS', 300);
  t.comment(`seed ${seed} (replay: SCENARIO_FUZZ_SEED=${seed}), ${count} mutants`);
  const files = corpus(REPO_ROOT);
  t.ok(files.length >= 10, `the corpus: ${files.length} scenario files`);

  const dir = tempDir(t, 'esk-fuzz-');
  const problems: string[] = [];
  let loaded = 0;
  let refused = 0;
  let slowest = { ms: 0, what: '' };
  let rss = 0;
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const m = mutant(files, seed, i);
    const what = `mutant ${i} (${m.kinds.join(' + ')} of ${m.from})`;
    const path = join(dir, `m${i}.yaml`);
    writeFileSync(path, m.bytes);
    const lineCount = m.bytes.toString('latin1').split('\n').length;
    const t0 = performance.now();
    let result: ReturnType<typeof loadScenarioFile>;
    try {
      result = loadScenarioFile(path);
    } catch (error) {
      problems.push(`${what}: the loader threw ${String((error as Error).stack ?? error)}`);
      continue;
    }
    const ms = performance.now() - t0;
    if (ms > slowest.ms) slowest = { ms, what };
    rss = Math.max(rss, process.memoryUsage().rss);
    if ('file' in result) {
      loaded++;
      continue;
    }
    refused++;
    if (result.errors.length === 0) problems.push(`${what}: refused without an error`);
    if (result.errors.length > 101) problems.push(`${what}: ${result.errors.length} errors, more than the cap`);
    for (const error of result.errors) {
      const { file, line, col } = error.position;
      const text = formatFileError(error);
      const at = file === path && Number.isInteger(line) && Number.isInteger(col) && line >= 1 && col >= 1;
      if (!at || line > lineCount) problems.push(`${what}: no usable file:line:col in ${JSON.stringify(text)}`);
      if (error.message.trim() === '') problems.push(`${what}: an empty message at ${line}:${col}`);
      if (UNSAFE.test(text)) problems.push(`${what}: a raw control character in ${JSON.stringify(text)}`);
      if (/\n\s+at /.test(error.message)) problems.push(`${what}: a stack trace in ${JSON.stringify(text)}`);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  t.comment(
    `${count} mutants: ${loaded} loaded, ${refused} refused; ${problems.length} problems; ` +
      `${seconds.toFixed(1)} s; max RSS ${(rss / 2 ** 20).toFixed(0)} MB; slowest ${slowest.ms.toFixed(0)} ms: ${slowest.what}`,
  );
  t.strictSame(problems.slice(0, 20), [], `no problem with any mutant (seed ${seed})`);
});
