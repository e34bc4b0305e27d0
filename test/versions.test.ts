import t from 'tap';
import { ALL_RELEASES, UnsupportedVersionError, parseGanetiVersion } from '../harness/ganeti/versions.js';

t.test('a bare series means its last release', async (t) => {
  t.equal(parseGanetiVersion('2.15').release, '2.15.2');
  t.equal(parseGanetiVersion('2.14').release, '2.14.2');
  t.equal(parseGanetiVersion('2.12').release, '2.12.6');
  t.equal(parseGanetiVersion('3.1').release, '3.1.0');
  t.equal(parseGanetiVersion('2.15').asked, '2.15');
});

t.test('behaviour boundaries are exact', async (t) => {
  const cases: [string, string][] = [
    ['2.7.0', 'A'],
    ['2.12.6', 'A'],
    ['2.12', 'A'],
    ['2.13.0', 'B'],
    ['2.13.3', 'B'],
    ['2.14.0', 'B'],
    ['2.14.1', 'B'],
    ['2.14.2', 'C'],
    ['2.14', 'C'],
    ['2.15.0', 'B'],
    ['2.15.1', 'C'],
    ['2.15', 'C'],
    ['2.16.0', 'C'],
    ['2.16', 'C'],
    ['3.0.0', 'D'],
    ['3.0', 'D'],
    ['3.1', 'D'],
    ['3.1.0', 'D'],
  ];
  for (const [version, behaviour] of cases) t.equal(parseGanetiVersion(version).behaviour, behaviour, version);
});

t.test('every release from 2.7.0 to 3.1.0 is accepted', async (t) => {
  t.equal(ALL_RELEASES[0], '2.7.0');
  t.equal(ALL_RELEASES[ALL_RELEASES.length - 1], '3.1.0');
  t.ok(ALL_RELEASES.includes('2.9.7') && ALL_RELEASES.includes('2.10.8') && ALL_RELEASES.includes('3.0.2'));
  for (const release of ALL_RELEASES) t.equal(parseGanetiVersion(release).release, release);
  t.equal(ALL_RELEASES.length, 3 + 5 + 8 + 9 + 9 + 7 + 4 + 3 + 3 + 3 + 3 + 1);
});

t.test('anything else throws an error naming the range', async (t) => {
  for (const bad of [
    '2.6',
    '2.6.2',
    '3.2',
    '2.14.3',
    '2.12.7',
    '3.1.1',
    '2',
    '2.15.x',
    ' 2.15',
    '2.15 ',
    'v2.15',
    '2.07',
    '',
    'latest',
    '2.15.2.1',
  ]) {
    t.throws(() => parseGanetiVersion(bad), UnsupportedVersionError, bad);
    t.throws(() => parseGanetiVersion(bad), { message: /2\.7\.0 to 3\.1\.0/ }, bad);
  }
});
