// Where a data path is written (harness/scenario/yaml-source.ts): the checks name a problem by its
// path in the data; this places it at file:line:col, through aliases and "<<" merges, on the key
// or on the value.

import t from 'tap';
import { LineCounter, parseDocument, visit, type Alias } from 'yaml';
import { YamlSource } from '../harness/scenario/yaml-source.js';
import { parsedFile, scenarioFile } from './helpers/scenario-stage.js';

const TEXT = [
  'x-step: &step', //                       1
  '  action: attach', //                    2
  '  timeout: 2.10', //                     3
  'scenarios:', //                          4
  '  - name: first', //                     5
  '    steps:', //                          6
  '      - <<: *step', //                   7
  '        name: own', //                   8
  '      - command: [true]', //             9
  '        expect:', //                     10
  '', //                                    11
].join('\n');

t.test('a path is placed on its key or its value', async (t) => {
  const { source, path } = parsedFile(t, TEXT);
  const at = (p: (string | number)[], where: 'key' | 'value') => {
    const { line, col, file } = source.positionOf(p, where);
    t.equal(file, path);
    return `${line}:${col}`;
  };
  t.equal(at(['scenarios', 0, 'name'], 'value'), '5:11');
  t.equal(at(['scenarios', 0, 'name'], 'key'), '5:5');
  t.equal(at(['scenarios', 0, 'steps', 1], 'value'), '9:9', 'a list item: where it starts');
  t.equal(at(['scenarios', 0, 'steps', 0, 'name'], 'key'), '8:9', 'own keys first');
  t.equal(at(['scenarios', 0, 'steps', 0, 'action'], 'value'), '2:11', 'a merged key: where the anchor wrote it');
  t.equal(at(['scenarios', 0, 'steps', 1, 'expect'], 'value'), '10:9', '`key:` with nothing after it: the key');
  t.equal(
    at(['scenarios', 0, 'steps', 7, 'name'], 'value'),
    '7:7',
    'past the end: the deepest node that exists (the list)',
  );
  t.equal(at([], 'value'), '1:1');
});

t.test('scalars as written', async (t) => {
  const { source } = parsedFile(t, TEXT);
  t.equal(source.plainText(['x-step', 'timeout']), '2.10', 'the number 2.1 as written');
  t.equal(source.plainText(['scenarios', 0, 'steps', 0, 'timeout']), '2.10', 'through the merge');
  t.equal(source.plainText(['scenarios', 0, 'name']), 'first');
  t.equal(source.plainText(['scenarios', 9]), undefined, 'no such node');
  t.equal(source.isEmptyValue(['scenarios', 0, 'steps', 1, 'expect']), true);
  t.equal(source.isEmptyValue(['scenarios', 0, 'name']), false);
});

t.test('merges of something other than a map', async (t) => {
  t.strictSame(parsedFile(t, TEXT).source.badMergeSources(), [], 'a map merged');
  // parse-yaml refuses these files, so the document is parsed here as it parses it.
  const text = 'a: &a [1]\nb:\n  <<: *a\nc:\n  <<: [*a]\n';
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, merge: true, keepSourceTokens: true });
  const aliases = new Map<Alias, unknown>();
  visit(doc, { Alias: (_, node) => void aliases.set(node, node.resolve(doc)) });
  const source = new YamlSource(scenarioFile(t, text), text, doc, lines, aliases);
  t.strictSame(
    source.badMergeSources().map((offset) => lines.linePos(offset)),
    [
      { line: 3, col: 7 },
      { line: 5, col: 7 },
    ],
  );
});
