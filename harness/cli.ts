#!/usr/bin/env node
// The extstorage-kit command line: dispatches to one module per subcommand in commands/, loaded
// only when that command runs, so `--help`, `--version` and each command start without the others.

import { readFileSync } from 'node:fs';
import nodeModule from 'node:module';
import { EXIT, UsageError, type Command } from './cli/command.js';

// Node >= 22.1 keeps compiled code on disk between runs; Node 20 has no such API (nothing to do).
(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();

/** A command as the list shows it, and how to load the module that runs it. */
interface CommandEntry {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  readonly load: () => Promise<Command>;
}

const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'parse',
    summary: 'show how each Ganeti version reads an attach output',
    load: async () => (await import('./commands/parse.js')).parseCommand,
  },
  {
    name: 'check',
    summary: 'judge a provider directory as Ganeti does when it loads it',
    load: async () => (await import('./commands/check.js')).checkCommand,
  },
  {
    name: 'run',
    summary: 'put a provider through YAML scenarios, as Ganeti calls it',
    load: async () => (await import('./commands/run.js')).runCommand,
  },
  {
    name: 'test',
    summary: 'the conformance suite: is this a correct ExtStorage provider?',
    load: async () => (await import('./commands/test.js')).testCommand,
  },
  {
    name: 'record',
    summary: 'run a provider once for real, spying on its commands, and write a scenario that replays it',
    load: async () => (await import('./commands/record.js')).recordCommand,
  },
  {
    name: 'new',
    summary: 'start a provider project from a reference provider',
    load: async () => (await import('./commands/new.js')).newCommand,
  },
  {
    name: 'build',
    summary: 'bundle a provider project into a deployable provider directory',
    load: async () => (await import('./commands/build.js')).buildCommand,
  },
  {
    name: 'install',
    summary: "copy a built provider into Ganeti's search path",
    load: async () => (await import('./commands/install.js')).installCommand,
  },
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
    process.stdout.write(topic ? (await topic.load()).help : mainHelp());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`${version()}\n`);
    return EXIT.ok;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (entry === undefined) {
    process.stderr.write(`extstorage-kit: unknown command ${JSON.stringify(name)}\n\n${mainHelp()}`);
    return EXIT.usage;
  }
  const command = await entry.load();
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
