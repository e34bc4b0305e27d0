// The sandbox provider scripts run in (harness/run/isolation/, spec/SCENARIOS.md §14), under every
// level this machine can do (EXTSTORAGE_KIT_ISOLATION caps it; none always works): writes into the
// provider folder and out of it, daemons that leave their session and environment, a provider
// sourcing files from its install path, absolute-path stubs, /var/log/ganeti, fake devices, and
// host commands run by absolute path. Real processes, a real provider in bash.

import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { probeIsolation, type IsolationLevel } from '../harness/run/isolation/probe.js';
import { explain, failureMessages, runRun, runWithJson, type JsonScenario } from './helpers/run-fixtures.js';

interface IsolatedScenario extends JsonScenario {
  readonly isolation?: {
    readonly level: IsolationLevel;
    readonly notContained: readonly string[];
    readonly hostCommands: readonly string[];
    readonly killed: readonly { pid: number; command: string; after: string }[];
  };
}

const NAME = 'esk-iso-test';
// The none level writes the host's /var/log/ganeti (it has no tmpfs to put there): the file
// starts and ends absent, so the other levels can show their log went elsewhere.
const HOST_LOG = `/var/log/ganeti/${NAME}.log`;
rmSync(HOST_LOG, { force: true });
t.teardown(() => rmSync(HOST_LOG, { force: true }));
const INSTALL = `/usr/share/ganeti/extstorage/${NAME}`;
const HOST_LOCK = `/run/lock/${NAME}.state`;
rmSync(HOST_LOCK, { force: true });
t.teardown(() => rmSync(HOST_LOCK, { force: true }));

const levels: IsolationLevel[] = (['bwrap', 'unshare', 'none'] as const).filter(
  (level) => probeIsolation({ EXTSTORAGE_KIT_ISOLATION: level }).level === level,
);

/** The provider: attach does what the step's MODE says. Not under /tmp, which the sandbox hides. */
function makeProvider(parent: string): string {
  const dir = join(parent, 'ext', NAME);
  mkdirSync(dir, { recursive: true });
  const attach = `#!/bin/bash
case "$MODE" in
  symlink) ln -s /dev/null "$PWD/$VOL_NAME" || exit 1 ;;
  escape) ln -s /dev/null "./$VOL_NAME" || exit 1 ;;
  daemons)
    setsid env -i sleep "$SLEEP_A" </dev/null >/dev/null 2>&1 &
    ( sleep "$SLEEP_B" </dev/null >/dev/null 2>&1 & ) ;;
  source) . ${INSTALL}/common.sh; say_device; exit 0 ;;
  log) echo attached >> /var/log/ganeti/${NAME}.log || exit 1 ;;
  host-write) echo x > /opt/${NAME}.state || exit 1 ;;
  lock-write) echo "$$" > /run/lock/${NAME}.state || exit 1 ;;
  lock-read) [ -s /run/lock/${NAME}.state ] || exit 1; echo /dev/locked0; exit 0 ;;
  device) [ -e /dev/zvol/pool/vol ] || exit 1; echo /dev/zvol/pool/vol; exit 0 ;;
  rescan) /sbin/rescan-scsi-bus --quiet || exit 1; [ "$(/bin/hostname)" = stubbed-host ] || exit 1 ;;
esac
echo /dev/loop0
`;
  for (const script of ['create', 'detach', 'remove', 'grow', 'setinfo', 'verify']) {
    writeFileSync(join(dir, script), '#!/bin/sh\nexit 0\n');
    chmodSync(join(dir, script), 0o755);
  }
  writeFileSync(join(dir, 'attach'), attach);
  chmodSync(join(dir, 'attach'), 0o755);
  writeFileSync(join(dir, 'common.sh'), 'say_device() { echo /dev/sourced0; }\n');
  writeFileSync(join(dir, 'parameters.list'), '');
  return dir;
}

// Only where the host is read-only: a bash redirection refused, whose message starts with the
// script's own path (inside the provider folder) but names a path outside it.
const HOST_WRITE = `  - name: host-write
    env: { MODE: host-write }
    steps: [{ action: attach }]
`;

