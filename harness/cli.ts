#!/usr/bin/env node
// The extstorage-kit command line: the list of commands, `--help` and `--version` here; each
// command's code is in the kit (cli-kit.ts), which the built command line loads only when a command
// runs, as one CommonJS bundle compiled from V8's code cache (cli/load-bundle.ts).

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EXIT, type Command } from './cli/command.js';
import { loadBundle } from './cli/load-bundle.js';

type Kit = typeof import('./cli-kit.js');

let kit: Kit | undefined;

/** The kit is not there (a build stopped half-way, files copied by hand): said without a stack trace. */
class IncompleteBuild extends Error {}

/** The commands' code: dist/harness/cli-kit.cjs beside the built entry (scripts/bundle-cli.ts). */
function loadKit(): Kit {
  if (kit !== undefined) return kit;
  const file = fileURLToPath(new URL('./cli-kit.cjs', import.meta.url));
  if (!existsSync(file))
    throw new IncompleteBuild(`${file} is missing: the command line is not completely built (npm run build makes it)`);
  kit = loadBundle(file) as Kit;
  return kit;
}

/** A command as the list shows it, and how to get it from the kit. */
interface CommandEntry {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  readonly load: () => Command;
}

const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'parse',
    summary: 'show how each Ganeti version reads an attach output',
    load: () => loadKit().parseCommand,
  },
  {
    name: 'check',
    summary: 'judge a provider directory as Ganeti does when it loads it',
    load: () => loadKit().checkCommand,
  },
  {
    name: 'run',
    summary: 'put a provider through YAML scenarios, as Ganeti calls it',
    load: () => loadKit().runCommand,
  },
  {
    name: 'test',
    summary: 'the conformance suite: is this a correct ExtStorage provider?',
    load: () => loadKit().testCommand,
  },
  {
    name: 'record',
    summary: 'run a provider once for real, spying on its commands, and write a scenario that replays it',
    load: () => loadKit().recordCommand,
  },
  {
    name: 'new',
    summary: 'start a provider project from a reference provider',
    load: () => loadKit().newCommand,
  },
  {
    name: 'build',
    summary: 'bundle a provider project into a deployable provider directory',
    load: () => loadKit().buildCommand,
  },
  {
    name: 'install',
    summary: "copy a built provider into Ganeti's search path",
    load: () => loadKit().installCommand,
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
    process.stdout.write(topic ? topic.load().help : mainHelp());
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
  const command = entry.load();
  try {
    return await command.run(rest);
  } catch (error) {
    // The kit's UsageError: the commands throw that class, not a copy bundled into the entry.
    if (error instanceof loadKit().UsageError) {
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
    if (error instanceof IncompleteBuild) {
      process.stderr.write(`extstorage-kit: ${error.message}\n`);
      process.exitCode = 70;
      return;
    }
    process.stderr.write(
      `extstorage-kit: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 70;
  },
);
