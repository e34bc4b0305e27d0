#!/usr/bin/env node
// What one run of the provider's attach costs from Node, by way of spawning it, N runs in a row:
// the floor under invokeScript (dist/harness/run/invoke.js) and what its parts add. Each method
// runs in a fresh node process, since the parent's memory (RSS) sets the price of fork(), which
// libuv uses on Linux for every spawn. A diagnostic for bench/README.md.
//
// Usage: node bench/harness/spawn-cost.mjs [N=500] [PROVIDER-DIR]   (after npm run build)

import '../clean-node-env.mjs'; // first: the environment every process here starts with
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const distRun = resolve(here, '../../dist/harness/run');
const execaUrl = pathToFileURL(resolve(here, '../../node_modules/execa/index.js')).href;

const METHODS = {
  spawnSync: 'spawnSync (blocks the event loop)',
  spawn: 'child_process.spawn, pipes, detached',
  execa: 'execa, the options of invoke.ts',
  invoke: 'invokeScript (dist), as built',
  invokeSmall: 'invokeScript, 4 KiB + 1 KiB captures',
};

const [, , first, second, third] = process.argv;
if (first === '--method') await child(second, Number(third), process.argv[5]);
else await parent(Number(first ?? 500), resolve(second ?? join(here, 'provider')));

async function parent(n, provider) {
  const rows = [];
  for (const method of Object.keys(METHODS)) {
    const out = execFileSync(
      process.execPath,
      [fileURLToPath(import.meta.url), '--method', method, String(n), provider],
      { encoding: 'utf8' },
    );
    rows.push([METHODS[method], JSON.parse(out)]);
  }
  console.log(`${n} sequential runs of ${join(provider, 'attach')}, each way in a fresh node process`);
  console.log(
    `  ${'way'.padEnd(40)} ${'ms/run'.padStart(7)} ${'node CPU ms/run'.padStart(16)} ${'spawn() ms/run'.padStart(15)} ${'RSS MiB'.padStart(8)}`,
  );
  for (const [name, r] of rows) {
    console.log(
      `  ${name.padEnd(40)} ${r.ms.toFixed(3).padStart(7)} ${r.cpuMs.toFixed(3).padStart(16)} ${(r.spawnMs === null ? '-' : r.spawnMs.toFixed(3)).padStart(15)} ${String(r.rss).padStart(8)}`,
    );
  }
}

async function child(method, n, provider) {
  const script = join(provider, 'attach');
  const envOf = (i) => ({
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: '/tmp',
    TMPDIR: '/tmp',
    LC_ALL: 'C',
    VOL_NAME: `vol${i}`,
    VOL_UUID: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    EXTP_POOL: 'bench',
  });
  const check = (i, stdout) => {
    if (!Buffer.from(stdout).toString().startsWith(`/dev/bench/vol${i}\n`))
      throw new Error(`run ${i}: unexpected stdout ${JSON.stringify(String(stdout))}`);
  };
  // Time spent in the synchronous spawn call (fork + exec in libuv), where it can be isolated.
  let spawnMs = null;
  const timedSpawn = (...args) => {
    const s = performance.now();
    const c = spawn(...args);
    spawnMs = (spawnMs ?? 0) + performance.now() - s;
    return c;
  };

  let run;
  if (method === 'spawnSync') {
    run = async (i) => check(i, spawnSync(script, [], { cwd: provider, env: envOf(i), input: '' }).stdout);
  } else if (method === 'spawn') {
    run = (i) =>
      new Promise((ok, fail) => {
        const c = timedSpawn(script, [], {
          cwd: provider,
          env: envOf(i),
          stdio: ['pipe', 'pipe', 'pipe'],
          detached: true,
        });
        c.stdin.end();
        const out = [];
        c.stdout.on('data', (d) => out.push(d));
        c.stderr.resume();
        c.on('error', fail);
        c.on('close', () => ok(check(i, Buffer.concat(out))));
      });
  } else if (method === 'execa') {
    const { execa } = await import(execaUrl);
    run = async (i) => {
      const s = performance.now();
      const sub = execa(script, [], {
        cwd: provider,
        env: envOf(i),
        extendEnv: false,
        stdin: 'pipe',
        stdout: 'pipe',
        stderr: 'pipe',
        buffer: false,
        encoding: 'buffer',
        detached: true,
        reject: false,
        cleanup: true,
        windowsHide: true,
      });
      spawnMs = (spawnMs ?? 0) + performance.now() - s; // execa's synchronous part, spawn included
      sub.stdin.end();
      const out = [];
      sub.stdout.on('data', (d) => out.push(d));
      sub.stderr.resume();
      await sub;
      check(i, Buffer.concat(out));
    };
  } else {
    let url = pathToFileURL(join(distRun, 'invoke.js')).href;
    let temp;
    if (method === 'invokeSmall') {
      // The same code with small capture buffers: what the eager 2 x (256 + 64) KiB per run costs.
      const source = readFileSync(join(distRun, 'invoke.js'), 'utf8')
        .replace(/from 'execa'/, `from ${JSON.stringify(execaUrl)}`)
        .replace(/from '\.\/capture\.js'/, `from ${JSON.stringify(pathToFileURL(join(distRun, 'capture.js')).href)}`)
        .replaceAll('new BoundedCapture()', 'new BoundedCapture(4096, 1024)');
      if (!source.includes('new BoundedCapture(4096, 1024)'))
        throw new Error('invoke.js no longer builds its captures with new BoundedCapture(): update spawn-cost.mjs');
      temp = mkdtempSync(join(tmpdir(), 'spawn-cost-'));
      writeFileSync(join(temp, 'invoke.mjs'), source);
      url = pathToFileURL(join(temp, 'invoke.mjs')).href;
    }
    const { invokeScript } = await import(url);
    if (temp) rmSync(temp, { recursive: true });
    run = async (i) => {
      const r = await invokeScript({ script, args: [], cwd: provider, env: envOf(i), timeoutSeconds: 10 });
      check(i, r.stdout.head);
    };
  }

  for (let i = 1; i <= 20; i++) await run(i); // warm-up
  spawnMs = spawnMs === null ? null : 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 1; i <= n; i++) await run(i);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(
    JSON.stringify({
      ms: ms / n,
      cpuMs: (cpu.user + cpu.system) / 1000 / n,
      spawnMs: spawnMs === null ? null : spawnMs / n,
      rss: Math.round(process.memoryUsage().rss / 2 ** 20),
    }),
  );
}
