// What the built CLI loads to start (issue 14, goal 3): the entry is a bundle, each command's code
// is loaded only when that command runs, and `help CMD` still shows that command's own help.

import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { CLI, REPO_ROOT, cleanEnv, runCli } from './helpers/cli.js';
import { makeProvider, tempDir } from './helpers/provider-dir.js';

/** The files (repository-relative) the CLI process loads as modules for `args`, through a loader hook. */
function loadedFiles(t: Test, args: string[]): string[] {
  const dir = tempDir(t, 'esk-startup-');
  const log = join(dir, 'loaded');
  writeFileSync(log, '');
  writeFileSync(
    join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) {\n  if (url.startsWith('file:')) appendFileSync(${JSON.stringify(log)}, url + '\\n');\n  return next(url, context);\n}\n`,
  );
  writeFileSync(
    join(dir, 'register.mjs'),
    `import { register } from 'node:module';\nregister(${JSON.stringify('./hooks.mjs')}, import.meta.url);\n`,
  );
  const r = spawnSync(process.execPath, ['--import', join(dir, 'register.mjs'), CLI, ...args], {
    cwd: REPO_ROOT,
    env: cleanEnv(),
    encoding: 'utf8',
  });
  t.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((url) => relative(REPO_ROOT, fileURLToPath(url)));
}

const bundled = /^dist\/harness\/cli(-[\w-]+)?\.js$/;

t.test('--version and --help read the entry and almost nothing else', async (t) => {
  for (const args of [['--version'], ['--help']]) {
    const files = loadedFiles(t, args);
    t.ok(files.includes('dist/harness/cli.js'), `${args[0]} loads the entry`);
    t.same(
      files.filter((f) => !bundled.test(f)),
      [],
      `${args[0]}: nothing but the bundle`,
    );
    const bytes = files.reduce((sum, f) => sum + statSync(join(REPO_ROOT, f)).size, 0);
    t.ok(bytes < 20_000, `${args[0]} reads ${bytes} bytes of JavaScript, under 20 kB (no command's code)`);
  }
});

t.test('a command loads its code from the bundle: no compiled module, no package', async (t) => {
  for (const command of ['run', 'test', 'record', 'new']) {
    const files = loadedFiles(t, [command, '--help']);
    t.same(
      files.filter((f) => !bundled.test(f)),
      [],
      `${command} --help`,
    );
  }
});

t.test('help CMD is CMD --help, for every command the list names', async (t) => {
  const list = runCli(['--help']).stdout;
  const names = [...(/\nCommands:\n([\s\S]*?)\n\n/.exec(list)?.[1] ?? '').matchAll(/^ {2}(\S+)/gm)].map((m) => m[1]!);
  t.same(names, ['parse', 'check', 'run', 'test', 'record', 'new', 'build', 'install']);
  for (const name of names) {
    const viaHelp = runCli(['help', name]);
    const own = runCli([name, '--help']);
    t.equal(viaHelp.code, 0, name);
    t.equal(viaHelp.stdout, own.stdout, `help ${name}`);
    t.match(own.stdout, new RegExp(`^Usage: extstorage-kit ${name}\\b`), name);
  }
});

t.test('run loads the simulators only for scenarios that simulate a command', async (t) => {
  const dir = tempDir(t, 'esk-startup-sim-');
  const provider = makeProvider(dir);
  writeFileSync(join(provider, 'attach'), '#!/bin/sh\necho /dev/loop0\n');
  const plain = join(dir, 'plain.yaml');
  writeFileSync(
    plain,
    'scenarios:\n  - name: plain\n    steps: [{ action: attach, expect: { device: /dev/loop0 } }]\n',
  );
  const simulated = join(dir, 'simulated.yaml');
  writeFileSync(
    simulated,
    'scenarios:\n  - name: simulated\n    simulate: { rbd: { pools: [rbd] } }\n    steps: [{ action: attach, expect: { device: /dev/loop0 } }]\n',
  );
  // A chunk's code is the simulators' when its source map names harness/simulate/.
  const simulatorChunks = (files: string[]) =>
    files.filter((f) => {
      try {
        const map = JSON.parse(readFileSync(join(REPO_ROOT, `${f}.map`), 'utf8')) as { sources: string[] };
        return map.sources.some((s) => s.includes('harness/simulate/'));
      } catch {
        return false;
      }
    });
  t.same(simulatorChunks(loadedFiles(t, ['run', provider, plain])), [], 'nothing simulated: not loaded');
  t.not(simulatorChunks(loadedFiles(t, ['run', provider, simulated])).length, 0, 'rbd simulated: loaded');
});
