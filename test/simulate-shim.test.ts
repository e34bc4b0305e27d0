// The simulated commands' shims (harness/simulate/shim.ts) and their server (server.ts): each call
// reaches the simulator with exactly the caller's argv, environment and working directory, whatever
// bytes they hold, and concurrent calls are answered one at a time without losing any.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { LoggedCall } from '../harness/backend/call-log.js';
import { CALL_SLOTS } from '../harness/backend/command-server.js';
import type { SimulatedFailure } from '../harness/scenario/model.js';
import { installSimulators, simulatorViews } from '../harness/simulate/install.js';
import { tempDir } from './helpers/provider-dir.js';

function sandbox(t: Parameters<typeof tempDir>[0], rbdFail: SimulatedFailure[] = []) {
  const root = tempDir(t, 'esk-sim-shim-');
  const log = join(root, 'stub-state', 'calls.jsonl');
  const sims = installSimulators(
    { rbd: { pools: ['rbd'], images: [], kernelModule: true, fail: rbdFail }, losetup: { devices: 4, fail: [] } },
    root,
    join(root, 'stubs'),
    log,
    'ESK_MARKER',
  )!;
  return { root, stubs: join(root, 'stubs'), log, sims };
}

function calls(log: string): LoggedCall[] {
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as LoggedCall);
}

t.test('argv and the environment reach the simulator byte for byte, PWD not added', async (t) => {
  const sb = sandbox(t);
  const env = { PATH: '/usr/bin:/bin', ODD: 'two\nlines and a \u00e9', EMPTY: '', ESK_MARKER: 'x' };
  const args = ['create', '--size', '1', 'name with spaces\nand a newline', ''];
  const r = spawnSync(join(sb.stubs, 'rbd'), args, { env });
  t.equal(r.status, 1, 'rbd refuses the extra empty argument, as the real one does');
  const none = spawnSync(join(sb.stubs, 'losetup'), [], { env: { PATH: '/usr/bin:/bin' } });
  t.equal(none.status, 0, 'no argument at all: losetup lists nothing');
  const logged = calls(sb.log);
  t.strictSame(logged[0]!.argv, args);
  // tap adds its own variables to whatever a test spawns: the others must be exactly the caller's.
  const own = Object.fromEntries(
    Object.entries(logged[0]!.env).filter(([k]) => !k.startsWith('_TAPJS_') && k !== 'NODE_OPTIONS'),
  );
  t.strictSame(own, { PATH: '/usr/bin:/bin', ODD: env.ODD, EMPTY: '' }, 'the marker left out, no PWD added');
  t.strictSame(logged[1]!.argv, []);
});

t.test("relative paths are the caller's: losetup sets up a file named from its working directory", async (t) => {
  const sb = sandbox(t);
  const files = join(sb.root, 'files');
  mkdirSync(files);
  writeFileSync(join(files, 'disk.img'), '');
  truncateSync(join(files, 'disk.img'), 1 << 20);
  const r = spawnSync(join(sb.stubs, 'losetup'), ['-f', '--show', 'disk.img'], {
    cwd: files,
    env: { PATH: '/usr/bin:/bin' },
    encoding: 'utf8',
  });
  t.strictSame([r.status, r.stdout, r.stderr], [0, '/dev/loop0\n', '']);
  const view = simulatorViews(sb.sims).losetup as { devices: Record<string, { file: string }> };
  t.equal(view.devices['/dev/loop0']?.file, join(files, 'disk.img'));
});

t.test('concurrent calls are answered one at a time and none is lost', async (t) => {
  const sb = sandbox(t);
  const n = 12;
  const results = await Promise.all(
    Array.from(
      { length: n },
      (_, i) =>
        new Promise<number | null>((resolve) => {
          const child = spawn(join(sb.stubs, 'rbd'), ['create', '--size', '1', `vol${i}`], {
            env: { PATH: '/usr/bin:/bin' },
            stdio: 'ignore',
          });
          child.on('close', resolve);
        }),
    ),
  );
  t.strictSame(
    results,
    Array.from({ length: n }, () => 0),
  );
  const images = Object.keys((simulatorViews(sb.sims).rbd as { images: Record<string, unknown> }).images).sort();
  t.strictSame(images, Array.from({ length: n }, (_, i) => `rbd/vol${i}`).sort());
  t.equal(calls(sb.log).length, n);
});

