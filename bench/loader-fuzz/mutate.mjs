// Mutants of real scenario files for fuzzing the scenario loader (issue 16): what bad luck and an
// attacker would feed it. Shared by the fuzz test (test/scenario-fuzz.test.ts, a few hundred per
// run) and the benchmark (bench/loader-fuzz/run.mjs, thousands). Everything is drawn from one
// seeded generator, so a seed and a mutant's number reproduce it exactly.

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The real scenario files the mutants start from: providers/<name>/scenarios and spec/conformance. */
export function corpus(root) {
  const dirs = [
    ...readdirSync(join(root, 'providers'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => join(root, 'providers', entry.name, 'scenarios')),
    join(root, 'spec', 'conformance'),
  ];
  const files = [];
  for (const dir of dirs) {
    let names;
    try {
      names = readdirSync(dir).sort();
    } catch {
      continue; // a provider without scenarios
    }
    for (const name of names) {
      if (/\.ya?ml$/.test(name))
        files.push({ name: relative(root, join(dir, name)), bytes: readFileSync(join(dir, name)) });
    }
  }
  return files;
}

/** mulberry32: small, fast, and the same on every platform (as test/helpers/random.ts). */
export function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const int = (random, max) => Math.floor(random() * max);
const pick = (random, items) => items[int(random, items.length)];

/** Splits into lines, each with its "\n" (the last may have none). */
function lines(bytes) {
  const out = [];
  let start = 0;
  for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, start)) {
    out.push(bytes.subarray(start, i + 1));
    start = i + 1;
  }
  if (start < bytes.length) out.push(bytes.subarray(start));
  return out;
}

const insertAt = (bytes, offset, piece) =>
  Buffer.concat([bytes.subarray(0, offset), Buffer.from(piece), bytes.subarray(offset)]);

/** The offset just after a random "key: " in the file (a value position), or a random offset. */
function valueOffset(random, bytes) {
  const text = bytes.toString('latin1');
  // The lookbehind makes each run of letters one attempt: without it, a 3 MB run of "x" (a huge
  // string mutant) is tried from each of its positions, each scanning to its end.
  const spots = [...text.matchAll(/(?<![A-Za-z_])[A-Za-z_]+: /g)].map((m) => m.index + m[0].length);
  return spots.length > 0 ? pick(random, spots) : int(random, bytes.length + 1);
}

const INVALID_UTF8 = [
  [0xff],
  [0xfe],
  [0xc0, 0x80],
  [0xc3],
  [0xed, 0xa0, 0x80],
  [0xe2, 0x82],
  [0xf4, 0x90, 0x80, 0x80],
  [0x80],
];
const HUGE_NUMBERS = [
  '1e309',
  '-1e309',
  '99999999999999999999999999',
  '0x7fffffffffffffff',
  '.nan',
  '-.inf',
  '1e-400',
  '-0',
  '0o777777777777777777777',
  '1_000_000',
];
const TAGS = [
  '!!binary aGk=',
  '!!timestamp 2001-12-14',
  '!!set {a, b}',
  '!!omap [a: 1]',
  '!custom x',
  '!!python/object:os.system x',
  '!!int "12"',
  '!!map []',
];

