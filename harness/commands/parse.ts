// `extstorage-kit parse`: how each Ganeti version reads one attach output.

import { readFile } from 'node:fs/promises';
import { interpretAttachOutput, type AttachInterpretation } from '../attach/interpret.js';
import { HYPERVISORS, isHypervisor } from '../ganeti/hypervisors.js';
import { REPRESENTATIVE_VERSIONS, UnsupportedVersionError, parseGanetiVersion } from '../ganeti/versions.js';
import { parseArgs } from 'node:util';
import { EXIT, HELP_OPTION, UsageError, usageErrors, type Command } from '../cli/command.js';
import { paint, shown, table, useColor } from '../text/display.js';

const help = `Usage: extstorage-kit parse [--file F] [--ganeti V]... [--hypervisor H] [--stat] [--json]

Reads what a provider's attach script printed (stdin, or --file) and shows how
each Ganeti version reads it: whether attach succeeds, the block device path it
uses, and the URI it hands to the hypervisor, plus lint problems by line.

Options:
  -f, --file F        read the output from file F instead of stdin
  -g, --ganeti V      a Ganeti version, X.Y (that series' last release) or
                      X.Y.Z, from 2.7.0 to 3.1.0; repeatable
                      (default: ${REPRESENTATIVE_VERSIONS.join(', ')}: one of each behaviour)
  -H, --hypervisor H  whose URI to show: ${HYPERVISORS.join(', ')} (default: kvm)
      --stat          stat() the device path for real; it must be a block
                      device on this machine (default: any absolute path
                      without control characters counts as one)
      --json          print a JSON array, one object per version:
                      {ganeti, ok, device, uris, select, problems}
  -h, --help          show this help

Exit status: 0 every version asked for accepts the output, 1 at least one
rejects it, 2 usage error.

Examples:
  printf '/dev/rbd0\\nkvm:rbd:rbd/vol' | extstorage-kit parse
  ./attach | extstorage-kit parse --ganeti 2.12 --ganeti 3.1
  extstorage-kit parse --file attach.out --hypervisor kvm --json
  VOL_NAME=vol1 EXTP_POOL=rbd ./attach | extstorage-kit parse --stat
`;

async function readStdin(): Promise<Uint8Array> {
  if (process.stdin.isTTY) process.stderr.write('reading attach output from stdin; end it with Ctrl-D\n');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function humanReport(results: AttachInterpretation[], hypervisor: string, color: boolean): string {
  const rows = [['version', 'verdict', 'device', `URI for ${hypervisor}`]];
  for (const r of results) {
    const verdict = r.ok ? paint(color, 32, 'accepts') : paint(color, 31, 'rejects');
    const device = r.ok && r.device === null ? '(none: userspace only)' : shown(r.device);
    rows.push([r.ganeti, verdict, device, shown(r.select[hypervisor as keyof typeof r.select])]);
  }
  const lines = [table(rows)];
  // The same finding under several versions is shown once, with the versions it applies to.
  const grouped = new Map<string, { versions: string[]; problem: AttachInterpretation['problems'][number] }>();
  for (const r of results) {
    for (const p of r.problems) {
      const key = JSON.stringify([p.line, p.severity, p.code, p.message]);
      const entry = grouped.get(key) ?? { versions: [], problem: p };
      entry.versions.push(r.ganeti);
      grouped.set(key, entry);
    }
  }
  if (grouped.size > 0) {
    lines.push('', 'problems:');
    const problemRows = [...grouped.values()]
      .sort((a, b) => a.problem.line - b.problem.line)
      .map(({ versions, problem: p }) => [
        `line ${p.line}`,
        p.severity === 'error' ? paint(color, 31, 'error') : paint(color, 33, 'warning'),
        p.code,
        versions.length === results.length && results.length > 1 ? 'all' : versions.join(', '),
        p.message,
      ]);
    lines.push(table(problemRows).replace(/^/gm, '  '));
  }
  return lines.join('\n') + '\n';
}

export const parseCommand: Command = {
  name: 'parse',
  help,
  async run(argv) {
    const { values, positionals } = usageErrors(() =>
      parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          ...HELP_OPTION,
          file: { type: 'string', short: 'f' },
          ganeti: { type: 'string', short: 'g', multiple: true },
          hypervisor: { type: 'string', short: 'H', default: 'kvm' },
          stat: { type: 'boolean', default: false },
          json: { type: 'boolean', default: false },
        },
      }),
    );
    if (values.help) {
      process.stdout.write(help);
      return EXIT.ok;
    }
    if (positionals.length > 0) {
      throw new UsageError(
        `unexpected argument ${JSON.stringify(positionals[0])}: give the output on stdin or with --file`,
      );
    }
    const hypervisor = values.hypervisor.toLowerCase();
    if (!isHypervisor(hypervisor)) {
      throw new UsageError(
        `unknown hypervisor ${JSON.stringify(values.hypervisor)}: expected one of ${HYPERVISORS.join(', ')}`,
      );
    }
    const versions = values.ganeti ?? [...REPRESENTATIVE_VERSIONS];
    for (const version of versions) {
      try {
        parseGanetiVersion(version);
      } catch (error) {
        if (error instanceof UnsupportedVersionError) throw new UsageError(error.message);
        throw error;
      }
    }
    let output: Uint8Array;
    if (values.file !== undefined) {
      try {
        output = await readFile(values.file);
      } catch (error) {
        throw new UsageError(
          `cannot read ${values.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        );
      }
    } else {
      output = await readStdin();
    }
    const results = versions.map((v) => interpretAttachOutput(output, v, { stat: values.stat }));
    process.stdout.write(
      values.json
        ? JSON.stringify(results, null, 2) + '\n'
        : humanReport(results, hypervisor, useColor(process.stdout)),
    );
    return results.every((r) => r.ok) ? EXIT.ok : EXIT.failed;
  },
};
