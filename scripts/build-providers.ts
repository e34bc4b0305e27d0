// Builds each reference provider into dist/providers/<name>/: one executable, self-contained
// CommonJS bundle per action (#!/usr/bin/env node, Node built-ins only), parameters.list generated
// from the provider's declarations, and its README. Runs on a node that has only nodejs.

import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../..', import.meta.url));
const ACTIONS = ['create', 'attach', 'detach', 'remove', 'grow', 'setinfo', 'verify', 'snapshot', 'open', 'close'] as const;

/** The reference providers: directory under providers/ and the definition it exports. */
export const REFERENCE_PROVIDERS: readonly { readonly name: string; readonly definition: string }[] = [
  { name: 'legacy', definition: 'legacy' },
  { name: 'rbd', definition: 'rbd' },
  { name: 'gluster', definition: 'gluster' },
];

const COMMON = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  legalComments: 'none',
  logLevel: 'warning',
} as const;

/** Builds the provider whose sources are in `sourceDir` (provider.ts exporting `definition`). */
export async function buildProvider(sourceDir: string, outDir: string, definition: string): Promise<void> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  await Promise.all(
    ACTIONS.map(async (action) => {
      const outfile = join(outDir, action);
      await build({
        ...COMMON,
        stdin: {
          contents: `import { ${definition} } from './provider.js';\nimport { runAction } from '../lib/runtime.js';\nrunAction(${definition}, ${JSON.stringify(action)});\n`,
          resolveDir: sourceDir,
          sourcefile: `${action}.ts`,
          loader: 'ts',
        },
        outfile,
        banner: { js: `#!/usr/bin/env node\n// ${definition} ExtStorage provider: ${action}. Built by extstorage-kit; edit the TypeScript sources, not this file.` },
      });
      chmodSync(outfile, 0o755);
    }),
  );
  // parameters.list comes from the same declarations the scripts validate against.
  const scratch = mkdtempSync(join(tmpdir(), 'esk-build-'));
  try {
    const printer = join(scratch, 'print-parameters.cjs');
    await build({
      ...COMMON,
      stdin: {
        contents: `import { parameters } from './provider.js';\nimport { parametersList } from '../lib/parameters.js';\nprocess.stdout.write(parametersList(parameters));\n`,
        resolveDir: sourceDir,
        sourcefile: 'print-parameters.ts',
        loader: 'ts',
      },
      outfile: printer,
    });
    const printed = spawnSync(process.execPath, [printer], { encoding: 'utf8' });
    if (printed.status !== 0) throw new Error(`cannot list the parameters of ${sourceDir}: ${printed.stderr}`);
    writeFileSync(join(outDir, 'parameters.list'), printed.stdout, { mode: 0o644 });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  copyFileSync(join(sourceDir, 'README.md'), join(outDir, 'README.md'));
  // Node decides CommonJS or ESM for extensionless files from the nearest package.json: say it here,
  // so the scripts run the same inside this repository and wherever the directory is copied.
  writeFileSync(join(outDir, 'package.json'), `${JSON.stringify({ type: 'commonjs', private: true }, null, 2)}\n`, { mode: 0o644 });
}

async function main(): Promise<void> {
  for (const { name, definition } of REFERENCE_PROVIDERS) {
    await buildProvider(join(root, 'providers', name), join(root, 'dist', 'providers', name), definition);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    process.stderr.write(`build-providers: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
