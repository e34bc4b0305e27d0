// The loader's semantic stage (harness/scenario/semantics.ts): what the schema cannot say, found in
// files the schema accepts, each problem named by its path and placed on its key or value.

import t, { type Test } from 'tap';
import { schemaIssues } from '../harness/scenario/schema-errors.js';
import { semanticIssues } from '../harness/scenario/semantics.js';
import { parsedFile } from './helpers/scenario-stage.js';

function issuesOf(t: Test, text: string): string[] {
  const { data, source } = parsedFile(t, text);
  t.strictSame(schemaIssues(data, source), [], 'the schema accepts the file');
  return semanticIssues(data, source)
    .map((issue) => ({ ...source.positionOf(issue.path, issue.at), message: issue.message }))
    .sort((a, b) => a.line - b.line || a.col - b.col)
    .map(({ line, col, message }) => `${line}:${col}: ${message}`);
}

t.test('a sound file has no issue', async (t) => {
  t.strictSame(issuesOf(t, 'scenarios:\n  - name: a\n    ganeti: ["2.10"]\n    steps: [{action: create}]\n'), []);
});

t.test('what the schema cannot say', async (t) => {
  const text = [
    'defaults:',
    '  timeout: 0s', //                                            2
    'scenarios:',
    '  - name: a',
    '    ganeti: [2.6]', //                                        5
    '    stubs:',
    '      rbd: [{args: [{regex: "("}]}]', //                     7
    '    simulate: [rbd]',
    '    steps:',
    '      - action: detach',
    '        expect: {device: /dev/x, accepted_by: ["3.0"], rejected_by: ["3.0.2"]}', // 11
    '      - command: [echo, "${NOPE}"]', //                      12
    '        ganeti: ["3.1"]', //                                 13
    '      - {}', //                                               14
    '  - name: a', //                                               15
    '    steps: [{action: create}]',
    '',
  ].join('\n');
  t.strictSame(issuesOf(t, text), [
    '2:12: bad duration "0s": must be more than 0, as a number of seconds or a string like "10s", "500ms", "1.5s", "2m"',
    '5:14: unsupported Ganeti version "2.6": expected a release from 2.7.0 to 3.1.0, written X.Y (that series\' last release) or X.Y.Z',
    '7:7: "rbd" is both stubbed and simulated in this scenario: a command is either stubbed or simulated',
    '7:29: invalid regular expression "(": Unterminated group',
    '11:18: "device" does not apply to detach: only the output of attach is read by Ganeti',
    '11:34: "accepted_by" does not apply to detach: only the output of attach is read by Ganeti',
    '11:56: "rejected_by" does not apply to detach: only the output of attach is read by Ganeti',
    '11:70: Ganeti "3.0.2" is in both accepted_by (as "3.0": both mean 3.0.2) and rejected_by',
    '12:25: unknown placeholder ${NOPE} in a command: expected ${SANDBOX}, ${VOLUME}, ${DEVICE} or ${URI:<hypervisor>}',
    '13:9: "ganeti" does not apply to a command step: it is for provider scripts',
    '14:9: missing required key "action" in step (or "command", to run a check between actions)',
    '15:11: duplicate scenario name "a" (first at line 4)',
  ]);
});
