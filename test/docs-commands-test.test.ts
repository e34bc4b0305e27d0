// The documented `extstorage-kit test` commands run, with the exit status a reader should expect.
// How and where they run: test/helpers/doc-world.ts.

import { rmSync } from 'node:fs';
import t from 'tap';
import { allDocumented, EXPECTED, makeWorld, words } from './helpers/doc-world.js';

// Dozens of real runs, one after another: more than tap's default time for a file.
t.setTimeout(900_000);

/** The `test` commands (the slow ones: a whole suite each). */
const mine = (command: string) =>
  words(command).includes('test') && words(command).indexOf('test') === words(command).indexOf('extstorage-kit') + 1;

t.test('each of these documented commands runs, with the exit status it should have', async (t) => {
  const world = makeWorld();
  if (typeof world === 'string') return t.fail(world);
  t.teardown(() => rmSync(world.dir, { recursive: true, force: true }));
  const seen = new Set<string>();
  for (const { source, command, block } of allDocumented()) {
    const expected = EXPECTED[command];
    if (expected === undefined || !('exit' in expected) || seen.has(command) || !mine(command)) continue;
    seen.add(command);
    // GitHub's expressions are the runner's: evaluated as it would, for the first shard.
    const r = world.run(command.replaceAll('${{ matrix.shard }}', '1'), { ...expected, block });
    t.equal(r.code, expected.exit, `${source}: ${command}`, { output: r.output });
  }
});
