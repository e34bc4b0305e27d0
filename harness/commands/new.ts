// `extstorage-kit new`: start a provider project from one of the reference providers.

import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BuildError, buildProvider } from '../build/bundle.js';
import {
  PACKAGE_ROOT,
  REFERENCE_PROVIDERS,
  isReferenceProvider,
  referenceSource,
  type ReferenceProvider,
} from '../build/reference.js';
import { kitSource, type KitSource } from './kit-source.js';
import { EXIT, HELP_OPTION, UsageError, usageErrors, type Command } from '../cli/command.js';

const help = `Usage: extstorage-kit new <name> --from legacy|rbd|gluster [--dir DIR] [--kit-spec SPEC]

Creates a provider project from one of the kit's reference providers: its
TypeScript sources with the shared runtime (lib/), its scenario suite, a
README, package.json and tsconfig.json. The provider is renamed to <name> and
built at once into DIR/dist/<name>, so it runs and passes its own scenarios
before you change a line:

  cd DIR && extstorage-kit run dist/<name> scenarios

The project's package.json depends on extstorage-kit from the same source
this kit came from, so that \`npm ci && npm test\` there installs this kit:
the registry version (^X.Y.Z), the tarball (file:...), the git revision
(git+...#commit) or the directory, as recorded in the lockfile of the
project this kit is installed in (node_modules/.package-lock.json or
package-lock.json). When nothing records it, the registry version, with a
warning.

Options:
      --from T     the template: legacy (single-line, loop devices), rbd
                   (Ceph RBD, device plus kvm:rbd: URI) or gluster
                   (GlusterFS files, loop device plus kvm:gluster:// URI)
      --dir DIR    where to create the project (default: ./<name>); it must
                   not exist or be empty
      --kit-spec SPEC
                   the npm spec the project depends on extstorage-kit with,
                   instead of the source found (a version range, file:PATH
                   of a tarball or directory, git+URL#REF, a tarball URL)
  -h, --help       show this help

Exit status: 0 created and built, 1 the build failed, 2 usage error.

Examples:
  extstorage-kit new zfs-zvol --from legacy
  extstorage-kit new my-ceph --from rbd --dir ~/src/my-ceph
  extstorage-kit new my-lvm --from legacy --kit-spec file:../extstorage-kit-0.1.0.tgz
`;

const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

