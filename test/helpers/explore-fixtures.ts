// The explorer's fixture providers (test/fixtures/explore/: bash over the losetup simulator) and
// scenario files that drive one of them, for the tests of the scenario keys the explorer replays.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { REPO_ROOT } from './cli.js';

export const EXPLORE_FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'explore');

/** A scenario file for fixture `provider` with `body` as its `scenarios:` list (volumes of 8 MiB in the sandbox). */
export function fixtureScenarioFile(t: Test, provider: string, body: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kit-explore-fixture-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 's.yaml');
  writeFileSync(
    file,
    `provider: ${join(EXPLORE_FIXTURES, provider)}\ndefaults:\n  volume: { size: 8, params: { dir: "\${SANDBOX}/data" } }\n  timeout: 20s\nscenarios:\n${body}`,
  );
  return file;
}
