// Hostile scenario input (issue 16): files that are not regular files or are too big, inputs that
// would cost the loader seconds and gigabytes, NULs that cannot reach a process, bytes that are not
// UTF-8, file names that would drive the terminal. Real files, the real loader and the real CLI.

import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { loadScenarioFile, loadScenarioPaths } from '../harness/scenario/load.js';
import { formatFileError, type ScenarioFileError } from '../harness/scenario/model.js';
import { CLI, cleanEnv, REPO_ROOT } from './helpers/cli.js';
import { makeProvider, tempDir } from './helpers/provider-dir.js';

const MINIMAL = 'scenarios:\n  - name: a\n    steps: [{ action: attach }]\n';

/** The errors of loading `path`, formatted; fails the test when the file loads. */
function errorsOf(t: Test, path: string): string[] {
  const result = loadScenarioFile(path);
  if ('file' in result) {
    t.fail('the file loaded without errors');
    return [];
  }
  return result.errors.map(formatFileError);
}

/** Writes `content` as `name` in a fresh temp dir and returns its path. */
function write(t: Test, content: string | Buffer, name = 's.yaml'): string {
  const path = join(tempDir(t), name);
  writeFileSync(path, content);
  return path;
}

/**
 * `extstorage-kit run <provider> <path>`, killed after 60 s: before the fix a FIFO blocked the
 * loader forever and /dev/zero grew it until memory ran out, so the process is bounded here.
 */
function run(t: Test, path: string): { code: number | null; stderr: string; killed: boolean } {
  const provider = makeProvider(tempDir(t));
  const r = spawnSync(process.execPath, [CLI, 'run', provider, path], {
    cwd: REPO_ROOT,
    env: { ...cleanEnv(), NO_COLOR: '1' },
    encoding: 'utf8',
    timeout: 60_000,
    killSignal: 'SIGKILL',
    input: '',
  });
  return { code: r.status, stderr: r.stderr, killed: r.signal === 'SIGKILL' };
}

t.test('a FIFO or a device is refused by name at once, not read', async (t) => {
  const fifo = join(tempDir(t), 'pipe.yaml');
  const made = spawnSync('mkfifo', [fifo]);
  t.equal(made.status, 0, 'mkfifo');
  const r = run(t, fifo);
  t.notOk(r.killed, 'the run ended on its own (no writer ever opens the FIFO)');
  t.equal(r.code, 2);
  t.equal(
    r.stderr,
    `${fifo}:1:1: ${JSON.stringify(fifo)} is a FIFO (named pipe), not a regular file: scenario files are read only from regular files\n` +
      '1 error in scenario files; nothing was run\n',
  );

  const zero = run(t, '/dev/zero');
  t.notOk(zero.killed, 'the run ended on its own (/dev/zero never ends)');
  t.equal(zero.code, 2);
  t.match(
    zero.stderr,
    /^\/dev\/zero:1:1: "\/dev\/zero" is a character device, not a regular file: scenario files are read only from regular files\n/,
  );
});

t.test('a directory: a FIFO named *.yaml in it is refused by name, the regular files load', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'a.yaml'), MINIMAL);
  const fifo = join(dir, 'b.yaml');
  t.equal(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo');
  const result = loadScenarioPaths([dir]);
  t.strictSame(
    result.files.map((f) => f.file),
    [join(dir, 'a.yaml')],
  );
  t.strictSame(result.errors.map(formatFileError), [
    `${fifo}:1:1: ${JSON.stringify(fifo)} is a FIFO (named pipe), not a regular file: scenario files are read only from regular files`,
  ]);
});