function scenarios(level: string): string {
  const sleepA = { bwrap: 9991, unshare: 9992, none: 9993 }[level];
  const sleepB = { bwrap: 9981, unshare: 9982, none: 9983 }[level];
  return `provider: ext/${NAME}
scenarios:
  - name: symlink
    volume: { name: vol1 }
    env: { MODE: symlink }
    steps: [{ action: attach }]
  - name: escape
    volume: { name: ../../etc/passwd }
    env: { MODE: escape }
    steps: [{ action: attach }]
  - name: daemons
    env: { MODE: daemons, SLEEP_A: "${sleepA}", SLEEP_B: "${sleepB}" }
    steps: [{ action: attach }]
  - name: source
    install_path: ${INSTALL}
    env: { MODE: source }
    steps: [{ action: attach, expect: { device: /dev/sourced0 } }]
  - name: log
    env: { MODE: log }
    steps: [{ action: attach }]
${level === 'bwrap' ? HOST_WRITE : ''}  - name: lock
    steps:
      - { action: attach, with: { env: { MODE: lock-write } } }
      - { action: attach, with: { env: { MODE: lock-read } }, expect: { device: /dev/locked0 } }
  - name: device
    devices: [/dev/zvol/pool/vol]
    env: { MODE: device }
    steps: [{ action: attach, expect: { device: /dev/zvol/pool/vol } }]
  - name: rescan
    env: { MODE: rescan }
    stubs:
      /sbin/rescan-scsi-bus: [{ args: [--quiet] }]
      /bin/hostname: [{ stdout: "stubbed-host\\n" }]
    steps: [{ action: attach, expect: { device: /dev/loop0 } }]
`;
}

const pgrep = (command: string) =>
  spawnSync('pgrep', ['-f', '-x', command], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);

