#!/usr/bin/env node
// The extstorage-kit command line: dispatches to one module per subcommand in commands/.

import { readFileSync } from 'node:fs';
import { EXIT, UsageError, type Command } from './cli/command.js';
import { checkCommand } from './commands/check.js';
import { parseCommand } from './commands/parse.js';
import { runCommand } from './commands/run.js';
import { buildCommand } from './commands/build.js';
import { installCommand } from './commands/install.js';
import { newCommand } from './commands/new.js';
import { testCommand } from './commands/test.js';
import { recordCommand } from './commands/record.js';

const COMMANDS: readonly Command[] = [
  parseCommand,
  checkCommand,
  runCommand,
  testCommand,
  recordCommand,
  newCommand,
  buildCommand,
  installCommand,
];

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `Usage: extstorage-kit <command> [options]

Tests Ganeti ExtStorage providers the way Ganeti runs them, version by version.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run "extstorage-kit <command> --help" for a command's options and examples.

Examples:
  printf '/dev/rbd0\\nkvm:rbd:rbd/vol' | extstorage-kit parse
  extstorage-kit check /srv/ganeti/extstorage/rbd
  extstorage-kit run ./my-provider ./my-provider/scenarios
`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    const topic = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    if (name === 'help' && rest[0] !== undefined && topic === undefined) {
      process.stderr.write(
        `extstorage-kit help: no command ${JSON.stringify(rest[0])}; the commands are ${COMMANDS.map((c) => c.name).join(', ')}\n`,
      );
      return EXIT.usage;
    }
    process.stdout.write(topic ? topic.help : mainHelp());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`${version()}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    process.stderr.write(`extstorage-kit: unknown command ${JSON.stringify(name)}\n\n${mainHelp()}`);
    return EXIT.usage;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(
        `extstorage-kit ${command.name}: ${error.message}\nRun "extstorage-kit ${command.name} --help" for usage.\n`,
      );
      return EXIT.usage;
    }
    throw error;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `extstorage-kit: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 70;
  },
);
