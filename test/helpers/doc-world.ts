// The doc test's ground: the commands the documentation shows (helpers/doc-commands.ts finds
// them), what each should do (EXPECTED: every one must have an entry, every entry must still be
// shown), and the folder they run in.
//
// They run as a reader runs them: through bash, in a folder holding what the examples name (a
// provider project "my-provider" made by `new`, a built provider "provider", scenario and backend
// files, an attach script), with `extstorage-kit` on PATH and `npx extstorage-kit` resolving to this
// kit. The host's storage commands are the kit's own simulators (rbd and losetup first on the
// standard PATH, their state in the folder, and a ceph that answers the pool list from it), so the
// `record`, `--real` and `--live` examples run without a cluster; the e2e run plays the same kinds
// of commands against real Ceph, GlusterFS and loop devices. Each command runs in a private mount
// namespace where /srv, /tmp, /usr/share and /usr/local/sbin are overlays kept per code block (a
// reader runs a block's lines in order on one machine; each block starts from the same host), so
// `install` writes to /srv/ganeti/extstorage as documented without touching the host.

import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { parseScenarioText } from '../../harness/scenario/load.js';
import { installSimulators } from '../../harness/simulate/install.js';
import { CLI, cleanEnv, REPO_ROOT } from './cli.js';
import { documentationCommands, helpExamples, type DocCommand } from './doc-commands.js';

export type Expectation =
  /** Runs here; its exit status; `before`, a documented command it needs first (same namespace). */
  | { readonly exit: number; readonly before?: string; readonly cwd?: string }
  /** Runs in CI itself: .ci/run must hold this line. */
  | { readonly ci: string }
  /** Cannot run as written (OWNER's repository, a registry release to come): the test file that runs its route. */
  | { readonly by: string; readonly why: string };

// What a reader's machine already has for an example (run first, in the same code block's machine).
const INSTALLED_RBD = 'extstorage-kit install rbd --force';
/** An image vol1 in pool rbd, as the record examples expect. */
const HAS_VOL1 = 'rbd info rbd/vol1 >/dev/null 2>&1 || rbd create --size 1024 rbd/vol1';
/** A test cluster whose pool rbd is empty, as run --real asks. */
const EMPTY_RBD_POOL =
  'for dev in $(rbd device list | awk \'NR > 1 { print $NF }\'); do rbd device unmap "$dev"; done; ' +
  'for image in $(rbd ls rbd); do rbd rm "rbd/$image"; done';
const RECORDED_ATTACH =
  'extstorage-kit record /srv/ganeti/extstorage/rbd --action attach --volume vol1 --param pool=rbd -o scenarios/attach.yaml';
const ROUTES = 'test/install-routes.test.ts';
const LIVE_ACCEPTED = '--allow-unverified GROW-NEW-SIZE --allow-unverified BACKEND-FAILURE';

