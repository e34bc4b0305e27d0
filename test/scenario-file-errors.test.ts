// A refused file's errors (harness/scenario/file-errors.ts): in file order, each once, printed
// safely, at most MAX_ERRORS_PER_FILE and then one that counts the rest.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { finish, startOf } from '../harness/scenario/file-errors.js';
import { MAX_ERRORS_PER_FILE } from '../harness/scenario/limits.js';
import { loadScenarioFile } from '../harness/scenario/load.js';
import { tempDir } from './helpers/provider-dir.js';

const at = (line: number, col: number, message: string) => ({ position: { file: 'f.yaml', line, col }, message });

t.test('sorted by line, column and message; exact duplicates once', async (t) => {
  const shown = finish([at(3, 1, 'b'), at(1, 5, 'x'), at(3, 1, 'a'), at(1, 5, 'x'), at(1, 2, 'y')]).map(
    (e) => `${e.position.line}:${e.position.col}: ${e.message}`,
  );
  t.strictSame(shown, ['1:2: y', '1:5: x', '3:1: a', '3:1: b']);
});

t.test('messages printed safely', async (t) => {
  t.equal(finish([at(1, 1, 'bad \u001b[31m')])[0]!.message.includes('\u001b'), false);
  t.equal(startOf('f.yaml', 'gone\u0007').message.includes('\u0007'), false);
  t.strictSame(startOf('f.yaml', 'no such file').position, { file: 'f.yaml', line: 1, col: 1 });
});

t.test('at most MAX_ERRORS_PER_FILE, then the rest counted', async (t) => {
  const many = Array.from({ length: MAX_ERRORS_PER_FILE + 3 }, (_, i) => at(i + 1, 1, 'e'));
  const out = finish(many);
  t.equal(out.length, MAX_ERRORS_PER_FILE + 1);
  t.match(out[MAX_ERRORS_PER_FILE]!.message, /^\.\.\. and 3 more errors in this file, from here on/);
  t.strictSame(out[MAX_ERRORS_PER_FILE]!.position.line, MAX_ERRORS_PER_FILE + 1, 'where the rest start');
  t.match(finish(many, false)[MAX_ERRORS_PER_FILE]!.message, /^\.\.\. and at least 3 more errors/);

  // A real file with more problems than that.
  const path = join(tempDir(t), 'many.yaml');
  const steps = Array.from({ length: MAX_ERRORS_PER_FILE + 5 }, () => '      - {action: nope}').join('\n');
  writeFileSync(path, `scenarios:\n  - name: a\n    steps:\n${steps}\n`);
  const result = loadScenarioFile(path);
  if (!('errors' in result)) throw new Error('loaded');
  t.equal(result.errors.length, MAX_ERRORS_PER_FILE + 1);
  t.match(result.errors.at(-1)!.message, /^\.\.\. and (at least )?\d+ more errors? in this file/);
});