for (const level of levels) {
  t.test(`isolation ${level}`, async (t) => {
    const parent = mkdtempSync('/var/tmp/esk-isolation-');
    t.teardown(() => rmSync(parent, { recursive: true, force: true }));
    const provider = makeProvider(parent);
    mkdirSync(join(parent, 'etc')); // where the malformed VOL_NAME's link lands on a writable host
    const file = join(parent, 'scenarios.yaml');
    writeFileSync(file, scenarios(level));
    const r = runWithJson([file, '--jobs', '2'], { env: { EXTSTORAGE_KIT_ISOLATION: level } });
    const get = (name: string): IsolatedScenario | undefined => r.byName.get(name);
    for (const result of r.report.results)
      t.equal((result as IsolatedScenario).isolation?.level, level, `${result.name}: the level is reported`);
    t.match(r.stdout, new RegExp(`; isolation: ${level}\\n`), 'the summary line names the level');

    // A write into the provider folder is a failure naming the folder, whatever the level.
    const symlink = get('symlink');
    t.equal(symlink?.status, 'fail', explain(symlink));
    t.match(
      failureMessages(symlink).join('\n'),
      /attach (wrote into|tried to write into) the provider folder .*Ganeti does not forbid it, but a provider that writes into its install path breaks where \/usr is read-only/,
    );
    if (level === 'none') {
      t.match(failureMessages(symlink).join('\n'), /vol1: was nothing, now a symlink to \/dev\/null/);
      rmSync(join(provider, 'vol1'), { force: true });
    } else t.notOk(existsSync(join(provider, 'vol1')), 'nothing was written into the folder');

    // A VOL_NAME climbing out of the folder: the host is read-only only under bwrap.
    const escape = get('escape');
    if (level === 'bwrap') {
      t.equal(escape?.status, 'fail', explain(escape));
      t.match(failureMessages(escape).join('\n'), /attach tried to write .*read-only \(EROFS\)/);
      t.notOk(existsSync(join(parent, 'etc', 'passwd')), 'no link outside the folder');
    } else {
      t.match(
        escape?.isolation?.notContained.join('\n') ?? '',
        level === 'none' ? /other writes are not seen/ : /outside the provider folder is writable/,
        'the report says the host was writable',
      );
    }

    // Nothing a script starts outlives its scenario: a new session with a cleared environment, a double fork.
    const daemons = get('daemons');
    t.equal(daemons?.status, 'pass', explain(daemons));
    const sleepA = { bwrap: 9991, unshare: 9992, none: 9993 }[level];
    const sleepB = { bwrap: 9981, unshare: 9982, none: 9983 }[level];
    t.same(pgrep(`sleep ${sleepA}`), [], 'setsid env -i sleep did not outlive the scenario');
    t.same(pgrep(`sleep ${sleepB}`), [], 'the double fork did not outlive the scenario');
    const killed = daemons?.isolation?.killed.map((k) => k.command) ?? [];
    // Killed may find it at any exec of setsid -> env -i -> sleep: its command line is any of them,
    // or, caught inside an execve for longer than the waiter's second look, the program's name.
    const chain = [`sleep ${sleepA}`, `env -i sleep ${sleepA}`, `setsid env -i sleep ${sleepA}`];
    const named = ['[sleep]', '[env]', '[setsid]', '[bash]'];
    t.ok(
      killed.some((c) => chain.includes(c)) ||
        (killed.some((c) => named.includes(c)) && killed.length >= 2 && level !== 'none'),
      `what was killed is reported: ${killed.join(', ')}`,
    );

    if (level === 'bwrap') {
      const hostWrite = get('host-write');
      t.equal(hostWrite?.status, 'fail', explain(hostWrite));
      t.match(
        failureMessages(hostWrite).join('\n'),
        /attach tried to write on the host file system, which the sandbox mounts read-only \(EROFS\)/,
        'blamed on the host, not on the provider folder the shell names as the script',
      );
    }

    // /run/lock: writable and kept from one step to the next, as on a node; the scenario's own
    // except at level none, where it is the host's (and said so).
    const lock = get('lock');
    t.equal(lock?.status, 'pass', explain(lock));
    if (level === 'none') {
      t.match(lock?.isolation?.notContained.join('\n') ?? '', /\/run\/lock is the host one/);
      rmSync(HOST_LOCK, { force: true });
    } else t.notOk(existsSync(HOST_LOCK), "the host's /run/lock was not written");

    // The install path, /var/log/ganeti, fake devices, absolute-path stubs.
    const source = get('source');
    const log = get('log');
    const device = get('device');
    const rescan = get('rescan');
    if (level === 'none') {
      t.equal(source?.status, 'fail', 'without namespaces the install path is not there');
      t.match(source?.isolation?.notContained.join('\n') ?? '', /install_path .* is not mapped \(isolation none\)/);
      t.match(device?.isolation?.notContained.join('\n') ?? '', /fake devices are not made \(isolation none\)/);
      t.equal(rescan?.status, 'skip');
      t.match(
        rescan?.skipReason ?? '',
        /isolation none cannot put the stubs over \/sbin\/rescan-scsi-bus, \/bin\/hostname/,
      );
    } else {
      t.equal(source?.status, 'pass', explain(source));
      t.equal(log?.status, 'pass', explain(log));
      t.notOk(existsSync(`/var/log/ganeti/${NAME}.log`), 'the log went to a tmpfs, not to the host');
      t.equal(device?.status, 'pass', explain(device));
      t.equal(rescan?.status, 'pass', explain(rescan));
    }
    t.match(
      rescan?.isolation?.hostCommands.join('\n') ?? '',
      /\/bin\/hostname \(attach\)[^]*\/sbin\/rescan-scsi-bus \(attach\)/,
      'host commands run by absolute path are listed',
    );
    t.match(r.stdout, /host commands this provider runs by absolute path: .*\/sbin\/rescan-scsi-bus \(attach\)/);
  });
}

t.test('scenario file errors for the isolation keys', async (t) => {
  const parent = mkdtempSync('/var/tmp/esk-isolation-');
  t.teardown(() => rmSync(parent, { recursive: true, force: true }));
  makeProvider(parent);
  const file = join(parent, 'bad.yaml');
  writeFileSync(
    file,
    `provider: ext/${NAME}
scenarios:
  - name: bad
    install_path: /usr/share/../etc
    devices: [/etc/passwd]
    stubs:
      /proc/x: [{}]
    steps: [{ action: attach }]
`,
  );
  const r = runRun([file]);
  const stderr = r.stderr;
  t.equal(r.code, 2, stderr);
  t.match(stderr, /bad\.yaml:4:19: install_path "\/usr\/share\/\.\.\/etc": not a normalised path/);
  t.match(stderr, /bad\.yaml:5:15: .*devices/);
  t.match(stderr, /bad\.yaml:7:7: stub "\/proc\/x": an absolute-path stub cannot be under \/proc, \/sys or \/dev/);
});