t.test('a file over 4 MiB is refused before it is read; one of exactly 4 MiB is read', async (t) => {
  const limit = 4 * 1024 * 1024;
  const line = `#${' '.repeat(62)}\n`; // 64 bytes of comment
  const exact = MINIMAL + line.repeat((limit - MINIMAL.length) / 64);
  const atLimit = write(t, exact.padEnd(limit, ' '), 'exact.yaml');
  t.equal(Buffer.byteLength(exact.padEnd(limit, ' ')), limit);
  const loaded = loadScenarioFile(atLimit);
  t.ok('file' in loaded, 'a file of exactly the limit loads');

  const over = write(t, exact.padEnd(limit + 1, ' '), 'over.yaml');
  t.strictSame(errorsOf(t, over), [
    `${over}:1:1: ${JSON.stringify(over)} is 4194305 bytes: a scenario file may be at most 4194304 bytes (4 MiB)`,
  ]);
});

t.test('more nodes than the limit: one error where the limit is passed, nothing parsed past it', async (t) => {
  // 150,000 list items in a 300 KB file: before, 150,000 errors and hundreds of MB.
  const path = write(t, `${MINIMAL}    scratch: [${Array(150_000).fill('1').join(',')}]\n`);
  const errors = errorsOf(t, path);
  t.equal(errors.length, 1);
  t.match(errors[0], /^[^:]+:4:\d+: more than 100000 YAML nodes: a scenario file may hold at most 100000$/);
});

t.test('nesting deeper than the limit, in flow and block style: one error where it passes the limit', async (t) => {
  const flow = write(t, `scenarios: ${'['.repeat(5000)}${']'.repeat(5000)}\n`, 'flow.yaml');
  t.strictSame(errorsOf(t, flow), [
    `${flow}:1:112: nested more than 100 levels deep: a scenario file may nest at most 100`,
  ]);
  const lines = Array.from({ length: 150 }, (_, i) => `${'  '.repeat(i)}k${i}:`);
  const block = write(t, `${lines.join('\n')} 1\n`, 'block.yaml');
  t.strictSame(errorsOf(t, block), [
    `${block}:101:201: nested more than 100 levels deep: a scenario file may nest at most 100`,
  ]);
});

t.test('block nesting deep enough to overflow the stack of the YAML parser: an error, not a crash', async (t) => {
  // 2,800 levels, one space each: 3.9 MB, under the size limit; yaml's parser (not its composer,
  // which catches it) ran out of stack and threw a RangeError (found by the loader fuzz benchmark).
  const lines = Array.from({ length: 2800 }, (_, i) => `${' '.repeat(i)}k:`);
  const path = write(t, `${lines.join('\n')} 1\n`);
  // Which part of yaml runs out of stack first depends on the stack already in use: either way,
  // errors at positions, no exception.
  const errors = errorsOf(t, path);
  t.ok(errors.length >= 1 && errors.length <= 2, 'one or two errors');
  for (const error of errors) {
    t.match(
      error,
      /^[^:]+:\d+:\d+: (YAML: nested too deeply to parse|nested more than 100 levels deep|YAML: Maximum call stack)/,
    );
  }
});

t.test('an alias inside its own anchor (cyclic data) is an error, not a stack overflow', async (t) => {
  const path = write(
    t,
    'x: &a {b: *a}\nscenarios: [{name: n, steps: [{action: attach, expect: {simulated: {rbd: *a}}}]}]\n',
  );
  t.strictSame(errorsOf(t, path), [`${path}:1:11: alias *a is inside its own anchor &a`]);
});

