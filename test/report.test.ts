// The reporters of `extstorage-kit run`, on hand-built results: human (plain and on a fake
// terminal), TAP (parsed by tap-parser and run through a real prove), JUnit (parsed by a real
// Python XML parser), JSON (round trip, exact bytes), GitHub annotations (escaping, paths).

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { Parser, type FinalResults, type Result } from 'tap-parser';
import {
  annotations,
  createReporters,
  escapeData,
  escapeProperty,
  jsonDocument,
  renderHumanSummary,
  tapDocument,
  tapEscape,
  toJsonValue,
  xmlEscape,
  yamlString,
  type Reporter,
} from '../harness/report/index.js';
import type { RunSummary, ScenarioResult } from '../harness/run/result.js';
import { tempDir } from './helpers/provider-dir.js';
import type { JsonReport } from './helpers/run-fixtures.js';
import { captured, FakeStream, runSummary, scenarioResult, scriptRun, stepResult } from './helpers/run-results.js';

// ---------------------------------------------------------------------------------------------
// The results every reporter is checked on, in the stable order (file, then index).

const STDERR_15 = Array.from({ length: 15 }, (_, i) => `err line ${i + 1}`).join('\n') + '\n';
// Not UTF-8 (0xff 0xfe), a NUL, an ESC sequence, a vertical tab, a CR: every reporter must cope.
const BAD_STDERR = new Uint8Array([
  ...new TextEncoder().encode('rbd: map failed\n'),
  0x66,
  0x6f,
  0xff,
  0xfe,
  0x00,
  0x1b,
  0x5b,
  0x33,
  0x31,
  0x6d,
  0x0b,
  0x0d,
  0x0a,
]);
const TRICKY_NAME = 'detach: leaves #1 behind, \\ok';

function fixtures(): { summary: RunSummary; finishOrder: ScenarioResult[] } {
  const pass = scenarioResult('a.yaml', 0, 'attach maps the image', {
    steps: [stepResult('a.yaml', 8, { compatibility: [{ ganeti: '3.1', ok: true }] })],
  });
  const idempotent = scenarioResult('a.yaml', 1, 'attach is idempotent', {
    status: 'fail',
    durationMs: 1500,
    steps: [
      stepResult('a.yaml', 14, {
        status: 'fail',
        runs: [
          scriptRun({ stdout: captured('/dev/rbd0\n') }),
          scriptRun({ stdout: captured('/dev/rbd0\n') }),
          scriptRun({ stdout: captured('/dev/rbd1\n'), stderr: captured(STDERR_15) }),
        ],
        failures: [
          { message: 'attach printed another device', expected: '"/dev/rbd0"', actual: '"/dev/rbd1"' },
          {
            message: 'run 3 printed other stdout than run 1: attach is not idempotent',
            expected: '/dev/rbd0\n',
            actual: '/dev/rbd1\n',
          },
          { message: 'stdout should equal', expected: 'x\n', actual: 'x' },
        ],
        compatibility: [
          { ganeti: '2.12', ok: false },
          { ganeti: '2.13.0', ok: true },
          { ganeti: '2.16', ok: true },
          { ganeti: '3.1', ok: true },
        ],
      }),
    ],
  });
  const skipped = scenarioResult('a.yaml', 2, 'needs a cluster', {
    status: 'skip',
    skipReason: 'needs rbd',
    durationMs: 0,
  });
  const timeout = scenarioResult('b.yaml', 0, 'create times out', {
    status: 'fail',
    durationMs: 10_020,
    steps: [
      stepResult('b.yaml', 5, {
        action: 'create',
        label: 'create the volume',
        status: 'fail',
        runs: [
          scriptRun({
            exitCode: null,
            signal: 'SIGKILL',
            durationMs: 10_010,
            fault: { kind: 'timeout', seconds: 10 },
            stderr: captured(BAD_STDERR),
          }),
        ],
        failures: [{ message: 'wrong exit status', expected: 'exit 0', actual: 'killed after 10s' }],
      }),
    ],
  });
  const lingering = scenarioResult('b.yaml', 1, TRICKY_NAME, {
    status: 'fail',
    steps: [
      stepResult('b.yaml', 30, {
        action: 'detach',
        status: 'fail',
        runs: [scriptRun({ fault: { kind: 'lingering', stream: 'stdout' } })],
        failures: [{ message: 'detach left a process behind' }],
      }),
    ],
    failures: [{ message: 'unused stub entry: rbd #2 ("device", "unmap") was never called' }],
    sandbox: '/tmp/esk-sandbox-1',
  });
  const huge = scenarioResult('c.yaml', 0, 'huge output', {
    status: 'fail',
    steps: [
      stepResult('c.yaml', 9, {
        action: 'verify',
        status: 'fail',
        runs: [
          scriptRun({
            exitCode: 3,
            stdout: captured('y'.repeat(100), { tail: 'y'.repeat(100), dropped: 5_000_000 }),
            stderr: captured('head line 1\nhead line 2\nhead line', {
              tail: ' cut\ntail 1\ntail 2\n',
              dropped: 1_000_000,
            }),
          }),
        ],
        failures: [
          { message: 'wrong exit status', expected: 'exit 0', actual: 'exit 3' },
          { message: 'calls to rbd differ', expected: 'rbd status a\nrbd info a', actual: 'rbd status a' },
        ],
      }),
    ],
  });
  const results = [pass, idempotent, skipped, timeout, lingering, huge];
  const summary = runSummary(results, { notRun: 2 });
  return { summary, finishOrder: [huge, timeout, pass, skipped, lingering, idempotent] };
}

