// action.yml, run here as the GitHub runner runs a composite action: each `run:` step in its own
// `bash --noprofile --norc -eo pipefail` with the runner's variables (GITHUB_ACTION_PATH,
// GITHUB_WORKSPACE, GITHUB_STEP_SUMMARY, GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH), `${{ }}`
// expressions substituted, a failing step ending the action. The action's checkout is a copy of this
// working tree, so its install step really runs npm ci and the build there. Against a sound bash
// provider the steps pass; against a flawed one they fail with annotations, a summary and JUnit.
//
// The expressions this test evaluates are only those action.yml uses (inputs.NAME, and
// steps.ID.outputs.NAME in outputs); any other one fails the test rather than being guessed.

import {
  appendFileSync,
  lstatSync,
  readlinkSync,
  symlinkSync,
  chmodSync,
  copyFileSync,
  mkdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { REPO_ROOT } from './helpers/cli.js';
import { authorEnv, bashProvider, packKit, sh, shown } from './helpers/install.js';
import { tempDir } from './helpers/provider-dir.js';

interface Step {
  readonly name?: string;
  readonly id?: string;
  readonly shell?: string;
  readonly run?: string;
  readonly env?: Record<string, string>;
}

interface Action {
  readonly inputs: Record<string, { readonly default?: string; readonly required?: boolean }>;
  readonly outputs: Record<string, { readonly value: string }>;
  readonly runs: { readonly using: string; readonly steps: readonly Step[] };
}

// npm installs and builds: more than tap's per-file timeout under load.
t.setTimeout(1_200_000);

const ACTION = parse(readFileSync(join(REPO_ROOT, 'action.yml'), 'utf8')) as Action;
const STEP_KEYS = new Set(['name', 'id', 'shell', 'run', 'env']);
const NAME = '[A-Za-z_][A-Za-z0-9_-]*';

interface Context {
  readonly inputs: Readonly<Record<string, string>>;
  readonly steps?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** Substitutes ${{ inputs.NAME }} (and, for outputs, ${{ steps.ID.outputs.NAME }}); nothing else. */
function substitute(text: string, context: Context, where: string): string {
  return text.replace(/\$\{\{(.*?)\}\}/gs, (_, raw: string) => {
    const expression = raw.trim();
    const input = new RegExp(`^inputs\\.(${NAME})$`).exec(expression);
    if (input) {
      const value = context.inputs[input[1]!];
      if (value === undefined) throw new Error(`${where}: \${{ ${expression} }}: action.yml declares no such input`);
      return value;
    }
    const output = new RegExp(`^steps\\.(${NAME})\\.outputs\\.(${NAME})$`).exec(expression);
    // A step output never set is the empty string, as on GitHub.
    if (output && context.steps) return context.steps[output[1]!]?.[output[2]!] ?? '';
    throw new Error(`${where}: \${{ ${expression} }} is not an expression this test evaluates`);
  });
}

/** NAME=VALUE lines and NAME<<DELIMITER blocks, as the runner reads GITHUB_OUTPUT and GITHUB_ENV. */
function commandFile(path: string): Record<string, string> {
  const lines = readFileSync(path, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const values: Record<string, string> = {};
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const block = /^([^=<]+)<<(.+)$/.exec(line);
    if (block) {
      const end = lines.indexOf(block[2]!, i + 1);
      if (end < 0) throw new Error(`${path}:${i + 1}: no closing ${block[2]!}`);
      values[block[1]!] = lines.slice(i + 1, end).join('\n');
      i = end;
      continue;
    }
    const pair = /^([^=]+)=(.*)$/.exec(line);
    if (!pair) throw new Error(`${path}:${i + 1}: expected NAME=VALUE or NAME<<DELIMITER, got ${JSON.stringify(line)}`);
    values[pair[1]!] = pair[2]!;
  }
  return values;
}

interface StepRun {
  readonly name: string;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

interface ActionRun {
  readonly steps: readonly StepRun[];
  readonly summary: string;
  readonly outputs: Record<string, string>;
}

/** Runs the action's steps as the runner would, with the inputs given in `with`. */
function runAction(actionPath: string, workspace: string, runner: string, given: Record<string, string>): ActionRun {
  if (ACTION.runs.using !== 'composite')
    throw new Error(`action.yml runs.using: ${ACTION.runs.using}, expected composite`);
  for (const name of Object.keys(given))
    if (!(name in ACTION.inputs)) throw new Error(`with: ${name}: action.yml declares no such input`);
  const inputs = Object.fromEntries(
    Object.entries(ACTION.inputs).map(([name, input]) => [name, given[name] ?? input.default ?? '']),
  );
  mkdirSync(runner, { recursive: true });
  let env: NodeJS.ProcessEnv = {
    ...authorEnv(),
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: workspace,
    GITHUB_ACTION_PATH: actionPath,
    RUNNER_TEMP: runner,
  };
  const steps: StepRun[] = [];
  const outputs: Record<string, Record<string, string>> = {};
  let summary = '';
  for (const [index, step] of ACTION.runs.steps.entries()) {
    const where = `action.yml runs.steps[${index}]`;
    const unknown = Object.keys(step).filter((k) => !STEP_KEYS.has(k));
    if (unknown.length > 0) throw new Error(`${where}: keys this test does not run: ${unknown.join(', ')}`);
    if (step.shell !== 'bash' || typeof step.run !== 'string')
      throw new Error(`${where}: expected shell: bash and run:`);
    // Inputs go to the scripts as variables: text substituted into a script would be run as code.
    if (step.run.includes('${{')) throw new Error(`${where}: run: has an expression; pass it in env:`);
    const files = Object.fromEntries(
      ['GITHUB_OUTPUT', 'GITHUB_STEP_SUMMARY', 'GITHUB_ENV', 'GITHUB_PATH'].map((name) => {
        const path = join(runner, `${name.toLowerCase()}-${index}`);
        writeFileSync(path, '');
        return [name, path];
      }),
    );
    const script = join(runner, `step-${index}.sh`);
    writeFileSync(script, step.run);
    const stepEnv = Object.fromEntries(
      Object.entries(step.env ?? {}).map(([k, v]: [string, unknown]) => {
        if (typeof v !== 'string') throw new Error(`${where}.env.${k}: expected a string, got ${JSON.stringify(v)}`);
        return [k, substitute(v, { inputs }, `${where}.env.${k}`)];
      }),
    );
    const result = sh('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], workspace, {
      ...env,
      ...stepEnv,
      ...files,
    });
    steps.push({ name: step.name ?? `step ${index}`, ...result });
    summary += readFileSync(files.GITHUB_STEP_SUMMARY!, 'utf8');
    if (step.id !== undefined) outputs[step.id] = commandFile(files.GITHUB_OUTPUT!);
    env = { ...env, ...commandFile(files.GITHUB_ENV!) };
    const paths = readFileSync(files.GITHUB_PATH!, 'utf8').split('\n').filter(Boolean);
    if (paths.length > 0) env.PATH = [...paths.reverse(), env.PATH].join(':');
    if (result.code !== 0) break; // the runner skips the remaining steps of a failed action
  }
  const actionOutputs = Object.fromEntries(
    Object.entries(ACTION.outputs).map(([name, o]) => [
      name,
      substitute(o.value, { inputs, steps: outputs }, `action.yml outputs.${name}`),
    ]),
  );
  return { steps, summary, outputs: actionOutputs };
}

/**
 * The action's checkout: this working tree's files as git would commit them (tracked and new, links
 * as links), never a node_modules (a link to one would let the install step's npm ci empty it).
 */
function actionCheckout(dest: string): void {
  const listed = sh('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], REPO_ROOT);
  if (listed.code !== 0) throw new Error(`git ls-files: ${shown(listed)}`);
  for (const file of listed.stdout.split('\0').filter(Boolean)) {
    if (file.split('/')[0] === 'node_modules') continue;
    const from = join(REPO_ROOT, file);
    const to = join(dest, file);
    const stat = lstatSync(from, { throwIfNoEntry: false });
    if (stat === undefined) continue; // deleted in the working tree
    mkdirSync(dirname(to), { recursive: true });
    if (stat.isSymbolicLink()) symlinkSync(readlinkSync(from), to);
    else if (stat.isFile()) {
      copyFileSync(from, to);
      chmodSync(to, stat.mode);
    }
  }
}

const PASSING = `provider: ../provider
defaults:
  volume: { name: vol1.ext.disk0, size: 64, params: { dir: "\${SANDBOX}/data" } }
scenarios:
  - name: attach prints the loop device
    simulate: [losetup]
    steps:
      - action: create
      - action: attach
        expect: { device: /dev/loop0 }
`;

/** A workspace: a bash provider, its backend file and a scenario file, under `sub`. */
function workspace(root: string, sub: string, scenario: string): void {
  const dir = join(root, sub);
  mkdirSync(join(dir, 'ci'), { recursive: true });
  mkdirSync(join(dir, 'scenarios'), { recursive: true });
  bashProvider(dir);
  writeFileSync(join(dir, 'scenarios', 'attach.yaml'), scenario);
}

const SLOW = { timeout: 900_000 };

t.test('the substitution evaluates only the expressions action.yml uses', async (t) => {
  const context = { inputs: { provider: 'p' } };
  t.equal(substitute('a ${{ inputs.provider }} b', context, 'x'), 'a p b');
  t.throws(() => substitute('${{ inputs.nope }}', context, 'x'), /declares no such input/);
  t.throws(() => substitute('${{ github.token }}', context, 'x'), /not an expression this test evaluates/);
  t.throws(() => substitute('${{ steps.a.outputs.b }}', context, 'x'), /not an expression/);
  t.throws(() => substitute("${{ inputs.provider || 'x' }}", context, 'x'), /not an expression/);
});

t.test('action.yml: the steps, a passing and a failing provider', SLOW, async (t) => {
  const tmp = tempDir(t, 'esk-action-');
  const actionPath = join(tmp, '_actions', 'extstorage-kit');
  actionCheckout(actionPath);

  await t.test('a sound provider: both commands pass, JUnit, summary, no annotation', async (t) => {
    const ws = join(tmp, 'ws-pass');
    workspace(ws, '.', PASSING);
    const run = runAction(actionPath, ws, join(tmp, 'runner-pass'), {
      provider: 'provider',
      backend: 'ci/backend.yaml',
      scenarios: 'scenarios\n',
      ganeti: '2.12, 3.1',
    });
    t.equal(run.steps.length, 2, 'both steps ran');
    for (const step of run.steps) t.equal(step.code, 0, step.name, { output: shown(step) });
    const [install, test] = run.steps;
    t.match(install!.stdout, /extstorage-kit 0\.\d+\.\d+ installed in /, 'the install step built the kit');
    t.notMatch(test!.stdout, /^::error file=(provider|ci|scenarios)\//m, 'no annotation in the workspace');
    // A check that could not exercise what it judges is "not verified", not an error.
    t.notMatch(test!.stdout, /^::error/m, 'no error annotation on a passing run');
    t.match(test!.stdout, /^Verdict: compatible with every Ganeti release/m);
    t.match(run.summary, /^### extstorage-kit test: passed$/m);
    t.match(run.summary, /^<p>Verdict: compatible with every Ganeti release \(2\.7\.0 to 3\.1\.0\)\.<\/p>$/m);
    t.match(run.summary, /^### extstorage-kit run: passed$/m);
    t.match(run.summary, /^<p>1 passed, 0 failed, 0 skipped in [^<]*<\/p>$/m);
    t.match(run.summary, /<details><summary>report<\/summary>/);
    const conformance = join(ws, 'extstorage-kit-conformance.xml');
    const scenarios = join(ws, 'extstorage-kit-scenarios.xml');
    t.same(run.outputs, { 'conformance-junit': conformance, 'scenarios-junit': scenarios }, 'outputs: the JUnit paths');
    t.match(
      readFileSync(conformance, 'utf8'),
      /<testsuites[^>]* tests="41" failures="0"/,
      'no failure in the JUnit of a passing run',
    );
    t.match(readFileSync(scenarios, 'utf8'), /<testsuites[^>]* tests="1" failures="0"/);
  });

  await t.test('a flawed provider: annotations at the failing line, failed summary, JUnit failures', async (t) => {
    const ws = join(tmp, 'ws-fail');
    // The scenario's attach expects another device; detach prints on stdout.
    const scenario = PASSING.replace('device: /dev/loop0', 'device: /dev/loop7');
    const line = scenario.split('\n').indexOf('      - action: attach') + 1;
    workspace(ws, 'sub', scenario);
    appendFileSync(join(ws, 'sub', 'provider', 'detach'), 'echo "detached $VOL_NAME"\n');
    const run = runAction(actionPath, ws, join(tmp, 'runner-fail'), {
      provider: 'provider',
      backend: 'ci/backend.yaml',
      scenarios: 'scenarios/attach.yaml',
      'working-directory': 'sub',
    });
    const [install, test] = run.steps;
    t.equal(install!.code, 0, 'install', { output: shown(install!) });
    t.match(install!.stdout, /is already installed in /, 'a second use in the job finds the kit built');
    t.equal(test!.code, 1, 'the test step fails', { output: shown(test!) });
    t.match(
      test!.stdout,
      new RegExp(
        `^::error file=sub/scenarios/attach\\.yaml,line=${line},col=\\d+,title=attach prints the loop device%3A attach::.*/dev/loop7`,
        'm',
      ),
      'an annotation at the scenario line, relative to the workspace',
    );
    t.match(
      test!.stdout,
      /^::error file=[^,/]*\/?[^,]*\/(create|attach|detach|remove|grow|setinfo|verify),line=1,col=1,title=[A-Z-]+%3A /m,
      "the suite's failures annotated on the provider's script, in the workspace",
    );
    t.notMatch(test!.stdout, /^::error file=[^,]*spec\/conformance\//m, "never on the kit's own suite files");
    t.match(run.summary, /^### extstorage-kit test: failed$/m);
    t.match(run.summary, /^<p>Verdict: NOT a correct ExtStorage provider: .*DETACH-IDEMPOTENT.*<\/p>$/m);
    t.match(run.summary, /^### extstorage-kit run: failed$/m);
    t.match(run.summary, /^<p>0 passed, 1 failed, 0 skipped in [^<]*<\/p>$/m);
    t.notMatch(run.summary, /^::/m, 'no workflow command in the summary');
    t.same(
      run.outputs,
      {
        'conformance-junit': join(ws, 'sub', 'extstorage-kit-conformance.xml'),
        'scenarios-junit': join(ws, 'sub', 'extstorage-kit-scenarios.xml'),
      },
      'outputs: the JUnit paths, under working-directory',
    );
    t.match(readFileSync(join(ws, 'sub', 'extstorage-kit-conformance.xml'), 'utf8'), /<failure /);
    t.match(readFileSync(join(ws, 'sub', 'extstorage-kit-scenarios.xml'), 'utf8'), /<failure [^>]*>[^<]*\/dev\/loop7/);
  });

  await t.test('an input the action cannot use: exit 2 and an annotation saying which', async (t) => {
    const ws = join(tmp, 'ws-usage');
    workspace(ws, '.', PASSING);
    const run = runAction(actionPath, ws, join(tmp, 'runner-usage'), { backend: 'ci/backend.yaml' });
    const test = run.steps[1]!;
    t.equal(test.code, 2, shown(test));
    t.match(test.stdout, /^::error title=extstorage-kit::input backend needs the input provider/m);
    const ignored = runAction(actionPath, ws, join(tmp, 'runner-usage-2'), { scenarios: 'scenarios', ganeti: '3.1' });
    t.equal(ignored.steps[1]?.code, 2, shown(ignored.steps[1]!));
    t.match(
      ignored.steps[1]?.stdout,
      /^::error title=extstorage-kit::inputs ganeti and allow-unverified are for the conformance suite/m,
    );
    const broken = runAction(actionPath, ws, join(tmp, 'runner-usage-3'), { scenarios: 'scenarios', provider: 'a\nb' });
    t.match(broken.steps[1]?.stdout, /^::error title=extstorage-kit::input provider has a line break/m);
  });
});

// The GitLab CI template, run the same way: a job's before_script and script lines in one
// `set -eo pipefail` bash, with the template's variables under the project's, GitLab's own
// (CI_PROJECT_DIR, CI_NODE_INDEX/TOTAL of `parallel:`), and its rules (only `if: $VARIABLE`).

interface GitlabJob {
  readonly extends?: string;
  readonly image?: string;
  readonly stage?: string;
  readonly rules?: readonly Record<string, unknown>[];
  readonly variables?: Record<string, unknown>;
  readonly before_script?: readonly string[];
  readonly script?: readonly string[];
  readonly artifacts?: { readonly when?: string; readonly reports?: { readonly junit?: string } };
}

const TEMPLATE = 'ci/gitlab/extstorage-kit.gitlab-ci.yml';
const GITLAB = parse(readFileSync(join(REPO_ROOT, TEMPLATE), 'utf8')) as Record<string, GitlabJob> & {
  variables: Record<string, unknown>;
};
const JOB_KEYS = new Set(['extends', 'image', 'stage', 'rules', 'variables', 'before_script', 'script', 'artifacts']);

function gitlabJob(name: string): GitlabJob {
  const job = GITLAB[name];
  if (job === undefined) throw new Error(`${TEMPLATE}: no job ${name}`);
  const unknown = Object.keys(job).filter((k) => !JOB_KEYS.has(k));
  if (unknown.length > 0) throw new Error(`${TEMPLATE}: ${name}: keys this test does not run: ${unknown.join(', ')}`);
  if (job.extends === undefined) return job;
  // GitLab merges hashes key by key and replaces everything else: one level is all the template has.
  const base = gitlabJob(job.extends);
  return { ...base, ...job, variables: { ...base.variables, ...job.variables } };
}

/** Plain strings only: GitLab would expand a `$` in a variable's value, this test does not. */
function variables(values: Record<string, unknown> | undefined, where: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values ?? {}).map(([k, v]) => {
      if (typeof v !== 'string' || v.includes('$')) throw new Error(`${where}.${k}: expected a string without $`);
      return [k, v];
    }),
  );
}

interface JobRun extends StepRun {
  readonly junit: string;
}

function runGitlabJob(
  name: string,
  project: string,
  given: Record<string, string>,
  node?: { index: number; total: number },
): JobRun | undefined {
  const job = gitlabJob(name);
  const vars = {
    ...variables(GITLAB.variables, `${TEMPLATE} variables`),
    ...variables(job.variables, `${TEMPLATE} ${name}.variables`),
    ...given,
  };
  const runs = (job.rules ?? [{ if: '$CI' }]).some((rule) => {
    const m = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(typeof rule.if === 'string' ? rule.if : '');
    if (!m || Object.keys(rule).length !== 1) throw new Error(`${TEMPLATE}: ${name}: a rule this test does not run`);
    return (vars[m[1]!] ?? '') !== '';
  });
  if (!runs) return undefined;
  const junit = job.artifacts?.reports?.junit;
  if (junit === undefined || job.artifacts?.when !== 'always')
    throw new Error(`${TEMPLATE}: ${name}: expected artifacts: { when: always, reports: { junit } }`);
  const script = join(project, `.${name}.sh`);
  writeFileSync(script, ['set -eo pipefail', ...(job.before_script ?? []), ...(job.script ?? [])].join('\n'));
  const result = sh('bash', ['--noprofile', '--norc', script], project, {
    ...authorEnv(),
    CI: 'true',
    GITLAB_CI: 'true',
    CI_PROJECT_DIR: project,
    CI_JOB_NAME: name,
    ...(node ? { CI_NODE_INDEX: String(node.index), CI_NODE_TOTAL: String(node.total) } : {}),
    ...vars,
  });
  return { name, ...result, junit: join(project, junit) };
}

t.test('the GitLab CI template: its jobs run with bash', SLOW, async (t) => {
  const tmp = tempDir(t, 'esk-gitlab-');
  const kit = { EXTSTORAGE_KIT_SPEC: `file:${packKit(join(tmp, 'pack'))}` };
  const inputs = { ESK_PROVIDER: 'provider', ESK_BACKEND: 'ci/backend.yaml', ESK_SCENARIOS: 'scenarios' };

  await t.test('a sound provider: the conformance job and a shard of the scenarios pass', async (t) => {
    const project = join(tmp, 'pass');
    workspace(project, '.', PASSING);
    const conformance = runGitlabJob('extstorage-kit-conformance', project, {
      ...kit,
      ...inputs,
      ESK_GANETI: '2.12,3.1',
    });
    t.equal(conformance?.code, 0, 'conformance', { output: conformance && shown(conformance) });
    t.match(conformance?.stdout, /^Verdict: compatible with every Ganeti release/m);
    t.match(readFileSync(conformance!.junit, 'utf8'), /<testsuites[^>]* tests="41"/);
    const scenarios = runGitlabJob('extstorage-kit-scenarios', project, { ...kit, ...inputs }, { index: 1, total: 2 });
    t.equal(scenarios?.code, 0, 'scenarios 1/2', { output: scenarios && shown(scenarios) });
    t.match(readFileSync(scenarios!.junit, 'utf8'), /<testsuites[^>]* tests="1" failures="0"/);
    const other = runGitlabJob('extstorage-kit-scenarios', project, { ...kit, ...inputs }, { index: 2, total: 2 });
    t.equal(other?.code, 0, 'scenarios 2/2', { output: other && shown(other) });
    t.match(readFileSync(other!.junit, 'utf8'), /<testsuites[^>]* tests="0"/, 'the other shard is empty');
  });

  await t.test('a flawed provider: the conformance job fails with its JUnit report', async (t) => {
    const project = join(tmp, 'fail');
    workspace(project, '.', PASSING);
    appendFileSync(join(project, 'provider', 'detach'), 'echo "detached $VOL_NAME"\n');
    const run = runGitlabJob('extstorage-kit-conformance', project, { ...kit, ...inputs });
    t.equal(run?.code, 1, 'conformance fails', { output: run && shown(run) });
    t.match(run?.stdout, /^Verdict: NOT a correct ExtStorage provider: .*DETACH-IDEMPOTENT/m);
    t.match(readFileSync(run!.junit, 'utf8'), /<failure /);
  });

  await t.test('rules and the required kit spec', async (t) => {
    const project = join(tmp, 'usage');
    workspace(project, '.', PASSING);
    t.equal(
      runGitlabJob('extstorage-kit-conformance', project, { ...kit, ESK_PROVIDER: 'provider' }),
      undefined,
      'no backend, no conformance job',
    );
    t.equal(
      runGitlabJob('extstorage-kit-scenarios', project, { ...kit, ESK_BACKEND: 'b' }),
      undefined,
      'no scenarios, no scenarios job',
    );
    const run = runGitlabJob('extstorage-kit-conformance', project, inputs);
    t.equal(run?.code, 2, 'no EXTSTORAGE_KIT_SPEC', { output: run && shown(run) });
    t.match(run?.stderr, /set EXTSTORAGE_KIT_SPEC to where npm installs the kit from/);
  });
});
