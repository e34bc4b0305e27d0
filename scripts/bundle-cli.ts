// `npm run build`, last step: replaces the compiled entry dist/harness/cli.js by a bundle of it, so
// the command line starts by reading a few files instead of resolving some hundred modules (issue
// 14). It bundles the compiled JavaScript (what tsc and any generated module left in dist/), not
// the sources; the rest of dist/harness stays as tsc wrote it, for the library export, the tests
// and the programs the harness starts by path (simulate/server-main.js, record/spy-main.js,
// real/passthrough-main.js).
//
// Each command module is a lazily imported chunk (cli-*.js beside cli.js); the dependencies
// (yaml, ajv's runtime, tmp, execa) are bundled in, in chunks of their own; esbuild stays a
// package, since it finds its own binary.

import { readFileSync, readdirSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions, type Plugin } from 'esbuild';

const root = fileURLToPath(new URL('../..', import.meta.url));
const harnessDir = join(root, 'dist', 'harness');
const entry = join(harnessDir, 'cli.js');

/** The first line after the hashbang of a bundled cli.js: bundling a bundle would be wrong, so it stops. */
const MARK = '// extstorage-kit command line, bundled by scripts/bundle-cli.ts from the compiled dist/harness.';

/**
 * Modules find files next to them through import.meta.url (the stub runtime, spec/, package.json).
 * Bundled, they all sit in a chunk in dist/harness/: each of their import.meta.url becomes the URL
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

// Chunks of an earlier build would otherwise stay behind, unused.
for (const name of readdirSync(harnessDir)) {
  if (/^cli-[\w-]+\.js(\.map)?$/.test(name)) rmSync(join(harnessDir, name));
}

const options = {
  entryPoints: [entry],
  outdir: harnessDir,
  entryNames: '[name]',
  chunkNames: 'cli-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['esbuild'],
  // The CommonJS dependencies (ajv, tmp) call require() for Node's built-ins.
  banner: {
    js: `${MARK}\nimport { createRequire as __cliCreateRequire } from 'node:module';\nconst require = __cliCreateRequire(import.meta.url);`,
  },
  legalComments: 'none',
  write: false,
  logLevel: 'error',
} satisfies BuildOptions;

/**
 * The dependencies' modules (yaml, ajv's runtime, tmp, execa's), found by a first pass. esbuild puts
 * modules in one chunk when the same entries reach them; a second entry that reaches exactly these
 * gives them chunks of their own. Then no chunk mixes the kit's code with a dependency's, and each
 * chunk's source map names the kit's TypeScript files only or node_modules only: coverage tools drop
 * a whole chunk as soon as its map names node_modules (tap does), which would hide the kit's code
 * run by every CLI process the tests start.
 */
const firstPass = await build({ ...options, metafile: true, plugins: [keepModuleUrls] });
const dependencies = Object.keys(firstPass.metafile.inputs)
  .filter((input) => input.split('/').includes('node_modules'))
  .map((input) => join(root, input));
const DEPENDENCIES_ENTRY = 'cli-dependencies';
const dependenciesEntry: Plugin = {
  name: 'dependencies-entry',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: new RegExp(`^${DEPENDENCIES_ENTRY}$`) }, () => ({
      path: DEPENDENCIES_ENTRY,
      namespace: DEPENDENCIES_ENTRY,
    }));
    pluginBuild.onLoad({ filter: /.*/, namespace: DEPENDENCIES_ENTRY }, () => ({
      // Namespace imports keep each module whole and reachable (a bare import could be shaken out).
      contents: dependencies.map((file, i) => `export * as m${i} from ${JSON.stringify(file)};`).join('\n'),
      resolveDir: root,
      loader: 'js',
    }));
  },
};

const result = await build({
  ...options,
  entryPoints: [entry, DEPENDENCIES_ENTRY],
  // Linked maps lead from each chunk to the TypeScript sources (through tsc's maps, which esbuild
  // follows): stack traces under --enable-source-maps, and coverage, name harness/*.ts.
  sourcemap: 'linked',
  sourcesContent: false,
  plugins: [keepModuleUrls, dependenciesEntry],
});

for (const file of result.outputFiles) writeFileSync(file.path, file.contents);
chmodSync(entry, 0o755);
