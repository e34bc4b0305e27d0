// Command steps (spec/SCENARIOS.md §3.6): checks run between a provider's actions, with the
// sandbox's PATH, the scenario's env and the placeholders ${SANDBOX}, ${VOLUME}, ${DEVICE} and
// ${URI:<hypervisor>} replaced from what the scenario and its last attach did.

import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from './helpers/cli.js';
import { makeProvider, tempDir } from './helpers/provider-dir.js';
import { runWithJson } from './helpers/run-fixtures.js';

/** A provider whose create writes a file into the sandbox and whose attach prints a device and a kvm URI. */
function fileProvider(parent: string): string {
  const dir = makeProvider(parent, 'files', { parameters: 'dir where the images go\n' });
  const scripts: Record<string, string> = {
    create: '#!/bin/sh\nprintf "%s" "$VOL_NAME" > "$EXTP_DIR/$VOL_NAME.img"\n',
    attach:
      '#!/bin/sh\n[ -e "$EXTP_DIR/$VOL_NAME.img" ] || exit 1\nmapper lookup "$VOL_NAME"\nprintf "/dev/fake-%s\\nkvm:file:%s/%s.img\\n" "$VOL_NAME" "$EXTP_DIR" "$VOL_NAME"\n',
  };
  for (const [name, text] of Object.entries(scripts)) {
    writeFileSync(join(dir, name), text);
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

function scenarioFile(dir: string, text: string): string {
  const file = join(dir, 'commands.yaml');
  writeFileSync(file, text);
  return file;
}

const HEADER = `defaults:
  volume: { name: vol1, params: { dir: "\${SANDBOX}/data" } }
scenarios:
`;

t.test('a command step sees the sandbox, the volume, and what the last attach printed', async (t) => {
  const dir = tempDir(t);
  const provider = fileProvider(dir);
  const file = scenarioFile(
    dir,
    `${HEADER}  - name: checks between actions
    stubs:
      mapper:
        - args: [lookup, vol1]
        - args: [status, /dev/fake-vol1]
          stdout: "mapped\\n"
    steps:
      - action: create
      - name: the image holds the volume name
        command: [cat, "\${SANDBOX}/data/\${VOLUME}.img"]
        expect: { stdout: { equals: vol1 } }
      - action: attach
      - command: [echo, "\${DEVICE}", "\${URI:kvm}"]
        expect: { stdout: { regex: '^/dev/fake-vol1 file:/.+/data/vol1\\.img\\n$' } }
      - name: a stubbed command answers a command step too, and is checked like any call
        command: [mapper, status, "\${DEVICE}"]
        expect: { stdout: { equals: "mapped\\n" }, calls: { mapper: [[status, /dev/fake-vol1]] } }
`,
  );
  const r = runWithJson([provider, file]);
  t.equal(r.code, 0, r.stdout + r.stderr);
  const steps = r.report.results[0]!.steps;
  t.same(
    steps.map((s) => s.action),
    ['create', 'command', 'attach', 'command', 'command'],
  );
  t.equal(steps[1]!.label, 'the image holds the volume name');
  t.equal(steps[3]!.label, 'echo ${DEVICE} ${URI:kvm}', 'an unnamed command step is labelled by its argv as written');
  const sandbox = steps[1]!.runs[0]!.env.HOME!.replace(/\/home$/, '');
  t.match(steps[3]!.runs[0]!.stdout.head, `/dev/fake-vol1 file:${sandbox}/data/vol1.img`);
  t.notOk('VOL_NAME' in steps[1]!.runs[0]!.env, 'a command gets no VOL_* variables: it is not a provider script');
});

t.test('a failing command fails its step and ends the scenario', async (t) => {
  const dir = tempDir(t);
  const provider = fileProvider(dir);
  const file = scenarioFile(
    dir,
    `${HEADER}  - name: the file is not there
    steps:
      - command: [test, -e, "\${SANDBOX}/data/\${VOLUME}.img"]
      - action: create
`,
  );
  const r = runWithJson([provider, file]);
  t.equal(r.code, 1);
  const scenario = r.report.results[0]!;
  t.equal(scenario.steps.length, 1, 'create never ran');
  t.match(scenario.steps[0]!.failures[0]!.message, /exit/);
});

t.test('${DEVICE} before any attach, or ${URI:xen-pvm} the attach did not print, fail with the reason', async (t) => {
  const dir = tempDir(t);
  const provider = fileProvider(dir);
  const file = scenarioFile(
    dir,
    `${HEADER}  - name: too early
    steps:
      - command: [echo, "\${DEVICE}"]
  - name: no such uri
    stubs: { mapper: [{ args: [lookup, vol1] }] }
    steps:
      - action: create
      - action: attach
      - command: [echo, "\${URI:xen-pvm}"]
`,
  );
  const r = runWithJson([provider, file]);
  t.equal(r.code, 1);
  t.match(
    r.byName.get('too early')!.steps[0]!.failures[0]!.message,
    'cannot run the command: ${DEVICE}: no attach step of this scenario has succeeded yet',
  );
  t.match(
    r.byName.get('no such uri')!.steps[2]!.failures[0]!.message,
    'cannot run the command: ${URI:xen-pvm}: the last attach printed no URI for xen-pvm',
  );
});

t.test('command steps are checked when the file loads, with positions', async (t) => {
  const dir = tempDir(t);
  const provider = fileProvider(dir);
  const file = scenarioFile(
    dir,
    `${HEADER}  - name: mistakes
    steps:
      - command: [echo, "\${FOO}", "\${URI:vmware}"]
        action: attach
      - command: ["true"]
        with: { args: [] }
        ganeti: ["3.1"]
        expect: { device: /dev/x }
      - name: neither
      - command: []
`,
  );
  const r = runCli(['run', provider, file]);
  t.equal(r.code, 2);
  const lines = r.stderr
    .trim()
    .split('\n')
    .map((line) => line.replace(`${file}:`, ''));
  t.same(lines.slice(0, -1), [
    '6:9: a step has either "action" (a provider script) or "command" (a check between actions), not both',
    '6:25: unknown placeholder ${FOO} in a command: expected ${SANDBOX}, ${VOLUME}, ${DEVICE} or ${URI:<hypervisor>}',
    '6:35: unknown hypervisor in ${URI:vmware}: expected one of kvm, xen-pvm, xen-hvm, lxc, chroot, fake',
    '9:9: "with" does not apply to a command step: it is for provider scripts',
    '10:9: "ganeti" does not apply to a command step: it is for provider scripts',
    '11:19: "device" does not apply to a command step: only the output of attach is read by Ganeti',
    '12:9: missing required key "action" in step (or "command", to run a check between actions)',
    '13:18: "command" must be a non-empty list of strings, got an empty list',
  ]);
});
