// The value syntaxes the schema names but cannot parse (harness/scenario/values.ts), read by both
// the semantic checks and the model builder.

import t from 'tap';
import { parseDuration, parseImageSpec, versionText } from '../harness/scenario/values.js';
import { parsedFile } from './helpers/scenario-stage.js';

t.test('durations', async (t) => {
  t.equal(parseDuration(10), 10);
  t.equal(parseDuration('500ms'), 0.5);
  t.equal(parseDuration('1.5s'), 1.5);
  t.equal(parseDuration('2m'), 120);
  for (const bad of [0, -1, '0s', '10', '1h', 'ms', Infinity, null, [1]])
    t.equal(parseDuration(bad), undefined, String(bad));
});

t.test('image specs, as rbd reads them', async (t) => {
  t.strictSame(parseImageSpec('img'), { pool: 'rbd', namespace: '', name: 'img' });
  t.strictSame(parseImageSpec('p/img'), { pool: 'p', namespace: '', name: 'img' });
  t.strictSame(parseImageSpec('p/ns/img'), { pool: 'p', namespace: 'ns', name: 'img' });
});

t.test('versions as written in the file', async (t) => {
  const { source } = parsedFile(t, 'ganeti: [2.10, "2.16", 3.1, 2.1e1]\n');
  t.equal(versionText(source, ['ganeti', 0], 2.1), '2.10', 'unquoted 2.10 stays 2.10');
  t.equal(versionText(source, ['ganeti', 1], '2.16'), '2.16');
  t.equal(versionText(source, ['ganeti', 2], 3.1), '3.1');
  t.equal(versionText(source, ['ganeti', 9], 4), '4', 'no such node: the number');
});
