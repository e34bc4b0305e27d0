// The loader's first stage (harness/scenario/parse-yaml.ts): scenario text -> the YAML document and
// its data, YAML's own problems at file:line:col; the problems that leave the document whole are
// handed on, the others end loading here.

import { readFileSync } from 'node:fs';
import t from 'tap';
import { parseYamlSource } from '../harness/scenario/parse-yaml.js';
import { scenarioFile } from './helpers/scenario-stage.js';

function parse(t: { teardown(fn: () => void): void }, text: string) {
  const path = scenarioFile(t, text);
  return { path, parsed: parseYamlSource(readFileSync(path, 'utf8'), path) };
}

t.test('a well-formed file: its data, its source, no problem', async (t) => {
  const { path, parsed } = parse(t, 'x-base: &b {action: create}\nscenarios:\n  - name: a\n    steps: [*b]\n');
  if (!('data' in parsed)) throw new Error('refused');
  t.strictSame(parsed.data, {
    'x-base': { action: 'create' },
    scenarios: [{ name: 'a', steps: [{ action: 'create' }] }],
  });
  t.strictSame(parsed.issues, []);
  t.equal(parsed.source.file, path);
});

t.test('duplicate keys and unknown tags are reported and the data handed on', async (t) => {
  const { path, parsed } = parse(t, 'scenarios:\n  - name: a\n    name: b\n    skip: !nope x\n    steps: []\n');
  if (!('data' in parsed)) throw new Error('refused');
  t.strictSame(
    parsed.issues.map((i) => [i.position.line, i.position.col, i.message]),
    [
      [4, 11, 'YAML: Unresolved tag: !nope'],
      [3, 5, 'duplicate key "name" (first at line 2)'],
    ],
  );
  t.equal(parsed.issues[0]!.position.file, path);
  t.ok(Array.isArray((parsed.data as { scenarios: unknown }).scenarios), 'the data is whole');
});

t.test('problems that end loading here', async (t) => {
  const cases: [string, string, string[]][] = [
    [
      'a syntax error',
      'scenarios: [\n',
      ['2:1: YAML: Flow sequence in block collection must be sufficiently indented and end with a ]'],
    ],
    [
      'a second document',
      'scenarios: []\n---\nb: 1\n',
      ['2:1: YAML: a scenario file holds one document; this "---" starts a second one'],
    ],
    ['an empty file', '# nothing\n', ['1:1: the file is empty: expected a map with a "scenarios" key']],
    [
      'a merge of a scalar',
      'a: &a 1\nb:\n  <<: *a\n',
      ['3:7: YAML: "<<" merges a map, an alias of a map, or a list of them'],
    ],
  ];
  for (const [what, text, expected] of cases) {
    const { parsed } = parse(t, text);
    if (!('errors' in parsed)) {
      t.fail(`${what}: accepted`);
      continue;
    }
    const shown = parsed.errors.map((e) => `${e.position.line}:${e.position.col}: ${e.message}`);
    t.equal(shown.length, expected.length, what);
    expected.forEach((prefix, i) => t.ok(shown[i]?.startsWith(prefix), `${what}: ${shown[i]}`));
  }
});

t.test('text past the limits is refused before it is parsed', async (t) => {
  const { parsed } = parse(t, `scenarios: ${'['.repeat(5000)}${']'.repeat(5000)}\n`);
  t.ok('errors' in parsed, 'refused');
  if ('errors' in parsed) t.match(parsed.errors[0]!.message, /nest|deep/i);
});