export const EXPECTED: Readonly<Record<string, Expectation>> = {
  // README's quick start: CI runs exactly these (and this test is part of `npm test`).
  'npm ci && npm start': { ci: 'npm start' },
  'npm test': { ci: 'npm test' },
  'npm run test:e2e': { ci: 'npm run test:e2e' },
  // Installing the kit: OWNER stands for the reader's copy of the repository; the registry release
  // is to come. install-routes installs from a git clone, a packed tarball, and dry-runs the publish.
  'npm install --save-dev "git+https://github.com/OWNER/extstorage-kit.git#v0.1.0"': {
    by: ROUTES,
    why: 'the git route, from a clone of this repository',
  },
  'npm install --save-dev ./extstorage-kit-0.1.0.tgz': { by: ROUTES, why: 'the tarball route, from npm pack' },
  'npm install --no-save "git+https://github.com/OWNER/extstorage-kit.git#v0.1.0"': {
    by: ROUTES,
    why: 'the git route, from a clone of this repository',
  },
  'npm install --no-save ./extstorage-kit-0.1.0.tgz': { by: ROUTES, why: 'the tarball route, from npm pack' },
  'npm install --no-save extstorage-kit': { by: ROUTES, why: 'the registry route: npm publish --dry-run is clean' },
  // parse: 1 whenever a version asked for rejects the output (2.12 reads one line only).
  "printf '/dev/rbd0\\nkvm:rbd:rbd/vol' | npx extstorage-kit parse": { exit: 1 },
  "printf '/dev/rbd0\\nkvm:rbd:rbd/vol' | extstorage-kit parse": { exit: 1 },
  './attach | extstorage-kit parse --ganeti 2.12 --ganeti 3.1': { exit: 1 },
  'extstorage-kit parse --file attach.out --hypervisor kvm --json': { exit: 1 },
  // --stat: no /dev/rbd0 is mapped on this host, so no version accepts it.
  'VOL_NAME=vol1 EXTP_POOL=rbd ./attach | extstorage-kit parse --stat': { exit: 1 },
  // check
  'extstorage-kit check /srv/ganeti/extstorage/rbd': { exit: 0, before: INSTALLED_RBD },
  'extstorage-kit check ./my-provider --json | jq .problems': { exit: 0 },
  // run
  'npx extstorage-kit run ./my-provider ./my-provider/scenarios --jobs 4 --junit report.xml': { exit: 0 },
  'extstorage-kit run ./my-provider ./my-provider/scenarios': { exit: 0 },
  'extstorage-kit run providers/rbd': { exit: 0 },
  'extstorage-kit run ./my-provider attach.yaml --filter idempot --keep': { exit: 0 },
  'extstorage-kit run ./my-provider tests/ --reporter tap --junit report.xml': { exit: 0 },
  'extstorage-kit run ./my-provider tests/ --shard 1/3 --jobs 4': { exit: 0 },
  'extstorage-kit run providers/rbd --real rbd': { exit: 0, before: EMPTY_RBD_POOL },
  'npx extstorage-kit run ./provider scenarios/': { exit: 0 },
  'npx extstorage-kit run ./provider scenarios/ --shard ${{ matrix.shard }}/3 --junit scenarios-${{ matrix.shard }}.xml':
    { exit: 0 },
  'npx extstorage-kit run ./provider scenarios/ --shard ${CI_NODE_INDEX}/${CI_NODE_TOTAL} --junit scenarios.xml': {
    exit: 0,
  },
  'extstorage-kit run ./provider scenarios/ --real rbd --real losetup --junit real.xml': { exit: 0 },
  // --through-ganeti: Ganeti 3.0's code, installed by .ci/run (the doc world sees the host's /usr/share).
  'extstorage-kit run ./provider scenarios/ --through-ganeti': { exit: 0 },
  'extstorage-kit test ./provider --backend ci/backend.yaml -p userspace_only=true --through-ganeti': { exit: 0 },
  'extstorage-kit run providers/legacy --through-ganeti': { exit: 0 },
  'extstorage-kit test providers/rbd --backend providers/rbd/backend.yaml -p userspace_only=true --through-ganeti': {
    exit: 0,
  },
  // test
  'npx extstorage-kit test ./my-provider --backend ci/backend.yaml --ganeti 2.16 --ganeti 3.1': { exit: 0 },
  'npx extstorage-kit test ./provider --backend ci/backend.yaml --ganeti 2.16 --ganeti 3.1 --junit report.xml': {
    exit: 0,
  },
  'npx extstorage-kit test ./provider --backend ci/backend.yaml --junit report.xml': { exit: 0 },
  'extstorage-kit test ./my-provider --backend my-backend.yaml': { exit: 0 },
  'extstorage-kit test providers/rbd --backend providers/rbd/backend.yaml': { exit: 0 },
  [`extstorage-kit test /srv/ganeti/extstorage/rbd --live -p pool=test --ganeti 2.16 --ganeti 3.1 ${LIVE_ACCEPTED}`]: {
    exit: 0,
    before: INSTALLED_RBD,
  },
  [`extstorage-kit test ./provider --live -p pool=ci --ganeti 2.16 --ganeti 3.1 ${LIVE_ACCEPTED}`]: { exit: 0 },
  'extstorage-kit test ./my-provider --backend b.yaml --only ATTACH-IDEMPOTENT --reporter tap': { exit: 0 },
  // --explore on the rbd project over the rbd simulator: a sound provider, EXPLORE passes.
  'extstorage-kit test ./my-provider --backend b.yaml --explore 20 --only EXPLORE': { exit: 0 },
  'extstorage-kit test ./my-provider --backend b.yaml --explore 20 --only EXPLORE --seed 42': { exit: 0 },
  // README shows a provider with a planted bug and its counterexample: the planted bugs' test runs that route.
  'npx extstorage-kit test ./my-provider --backend ci/backend.yaml --explore 200 --only EXPLORE': {
    by: 'test/explore.test.ts',
    why: 'a provider whose detach runs losetup -D, found, shrunk, written as a counterexample',
  },
  'npx extstorage-kit run extstorage-kit-counterexample-1288390371.yaml': {
    by: 'test/explore.test.ts',
    why: 'each counterexample written is replayed by run to the same failure',
  },
  // record (0: the recording was made, whatever the script did)
  [RECORDED_ATTACH]: { exit: 0, before: `${INSTALLED_RBD} && ${HAS_VOL1}` },
  "extstorage-kit record ./my-provider -a grow --volume vol1 --size 1024 --new-size 2048 --param pool=fast --mask 'AQ[A-Za-z0-9+/]{36}=='":
    { exit: 0 },
  'extstorage-kit record ./my-provider -a attach --volume vol1 --no-spy ssh': { exit: 0, before: HAS_VOL1 },
  'extstorage-kit run ./my-provider scenarios/attach.yaml': {
    exit: 0,
    before: `${INSTALLED_RBD} && ${HAS_VOL1} && ${RECORDED_ATTACH}`,
  },
  'npx extstorage-kit record ./provider --action create --volume esk-rec-1.ext.disk0 --size 1024 --param pool=rbd -o scenarios/recorded/create.yaml':
    { exit: 0 },
  'npx extstorage-kit record ./provider --action attach --volume esk-rec-1.ext.disk0 --param pool=rbd -o scenarios/recorded/attach.yaml':
    { exit: 0 },
  'npx extstorage-kit record ./provider --action grow --volume esk-rec-1.ext.disk0 --size 1024 --new-size 2048 --param pool=rbd -o scenarios/recorded/grow.yaml':
    { exit: 0 },
  'npx extstorage-kit record ./provider --action detach --volume esk-rec-1.ext.disk0 --param pool=rbd -o scenarios/recorded/detach.yaml':
    { exit: 0 },
  'npx extstorage-kit record ./provider --action remove --volume esk-rec-1.ext.disk0 --param pool=rbd -o scenarios/recorded/remove.yaml':
    { exit: 0 },
  "npx extstorage-kit record ./provider --action attach --volume vol1 --param pool=rbd --mask 'AQ[A-Za-z0-9+/]{36}==' -o scenarios/recorded/attach.yaml":
    { exit: 0 },
  'grep -nE \'AQ[A-Za-z0-9+/]{36}==\' scenarios/recorded/attach.yaml || echo "no key left"': { exit: 0 },
  // new, build, install
  'extstorage-kit new zfs-zvol --from legacy': { exit: 0 },
  'extstorage-kit new my-ceph --from rbd --dir ~/src/my-ceph': { exit: 0 },
  // The project names a tarball that is not there yet: new says so and still makes the project.
  'extstorage-kit new my-lvm --from legacy --kit-spec file:../extstorage-kit-0.1.0.tgz': { exit: 0 },
  'extstorage-kit build': { exit: 0, cwd: 'my-provider' },
  'extstorage-kit build ./my-provider --out /tmp/my-provider': { exit: 0 },
  'extstorage-kit install rbd': { exit: 0 },
  'extstorage-kit install ./my-provider/dist/my-provider --force': { exit: 0 },
  'extstorage-kit install legacy --to /usr/share/ganeti/extstorage/legacy': { exit: 0 },
};