/** Drives a reporter as the runner does: start, starts and finishes out of order, finish. */
async function drive(reporter: Reporter, summary: RunSummary, finishOrder: readonly ScenarioResult[]): Promise<void> {
  reporter.start({ provider: summary.provider, total: summary.results.length, jobs: 3 });
  for (const r of finishOrder) reporter.scenarioStarted({ file: r.file, name: r.name, index: r.index });
  for (const r of finishOrder) reporter.scenarioFinished(r);
  await reporter.finish(summary);
}

function streams(tty = false, columns?: number) {
  return { stdout: new FakeStream(tty, columns), stderr: new FakeStream(tty, columns) };
}

// ---------------------------------------------------------------------------------------------
// human

t.test('human, not a terminal: a plain line per scenario, then the failures in stable order', async (t) => {
  const { summary, finishOrder } = fixtures();
  const { stdout, stderr } = streams();
  await drive(
    createReporters({ reporter: 'human', stdout: stdout.stream, stderr: stderr.stream, env: {}, cwd: '/' }),
    summary,
    finishOrder,
  );

  t.notMatch(stdout.text + stderr.text, /[\x1b\r]/, 'no control codes at all');
  const progress = stderr.text.split('\n');
  t.match(progress[0], /^running 6 scenarios of providers\/demo \(3 jobs\)$/);
  t.same(
    progress.slice(1, 7),
    [
      'FAIL c.yaml: huge output (12ms)',
      'FAIL b.yaml: create times out (10.0s)',
      'ok   a.yaml: attach maps the image (12ms)',
      'skip a.yaml: needs a cluster (skipped: needs rbd)',
      `FAIL b.yaml: ${TRICKY_NAME} (12ms)`,
      'FAIL a.yaml: attach is idempotent (1.5s)',
    ],
    'in completion order, as they finish',
  );

  const out = stdout.text;
  const heads = [...out.matchAll(/^FAIL (.*)$/gm)].map((m) => m[1]);
  t.same(
    heads,
    [
      'a.yaml: attach is idempotent (1.5s)',
      'b.yaml: create times out (10.0s)',
      `b.yaml: ${TRICKY_NAME} (12ms)`,
      'c.yaml: huge output (12ms)',
    ],
    'stable order',
  );
  t.notMatch(out, /attach maps the image|needs a cluster/, 'passing and skipped scenarios get no block');

  const block = (name: string) => out.slice(out.indexOf(name), out.indexOf('\n\n', out.indexOf(name)));
  const idem = block('attach is idempotent');
  t.match(idem, /\n {2}a\.yaml:14:7: attach, run 3\n/, 'file:line:col, the action, the run');
  t.match(idem, /\n {4}✗ attach printed another device\n {8}expected: "\/dev\/rbd0"\n {8}actual: {3}"\/dev\/rbd1"\n/);
  t.match(
    idem,
    /\n {8}expected:\n {10}\/dev\/rbd0\n {8}actual:\n {10}\/dev\/rbd1\n/,
    'multi-line values as indented blocks',
  );
  t.match(idem, /expected: "x\\n"\n {8}actual: {3}"x"\n/, 'values that only differ in a final newline are quoted');
  t.match(
    idem,
    /\n {4}Ganeti: 2\.12 ✗ {2}2\.13\.0 ✓ {2}2\.16 ✓ {2}3\.1 ✓\n/,
    'the compatibility row, readable without color',
  );
  t.match(idem, /stderr \(last 10 lines of \d+ bytes\):\n {6}\| err line 6\n/);
  t.match(idem, /\| err line 15$/);
  t.notMatch(idem, /err line 5\n/, 'only the last 10 lines');

  const timeout = block('create times out');
  t.match(timeout, /b\.yaml:5:7: "create the volume" \(create\)\n/, 'a label and its action');
  t.match(timeout, /fault: timeout: killed after 10s/);
  t.match(timeout, /killed by SIGKILL after 10\.0s/);
  t.match(
    timeout,
    /\| fo\ufffd\ufffd\\x00\\x1b\[31m\\x0b\\r$/,
    'invalid UTF-8 as U+FFFD, control characters as escapes',
  );
  t.notMatch(timeout, /Ganeti:/, 'no compatibility row for a step without one');

  const lingering = block(TRICKY_NAME);
  t.match(lingering, /fault: lingering process: .*holding its stdout open \(Ganeti would wait for it forever\)/);
  t.match(
    lingering,
    /\n {2}b\.yaml:23:5: scenario\n {4}✗ unused stub entry/,
    'failures outside any step, at the scenario',
  );
  t.match(lingering, /sandbox kept: \/tmp\/esk-sandbox-1/);

  const huge = block('huge output');
  t.match(huge, /exit 3 after 5ms/);
  t.match(
    huge,
    /\| head line 1\n {6}\| head line 2\n {6}\| head line\n {6}\.\.\. 1000000 bytes not kept \.\.\.\n {6}\| {2}cut\n {6}\| tail 1\n {6}\| tail 2/,
    'head, the gap, tail',
  );
  t.match(huge, /expected:\n {10}rbd status a\n {10}rbd info a\n {8}actual: {3}rbd status a\n/);

  t.match(
    out,
    /\n1 passed, 4 failed, 1 skipped, 2 not run \(--bail\) in 12\.3s\n$/,
    'the summary line ends the report',
  );
});

t.test('human: no failures, just the counts; no "not run" without --bail', async (t) => {
  const summary = runSummary([scenarioResult('a.yaml', 0, 'fine')], { durationMs: 80 });
  t.equal(renderHumanSummary(summary), '1 passed, 0 failed, 0 skipped in 80ms\n');
});

t.test('human on a terminal: one status line rewritten in place, failures as they happen, color', async (t) => {
  const { summary, finishOrder } = fixtures();
  const { stdout, stderr } = streams(true, 40);
  const reporter = createReporters({
    reporter: 'human',
    stdout: stdout.stream,
    stderr: stderr.stream,
    env: {},
    cwd: '/',
  });
  reporter.start({ provider: summary.provider, total: 6, jobs: 3 });
  t.equal(stderr.writes.at(-1), '\r\x1b[2K[0/6]');
  const [huge, timeout, pass] = finishOrder as [ScenarioResult, ScenarioResult, ScenarioResult];
  for (const r of [huge, timeout, pass]) reporter.scenarioStarted({ file: r.file, name: r.name, index: r.index });
  const status = stderr.writes.at(-1)!;
  t.ok(status.startsWith('\r\x1b[2K[0/6] running: huge output, create'), status);
  t.ok([...status.slice('\r\x1b[2K'.length)].length <= 39, 'truncated to the terminal width');
  t.ok(status.endsWith('…'));

  reporter.scenarioFinished(pass);
  t.equal(
    stderr.writes.at(-1),
    '\r\x1b[2K[1/6] running: huge output, create tim…',
    'a pass only updates the status (39 columns)',
  );
  const before = stderr.writes.length;
  reporter.scenarioFinished(timeout);
  const written = stderr.writes.slice(before).join('');
  t.match(
    written,
    /^\r\x1b\[2K\x1b\[31mFAIL\x1b\[0m b\.yaml: create times out \(10\.0s\)\n\r\x1b\[2K\[2\/6\] 1 failed · running: huge output$/,
    'the failure on its own line, then the status again',
  );
  reporter.scenarioFinished(huge);
  t.equal(stderr.writes.at(-1), '\r\x1b[2K[3/6] 2 failed', 'the status line counts the failures');
  await reporter.finish(summary);
  t.equal(stderr.writes.at(-1), '\r\x1b[2K', 'the status line is cleared before the report');
  t.match(stdout.text, /\x1b\[31mFAIL\x1b\[0m \x1b\[1ma\.yaml: attach is idempotent/, 'color on a terminal');
  t.match(stdout.text, /Ganeti: 2\.12 \x1b\[31m✗\x1b\[0m {2}2\.13\.0 \x1b\[32m✓\x1b\[0m/);

  const plain = streams(true, 80);
  await drive(
    createReporters({
      reporter: 'human',
      stdout: plain.stdout.stream,
      stderr: plain.stderr.stream,
      env: { NO_COLOR: '' },
      cwd: '/',
    }),
    summary,
    finishOrder,
  );
  t.notMatch(plain.stdout.text, /\x1b/, 'NO_COLOR: no color');
  t.match(plain.stderr.text, /\r\x1b\[2K/, 'but still live progress');
});

// ---------------------------------------------------------------------------------------------
// TAP

/** A failed test point's YAML diagnostics (harness/report/tap.ts), as far as the tests read them. */
interface TapDiagnostics {
  readonly message: string;
  readonly fault?: string;
  readonly stderr?: string;
  readonly failures?: readonly {
    readonly at: string;
    readonly step?: string;
    readonly message: string;
    readonly expected?: string;
    readonly actual?: string;
  }[];
}

function parseTap(text: string): Promise<{ final: FinalResults; asserts: Result[] }> {
  return new Promise((resolve) => {
    const asserts: Result[] = [];
    const parser = new Parser((final) => resolve({ final, asserts }));
    parser.on('assert', (r: Result) => asserts.push(r));
    parser.end(text);
  });
}

t.test('TAP 14: parsed by tap-parser, one point per scenario in stable order, YAML diagnostics', async (t) => {
  const { summary, finishOrder } = fixtures();
  const { stdout, stderr } = streams();
  await drive(
    createReporters({ reporter: 'tap', stdout: stdout.stream, stderr: stderr.stream, env: {}, cwd: '/' }),
    summary,
    finishOrder,
  );
  t.equal(stderr.text, '', 'nothing on stderr');
  const tap = stdout.text;
  t.match(tap, /^TAP version 14\n1\.\.6\n/);
  t.match(tap, /\nok 3 - a\.yaml: needs a cluster # SKIP needs rbd\n/);
  t.match(tap, /\nnot ok 5 - b\.yaml: detach: leaves \\#1 behind, \\\\ok\n/, '# and \\ escaped in descriptions');
  t.match(tap, /\nBail out! 2 scenarios not run \(--bail\)\n$/);

  const { final, asserts } = await parseTap(tap);
  t.same(
    asserts.map((a) => [a.id, a.ok, a.name]),
    [
      [1, true, 'a.yaml: attach maps the image'],
      [2, false, 'a.yaml: attach is idempotent'],
      [3, true, 'a.yaml: needs a cluster'],
      [4, false, 'b.yaml: create times out'],
      [5, false, `b.yaml: ${TRICKY_NAME}`],
      [6, false, 'c.yaml: huge output'],
    ],
  );
  t.equal(final.count, 6);
  t.equal(final.fail, 4);
  t.equal(final.skip, 1);
  t.equal(asserts[2]!.skip, 'needs rbd');
  t.ok(final.bailout, 'the bail is a bail out');
  t.same(
    final.failures.filter((f) => 'tapError' in f && f.tapError),
    [],
    'no TAP errors',
  );

  const idem = asserts[1]!.diag as TapDiagnostics;
  t.match(idem, {
    message: 'attach printed another device',
    at: 'a.yaml:14:7',
    expected: '"/dev/rbd0"',
    actual: '"/dev/rbd1"',
    step: 'attach',
    action: 'attach',
    run: 3,
    exit: 'exit 0 after 5ms',
    compatibility: { '2.12': false, '2.13.0': true, '2.16': true, '3.1': true },
  });
  t.equal(idem.failures!.length, 3);
  t.same(idem.failures![1], {
    at: 'a.yaml:14:7',
    step: 'attach',
    message: 'run 3 printed other stdout than run 1: attach is not idempotent',
    expected: '/dev/rbd0\n',
    actual: '/dev/rbd1\n',
  });
  t.equal(idem.stderr, STDERR_15.split('\n').slice(5, 15).join('\n'), 'the last 10 lines of stderr');

  const timeout = asserts[3]!.diag as TapDiagnostics;
  t.match(timeout.fault, /^timeout: killed after 10s/);
  t.equal(
    timeout.stderr,
    'rbd: map failed\nfo\ufffd\ufffd\x00\x1b[31m\x0b\r',
    'control characters survive the YAML round trip',
  );
  t.equal(
    (asserts[4]!.diag as TapDiagnostics).failures![1]!.at,
    'b.yaml:23:5',
    'a scenario-level failure at the scenario',
  );
  t.equal(
    (asserts[5]!.diag as TapDiagnostics).stderr,
    'head line 1\nhead line 2\nhead line\n... 1000000 bytes not kept ...\n cut\ntail 1\ntail 2',
  );
});

t.test('TAP: strings YAML 1.2 and YAMLish read alike; descriptions escaped', async (t) => {
  t.equal(yamlString('a"b\\c\nd\te\r\x00\x7f'), '"a\\"b\\\\c\\nd\\te\\r\\x00\\x7f"');
  t.equal(yamlString('é ✓ \u0085 \u2028 \ufeff'), '"é ✓ \\u0085 \\u2028 \\ufeff"');
  t.equal(yamlString('\ud800'), '"\ufffd"', 'a lone surrogate cannot be written');
  t.equal(tapEscape('a # b \\ c\nd'), 'a \\# b \\\\ c\\\\nd');
  t.equal(tapDocument(runSummary([])), 'TAP version 14\n1..0\n');
});

/** prove's TAP::Harness version, e.g. [3, 44], or null when prove is not installed. */
function proveVersion(): [number, number] | null {
  const r = spawnSync('prove', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  const m = /TAP::Harness v(\d+)\.(\d+)/.exec(r.stdout);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

const PROVE = proveVersion();

t.test(
  'TAP: a real prove reads it',
  { skip: PROVE === null ? 'prove not found (Debian: perl): not checked with prove' : false },
  async (t) => {
    const version = PROVE!;
    // Test::Harness < 3.48 knows TAP up to 13; the rest of the document is TAP 13 as well.
    const old = version[0] < 3 || (version[0] === 3 && version[1] < 48);
    if (old) t.comment(`prove ${version.join('.')} predates TAP 14 (Test::Harness 3.48): given the tap13 document`);
    const dir = tempDir(t);
    const prove = (name: string, tap: string) => {
      const file = join(dir, name);
      writeFileSync(file, tap);
      const r = spawnSync('prove', ['-v', '-e', 'cat', file], { encoding: 'utf8', cwd: dir, timeout: 60_000 });
      return { code: r.status, out: r.stdout + r.stderr };
    };

    const passing = runSummary([
      scenarioResult('a.yaml', 0, 'one # with hash'),
      scenarioResult('a.yaml', 1, 'two', { status: 'skip', skipReason: 'not today' }),
    ]);
    const tapVersion = old ? 13 : 14;
    const ok = prove('pass.tap', tapDocument(passing, tapVersion));
    t.equal(ok.code, 0, 'all pass');
    t.match(ok.out, /Result: PASS/);
    t.match(ok.out, /ok 2 - a\.yaml: two # SKIP not today/);

    const { summary } = fixtures();
    const noBail = prove('fail.tap', tapDocument({ ...summary, notRun: 0 }, tapVersion));
    t.equal(noBail.code, 1, 'failures fail');
    t.notMatch(noBail.out, /Parse errors/, 'no parse errors (YAML blocks included)');
    t.match(noBail.out, /Failed tests?:\s+2, 4-6/);
    t.match(noBail.out, /Tests: 6 Failed: 4/);

    const bail = prove('bail.tap', tapDocument(summary, tapVersion));
    t.equal(
      tapDocument(passing, 13).replace(/^TAP version 13\n/, ''),
      tapDocument(passing).replace(/^TAP version 14\n/, ''),
      'tap13 differs only in the version line',
    );
    t.not(bail.code, 0);
    t.match(bail.out, /Bailout called/);
  },
);

// ---------------------------------------------------------------------------------------------
// JUnit

const PY_JUNIT = `
import json, sys, xml.dom.minidom
doc = xml.dom.minidom.parse(sys.argv[1])
def text(node):
    return ''.join(c.data for c in node.childNodes if c.nodeType in (c.TEXT_NODE, c.CDATA_SECTION_NODE))
root = doc.documentElement
out = {'root': root.tagName, 'attrs': dict(root.attributes.items()), 'suites': []}
for s in root.getElementsByTagName('testsuite'):
    cases = []
    for c in s.getElementsByTagName('testcase'):
        case = dict(c.attributes.items())
        for tag in ('failure', 'skipped', 'system-err'):
            for e in c.getElementsByTagName(tag):
                case[tag] = {'attrs': dict(e.attributes.items()), 'text': text(e)}
        cases.append(case)
    out['suites'].append({'attrs': dict(s.attributes.items()), 'cases': cases})
print(json.dumps(out))
`;

/** An element as PY_JUNIT prints it: its attributes and its text. */
interface XmlElement {
  readonly attrs: Readonly<Record<string, string>>;
  readonly text: string;
}
/** A <testcase> as PY_JUNIT prints it: its attributes, plus its child elements by tag. */
interface JunitCase {
  readonly [attribute: string]: string | XmlElement | undefined;
  readonly failure?: XmlElement;
  readonly skipped?: XmlElement;
  readonly 'system-err'?: XmlElement;
}
interface JunitDocument {
  readonly root: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly suites: readonly {
    readonly attrs: Readonly<Record<string, string>>;
    readonly cases: readonly JunitCase[];
  }[];
}

function python(): boolean {
  const r = spawnSync('python3', ['--version']);
  return !r.error && r.status === 0;
}

t.test('JUnit: written where asked, only characters XML 1.0 allows', async (t) => {
  const { summary, finishOrder } = fixtures();
  const dir = tempDir(t);
  const { stdout, stderr } = streams();
  await drive(
    createReporters({
      reporter: 'human',
      junit: 'reports/junit.xml',
      stdout: stdout.stream,
      stderr: stderr.stream,
      env: {},
      cwd: dir,
    }),
    summary,
    finishOrder,
  );
  const file = join(dir, 'reports', 'junit.xml');
  const xml = readFileSync(file, 'utf8');
  t.match(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites /);
  t.notMatch(xml, /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/, 'no character XML 1.0 forbids');
});

// CI must parse it (CI installs python3); elsewhere a missing python3 skips this, saying so.
const skipPython = !python() && !process.env.CI ? 'python3 not found: the XML was not parsed' : false;

t.test(
  'JUnit: a real XML parser reads it: suites per file, failures, skips, stderr',
  { skip: skipPython },
  async (t) => {
    const { summary, finishOrder } = fixtures();
    const dir = tempDir(t);
    const { stdout, stderr } = streams();
    await drive(
      createReporters({
        reporter: 'human',
        junit: 'junit.xml',
        stdout: stdout.stream,
        stderr: stderr.stream,
        env: {},
        cwd: dir,
      }),
      summary,
      finishOrder,
    );
    const file = join(dir, 'junit.xml');
    const r = spawnSync('python3', ['-c', PY_JUNIT, file], { encoding: 'utf8' });
    t.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as JunitDocument;
    t.equal(doc.root, 'testsuites');
    t.match(doc.attrs, {
      name: 'extstorage-kit run: providers/demo',
      tests: '6',
      failures: '4',
      skipped: '1',
      errors: '0',
      time: '12.345',
    });
    t.same(
      doc.suites.map((s) => [s.attrs.name, s.attrs.tests, s.attrs.failures, s.attrs.skipped]),
      [
        ['a.yaml', '3', '1', '1'],
        ['b.yaml', '2', '2', '0'],
        ['c.yaml', '1', '1', '0'],
      ],
    );
    const [a, b, c] = doc.suites;
    t.same(a!.cases[0], {
      classname: 'a.yaml',
      name: 'attach maps the image',
      time: '0.012',
      file: 'a.yaml',
      line: '3',
    });
    t.equal(a!.cases[1]!.failure!.attrs.message, 'attach printed another device (and 2 more)');
    t.equal(a!.cases[1]!.failure!.attrs.type, 'assertion');
    t.match(
      a!.cases[1]!.failure!.text,
      /a\.yaml:14:7: attach, run 3\n {2}✗ attach printed another device\n {6}expected: "\/dev\/rbd0"/,
    );
    t.match(a!.cases[1]!.failure!.text, /Ganeti: 2\.12 ✗ {2}2\.13\.0 ✓/);
    t.equal(a!.cases[1]!['system-err']!.text, STDERR_15.split('\n').slice(5, 15).join('\n'));
    t.notMatch(a!.cases[1]!.failure!.text, /err line/, 'stderr only in <system-err>');
    t.same(a!.cases[2]!.skipped, { attrs: { message: 'needs rbd' }, text: '' });
    t.equal(b!.cases[0]!.failure!.attrs.type, 'timeout');
    t.equal(
      b!.cases[0]!['system-err']!.text,
      'rbd: map failed\nfo\ufffd\ufffd\\x00\\x1b[31m\\x0b\r',
      'forbidden characters as escapes, CR kept',
    );
    t.equal(b!.cases[1]!.name, TRICKY_NAME);
    t.equal(b!.cases[1]!.failure!.attrs.type, 'lingering');
    t.match(c!.cases[0]!['system-err']!.text, /head line\n\.\.\. 1000000 bytes not kept \.\.\.\n cut\n/);
  },
);

t.test('JUnit: escaping text and attributes', async (t) => {
  t.equal(xmlEscape('a<b>&"\'\n\t\r\x00\x1b\uffff'), 'a&lt;b&gt;&amp;"\'\n\t&#13;\\x00\\x1b\\uffff');
  t.equal(xmlEscape('a<b>&"\'\n\t', true), 'a&lt;b&gt;&amp;&quot;&apos;&#10;&#9;');
});

// ---------------------------------------------------------------------------------------------
// JSON

t.test('JSON: the whole summary, bytes as lossy text plus exact base64', async (t) => {
  const { summary, finishOrder } = fixtures();
  const dir = tempDir(t);
  const { stdout, stderr } = streams();
  await drive(
    createReporters({
      reporter: 'tap',
      json: 'out/run.json',
      stdout: stdout.stream,
      stderr: stderr.stream,
      env: {},
      cwd: dir,
    }),
    summary,
    finishOrder,
  );
  const json = JSON.parse(readFileSync(join(dir, 'out', 'run.json'), 'utf8')) as JsonReport;
  t.equal(readFileSync(join(dir, 'out', 'run.json'), 'utf8'), jsonDocument(summary));
  t.match(json, { provider: 'providers/demo', passed: 1, failed: 4, skipped: 1, notRun: 2, durationMs: 12_345 });
  t.same(
    json.results.map((r) => r.name),
    summary.results.map((r) => r.name),
    'stable order',
  );
  const stream = json.results[3]!.steps[0]!.runs[0]!.stderr;
  t.same(Object.keys(stream).sort(), ['droppedBytes', 'head', 'headBase64', 'tail', 'tailBase64', 'totalBytes']);
  t.equal(stream.head, new TextDecoder().decode(BAD_STDERR));
  t.same(new Uint8Array(Buffer.from(stream.headBase64, 'base64')), BAD_STDERR, 'the exact bytes');
  t.same(json.results[3]!.steps[0]!.runs[0]!.fault, { kind: 'timeout', seconds: 10 });
  t.equal(json.results[5]!.steps[0]!.runs[0]!.stderr.droppedBytes, 1_000_000);
  t.equal(json.results[5]!.steps[0]!.runs[0]!.stdout.tail, 'y'.repeat(100));
  t.equal(json.results[2]!.skipReason, 'needs rbd');
  t.equal(json.results[0]!.sandbox, undefined, 'undefined fields left out');

  t.same(
    toJsonValue({
      re: /^rbd\//,
      b: new Uint8Array([0x68, 0xff]),
      n: NaN,
      u: undefined,
      list: [new Uint8Array([0x61]), /x/],
    }),
    {
      re: '^rbd\\/',
      b: 'h\ufffd',
      bBase64: 'aP8=',
      n: 'NaN',
      list: [{ text: 'a', base64: 'YQ==' }, 'x'],
    },
  );
});

// ---------------------------------------------------------------------------------------------
// GitHub Actions

t.test('GitHub annotations: escaping as the runner unescapes', async (t) => {
  t.equal(escapeData('100% done\r\nnext: a, b'), '100%25 done%0D%0Anext: a, b');
  t.equal(escapeProperty('a:b,c%d\ne'), 'a%3Ab%2Cc%25d%0Ae');
});

t.test('GitHub annotations: one per failing step at its line, only when GITHUB_ACTIONS=true', async (t) => {
  const { summary, finishOrder } = fixtures();
  const dir = tempDir(t);
  mkdirSync(join(dir, 'sub'));
  const { stdout, stderr } = streams();
  const env = { GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: dir };
  await drive(
    createReporters({ reporter: 'human', stdout: stdout.stream, stderr: stderr.stream, env, cwd: join(dir, 'sub') }),
    summary,
    finishOrder,
  );
  const lines = stdout.text.split('\n').filter((l) => l.startsWith('::'));
  t.equal(lines.length, 5, 'four failing steps and one scenario with failures of its own');
  t.ok(stdout.text.indexOf('::error') > stdout.text.indexOf(' passed, '), 'after the human report');
  t.equal(
    lines[0],
    '::error file=sub/a.yaml,line=14,col=7,title=attach is idempotent%3A attach (run 3)::attach printed another device%0Aexpected: "/dev/rbd0"%0Aactual: "/dev/rbd1"%0A' +
      'run 3 printed other stdout than run 1: attach is not idempotent%0Aexpected: /dev/rbd0%0A%0Aactual: /dev/rbd1%0A%0A' +
      'stdout should equal%0Aexpected: x%0A%0Aactual: x%0Aexit 0 after 5ms%0Astderr:%0Aerr line 6%0Aerr line 7%0Aerr line 8%0Aerr line 9%0Aerr line 10%0Aerr line 11%0Aerr line 12%0Aerr line 13%0Aerr line 14%0Aerr line 15',
  );
  t.match(
    lines[1],
    /^::error file=sub\/b\.yaml,line=5,col=7,title=create times out%3A create the volume::wrong exit status%0A.*timeout: killed after 10s/,
  );
  // Terminal escapes the provider printed are shown as escapes: the log viewer would obey them.
  t.match(lines[1], /stderr:%0Arbd: map failed%0Afo\ufffd\ufffd\\x00\\x1b\[31m\\x0b\\r$/);
  t.notMatch(lines.join('\n'), /[\x00-\x08\x0b-\x1f\x7f-\x9f]/, 'no control character reaches the log');
  t.match(
    lines[2],
    /^::error file=sub\/b\.yaml,line=30,col=7,title=detach%3A leaves #1 behind%2C \\ok%3A detach::detach left a process behind%0Alingering process/,
  );
  t.match(
    lines[3],
    /^::error file=sub\/b\.yaml,line=23,col=5,title=detach%3A leaves #1 behind%2C \\ok::unused stub entry/,
  );
  t.match(lines[4], /^::error file=sub\/c\.yaml,line=9,col=7,title=huge output%3A verify::wrong exit status/);

  const outside = annotations(summary, { GITHUB_WORKSPACE: join(dir, 'elsewhere') }, dir);
  t.equal(outside[0]!.file, 'a.yaml', 'a file outside the workspace keeps its path');

  for (const value of [undefined, 'false', '1']) {
    const quiet = streams();
    const env = value === undefined ? {} : { GITHUB_ACTIONS: value };
    await drive(
      createReporters({ reporter: 'tap', stdout: quiet.stdout.stream, stderr: quiet.stderr.stream, env, cwd: dir }),
      summary,
      finishOrder,
    );
    t.notMatch(quiet.stdout.text, /^::error/m, `GITHUB_ACTIONS=${value}: no annotations`);
  }
});

// ---------------------------------------------------------------------------------------------
// The composite

t.test(
  'createReporters: a report file that cannot be written is saved elsewhere, said, and the others finish',
  async (t) => {
    const { summary, finishOrder } = fixtures();
    const dir = tempDir(t);
    writeFileSync(join(dir, 'not-a-dir'), '');
    const { stdout, stderr } = streams();
    const reporter = createReporters({
      reporter: 'human',
      json: 'not-a-dir/run.json',
      junit: 'ok.xml',
      stdout: stdout.stream,
      stderr: stderr.stream,
      env: {},
      cwd: dir,
    });
    await drive(reporter, summary, finishOrder);
    t.match(stdout.text, /1 passed, 4 failed/, 'the console report was written');
    t.ok(readFileSync(join(dir, 'ok.xml'), 'utf8').includes('<testsuites'), 'and the JUnit file');
    t.equal(reporter.writeErrors.length, 1, 'the JSON report failed');
    const saved = reporter.writeErrors[0]!.savedTo!;
    t.teardown(() => rmSync(saved, { force: true }));
    t.match(
      stderr.text,
      new RegExp(
        `could not write the report .*not-a-dir/run\\.json: (EEXIST|ENOTDIR); it was saved to ${saved.replace(/[.]/g, '\\.')}\n`,
      ),
    );
    t.equal(
      (JSON.parse(readFileSync(saved, 'utf8')) as { failed: number }).failed,
      4,
      'nothing lost: the whole report is in the saved file',
    );
  },
);