/** Whether chattr +i works under /var/tmp here (root, and a file system with the flag). */
function immutableFlagWorks(): boolean {
  const dir = mkdtempSync('/var/tmp/esk-chattr-');
  try {
    writeFileSync(join(dir, 'probe'), '');
    const ok = spawnSync('chattr', ['+i', join(dir, 'probe')]).status === 0;
    spawnSync('chattr', ['-i', join(dir, 'probe')]);
    return ok;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

t.test(
  'a sandbox the provider made unremovable (chattr +i) fails its scenario and says what was left, where',
  { skip: immutableFlagWorks() ? false : 'chattr +i does not work here (needs root and a file system with the flag)' },
  async (t) => {
    const parent = mkdtempSync('/var/tmp/esk-immutable-');
    const left: string[] = [];
    t.teardown(() => {
      for (const file of left) spawnSync('chattr', ['-i', file]);
      for (const file of left) rmSync(file.slice(0, file.indexOf('/tmp/stuck')), { recursive: true, force: true });
      rmSync(parent, { recursive: true, force: true });
    });
    const dir = makeProvider(parent);
    writeFileSync(
      join(dir, 'attach'),
      '#!/bin/sh\ntouch "$TMPDIR/stuck" && chattr +i "$TMPDIR/stuck"\nprintf /dev/loop0\n',
    );
    const file = join(parent, 's.yaml');
    writeFileSync(file, `provider: ${dir}\nscenarios:\n  - name: x\n    steps: [{ action: attach }]\n`);
    // Without namespaces the provider is root on the host: nothing stops chattr.
    const r = runRun([file], { env: { EXTSTORAGE_KIT_ISOLATION: 'none' } });
    const stuck = /sandbox (\S+) could not be removed/.exec(r.stdout)?.[1];
    if (stuck) left.push(join(stuck, 'tmp', 'stuck'));
    t.equal(r.code, 1, r.stdout + r.stderr);
    t.match(
      r.stdout,
      /the sandbox \/\S+ could not be removed: \w+ on \/\S+\/tmp\/stuck in it \(an immutable or append-only file\? lsattr shows it, chattr -i clears it\); it was left in place/,
    );
    t.notMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
  },
);

for (const level of ['bwrap', 'unshare', 'none'] as const) {
  t.test(`${level}: nothing a provider starts outlives its scenario (a forking loop, setsid env -i)`, async (t) => {
    const parent = mkdtempSync('/var/tmp/esk-leftovers-');
    t.teardown(() => rmSync(parent, { recursive: true, force: true }));
    const dir = makeProvider(parent);
    // A unique duration names this test's sleeps among every process on the machine.
    const mark = String(900_000 + Math.floor(Math.random() * 99_999));
    writeFileSync(
      join(dir, 'attach'),
      `#!/bin/sh\nsetsid env -i sleep ${mark} >/dev/null 2>&1 </dev/null &\n(while :; do sleep ${mark}; done) >/dev/null 2>&1 &\nprintf /dev/loop0\n`,
    );
    const file = join(parent, 's.yaml');
    writeFileSync(
      file,
      `provider: ${dir}\nscenarios:\n  - name: x\n    steps: [{ action: attach }, { action: attach }]\n`,
    );
    const r = runRun([file], { env: { EXTSTORAGE_KIT_ISOLATION: level } });
    t.equal(r.code, 0, r.stdout + r.stderr);
    t.match(r.stdout, /killed \d+ process(es)? the provider left running: /, 'the run says what it killed');
    const left = spawnSync('pgrep', ['-f', `sleep ${mark}`], { encoding: 'utf8' }).stdout.trim();
    t.equal(left, '', `no sleep ${mark} left`);
    if (left !== '') spawnSync('pkill', ['-f', `sleep ${mark}`]);
  });
}
