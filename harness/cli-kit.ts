// The commands' code as the built command line loads it: scripts/bundle-cli.ts bundles this module,
// with everything it imports, into one CommonJS file (dist/harness/cli-kit.cjs) that the entry
// (cli.ts) loads through V8's code cache when a command runs (cli/load-bundle.ts). `--help` and
// `--version` never load it.

export { parseCommand } from './commands/parse.js';
export { checkCommand } from './commands/check.js';
export { runCommand } from './commands/run.js';
export { testCommand } from './commands/test.js';
export { recordCommand } from './commands/record.js';
export { newCommand } from './commands/new.js';
export { buildCommand } from './commands/build.js';
export { installCommand } from './commands/install.js';
// The commands throw the kit's own UsageError: the entry must test against this class, not its own copy.
export { UsageError } from './cli/command.js';
