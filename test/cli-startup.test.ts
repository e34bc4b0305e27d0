// What the built CLI loads to start (issue 14, goal 3): the entry alone for --help and --version;
// for a command, the kit (every command's code in one CommonJS bundle) compiled from the V8 code
// cache the build wrote, and no compiled module or package besides; a cache that is missing, of
// another build or damaged is not given to V8 (which would abort on a damaged one), and the
// command still runs. `help CMD` still shows that command's own help.

import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { CLI, REPO_ROOT, runCli } from './helpers/cli.js';
import { makeProvider, tempDir } from './helpers/provider-dir.js';

const TRACE = 'EXTSTORAGE_KIT_TRACE_CODE_CACHE';
const KIT = join(REPO_ROOT, 'dist', 'harness', 'cli-kit.cjs');

/** The environment users run the CLI in (no coverage: under it the kit goes through require()), traced. */
const USER_ENV: NodeJS.ProcessEnv = { NODE_V8_COVERAGE: undefined, [TRACE]: '1' };

interface Loaded {
  /** Repository-relative files loaded as ES modules (a loader hook) or by require() (require.cache at exit). */
  readonly files: string[];
  readonly stderr: string;
  readonly stdout: string;
}

/** Runs the CLI with `args` and records every file it loads as a module. */
function load(t: Test, args: string[], options: { cli?: string; input?: string } = {}): Loaded {
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
  writeFileSync(
    join(dir, 'required.cjs'),
    `process.on('exit', () => require('node:fs').appendFileSync(${JSON.stringify(log)}, Object.keys(require.cache).filter((f) => f !== __filename).map((f) => require('node:url').pathToFileURL(f).href + '\\n').join('')));\n`,
  );
  const r = runCli(args, {
    env: USER_ENV,
    nodeArgs: ['--import', join(dir, 'register.mjs'), '--require', join(dir, 'required.cjs')],
    ...options,
  });
  t.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  const files = readFileSync(log, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((url) => relative(REPO_ROOT, fileURLToPath(url)));
  return { files, stderr: r.stderr, stdout: r.stdout };
}

const COMPILED_FROM_CACHE = `extstorage-kit: ${KIT}: compiled from its code cache\n`;

t.test('--version and --help read the entry and nothing else', async (t) => {
  for (const args of [['--version'], ['--help']]) {
    const { files, stderr } = load(t, args);
    t.same(files, ['dist/harness/cli.js'], `${args[0]} loads the entry only`);
    t.equal(stderr, '', `${args[0]}: the kit is not loaded`);
    t.ok(statSync(CLI).size < 20_000, `the entry is ${statSync(CLI).size} bytes, under 20 kB (no command's code)`);
  }
});

t.test("a command loads the kit, compiled from the build's code cache: no other module, no package", async (t) => {
  for (const command of ['run', 'test', 'record', 'new']) {
    const { files, stderr } = load(t, [command, '--help']);
    t.same(files, ['dist/harness/cli.js'], `${command} --help: nothing through Node's loaders`);
    t.equal(stderr, COMPILED_FROM_CACHE, `${command} --help`);
  }
  // A real run: the scenario's loader, the runner and the simulators all come from the kit.
  const dir = tempDir(t, 'esk-startup-run-');
  const provider = makeProvider(dir);
  writeFileSync(join(provider, 'attach'), '#!/bin/sh\necho /dev/loop0\n');
  const scenario = join(dir, 'simulated.yaml');
  writeFileSync(
    scenario,
    'scenarios:\n  - name: simulated\n    simulate: { rbd: { pools: [rbd] } }\n    steps: [{ action: attach, expect: { device: /dev/loop0 } }]\n',
  );
  const run = load(t, ['run', provider, scenario]);
  t.same(run.files, ['dist/harness/cli.js'], 'run of a simulated scenario');
  t.ok(run.stderr.startsWith(COMPILED_FROM_CACHE), run.stderr);
  t.match(run.stdout, /^1 passed, 0 failed/);
});

t.test('a code cache that is missing, of another build or damaged is not used, and the command runs', async (t) => {
  // A copy of the entry and the kit, so that the build's own files stay as they are.
  const dir = tempDir(t, 'esk-startup-cache-');
  const harness = join(dir, 'dist', 'harness');
  mkdirSync(harness, { recursive: true });
  const kit = join(harness, 'cli-kit.cjs');
  for (const name of ['cli.js', 'cli-kit.cjs', 'cli-kit.cjs.v8-cache'])
    copyFileSync(join(REPO_ROOT, 'dist', 'harness', name), join(harness, name));
  const good = readFileSync(`${kit}.v8-cache`);
  const parse = (why: string, expected: string) => {
    const r = load(t, ['parse'], { cli: join(harness, 'cli.js'), input: '/dev/rbd0' });
    t.equal(r.stderr, `extstorage-kit: ${kit}: ${expected}\n`, why);
    t.match(r.stdout, /^3\.1\s+accepts\s+\/dev\/rbd0\s/m, `${why}: the command's output`);
  };
  parse('an intact copy', 'compiled from its code cache');

  const header = good.indexOf(0x0a) + 1;
  const damaged = Buffer.from(good);
  for (let i = header + 1000; i < header + 1400; i++) damaged[i] = damaged[i]! ^ 0x5a;
  writeFileSync(`${kit}.v8-cache`, damaged);
  parse('bytes changed in the V8 data', 'compiled without its code cache: it is damaged');

  writeFileSync(`${kit}.v8-cache`, good.subarray(0, header + 5000));
  parse('a truncated cache', 'compiled without its code cache: it is damaged');

  const otherBuild = Buffer.from(good);
  otherBuild.write(
    otherBuild
      .toString('latin1', 0, header)
      .replace(/build ([0-9a-f])/, (_, c: string) => `build ${c === '0' ? '1' : '0'}`),
    0,
    'latin1',
  );
  writeFileSync(`${kit}.v8-cache`, otherBuild);
  parse('a cache of another build', 'compiled without its code cache: it is of another build');

  writeFileSync(`${kit}.v8-cache`, good.subarray(header));
  parse('V8 data without the header', 'compiled without its code cache: it has no header');

  writeFileSync(`${kit}.v8-cache`, '');
  parse('an empty file', 'compiled without its code cache: it has no header');

  // The kit rebuilt (another hash on its first line): the old cache is another build's.
  writeFileSync(`${kit}.v8-cache`, good);
  const source = readFileSync(kit, 'utf8');
  writeFileSync(
    kit,
    source.replace(
      /^(\/\/ extstorage-kit bundle, build )([0-9a-f])/,
      (_, p: string, c: string) => `${p}${c === '0' ? '1' : '0'}`,
    ),
  );
  parse('a kit of another build beside the cache', 'compiled without its code cache: it is of another build');
  writeFileSync(kit, source);

  rmSync(`${kit}.v8-cache`);
  parse('no cache', 'compiled without its code cache: there is none');

  // No kit at all (a build stopped half-way): said plainly, no stack trace.
  rmSync(kit);
  const r = runCli(['parse'], { env: USER_ENV, cli: join(harness, 'cli.js'), input: '/dev/rbd0' });
  t.equal(r.code, 70);
  t.equal(
    r.stderr,
    `extstorage-kit: ${kit} is missing: the command line is not completely built (npm run build makes it)\n`,
  );
});

t.test('under --enable-source-maps the kit goes through require(): stack traces name the sources', async (t) => {
  const r = runCli(['run', '--help'], { env: USER_ENV, nodeArgs: ['--enable-source-maps'] });
  t.equal(r.code, 0);
  t.equal(r.stderr, `extstorage-kit: ${KIT}: loaded by require (source maps are on)\n`);
});

t.test('under NODE_V8_COVERAGE the kit goes through require(), which records its source map', async (t) => {
  const dir = tempDir(t, 'esk-startup-cov-');
  const r = runCli(['run', '--help'], { env: { ...USER_ENV, NODE_V8_COVERAGE: dir } });
  t.equal(r.code, 0);
  t.equal(r.stderr, `extstorage-kit: ${KIT}: loaded by require (NODE_V8_COVERAGE is set)\n`);
  const reports = readdirSync(dir).map(
    (f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as { 'source-map-cache'?: Record<string, unknown> },
  );
  t.ok(
    reports.some((report) => Object.keys(report['source-map-cache'] ?? {}).some((url) => url.endsWith('/cli-kit.cjs'))),
    "the kit's source map is in the coverage data",
  );
  const map = JSON.parse(readFileSync(`${KIT}.map`, 'utf8')) as { sources: string[] };
  t.ok(
    map.sources.some((s) => s.endsWith('harness/run/scenario-runner.ts')),
    'the map leads to the TypeScript sources',
  );
  t.same(
    map.sources.filter((s) => s.includes('node_modules')),
    [],
    "the map names no dependency's file (coverage tools would drop the whole kit)",
  );
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

t.test('a usage error from a command is the exit 2 and the pointer to --help', async (t) => {
  // The commands throw the kit's UsageError: the entry must recognise that class, not a copy of its own.
  const r = runCli(['run', '--jobs', 'many', 'x.yaml']);
  t.equal(r.code, 2, r.stderr);
  t.match(r.stderr, /^extstorage-kit run: .*--jobs.*\nRun "extstorage-kit run --help" for usage\.\n$/s);
});
