// `npm run build`, last step: the command line as users run it (issue 14, goal 3). From the compiled
// JavaScript in dist/ (what tsc and the generated validator left), not the sources, it writes:
//   dist/harness/cli.js               the entry (ESM, bin): the command list, --help, --version, and
//                                     the loader of the kit; it replaces tsc's cli.js
//   dist/harness/cli-kit.cjs          every command's code and its dependencies (yaml, ajv's runtime,
//                                     tmp, execa, fast-check) in one CommonJS file, which the entry
//                                     loads when a command runs (harness/cli/load-bundle.ts)
//   dist/harness/cli-kit.cjs.v8-cache V8's compiled code for the kit, written by a warmed-up run of
//                                     one reference scenario, so that a command does not compile it
// The rest of dist/harness stays as tsc wrote it, for the library export, the tests and the
// programs the harness starts by path (simulate/server-main.js, record/spy-main.js,
// real/passthrough-main.js). esbuild stays a package, since it finds its own binary.
//
// Why CommonJS: Node 20 can give compiled code to a vm.Script, not to an ES module.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode, encode, type SourceMapSegment } from '@jridgewell/sourcemap-codec';
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { codeCachePath, WRITE_CODE_CACHE_ENV } from '../harness/cli/load-bundle.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const harnessDir = join(root, 'dist', 'harness');
const entry = join(harnessDir, 'cli.js');
const kit = join(harnessDir, 'cli-kit.cjs');

/** The first line after the hashbang of a bundled cli.js: bundling a bundle would be wrong, so it stops. */
const MARK = '// extstorage-kit command line, bundled by scripts/bundle-cli.ts from the compiled dist/harness.';

/** The kit's first line; the build's hash replaces the zeros (same length: the source map stays right). */
const BUILD_PLACEHOLDER = '0'.repeat(16);
const KIT_FIRST_LINE = `// extstorage-kit bundle, build ${BUILD_PLACEHOLDER}`;

/**
 * Modules find files next to them through import.meta.url (the stub runtime, spec/, package.json).
 * Bundled, they all sit in a file in dist/harness/: each of their import.meta.url becomes the URL
 * of the compiled module it came from, so every such path stays what it is without the bundle.
 */
const keepModuleUrls: Plugin = {
  name: 'keep-module-urls',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /\.js$/ }, (args) => {
      if (!args.path.startsWith(`${harnessDir}/`)) return undefined;
      const source = readFileSync(args.path, 'utf8');
      const own = `./${relative(harnessDir, args.path)}`;
      return {
        contents: source.replaceAll('import.meta.url', `new URL(${JSON.stringify(own)}, import.meta.url).href`),
        loader: 'js',
        // Where esbuild finds the module's own //# sourceMappingURL (tsc's map), to chain it.
        resolveDir: dirname(args.path),
      };
    });
  },
};

const compiled = readFileSync(entry, 'utf8');
if (compiled.split('\n', 2)[1] === MARK) {
  process.stderr.write(`bundle-cli: ${entry} is already the bundle; compile first (npm run build runs tsc)\n`);
  process.exit(1);
}

// Files of an earlier build would otherwise stay behind, unused: the kit and its cache, and the
// chunks of the ES module bundle of earlier versions (tsc's cli-kit.js is this build's input).
for (const name of readdirSync(harnessDir)) {
  if (/^cli-kit\.cjs(\.map|\.v8-cache(\.\d+\.tmp)?)?$|^cli-(dependencies|[A-Z0-9]{8})\.js(\.map)?$/.test(name))
    rmSync(join(harnessDir, name));
}

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  write: false,
  logLevel: 'error',
} satisfies BuildOptions;

// The entry: an ES module, as tsc's cli.js was, holding no command's code.
const entryResult = await build({
  ...common,
  entryPoints: [entry],
  outfile: entry,
  format: 'esm',
  // The kit's type only: nothing of it may be bundled into the entry.
  external: ['./cli-kit.js'],
  banner: { js: MARK },
  sourcemap: 'linked',
  sourcesContent: false,
  plugins: [keepModuleUrls],
});

