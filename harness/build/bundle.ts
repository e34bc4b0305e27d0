// Builds a provider project into a deployable directory: one executable, self-contained CommonJS
// bundle per action (#!/usr/bin/env node, Node built-ins only), parameters.list generated from the
// provider's declarations, its README, and a package.json that pins the module format.
// A provider project is a directory with provider.ts exporting `provider` and `parameters`
// (see providers/lib/runtime.ts), and the runtime in lib/ beside it or above it.

import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACTIONS } from '../provider/layout.js';

const COMMON = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  legalComments: 'none',
  logLevel: 'silent',
} as const;

export class BuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BuildError';
  }
}

async function bundle(
  sourceDir: string,
  contents: string,
  sourcefile: string,
  outfile: string,
  banner?: string,
): Promise<void> {
  // esbuild (about 30 ms to load) only when something is built, not for `new --help`.
  const { build } = await import('esbuild');
  try {
    await build({
      ...COMMON,
      stdin: { contents, resolveDir: sourceDir, sourcefile, loader: 'ts' },
      outfile,
      ...(banner ? { banner: { js: banner } } : {}),
    });
  } catch (error) {
    const errors =
      (error as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] })
        .errors ?? [];
    const detail = errors
      .map((e) => (e.location ? `${e.location.file}:${e.location.line}:${e.location.column + 1}: ${e.text}` : e.text))
      .join('\n');
    throw new BuildError(`cannot bundle ${sourcefile} from ${sourceDir}:\n${detail || (error as Error).message}`);
  }
}

/** The provider name a project declares, read by running a tiny bundle of it. */
async function declarations(sourceDir: string, runtimeDir: string): Promise<{ name: string; parametersList: string }> {
  const scratch = mkdtempSync(join(tmpdir(), 'extstorage-kit-build-'));
  try {
    const printer = join(scratch, 'print.cjs');
    await bundle(
      sourceDir,
      `import { provider, parameters } from './provider.js';\nimport { parametersList } from ${JSON.stringify(join(runtimeDir, 'parameters.js'))};\nprocess.stdout.write(JSON.stringify({ name: provider.name, parametersList: parametersList(parameters) }));\n`,
      'declarations.ts',
      printer,
    );
    const printed = spawnSync(process.execPath, [printer], { encoding: 'utf8' });
    if (printed.status !== 0)
      throw new BuildError(`cannot read the declarations of ${sourceDir}/provider.ts: ${printed.stderr.trim()}`);
    return JSON.parse(printed.stdout) as { name: string; parametersList: string };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Where the runtime is for a project: lib/ inside it (a generated project) or ../lib (this repository). */
export function runtimeDirFor(sourceDir: string): string {
  for (const candidate of [join(sourceDir, 'lib'), join(sourceDir, '..', 'lib')]) {
    if (existsSync(join(candidate, 'runtime.ts'))) return candidate;
  }
  throw new BuildError(`no provider runtime (lib/runtime.ts) in ${sourceDir} or its parent`);
}

/** Builds `sourceDir` into `outDir` (replaced; default `<sourceDir>/dist/<name>`); returns both. */
export async function buildProvider(
  sourceDir: string,
  outDirOption?: string,
): Promise<{ name: string; outDir: string }> {
  if (!existsSync(join(sourceDir, 'provider.ts'))) throw new BuildError(`${sourceDir} has no provider.ts`);
  const runtimeDir = runtimeDirFor(sourceDir);
  const { name, parametersList } = await declarations(sourceDir, runtimeDir);
  const outDir = outDirOption ?? join(sourceDir, 'dist', name);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  await Promise.all(
    ACTIONS.map(async (action) => {
      const outfile = join(outDir, action);
      await bundle(
        sourceDir,
        `import { provider } from './provider.js';\nimport { runAction } from ${JSON.stringify(join(runtimeDir, 'runtime.js'))};\nrunAction(provider, ${JSON.stringify(action)});\n`,
        `${action}.ts`,
        outfile,
        `#!/usr/bin/env node\n// ${name} ExtStorage provider: ${action}. Built by extstorage-kit; edit the TypeScript sources, not this file.`,
      );
      chmodSync(outfile, 0o755);
    }),
  );
  writeFileSync(join(outDir, 'parameters.list'), parametersList, { mode: 0o644 });
  if (existsSync(join(sourceDir, 'README.md'))) copyFileSync(join(sourceDir, 'README.md'), join(outDir, 'README.md'));
  // Node picks CommonJS or ESM for extensionless files from the nearest package.json: pin it here,
  // so the scripts run the same inside a project and wherever the directory is copied.
  writeFileSync(join(outDir, 'package.json'), `${JSON.stringify({ type: 'commonjs', private: true }, null, 2)}\n`, {
    mode: 0o644,
  });
  return { name, outDir };
}
