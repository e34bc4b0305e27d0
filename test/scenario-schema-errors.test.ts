// The loader's schema stage (harness/scenario/schema-errors.ts, schema.ts): the data against
// spec/scenario.schema.json with the validator `npm run build` compiled from it, and ajv's errors
// phrased from the schema's own words, one message per node.

import { spawnSync } from 'node:child_process';
import t from 'tap';
import { HYPERVISORS } from '../harness/ganeti/hypervisors.js';
import { schemaIssues } from '../harness/scenario/schema-errors.js';
import { scenarioSchema } from '../harness/scenario/schema.js';
import { REPO_ROOT } from './helpers/cli.js';
import { parsedFile } from './helpers/scenario-stage.js';

function issuesOf(t: { teardown(fn: () => void): void }, text: string): string[] {
  const { data, source } = parsedFile(t, text);
  return schemaIssues(data, source)
    .map((issue) => ({ ...source.positionOf(issue.path, issue.at), message: issue.message }))
    .sort((a, b) => a.line - b.line || a.col - b.col)
    .map(({ line, col, message }) => `${line}:${col}: ${message}`);
}

const definitions = scenarioSchema().definitions as Record<string, Record<string, string>>;

t.test('a file the schema accepts has no issue', async (t) => {
  t.strictSame(issuesOf(t, 'scenarios:\n  - name: a\n    timeout: 5s\n    steps: [{action: create}]\n'), []);
});

t.test('messages say what the schema says', async (t) => {
  const text = [
    'scenarios:',
    '  - name: a',
    '    timeout: [1]', //                          3: x-phrase of duration
    '    ganeti: []', //                            4: x-phrase of versions
    '    stubs:',
    '      rbd: [{args: [1], exit: 300}]', //       6: argMatcher, exitCode
    '    steps:',
    '      - action: attach',
    '        expect:',
    '          uris: {kvm: a, vmware: b}', //       10: x-key-noun of uris
    '          bogus: 1', //                        11: unknown key, the schema's keys listed
    '      - action: frobnicate', //                12: the enum of actions
    '        name: 7', //                           13: the phrase of a non-empty string
    '      - {}', //                                 14: (no action: semantics says so)
    '',
  ].join('\n');
  const expectKeys = Object.keys(definitions.expect!.properties as unknown as object).join(', ');
  t.strictSame(issuesOf(t, text), [
    `3:14: "timeout" must be ${definitions.duration!['x-phrase']}, got a list`,
    `4:13: "ganeti" must be ${definitions.versions!['x-phrase']}, got an empty list`,
    '6:21: item 1 of "args" must be a string or {regex: "..."}, got 1',
    '6:31: "exit" must be an integer from 0 to 255, got 300',
    `10:26: unknown hypervisor "vmware" in "uris" (expected one of: ${HYPERVISORS.join(', ')})`,
    `11:11: unknown key "bogus" in "expect" (expected one of: ${expectKeys})`,
    '12:17: unknown action "frobnicate": expected one of create, attach, detach, remove, grow, setinfo, verify, snapshot, open, close',
    '13:15: "name" must be a non-empty string, got 7',
  ]);
});

t.test('the phrases are the schema annotations: changing one changes the message', async (t) => {
  const text = 'scenarios:\n  - name: a\n    stubs: {rbd: [{exit: 300}]}\n    steps: [{action: create}]\n';
  t.strictSame(issuesOf(t, text), ['3:26: "exit" must be an integer from 0 to 255, got 300']);
  const saved = definitions.exitCode!['x-phrase']!;
  definitions.exitCode!['x-phrase'] = 'an exit status (0-255)';
  t.teardown(() => {
    definitions.exitCode!['x-phrase'] = saved;
  });
  t.strictSame(issuesOf(t, text), ['3:26: "exit" must be an exit status (0-255), got 300']);
});

t.test('validating needs neither ajv nor a compile at run time', async (t) => {
  // The built loader, with every import of ajv refused: it validates with the code compiled at build.
  const refuseAjv = `data:text/javascript,${encodeURIComponent(
    'export async function resolve(s, c, next) { if (/^ajv(\\/|$)/.test(s)) throw new Error("ajv imported: " + s); return next(s, c); }',
  )}`;
  const register = `data:text/javascript,${encodeURIComponent(
    `import { register } from 'node:module'; register(${JSON.stringify(refuseAjv)});`,
  )}`;
  const script = [
    "const { parseScenarioText } = await import('./dist/harness/scenario/load.js');",
    "const r = parseScenarioText('scenarios:\\n  - name: a\\n    steps: [{action: nope}]\\n', 'f.yaml');",
    'console.log(JSON.stringify(r.errors.map((e) => e.message)));',
  ].join('\n');
  const r = spawnSync(process.execPath, ['--import', register, '--input-type=module', '-e', script], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  t.equal(r.status, 0, r.stderr);
  t.match((JSON.parse(r.stdout) as string[])[0], /^unknown action "nope": expected one of create/);
});