// The kit. A vm.Script has no import(): the dynamic imports (the backends, esbuild) become require().
const kitResult = await build({
  ...common,
  entryPoints: [join(harnessDir, 'cli-kit.js')],
  outfile: kit,
  format: 'cjs',
  // Every character outside comments escaped: the loader reads the kit as Latin-1, which is faster.
  charset: 'ascii',
  supported: { 'dynamic-import': false },
  external: ['esbuild'],
  define: { 'import.meta.url': '__kitBundleUrl' },
  banner: { js: `${KIT_FIRST_LINE}\nvar __kitBundleUrl = require('node:url').pathToFileURL(__filename).href;` },
  // Linked maps lead from each file to the TypeScript sources (through tsc's maps, which esbuild
  // follows): stack traces under --enable-source-maps, and coverage, name harness/*.ts.
  sourcemap: 'linked',
  sourcesContent: false,
  plugins: [keepModuleUrls],
});

/**
 * The kit's map without the dependencies' code: coverage tools drop a whole file as soon as its map
 * names node_modules (tap does), which would hide the kit's code that every CLI process the tests
 * start runs. Lines of a dependency then map to nothing, which coverage skips.
 */
function withoutDependencies(mapText: string): string {
  const map = JSON.parse(mapText) as { sources: string[]; mappings: string; names: string[] };
  const kept = map.sources.map((source) => !source.split('/').includes('node_modules'));
  let next = 0;
  const newIndex = kept.map((keep) => (keep ? next++ : -1));
  const lines = decode(map.mappings).map((line) =>
    line
      .filter((segment) => segment.length === 1 || kept[segment[1]] === true)
      .map((segment): SourceMapSegment => {
        if (segment.length === 1) return segment;
        const [column, source, sourceLine, sourceColumn] = segment;
        return segment.length === 5
          ? [column, newIndex[source]!, sourceLine, sourceColumn, segment[4]]
          : [column, newIndex[source]!, sourceLine, sourceColumn];
      }),
  );
  return JSON.stringify({ ...map, sources: map.sources.filter((_, i) => kept[i]), mappings: encode(lines) });
}

for (const file of entryResult.outputFiles) writeFileSync(file.path, file.contents);
chmodSync(entry, 0o755);
for (const file of kitResult.outputFiles) {
  if (file.path.endsWith('.map')) writeFileSync(file.path, withoutDependencies(file.text));
  else {
    const build = createHash('sha256').update(file.contents).digest('hex').slice(0, BUILD_PLACEHOLDER.length);
    writeFileSync(file.path, file.text.replace(KIT_FIRST_LINE, KIT_FIRST_LINE.replace(BUILD_PLACEHOLDER, build)));
  }
}

// The code cache: one reference scenario (simulated rbd: the loader, the runner, the simulators,
// the sandbox, the reporters), run by the built command line, which writes the cache as it exits.
// Without it the command line works the same, compiling its code on every start: a machine where
// the scenario cannot run (no sh, no coreutils) still gets a working build, with a warning.
const warmUp = spawnSync(
  process.execPath,
  [entry, 'run', join(root, 'dist', 'providers', 'rbd'), join(root, 'providers', 'rbd', 'scenarios', 'lifecycle.yaml')],
  {
    cwd: root,
    env: { ...process.env, [WRITE_CODE_CACHE_ENV]: '1', NODE_V8_COVERAGE: undefined },
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  },
);
// The cache is written at exit whatever the scenario's verdict (the tests judge the scenario).
if (!existsSync(codeCachePath(kit)))
  process.stderr.write(
    `bundle-cli: warning: the run that writes the command line's code cache wrote none (exit ${warmUp.status ?? warmUp.signal}); ` +
      `the command line works without it, compiling its code on every start:\n${warmUp.stderr}`,
  );