const COMMANDS = ['parse', 'check', 'run', 'test', 'record', 'new', 'build', 'install'] as const;

export function allDocumented(): DocCommand[] {
  const help = (args: string[]) =>
    spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: cleanEnv() }).stdout;
  return [
    ...documentationCommands(REPO_ROOT),
    ...helpExamples(help(['--help']), 'extstorage-kit --help'),
    ...COMMANDS.flatMap((c) => helpExamples(help([c, '--help']), `${c} --help`)),
  ];
}

/** The words of a plain command line (quotes and backslashes as the shell reads them; no expansions). */
export function words(command: string): string[] {
  const out: string[] = [];
  let word: string | null = null;
  let quote: string | null = null;
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (quote !== null) {
      if (c === quote) quote = null;
      else word = (word ?? '') + c;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= '';
    } else if (c === '\\') word = (word ?? '') + (command[++i] ?? '');
    else if (/\s/.test(c)) {
      if (word !== null) out.push(word);
      word = null;
    } else word = (word ?? '') + c;
  }
  if (word !== null) out.push(word);
  return out;
}

/** The folder the examples run in, and how to run one there. */
export interface World {
  readonly dir: string;
  run(
    command: string,
    options?: { before?: string | undefined; cwd?: string | undefined; block?: string | undefined },
  ): {
    code: number | null;
    output: string;
  };
}

