// The FIFO pool (harness/backend/fifo-pool.ts): while a run has it open, FIFOs made ahead in
// batches and renamed into place, mode 0600, as many as asked for however many that is; one made in
// place where rename cannot reach (another file system) or with no pool open; the pool's folder
// gone when the last user closes it, and when the process exits with the pool still open.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { fifoPoolState, makeFifos, openFifoPool } from '../harness/backend/fifo-pool.js';
import { REPO_ROOT, cleanEnv } from './helpers/cli.js';

function tempDir(t: Test, parent = tmpdir()): string {
  const dir = mkdtempSync(join(parent, 'esk-fifo-pool-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const isFifo = (path: string) => statSync(path).isFIFO();

t.test('with no pool open, each FIFO is made in place and no pool folder appears', async (t) => {
  const dir = tempDir(t);
  makeFifos([join(dir, 'a')]);
  t.ok(isFifo(join(dir, 'a')));
  t.same(fifoPoolState(), { folder: undefined, free: 0 });
});

t.test('FIFOs, mode 0600, renamed from the pool; a second batch when the first runs out', async (t) => {
  const dir = tempDir(t);
  const close = openFifoPool();
  t.teardown(close);
  const paths = Array.from({ length: 80 }, (_, i) => join(dir, `f${i}`));
  makeFifos(paths.slice(0, 5));
  const { folder, free } = fifoPoolState();
  t.ok(folder !== undefined && existsSync(folder), 'the pool has its folder');
  t.equal(free, 64 - 5, 'a first batch of 64, five taken');
  makeFifos(paths.slice(5)); // 75 more: past the first batch
  for (const path of paths) {
    t.ok(isFifo(path), `${path} is a FIFO`);
    t.equal(statSync(path).mode & 0o777, 0o600);
  }
  t.equal(readdirSync(folder!).length, fifoPoolState().free, 'what the pool holds is in its folder');
  const second = openFifoPool(); // an overlapping user (the explorer inside a test run)
  close();
  t.ok(existsSync(folder!), 'the folder stays while another user has the pool open');
  second();
  second(); // closing twice is harmless
  t.notOk(existsSync(folder!), 'the last user to close it removes the folder');
  t.same(fifoPoolState(), { folder: undefined, free: 0 });
  for (const path of paths) t.ok(isFifo(path), 'the FIFOs handed out stay');
});

// /dev/shm is a tmpfs; the pool lives in the temporary directory (a disk here, and in CI).
const otherFileSystem = existsSync('/dev/shm') && statSync('/dev/shm').dev !== statSync(tmpdir()).dev;

t.test(
  'on another file system the FIFO is made in place',
  { skip: otherFileSystem ? false : 'no second file system (/dev/shm) beside the temporary directory' },
  async (t) => {
    const dir = tempDir(t, '/dev/shm');
    t.teardown(openFifoPool());
    makeFifos([join(tempDir(t), 'first')]); // the pool holds a batch now
    const before = fifoPoolState().free;
    makeFifos([join(dir, 'a'), join(dir, 'b')]);
    t.ok(isFifo(join(dir, 'a')) && isFifo(join(dir, 'b')));
    t.equal(fifoPoolState().free, before, 'the pool keeps its FIFOs for the next caller');
  },
);

t.test("the pool's folder removed under it (a script cleaning /tmp): FIFOs still come", async (t) => {
  const dir = tempDir(t);
  t.teardown(openFifoPool());
  makeFifos([join(dir, 'before')]);
  const { folder } = fifoPoolState();
  rmSync(folder!, { recursive: true, force: true });
  makeFifos([join(dir, 'taken')]); // the pool still lists FIFOs: each is made in place instead
  t.ok(isFifo(join(dir, 'taken')));
  const many = Array.from({ length: 100 }, (_, i) => join(dir, `m${i}`));
  makeFifos(many); // more than the pool lists: it starts afresh in a new folder
  t.ok(many.every(isFifo));
  t.not(fifoPoolState().folder, folder, 'a new folder');
  t.ok(existsSync(fifoPoolState().folder!));
});

t.test('a folder that does not exist: mkfifo says so', async (t) => {
  const dir = tempDir(t);
  t.teardown(openFifoPool());
  t.throws(() => makeFifos([join(dir, 'missing', 'f')]), /mkfifo .*missing\/f: .*No such file or directory/);
});

t.test("the pool's folder is removed when its process exits with the pool open", async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'out'));
  // The compiled module, in a plain node: the pool's exit handler is what is tested, not tap's.
  const module = join(REPO_ROOT, 'dist', 'harness', 'backend', 'fifo-pool.js');
  const child = spawnSync(
    '/usr/bin/env',
    [
      '-i',
      ...Object.entries({ ...cleanEnv() }).map(([k, v]) => `${k}=${v ?? ''}`),
      process.execPath,
      '--input-type=module',
      '-e',
      `const { makeFifos, fifoPoolState, openFifoPool } = await import(${JSON.stringify(module)});
       openFifoPool();
       makeFifos([${JSON.stringify(join(dir, 'out', 'f'))}]);
       console.log(fifoPoolState().folder);`,
    ],
    { encoding: 'utf8' },
  );
  t.equal(child.status, 0, child.stderr);
  const folder = child.stdout.trim();
  t.match(folder, /extstorage-kit-fifos-/);
  t.notOk(existsSync(folder), `${folder} is gone`);
  t.ok(isFifo(join(dir, 'out', 'f')), 'the FIFO it handed out stays');
});
