// `npm run build`, last step: replaces the compiled entry dist/harness/cli.js by a bundle of it, so
// the command line starts by reading a few files instead of resolving some hundred modules (issue
// 14). It bundles the compiled JavaScript (what tsc and any generated module left in dist/), not
// the sources; the rest of dist/harness stays as tsc wrote it, for the library export, the tests
// and the executables the harness writes (stubs import dist/harness/simulate/*.js by path).
//
// Each command module is a lazily imported chunk (cli-*.js beside cli.js); the dependencies
// (yaml, ajv, tmp) are bundled in; esbuild stays a package, since it finds its own binary.

import { readFileSync, readdirSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

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
  if (/^cli-[\w-]+\.js$/.test(name)) rmSync(join(harnessDir, name));
}

const result = await build({
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
  sourcemap: false,
  write: false,
  logLevel: 'error',
  plugins: [keepModuleUrls],
});

for (const file of result.outputFiles) writeFileSync(file.path, file.contents);
chmodSync(entry, 0o755);
// tsc's source map describes the compiled module the bundle replaced.
rmSync(`${entry}.map`, { force: true });