/** Each takes the bytes and the generator and returns the mutant's bytes. */
export const MUTATIONS = {
  'byte flips': (bytes, random) => {
    const out = Buffer.from(bytes);
    for (let n = 1 + int(random, 8); n > 0 && out.length > 0; n--) {
      const i = int(random, out.length);
      out[i] = random() < 0.5 ? out[i] ^ (1 << int(random, 8)) : int(random, 256);
    }
    return out;
  },
  truncation: (bytes, random) => bytes.subarray(0, int(random, bytes.length)),
  'duplicated key': (bytes, random) => {
    const all = lines(bytes);
    const keys = all.map((line, i) => [line, i]).filter(([line]) => /^\s*(- )?[A-Za-z_]+:/.test(line.toString()));
    if (keys.length === 0) return bytes;
    const [line, i] = pick(random, keys);
    const copy = Buffer.from(line.toString().replace(/^(\s*)- /, '$1  '));
    return Buffer.concat([...all.slice(0, i + 1), copy, ...all.slice(i + 1)]);
  },
  'deleted or repeated lines': (bytes, random) => {
    const all = lines(bytes);
    if (all.length === 0) return bytes;
    const i = int(random, all.length);
    const n = 1 + int(random, 5);
    return random() < 0.5
      ? Buffer.concat([...all.slice(0, i), ...all.slice(i + n)])
      : Buffer.concat([...all.slice(0, i + n), ...all.slice(i, i + n), ...all.slice(i + n)]);
  },
  'deep nesting': (bytes, random) => {
    const depth = pick(random, [50, 99, 101, 500, 5000, 50000]);
    const [open, close] = pick(random, [
      ['[', ']'],
      ['{a: ', '}'],
      ['- ', ''],
    ]);
    const balanced = random() < 0.7;
    return insertAt(
      bytes,
      valueOffset(random, bytes),
      open.repeat(depth) + (balanced ? `1${close.repeat(depth)}` : ''),
    );
  },
  'deep block nesting': (bytes, random) => {
    const depth = pick(random, [99, 101, 300, 3000]);
    const nested = Array.from({ length: depth }, (_, i) => `${' '.repeat(i + 1)}k${i}:`).join('\n');
    return Buffer.concat([bytes, Buffer.from(`x-deep:\n${nested} 1\n`)]);
  },
  'huge numbers': (bytes, random) => {
    const text = bytes.toString('latin1');
    const numbers = [...text.matchAll(/(?<=: )[0-9]+\b/g)];
    if (numbers.length === 0) return insertAt(bytes, valueOffset(random, bytes), pick(random, HUGE_NUMBERS));
    const m = pick(random, numbers);
    return Buffer.from(
      text.slice(0, m.index) + pick(random, HUGE_NUMBERS) + text.slice(m.index + m[0].length),
      'latin1',
    );
  },
  'byte order marks': (bytes, random) => {
    const bom = pick(random, [
      [0xef, 0xbb, 0xbf],
      [0xff, 0xfe],
      [0xfe, 0xff],
      [0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf],
    ]);
    return insertAt(bytes, random() < 0.6 ? 0 : int(random, bytes.length + 1), bom);
  },
  NULs: (bytes, random) =>
    random() < 0.5
      ? insertAt(bytes, int(random, bytes.length + 1), [0])
      : insertAt(bytes, valueOffset(random, bytes), pick(random, ['"a\\0b"', 'x\u0000y', '"\\x00"', "'\u0000'"])),
  'invalid UTF-8': (bytes, random) => insertAt(bytes, int(random, bytes.length + 1), pick(random, INVALID_UTF8)),
  'control characters': (bytes, random) =>
    insertAt(
      bytes,
      valueOffset(random, bytes),
      pick(random, ['"\u001b[31mred"', '"a\\nb"', '\u0007', '"\u202eevil"', '\r', '\t', '\u0085']),
    ),
  'alias bomb': (bytes) => {
    const levels = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i < 9; i++) {
      const name = String.fromCharCode(97 + i);
      levels.push(
        `${name}: &${name} [${Array(10)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(', ')}]`,
      );
    }
    return Buffer.concat([Buffer.from(`x-bomb:\n${levels.map((l) => `  ${l}`).join('\n')}\n`), bytes]);
  },
  'aliases and anchors': (bytes, random) =>
    insertAt(
      bytes,
      valueOffset(random, bytes),
      pick(random, [
        '&a [*a]',
        '*undefined',
        '&x {b: *x}',
        '&dup 1 ',
        '{<<: 1}',
        '{<<: [*nope]}',
        `[${Array(12000).fill('*a').join(',')}]`,
      ]),
    ),
  tags: (bytes, random) => insertAt(bytes, valueOffset(random, bytes), pick(random, TAGS)),
  'many keys': (bytes, random) => {
    const n = pick(random, [200, 2000, 20000, 40000]);
    const keys = Array.from({ length: n }, (_, i) => `    k${i}: ${i}`).join('\n');
    const text = bytes.toString('latin1');
    const at = text.indexOf('\n  - name:');
    if (at === -1) return Buffer.concat([bytes, Buffer.from(`\nx-keys:\n${keys}\n`)]);
    const end = text.indexOf('\n', at + 1);
    return insertAt(bytes, end + 1, `${keys}\n`);
  },
  'long list': (bytes, random) => {
    const n = pick(random, [1000, 60000, 99999, 100001, 300000]);
    const flow = random() < 0.5;
    const list = flow ? `[${Array(n).fill('1').join(',')}]` : `\n${Array(n).fill('  - 1').join('\n')}`;
    return Buffer.concat([bytes, Buffer.from(`\nx-list: ${list}\n`)]);
  },
  'huge string': (bytes, random) =>
    insertAt(bytes, valueOffset(random, bytes), `"${'x'.repeat(pick(random, [1000, 100000, 3000000]))}"`),
  'second document': (bytes, random) =>
    insertAt(bytes, int(random, bytes.length + 1), pick(random, ['\n---\n', '\n...\n', '\n%YAML 1.1\n---\n'])),
  'spliced files': (bytes, random, others) => {
    const other = pick(random, others);
    const cut = int(random, bytes.length + 1);
    return Buffer.concat([bytes.subarray(0, cut), other.subarray(int(random, other.length + 1))]);
  },
};

export const KINDS = Object.keys(MUTATIONS);

/**
 * Mutant number `index` of `seed`: a corpus file with one to three mutations applied, all drawn
 * from a generator seeded with (seed, index) alone, so that it can be made again on its own.
 */
export function mutant(files, seed, index) {
  const random = seededRandom((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  const file = pick(random, files);
  const others = files.map((f) => f.bytes);
  let bytes = file.bytes;
  const kinds = [];
  for (let n = 1 + (random() < 0.25 ? int(random, 3) : 0); n > 0; n--) {
    const kind = pick(random, KINDS);
    kinds.push(kind);
    bytes = MUTATIONS[kind](bytes, random, others);
  }
  return { from: file.name, kinds, bytes };
}
