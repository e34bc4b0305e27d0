// `extstorage-kit install`: copy a built provider into Ganeti's ExtStorage search path.

import { chmodSync, cpSync, existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isReferenceProvider, referenceBuild } from '../build/reference.js';
import { checkProvider } from '../provider/check.js';
import { EXIT, HELP_OPTION, UsageError, usageErrors, type Command } from '../cli/command.js';

export const DEFAULT_SEARCH_PATH = '/srv/ganeti/extstorage';

const help = `Usage: extstorage-kit install <name|dir> [--to DIR] [--force]

Copies a built provider into Ganeti's ExtStorage search path, with the modes
Ganeti needs (scripts 0755, other files 0644), after checking it the way
Ganeti loads providers. <name> is one of the kit's reference providers
(legacy, rbd, gluster; built by "npm run build" into dist/providers/), <dir>
any built provider directory. An existing provider is only replaced with
--force, and then all at once (a half-copied provider is never visible).

Options:
      --to DIR     the provider directory to create
                   (default: ${DEFAULT_SEARCH_PATH}/<name>)
      --force      replace what is there
  -h, --help       show this help

Exit status: 0 installed, 1 refused (invalid provider, target exists, copy
failed), 2 usage error.

Examples:
  extstorage-kit install rbd
  extstorage-kit install ./my-provider/dist/my-provider --force
  extstorage-kit install legacy --to /usr/share/ganeti/extstorage/legacy
`;

function source(arg: string): string {
  if (!existsSync(arg) && isReferenceProvider(arg)) {
    const built = referenceBuild(arg);
    if (!existsSync(built))
      throw new UsageError(`${arg} is not built yet: run "npm run build" in the extstorage-kit directory first`);
    return built;
  }
  if (!existsSync(arg))
    throw new UsageError(`${arg} is neither a directory nor a reference provider (legacy, rbd, gluster)`);
  return resolve(arg);
}

/** Executable files (the scripts, and any helper they run) 0755, other files 0644, directories 0755. */
function setModes(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    const stats = statSync(path);
    if (stats.isDirectory()) setModes(path);
    else chmodSync(path, stats.mode & 0o100 ? 0o755 : 0o644);
  }
}

export const installCommand: Command = {
  name: 'install',
  help,
  async run(argv) {
    const { values, positionals } = usageErrors(() =>
      parseArgs({
        args: argv,
        allowPositionals: true,
        options: { ...HELP_OPTION, to: { type: 'string' }, force: { type: 'boolean', default: false } },
      }),
    );
    if (values.help) {
      process.stdout.write(help);
      return EXIT.ok;
    }
    if (positionals.length !== 1)
      throw new UsageError(
        positionals.length === 0 ? 'missing <name|dir>' : `expected one <name|dir>, got ${positionals.length}`,
      );
    const from = source(positionals[0]!);
    const check = checkProvider(from);
    if (!check.valid) {
      const errors = check.problems.filter((p) => p.severity === 'error').map((p) => `  ${p.file}: ${p.message}`);
      process.stderr.write(
        `extstorage-kit install: ${from} is not a valid provider, so Ganeti would refuse it:\n${errors.join('\n')}\n`,
      );
      return EXIT.failed;
    }
    const target = resolve(values.to ?? join(DEFAULT_SEARCH_PATH, basename(from)));
    if (existsSync(target) && !values.force) {
      process.stderr.write(`extstorage-kit install: ${target} already exists; use --force to replace it\n`);
      return EXIT.failed;
    }
    const staged = join(dirname(target), `.${basename(target)}.installing-${process.pid}`);
    const old = join(dirname(target), `.${basename(target)}.old-${process.pid}`);
    try {
      cpSync(from, staged, { recursive: true, dereference: true, errorOnExist: true, force: false });
      setModes(staged);
      if (existsSync(target)) renameSync(target, old);
      renameSync(staged, target);
      rmSync(old, { recursive: true, force: true });
    } catch (error) {
      rmSync(staged, { recursive: true, force: true });
      if (existsSync(old) && !existsSync(target)) renameSync(old, target);
      process.stderr.write(`extstorage-kit install: cannot install into ${target}: ${(error as Error).message}\n`);
      return EXIT.failed;
    }
    process.stdout.write(
      `installed ${check.provider} into ${target}; "gnt-storage diagnose" should list it as valid\n`,
    );
    return EXIT.ok;
  },
};