function version(): string {
  return (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

function projectReadme(name: string, from: ReferenceProvider): string {
  return `# ${name}: a Ganeti ExtStorage provider

Started from extstorage-kit's \`${from}\` reference provider. The provider is \`provider.ts\`
(parameters and one handler per action) on the runtime in \`lib/\`, which validates Ganeti's
environment, refuses undeclared parameters, locks the volume and keeps stdout for the contract.

## Work on it
\`\`\`sh
npm install                   # extstorage-kit, TypeScript
npm run build                 # dist/${name}/: self-contained scripts for a node with only nodejs
npm test                      # the scenarios in scenarios/ against the build
npm run check                 # would Ganeti load dist/${name}?
\`\`\`
Commit package-lock.json; CI then runs \`npm ci && npm test\`.
Scenario files are described in extstorage-kit's spec/SCENARIOS.md; the interface itself in
spec/SPEC.md.

## Install on a node
\`\`\`sh
npx extstorage-kit install dist/${name}      # to /srv/ganeti/extstorage/${name}
gnt-instance add -t ext --disk 0:size=10G,provider=${name} ...
\`\`\`
`;
}

function packageJson(name: string, kitSpec: string): string {
  return `${JSON.stringify(
    {
      name: `${name}-extstorage-provider`,
      version: '0.1.0',
      private: true,
      type: 'module',
      scripts: {
        build: 'extstorage-kit build .',
        test: `npm run build && extstorage-kit run dist/${name} scenarios`,
        check: `extstorage-kit check dist/${name}`,
        typecheck: 'tsc --noEmit',
      },
      devDependencies: { 'extstorage-kit': kitSpec, typescript: '^5.9.3', '@types/node': '^20.0.0' },
    },
    null,
    2,
  )}\n`;
}

const TSCONFIG = `${JSON.stringify(
  {
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: ['node'],
    },
    include: ['*.ts', 'lib/*.ts'],
  },
  null,
  2,
)}\n`;

export const newCommand: Command = {
  name: 'new',
  help,
  async run(argv) {
    const { values, positionals } = usageErrors(() =>
      parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          ...HELP_OPTION,
          from: { type: 'string' },
          dir: { type: 'string' },
          'kit-spec': { type: 'string' },
        },
      }),
    );
    if (values.help) {
      process.stdout.write(help);
      return EXIT.ok;
    }
    if (positionals.length !== 1)
      throw new UsageError(
        positionals.length === 0 ? 'missing <name>' : `expected one <name>, got ${positionals.length}`,
      );
    const name = positionals[0]!;
    if (!NAME.test(name))
      throw new UsageError(
        `provider name ${JSON.stringify(name)}: use lowercase letters, digits, "-" and "_", starting with a letter or digit`,
      );
    const from = values.from;
    if (from === undefined) throw new UsageError(`--from is required: one of ${REFERENCE_PROVIDERS.join(', ')}`);
    if (!isReferenceProvider(from))
      throw new UsageError(`--from ${JSON.stringify(from)}: expected one of ${REFERENCE_PROVIDERS.join(', ')}`);
    const dir = resolve(values.dir ?? name);
    if (existsSync(dir) && readdirSync(dir).length > 0) throw new UsageError(`${dir} exists and is not empty`);
    const given = values['kit-spec'];
    // A spec goes into package.json as one string; whitespace or control characters are a mistake.
    if (given !== undefined && !/^[^\s\p{Cc}]+$/u.test(given))
      throw new UsageError(
        `--kit-spec ${JSON.stringify(given)}: expected an npm spec with no spaces or control characters`,
      );
    const kit: KitSource =
      given === undefined ? kitSource(PACKAGE_ROOT, dir, version()) : { spec: given, origin: '--kit-spec' };

    const template = referenceSource(from);
    mkdirSync(dir, { recursive: true });
    cpSync(join(PACKAGE_ROOT, 'providers', 'lib'), join(dir, 'lib'), { recursive: true });
    for (const entry of readdirSync(template)) {
      if (entry.endsWith('.ts')) {
        const source = readFileSync(join(template, entry), 'utf8')
          .replaceAll("from '../lib/", "from './lib/")
          .replace(new RegExp(`^  name: '${from}',$`, 'm'), `  name: '${name}',`);
        writeFileSync(join(dir, entry), source);
      }
    }
    if (existsSync(join(template, 'scenarios'))) {
      mkdirSync(join(dir, 'scenarios'));
      for (const entry of readdirSync(join(template, 'scenarios'))) {
        // The suite names the reference build; the project's own build is dist/<name>.
        const text = readFileSync(join(template, 'scenarios', entry), 'utf8').replace(
          /^provider: .*$/m,
          `provider: ../dist/${name}`,
        );
        writeFileSync(join(dir, 'scenarios', entry), text);
      }
    }
    writeFileSync(join(dir, 'README.md'), projectReadme(name, from));
    writeFileSync(join(dir, 'package.json'), packageJson(name, kit.spec));
    if (kit.warning !== undefined) process.stderr.write(`extstorage-kit new: warning: ${kit.warning}\n`);
    writeFileSync(join(dir, 'tsconfig.json'), TSCONFIG);
    writeFileSync(join(dir, '.gitignore'), 'node_modules/\ndist/\n');

    try {
      const built = await buildProvider(dir);
      if (built.name !== name) throw new BuildError(`the template still calls itself ${built.name}`);
      const shown = relative(process.cwd(), dir) || '.';
      process.stdout.write(
        `created ${name} (from ${from}) in ${shown} and built it into ${relative(process.cwd(), built.outDir)}\n` +
          `its package.json depends on extstorage-kit ${kit.spec} (${kit.origin})\n` +
          `next: cd ${shown} && extstorage-kit run dist/${name} scenarios\n`,
      );
      return EXIT.ok;
    } catch (error) {
      if (error instanceof BuildError) {
        process.stderr.write(
          `extstorage-kit new: the project was created in ${dir}, but it does not build: ${error.message}\n`,
        );
        return EXIT.failed;
      }
      throw error;
    }
  },
};