t.test('more aliases than the limit; an alias bomb within it is still stopped by yaml', async (t) => {
  const many = write(t, `x: &a 1\ny: [${Array(10_001).fill('*a').join(', ')}]\n${MINIMAL}`, 'many.yaml');
  const errors = errorsOf(t, many);
  t.equal(errors.length, 1);
  t.match(errors[0], /^[^:]+:2:\d+: more than 10000 aliases: a scenario file may use at most 10000$/);

  const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 9; i++) {
    const prev = String.fromCharCode(96 + i);
    const name = String.fromCharCode(97 + i);
    levels.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(', ')}]`);
  }
  const bomb = write(t, `x-bomb:\n${levels.map((l) => `  ${l}`).join('\n')}\n${MINIMAL}`, 'bomb.yaml');
  t.strictSame(errorsOf(t, bomb), [`${bomb}:1:1: YAML: Excessive alias count indicates a resource exhaustion attack`]);
});

t.test('errors are capped per file: the first 100, then how many more from where', async (t) => {
  const keys = Array.from({ length: 2000 }, (_, i) => `    k${i}: 1`).join('\n');
  const path = write(t, `${MINIMAL}${keys}\n`);
  const errors = errorsOf(t, path);
  t.equal(errors.length, 101);
  t.match(errors[0], /:4:5: unknown key "k0" in scenario \(expected one of: /);
  t.match(errors[99], /:103:5: unknown key "k99" in scenario/);
  t.equal(
    errors[100],
    `${path}:104:5: ... and at least 1900 more errors in this file, from here on (only the first 100 are shown)`,
  );

  // Fewer than the cap past the schema: every check runs, the count is exact.
  const versions = Array.from({ length: 120 }, () => '"2.6"').join(', ');
  const exact = write(t, `scenarios:\n  - name: a\n    ganeti: [${versions}]\n    steps: [{ action: attach }]\n`);
  const some = errorsOf(t, exact);
  t.equal(some.length, 101);
  t.match(some[100], /:3:\d+: \.\.\. and 20 more errors in this file, from here on \(only the first 100 are shown\)$/);
});

t.test('a NUL in what becomes an environment variable or an argument is refused where it is', async (t) => {
  const path = write(
    t,
    [
      'defaults: { env: { D: "d\\0" }, volume: { params: { pool: "p\\0" } } }',
      'scenarios:',
      '  - name: a',
      '    env: { FOO: "x\\0y" }',
      '    volume: { name: "v\\0" }',
      '    stubs:',
      '      rbd: [{ args: ["map", "m\\0"] }]',
      '    steps:',
      '      - action: setinfo',
      '        with: { metadata: "m\\0", args: ["a\\0"], env: { Q: "\\0" }, unset: ["U\\0"] }',
      '      - command: ["ls", "\\0"]',
      '',
    ].join('\n'),
  );
  const errors = errorsOf(t, path).map((line) => line.slice(path.length + 1));
  t.strictSame(errors, [
    '1:23: "D" holds a NUL character, which cannot be passed in a process environment',
    '1:58: "pool" holds a NUL character, which cannot be passed in a process environment',
    '4:17: "FOO" holds a NUL character, which cannot be passed in a process environment',
    '5:21: "name" holds a NUL character, which cannot be passed in a process environment',
    '7:29: item 2 of "args" holds a NUL character, which cannot be passed in a process argument',
    '10:27: "metadata" holds a NUL character, which cannot be passed in a process environment',
    '10:41: item 1 of "args" holds a NUL character, which cannot be passed in a process argument',
    '10:59: "Q" holds a NUL character, which cannot be passed in a process environment',
    // A variable name is the schema's to check (no control character).
    '10:75: item 1 of "unset" must be a variable name (not empty, no "="), got "U\\u0000"',
    '11:25: item 2 of "command" holds a NUL character, which cannot be passed in a process argument',
  ]);

  // A raw NUL byte in a plain scalar is the same mistake.
  const raw = write(
    t,
    'scenarios:\n  - name: a\n    env: { FOO: x\0y }\n    steps: [{ action: attach }]\n',
    'raw.yaml',
  );
  t.strictSame(errorsOf(t, raw), [
    `${raw}:3:17: "FOO" holds a NUL character, which cannot be passed in a process environment`,
  ]);
});

t.test('bytes that are not UTF-8 are reported at the first one, not replaced', async (t) => {
  const cases: [string, Buffer, string][] = [
    ['a lone byte', Buffer.from('scenarios:\n  - name: a\xff\n', 'latin1'), '2:12: invalid UTF-8 (byte 0xff)'],
    // After a BOM and two 2- and 3-byte characters: columns count characters as every position does.
    [
      'an overlong NUL',
      Buffer.concat([Buffer.from('\ufeffscenarios:\n  - name: é€ '), Buffer.from([0xc0, 0x80, 0x0a])]),
      '2:14: invalid UTF-8 (byte 0xc0)',
    ],
    [
      'a UTF-16 surrogate',
      Buffer.concat([Buffer.from('scenarios: '), Buffer.from([0xed, 0xa0, 0x80])]),
      '1:12: invalid UTF-8 (byte 0xed)',
    ],
    [
      'a character cut at the end',
      Buffer.concat([Buffer.from('scenarios:\n  - name: "'), Buffer.from([0xe2, 0x82])]),
      '2:12: invalid UTF-8 (byte 0xe2)',
    ],
  ];
  for (const [what, bytes, expected] of cases) {
    const path = write(t, bytes);
    t.strictSame(errorsOf(t, path), [`${path}:${expected}: a scenario file must be UTF-8 text`], what);
  }
  const bom = write(t, `\ufeff${MINIMAL}`, 'bom.yaml');
  t.ok('file' in loadScenarioFile(bom), 'a UTF-8 byte order mark is fine');
});

t.test('a file name with a newline or an ANSI escape is printed JSON-quoted; others as they are', async (t) => {
  const dir = tempDir(t);
  const names = ['new\nline.yaml', '\u001b[31mred.yaml', 'bidi\u202eevil.yaml', '"quoted.yaml'];
  for (const name of names) writeFileSync(join(dir, name), 'scenarios: 1\n');
  writeFileSync(join(dir, 'plain name é.yaml'), 'scenarios: 1\n');
  const errors: ScenarioFileError[] = loadScenarioPaths([dir]).errors;
  const lines = errors.map(formatFileError);
  const expected = (name: string) => `${name}:1:12: "scenarios" must be a non-empty list of scenarios, got 1`;
  t.strictSame(
    lines.sort(),
    [
      expected(join(dir, '"quoted.yaml')), // a quote inside a name is safe; only a leading one is quoted
      expected(JSON.stringify(join(dir, '\u001b[31mred.yaml'))),
      expected(JSON.stringify(join(dir, 'bidi\u202eevil.yaml')).replace('\u202e', '\\u202e')),
      expected(JSON.stringify(join(dir, 'new\nline.yaml'))),
      expected(join(dir, 'plain name é.yaml')),
    ].sort(),
  );
  for (const line of lines) t.notMatch(line, /[\n\u001b\u202e]/, 'nothing raw reaches the terminal');

  t.equal(
    formatFileError({ position: { file: '"q.yaml', line: 1, col: 1 }, message: 'm' }),
    '"\\"q.yaml":1:1: m',
    'a name that starts with a quote is quoted, so that it cannot pass for a quoted one',
  );

  // A name from the file in yaml's own message (an alias's), a FIFO's name in the loader's: escaped too.
  const alias = write(t, 'x: *a\u202eb\n', 'alias.yaml');
  t.strictSame(errorsOf(t, alias), [
    `${alias}:1:1: YAML: Unresolved alias (the anchor must be set before the alias): a\\u202eb`,
  ]);
  const fifo = join(dir, 'fifo\u202e.yaml');
  t.equal(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo');
  t.strictSame(errorsOf(t, fifo), [
    `${JSON.stringify(fifo).replace('\u202e', '\\u202e')}:1:1: ${JSON.stringify(fifo).replace('\u202e', '\\u202e')} is a FIFO (named pipe), not a regular file: scenario files are read only from regular files`,
  ]);

  // And through the CLI, on stderr.
  const sub = join(dir, 'sub');
  mkdirSync(sub);
  writeFileSync(join(sub, 'a\nb.yaml'), 'scenarios: 1\n');
  const r = run(t, sub);
  t.equal(r.code, 2);
  t.equal(
    r.stderr,
    `${expected(JSON.stringify(join(sub, 'a\nb.yaml')))}\n1 error in scenario files; nothing was run\n`,
  );
});