/** What the rbd shim's calls folder holds: each entry with what it contains. */
function callsFolder(root: string): Record<string, string[]> {
  const dir = join(root, 'sim-state', 'rbd-calls');
  return Object.fromEntries(readdirSync(dir).map((name) => [name, readdirSync(join(dir, name)).sort()]));
}

/** Waits, 5 s at most, until `done()` holds: the server takes a call's "done" after its caller exits. */
async function waitUntil(done: () => boolean): Promise<void> {
  for (let i = 0; i < 250 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** The calls folder once the server has taken the last "done". */
async function settledCallsFolder(root: string): Promise<Record<string, string[]>> {
  const expected = JSON.stringify(emptySlots());
  await waitUntil(() => JSON.stringify(callsFolder(root)) === expected);
  return callsFolder(root);
}

const emptySlots = () => Object.fromEntries(Array.from({ length: CALL_SLOTS }, (_, i) => [`slot.${i}`, ['reply']]));

t.test('calls reuse the slots made ahead and leave nothing behind, the overflow of concurrent calls too', async (t) => {
  const sb = sandbox(t);
  for (let i = 0; i < 5; i++) {
    const r = spawnSync(join(sb.stubs, 'rbd'), ['create', '--size', '1', `seq${i}`], {
      env: { PATH: '/usr/bin:/bin' },
    });
    t.equal(r.status, 0);
  }
  t.strictSame(await settledCallsFolder(sb.root), emptySlots(), 'sequential calls: the slots, emptied and free again');
  const n = CALL_SLOTS * 3;
  const done = await Promise.all(
    Array.from(
      { length: n },
      (_, i) =>
        new Promise<number | null>((resolve) => {
          spawn(join(sb.stubs, 'rbd'), ['info', `rbd/seq${i % 5}`], {
            env: { PATH: '/usr/bin:/bin' },
            stdio: 'ignore',
          }).on('close', resolve);
        }),
    ),
  );
  t.strictSame(
    done,
    Array.from({ length: n }, () => 0),
  );
  t.strictSame(
    await settledCallsFolder(sb.root),
    emptySlots(),
    'more callers than slots: their own folders are gone too',
  );
  t.equal(calls(sb.log).length, 5 + n);
});

t.test('a hanging call keeps its slot: the next calls are answered on other ones', async (t) => {
  const sb = sandbox(t, [
    { when: [{ equals: 'ls' }], error: 'timeout', times: 1, position: { file: 'test.yaml', line: 1, col: 1 } },
  ]);
  const hung = spawn(join(sb.stubs, 'rbd'), ['ls'], { env: { PATH: '/usr/bin:/bin' }, stdio: 'ignore' });
  t.teardown(() => hung.kill('SIGKILL'));
  // The hanging call has its answer once the log has it.
  await waitUntil(() => existsSync(sb.log) && calls(sb.log).length > 0);
  for (let i = 0; i < CALL_SLOTS + 2; i++) {
    const r = spawnSync(join(sb.stubs, 'rbd'), ['create', '--size', '1', `after${i}`], {
      env: { PATH: '/usr/bin:/bin' },
      timeout: 20_000,
    });
    t.equal(r.status, 0, `call ${i} after the hang is answered`);
  }
  t.equal(hung.exitCode, null, 'the hanging call still hangs');
  // The last call's "done" reaches the server after that call exits: wait for it.
  const held = () => Object.entries(callsFolder(sb.root)).filter(([, files]) => files.includes('claim')).length;
  await waitUntil(() => held() <= 1);
  t.equal(held(), 1, 'one slot stays claimed, by the hanging call');
});