const WORLD_SCENARIO = `
scenarios:
  - name: the host's storage in the doc world
    simulate:
      rbd:
        pools: [rbd, test, ci, fast]
        images:
          - { spec: rbd/vol1, size: 1024 }
          - { spec: fast/vol1, size: 1024 }
      losetup: { devices: 8 }
    steps: [{ command: ["true"] }]
`;

export function makeWorld(): World | string {
  const dir = mkdtempSync('/var/tmp/esk-docs-');
  const asRoot = process.getuid?.() === 0;
  const probe = spawnSync('unshare', [...(asRoot ? [] : ['--map-root-user']), '--mount', 'true']);
  if (probe.status !== 0) return `no private mount namespace here: ${probe.stderr.toString().trim()}`;
  // The host's storage commands: the kit's simulators, their state kept in the folder.
  const loaded = parseScenarioText(WORLD_SCENARIO, join(dir, 'world.yaml'));
  if ('errors' in loaded) throw new Error(JSON.stringify(loaded.errors));
  const hostBin = join(dir, 'host-sbin');
  installSimulators(loaded.file.scenarios[0]!.simulators, dir, hostBin, join(dir, 'host-calls.log'), 'ESK_DOCS');
  // The kit, as an installed package: on PATH, and in node_modules for npx.
  mkdirSync(join(dir, 'bin'));
  symlinkSync(CLI, join(dir, 'bin', 'extstorage-kit'));
  mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(REPO_ROOT, join(dir, 'node_modules', 'extstorage-kit'));
  symlinkSync(CLI, join(dir, 'node_modules', '.bin', 'extstorage-kit'));
  writeFileSync(join(dir, 'package.json'), '{ "name": "doc-world", "private": true }\n');
  mkdirSync(join(dir, 'home'));
  // What the examples name.
  writeFileSync(join(dir, 'attach'), `#!/bin/sh\nprintf '/dev/rbd0\\nkvm:rbd:rbd/%s' "\${VOL_NAME:-vol1}"\n`);
  chmodSync(join(dir, 'attach'), 0o755);
  writeFileSync(join(dir, 'attach.out'), '/dev/rbd0\nkvm:rbd:rbd/vol1');
  const backend = readFileSync(join(REPO_ROOT, 'providers/rbd/backend.yaml'), 'utf8');
  for (const file of ['my-backend.yaml', 'b.yaml', 'ci/backend.yaml']) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), backend);
  }
  // On the pool "ci", empty in the world's cluster: run --real needs a scenario's pools empty.
  const attachScenario = `scenarios:
  - name: attach is idempotent
    simulate: { rbd: { pools: [ci] } }
    volume: { params: { pool: ci } }
    steps:
      - action: create
      - action: attach
      - action: attach
        expect: { device: { regex: "^/dev/rbd[0-9]+$" } }
`;
  writeFileSync(join(dir, 'attach.yaml'), attachScenario);
  mkdirSync(join(dir, 'tests'));
  writeFileSync(join(dir, 'tests', 'attach.yaml'), attachScenario);
  mkdirSync(join(dir, 'scenarios'));
  writeFileSync(join(dir, 'scenarios', 'attach-twice.yaml'), attachScenario);
  // Under tap, the folder its process tracking and coverage write to (made at its start).
  const tapRoot = process.env._TAPJS_PROCESSINFO_CWD_;
  const tapDir = tapRoot !== undefined && existsSync(join(tapRoot, '.tap')) ? join(tapRoot, '.tap') : undefined;
  const overlays = new Map<string, string>();
  const overlayOf = (block: string | undefined) => {
    if (block === undefined) return mkdtempSync(join(dir, 'overlay-'));
    if (!overlays.has(block)) overlays.set(block, mkdtempSync(join(dir, 'overlay-')));
    return overlays.get(block)!;
  };
  // The real rbd backend (run --real rbd) asks ceph for the pools: the world's ceph answers that
  // one question from the rbd simulator's state, and refuses anything else.
  writeFileSync(
    join(hostBin, 'ceph'),
    `#!/bin/sh
[ "$*" = "osd pool ls --format json" ] || { echo "ceph (doc world): only 'osd pool ls --format json' is played" >&2; exit 1; }
exec ${process.execPath} -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(JSON.stringify(s.pools.filter((p) => !p.includes("/"))))' ${join(dir, 'sim-state', 'rbd.json')}
`,
  );
  chmodSync(join(hostBin, 'ceph'), 0o755);
  const world: World = {
    dir,
    run(command, { before, cwd, block } = {}) {
      const prelude = `set -e
# tap's coverage of the commands is written under its own folder: kept visible through the overlays
# (a checkout under /tmp would otherwise write it into the overlay, to be thrown away).
if [ -n "$ESK_KEEP_DIR" ]; then
  mkdir -p "$ESK_OVERLAY/keep"
  mount --bind "$ESK_KEEP_DIR" "$ESK_OVERLAY/keep"
fi
for d in /srv /tmp /usr/share /usr/local/sbin; do
  [ -d "$d" ] || continue
  mkdir -p "$ESK_OVERLAY/up$d" "$ESK_OVERLAY/work$d"
  mount -t overlay overlay -o "lowerdir=$d,upperdir=$ESK_OVERLAY/up$d,workdir=$ESK_OVERLAY/work$d" "$d"
done
if [ -n "$ESK_KEEP_DIR" ]; then mount --bind "$ESK_OVERLAY/keep" "$ESK_KEEP_DIR"; fi
cp -p "$ESK_HOST_SBIN"/* /usr/local/sbin/
# The world's cluster can map images (the simulated rbd kernel module): the host says so too.
if [ ! -e /sys/module/rbd ] && [ ! -e /sys/bus/rbd ]; then
  mkdir -p "$ESK_OVERLAY/sys-module/rbd"
  mount --bind "$ESK_OVERLAY/sys-module" /sys/module
fi
if [ -n "$ESK_DOC_BEFORE" ]; then bash -c "$ESK_DOC_BEFORE" >/dev/null; fi
set +e
exec bash -o pipefail -c "$ESK_DOC_COMMAND"`;
      const env = {
        ...cleanEnv(),
        HOME: join(dir, 'home'),
        PATH: `${join(dir, 'bin')}:/usr/local/sbin:${process.env.PATH ?? '/usr/bin:/bin'}`,
        NO_COLOR: '1',
        npm_config_offline: 'true',
        CI_NODE_INDEX: '1',
        CI_NODE_TOTAL: '2',
        // One overlay per code block: a reader runs a block's lines in order on one machine; each
        // block starts from the same host.
        ESK_OVERLAY: overlayOf(block),
        ESK_HOST_SBIN: hostBin,
        ESK_DOC_COMMAND: command,
        ESK_DOC_BEFORE: before ?? '',
        ESK_KEEP_DIR: tapDir ?? '',
      };
      const r = spawnSync('unshare', [...(asRoot ? [] : ['--map-root-user']), '--mount', 'bash', '-c', prelude], {
        cwd: join(dir, cwd ?? '.'),
        env,
        encoding: 'utf8',
        timeout: 240_000,
        maxBuffer: 64 * 1024 * 1024,
      });
      return { code: r.status, output: `${r.stdout.slice(-3000)}\n--- stderr ---\n${r.stderr.slice(-3000)}` };
    },
  };
  // The provider project the examples call my-provider, made and built as a reader would.
  const made = world.run('extstorage-kit new my-provider --from rbd');
  if (made.code !== 0) throw new Error(`new my-provider failed:\n${made.output}`);
  // CI examples call the provider in a repository ./provider: a built provider directory.
  cpSync(join(dir, 'my-provider', 'dist', 'my-provider'), join(dir, 'provider'), { recursive: true });
  // Examples naming providers/<name> run in a checkout of the kit.
  symlinkSync(join(REPO_ROOT, 'providers'), join(dir, 'providers'));
  return world;
}

