// `extstorage-kit check`: would Ganeti load this provider directory, and what else is off.

import { checkProvider, type ProviderCheck } from '../provider/check.js';
import { parseArgs } from 'node:util';
import { EXIT, HELP_OPTION, UsageError, usageErrors, type Command } from '../cli/command.js';
import { paint, table, useColor } from '../text/display.js';
import { isProviderProject, projectBuild } from './provider-arg.js';

const help = `Usage: extstorage-kit check <provider-dir> [--json]

Judges a provider directory exactly as Ganeti does when it loads a provider:
the scripts create attach detach remove grow setinfo verify and the file
parameters.list must exist and be regular files (symlinks are followed), and
every script that is present, snapshot open close included, must have the
owner-execute bit. Then it warns about what Ganeti accepts but will not work:
a #! interpreter missing on this machine, an empty script, a script without
#!, a parameter name that is not an identifier, a parameter without a
description. A provider project (provider.ts, made by "new") is checked
through its build.

Options:
  --json       print {provider, valid, problems, parameters, optional}
  -h, --help   show this help

Exit status: 0 Ganeti would load the provider, 1 it would not, 2 usage error.

Examples:
  extstorage-kit check /srv/ganeti/extstorage/rbd
  extstorage-kit check ./my-provider --json | jq .problems
`;

function humanReport(result: ProviderCheck, color: boolean): string {
  const verdict = result.valid
    ? paint(color, 32, 'valid: Ganeti would load it')
    : paint(color, 31, 'invalid: Ganeti would refuse it');
  const lines = [`provider ${result.provider}: ${verdict}`];
  const optional = Object.entries(result.optional).map(
    ([name, present]) => `${name} ${present ? 'present' : 'absent'}`,
  );
  lines.push(`  optional scripts: ${optional.join(', ')}`);
  lines.push(
    `  parameters: ${result.parameters.length === 0 ? '(none)' : result.parameters.map((p) => p.name).join(', ')}`,
  );
  if (result.problems.length > 0) {
    lines.push('problems:');
    const rows = result.problems.map((p) => [
      p.severity === 'error' ? paint(color, 31, 'error') : paint(color, 33, 'warning'),
      p.file,
      p.code,
      p.message,
    ]);
    lines.push(table(rows).replace(/^/gm, '  '));
  }
  return lines.join('\n') + '\n';
}

export const checkCommand: Command = {
  name: 'check',
  help,
  async run(argv) {
    const { values, positionals } = usageErrors(() =>
      parseArgs({
        args: argv,
        allowPositionals: true,
        options: { ...HELP_OPTION, json: { type: 'boolean', default: false } },
      }),
    );
    if (values.help) {
      process.stdout.write(help);
      return EXIT.ok;
    }
    if (positionals.length !== 1) {
      throw new UsageError(
        positionals.length === 0 ? 'missing <provider-dir>' : `expected one <provider-dir>, got ${positionals.length}`,
      );
    }
    let dir = positionals[0]!;
    if (isProviderProject(dir)) {
      dir = projectBuild(dir);
      process.stderr.write(`checking the build of ${positionals[0]!}: ${dir}\n`);
    }
    const result = checkProvider(dir);
    process.stdout.write(
      values.json ? JSON.stringify(result, null, 2) + '\n' : humanReport(result, useColor(process.stdout)),
    );
    return result.valid ? EXIT.ok : EXIT.failed;
  },
};
