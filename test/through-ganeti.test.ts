// `--through-ganeti` (spec/SPEC.md §11.2): each action's script run by Ganeti 3.0's own storage code
// (Debian's ganeti-3.0, which CI installs), and what Ganeti did compared with the kit's model. A
// copy of Ganeti's code with one planted change stands for a kit whose model is wrong: the run
// must then fail, naming the difference as a kit defect, not as the provider's.

import { chmodSync, cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from './helpers/cli.js';
import { makeProvider, tempDir } from './helpers/provider-dir.js';
import { runWithJson } from './helpers/run-fixtures.js';

const GANETI_LIB = '/usr/share/ganeti/3.0';
const EXTSTORAGE = join(GANETI_LIB, 'ganeti', 'storage', 'extstorage.py');
const installed = existsSync(EXTSTORAGE) && existsSync('/usr/bin/python3');

if (!installed) {
  t.test(
    '--through-ganeti',
    {
      skip: `Ganeti 3.0 is not installed here (${EXTSTORAGE}; Debian: apt-get install ganeti-3.0; .ci/run installs it)`,
    },
    () => undefined,
  );
} else {
  /** A provider whose attach prints a userspace-only output with CRLF and whose create talks on stderr. */
  const provider = (dir: string) => {
    const path = makeProvider(dir, 'kitprov', { parameters: 'pool the pool\n' });
    const script = (name: string, body: string) => {
      writeFileSync(join(path, name), `#!/bin/sh\n${body}`);
      chmodSync(join(path, name), 0o755);
    };
    script('attach', 'printf "\\r\\nkvm:rbd:%s/%s\\r\\n" "$EXTP_POOL" "$VOL_NAME"\n');
    script('create', 'echo "creating $VOL_NAME ($VOL_SIZE MiB)" >&2\n');
    script('grow', '[ "$VOL_NEW_SIZE" -gt "$VOL_SIZE" ]\n');
    return path;
  };

  const scenarios = (dir: string, providerDir: string) => {
    const file = join(dir, 'through.yaml');
    writeFileSync(
      file,
      `provider: ${providerDir}
defaults:
  volume: { name: vol1.ext.disk0, size: 64, cname: data, params: { pool: rbd } }
scenarios:
  - name: the lifecycle, through Ganeti
    steps:
      - action: create
      - action: attach
        expect: { device: null, uris: { kvm: "rbd:rbd/vol1.ext.disk0" } }
      - action: grow
        with: { new_size: 128 }
      - action: setinfo
        with: { metadata: "originstname+web 1/é" }
        expect: { stdout: { empty: true } }
      - action: snapshot
      - action: open
        with: { exclusive: false }
      - action: close
      - action: detach
      - action: remove
  - name: create talks on stderr, which Ganeti logs with stdout
    steps:
      - action: create
        expect: { stdout: { empty: true } }
  - name: a step Ganeti cannot express runs directly
    steps:
      - action: attach
        with: { unset: [VOL_NAME] }
        expect: { exit: 0 }
`,
    );
    return file;
  };

  t.test('Ganeti runs every action, and agrees with the kit on each', async (t) => {
    const dir = tempDir(t, 'esk-through-');
    const file = scenarios(dir, provider(dir));
    const r = runWithJson([file, '--through-ganeti', '--jobs', '1']);
    t.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const lifecycle = r.byName.get('the lifecycle, through Ganeti')!;
    t.equal(lifecycle.status, 'pass');
    const runs = lifecycle.steps.flatMap(
      (s) => s.runs as unknown as { ganeti?: unknown; env: Record<string, string> }[],
    );
    t.equal(runs.length, 9);
    t.same(
      runs.map((run) => run.ganeti),
      runs.map(() => ({ release: '3.0.2', disagreements: [] })),
      'each of the nine scripts went through Ganeti 3.0.2, and Ganeti agreed with the kit',
    );
    // The setinfo metadata went through Ganeti's own sanitising, and the kit's env says the same.
    t.equal(runs[3]!.env.VOL_METADATA, 'originstname+web_1__');
    const talking = r.byName.get('create talks on stderr, which Ganeti logs with stdout')!;
    t.equal(talking.status, 'skip');
    t.match(
      talking.skipReason,
      /^not verified through Ganeti: create: expect\.stdout \(Ganeti sends create's stdout and stderr to its log file together\)/,
    );
    const direct = r.byName.get('a step Ganeti cannot express runs directly')!;
    t.same((direct.steps[0]!.runs[0] as unknown as { ganeti?: unknown }).ganeti, {
      direct: 'run by the kit: Ganeti cannot run this step, it removes VOL_NAME (Ganeti always sets them)',
    });
    t.match(
      r.stderr,
      /^through Ganeti 3\.0\.2's own code \(\/usr\/share\/ganeti\/3\.0\): 10 script runs, 1 run by the kit \(steps Ganeti cannot express: arguments, unset or hand-set variables\); Ganeti and the kit agree on every one$/m,
    );
  });

  /** Ganeti's package copied, with one change to extstorage.py. */
  const mutantGaneti = (dir: string, from: string, to: string) => {
    const lib = join(dir, 'ganeti-lib');
    cpSync(join(GANETI_LIB, 'ganeti'), join(lib, 'ganeti'), { recursive: true });
    const module = join(lib, 'ganeti', 'storage', 'extstorage.py');
    const source = readFileSync(module, 'utf8');
    if (!source.includes(from)) throw new Error(`extstorage.py has no ${JSON.stringify(from)} to change`);
    writeFileSync(module, source.replace(from, to));
    return lib;
  };

  for (const [what, from, to, found] of [
    [
      'an environment Ganeti builds differently',
      'result["VOL_SIZE"] = str(size)',
      'result["VOL_SIZE"] = str(size + 1)',
      /environment of create: VOL_SIZE: Ganeti "65", kit "64"/,
    ],
    [
      'attach output Ganeti reads differently',
      'self.uris = result[1:]',
      'self.uris = [u.upper() for u in result[1:]]',
      /attach output .*: URI lines: Ganeti \["KVM:RBD:RBD\/.*"\], kit \["kvm:rbd:rbd\/.*"\]/,
    ],
  ] as const) {
    t.test(`a kit whose model is wrong fails loudly: ${what}`, async (t) => {
      const dir = tempDir(t, 'esk-through-mutant-');
      const lib = mutantGaneti(dir, from, to);
      const file = scenarios(dir, provider(dir));
      const r = runWithJson([file, '--through-ganeti', '--jobs', '1', '--filter', 'lifecycle'], {
        env: { EXTSTORAGE_KIT_GANETI_LIB: lib },
      });
      t.equal(r.code, 1, r.stderr);
      const failures = r.byName.get('the lifecycle, through Ganeti')!.steps.flatMap((s) => s.failures);
      const defect = failures.find((f) => f.message.startsWith('kit defect: '));
      t.ok(defect, JSON.stringify(failures));
      t.equal(
        defect?.message,
        "kit defect: Ganeti 3.0.2's own code and the kit's model disagree on this step (the provider is not at fault; please report it)",
      );
      t.match(defect?.actual, found);
      t.match(
        r.stderr,
        /disagreements? between Ganeti and the kit\nKIT DEFECT: the kit's model of Ganeti 3\.0\.2 is wrong/,
      );
    });
  }

  t.test("on real devices, Ganeti's refusal of attach's output fails the step", async (t) => {
    const dir = tempDir(t, 'esk-through-refused-');
    const path = provider(dir);
    writeFileSync(join(path, 'attach'), '#!/bin/sh\necho /dev/null\n');
    const file = join(dir, 'refused.yaml');
    writeFileSync(
      file,
      `provider: ${path}\nscenarios:\n  - name: a character device\n    steps:\n      - action: attach\n`,
    );
    const r = runWithJson([file, '--through-ganeti', '--host-devices']);
    t.equal(r.code, 1, r.stderr);
    t.same(
      r.byName.get('a character device')!.steps[0]!.failures,
      [
        {
          message: "Ganeti 3.0.2 refused attach's output (the node daemon's call would fail)",
          actual: '/dev/null is not a block device',
        },
      ],
      "Ganeti's reason, and no kit defect: the kit's model, given the same stat(), refuses it too",
    );
  });

  t.test('without Ganeti, the option is a usage error that says what is missing', async (t) => {
    const r = runCli(['run', 'providers/legacy', '--through-ganeti'], {
      env: { EXTSTORAGE_KIT_GANETI_LIB: '/nonexistent/ganeti' },
    });
    t.equal(r.code, 2);
    t.match(
      r.stderr,
      "--through-ganeti: Ganeti's storage code is not at /nonexistent/ganeti/ganeti/storage/extstorage.py: install Ganeti (Debian: apt-get install ganeti-3.0) or set EXTSTORAGE_KIT_GANETI_LIB",
    );
  });

  t.test('test --through-ganeti: the suite through Ganeti, with the closing line', async (t) => {
    // Userspace only: no block device for Ganeti to stat, so everything Ganeti does is observed.
    const r = runCli([
      'test',
      'dist/providers/rbd',
      '--backend',
      'providers/rbd/backend.yaml',
      '-p',
      'userspace_only=true',
      '--through-ganeti',
      '--only',
      'LIFECYCLE',
      '--only',
      'ATTACH-IDEMPOTENT',
    ]);
    t.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    t.match(r.stdout, /pass {2}MUST {3}LIFECYCLE/);
    t.match(
      r.stderr,
      /^through Ganeti 3\.0\.2's own code .*: \d+ script runs; Ganeti and the kit agree on every one$/m,
    );
  });

  t.test("a simulator's stand-in device is not a verdict of Ganeti's: not verified", async (t) => {
    const r = runCli([
      'test',
      'dist/providers/legacy',
      '--backend',
      'providers/legacy/backend.yaml',
      '--through-ganeti',
      '--only',
      'ATTACH-IDEMPOTENT',
    ]);
    t.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    t.match(
      r.stdout,
      /NOT VERIFIED {2}MUST {3}ATTACH-IDEMPOTENT {2}§4\n {10}through Ganeti: attach: Ganeti's acceptance of the device \(its stat\(\) of "\/dev\/loop0" finds a simulator's stand-in, not a block device; --live or --real gives it a real one\)/,
    );
  });
}