/** An `extstorage-kit test ...` command (the slow ones: a whole suite each). */
export function isTestCommand(command: string): boolean {
  const argv = words(command);
  return argv.includes('test') && argv.indexOf('test') === argv.indexOf('extstorage-kit') + 1;
}

/** Runs, once each, the documented commands `select` picks that run here, checking each exit status. */
export function runDocumentedCommands(
  t: {
    fail(message: string): unknown;
    teardown(fn: () => void): void;
    equal(found: unknown, wanted: unknown, message: string, extra: object): unknown;
  },
  select: (command: string) => boolean,
): void {
  const world = makeWorld();
  if (typeof world === 'string') {
    t.fail(world);
    return;
  }
  t.teardown(() => rmSync(world.dir, { recursive: true, force: true }));
  const seen = new Set<string>();
  for (const { source, command, block } of allDocumented()) {
    const expected = EXPECTED[command];
    if (expected === undefined || !('exit' in expected) || seen.has(command) || !select(command)) continue;
    seen.add(command);
    // GitHub's expressions are the runner's: evaluated as it would, for the first shard.
    const r = world.run(command.replaceAll('${{ matrix.shard }}', '1'), { ...expected, block });
    t.equal(r.code, expected.exit, `${source}: ${command}`, { output: r.output });
  }
}
