// `extstorage-kit build`: bundle a provider project (provider.ts + lib/) into a deployable directory.

import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BuildError, buildProvider } from '../build/bundle.js';
import { checkProvider } from '../provider/check.js';
import { EXIT, HELP_OPTION, UsageError, usageErrors, type Command } from '../cli/command.js';

const help = `Usage: extstorage-kit build [<project-dir>] [--out DIR]

Builds a provider project (made by "extstorage-kit new", or one of the kit's
providers/) into a directory Ganeti can use on a node that has only nodejs:
one executable, self-contained JavaScript file per action with
#!/usr/bin/env node, parameters.list generated from the provider's parameter
declarations, and its README. No node_modules, no TypeScript at run time.
Then it checks the result as Ganeti would load it.

Options:
      --out DIR    where to write it (default: <project-dir>/dist/<provider name>)
  -h, --help       show this help

Exit status: 0 built and valid, 1 the build failed or the result is invalid,
2 usage error.

Examples:
  extstorage-kit build                       # in a project made by "new"
  extstorage-kit build ./my-provider --out /tmp/my-provider
`;

export const buildCommand: Command = {
  name: 'build',
  help,
  async run(argv) {
    const { values, positionals } = usageErrors(() =>
      parseArgs({ args: argv, allowPositionals: true, options: { ...HELP_OPTION, out: { type: 'string' } } }),
    );
    if (values.help) {
      process.stdout.write(help);
      return EXIT.ok;
    }
    if (positionals.length > 1) throw new UsageError(`expected at most one <project-dir>, got ${positionals.length}`);
    const project = resolve(positionals[0] ?? '.');
    try {
      const { name, outDir } = await buildProvider(project, values.out === undefined ? undefined : resolve(values.out));
      const check = checkProvider(outDir);
      const errors = check.problems.filter((p) => p.severity === 'error');
      if (!check.valid) {
        process.stderr.write(
          `built ${name} into ${outDir}, but Ganeti would refuse it:\n${errors.map((p) => `  ${p.file}: ${p.message}`).join('\n')}\n`,
        );
        return EXIT.failed;
      }
      process.stdout.write(
        `built ${name} into ${outDir} (${check.parameters.length} parameters, optional scripts: ${
          Object.entries(check.optional)
            .filter(([, v]) => v)
            .map(([k]) => k)
            .join(', ') || 'none'
        })\n`,
      );
      return EXIT.ok;
    } catch (error) {
      if (error instanceof BuildError) {
        process.stderr.write(`extstorage-kit build: ${error.message}\n`);
        return EXIT.failed;
      }
      throw error;
    }
  },
};
