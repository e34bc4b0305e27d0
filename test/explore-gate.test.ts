// The call gate's kills for the explorer (harness/run/call-gate.ts): a kill at a random time records
// where it landed as a kill at a call that does the same again (spec/conformance/EXPLORE.md); and
// `expect.processes_left: none`, which replays the NO-LEAK-PROCESS invariant, fails a run that
// leaves a process behind (spec/SCENARIOS.md §6.7); and --no-timed-kills draws the same plans
// without the kills at a random time.

import fc from 'fast-check';
import t from 'tap';
import type { CallDisposal, CommandCall } from '../harness/backend/command-server.js';
import { planArbitrary, planOf } from '../harness/explore/generate.js';
import { EXPLORED_ACTIONS, type Disturbance, type Plan } from '../harness/explore/plan.js';
import { ScenarioCallGate, type GatedStep } from '../harness/run/call-gate.js';
import { runCli } from './helpers/cli.js';
import { fixtureScenarioFile } from './helpers/explore-fixtures.js';

const call = (volume: string): CommandCall => ({ argv: ['losetup', '-j', 'x'], env: { VOL_NAME: volume }, cwd: '/' });

/** Admits a call; resolves with how the gate disposed of it. */
function admit(gate: ScenarioCallGate, volume: string): Promise<CallDisposal> {
  return new Promise((resolve) => {
    gate.admit(call(volume), resolve);
  });
}

/** Starts the step's "script": resolves when the gate kills it. */
function killed(step: GatedStep): Promise<void> {
  return new Promise((resolve) => {
    step.setKiller(resolve);
  });
}

t.test('a kill at a random time after two answered calls landed after call 2', async (t) => {
  const gate = new ScenarioCallGate();
  const [step] = gate.begin([{ volumeName: 'v', killAfterMs: 30 }]);
  const dead = killed(step!);
  t.equal(await admit(gate, 'v'), 'answer');
  t.equal(await admit(gate, 'v'), 'answer');
  await dead;
  t.same(step!.landed, { call: 2, when: 'after' });
  t.equal(await admit(gate, 'v'), 'drop', 'a call of the killed script is not heard');
  gate.end();
});

t.test('a kill at a random time before any call landed before the first', async (t) => {
  const gate = new ScenarioCallGate();
  const [step] = gate.begin([{ volumeName: 'v', killAfterMs: 1 }]);
  await killed(step!);
  t.same(step!.landed, { call: 1, when: 'before' });
  gate.end();
});

t.test('a kill at a random time while a call waits for its turn landed before that call', async (t) => {
  const gate = new ScenarioCallGate();
  // Together: b's call waits for a's first call (a is still starting), and b is killed meanwhile.
  const [a, b] = gate.begin([{ volumeName: 'a' }, { volumeName: 'b', killAfterMs: 20 }]);
  a!.setKiller(() => undefined);
  const dead = killed(b!);
  const waiting = admit(gate, 'b');
  await dead;
  t.equal(await waiting, 'drop', 'the waiting call is not carried out');
  t.same(b!.landed, { call: 1, when: 'before' });
  t.equal(b!.calls, 0);
  a!.finished();
  gate.end();
});

t.test('a script that ends before the time is not killed', async (t) => {
  const gate = new ScenarioCallGate();
  const [step] = gate.begin([{ volumeName: 'v', killAfterMs: 5 }]);
  let dead = false;
  step!.setKiller(() => {
    dead = true;
  });
  t.equal(await admit(gate, 'v'), 'answer');
  step!.finished();
  await new Promise((resolve) => setTimeout(resolve, 30));
  t.equal(dead, false);
  t.equal(step!.landed, null);
  gate.end();
});

t.test('expect.processes_left: none fails a run that left a process, passes one that did not', async (t) => {
  const body = `  - name: create leaves nothing running
    simulate: [losetup]
    steps:
      - action: create
        expect: { processes_left: none }
`;
  const leaky = runCli(['run', fixtureScenarioFile(t, 'process-leak', body)]);
  t.equal(leaky.code, 1, leaky.stdout + leaky.stderr);
  t.match(leaky.stdout, /the script left a process running when it ended \(killed by the sandbox\): sleep 300/);
  const sound = runCli(['run', fixtureScenarioFile(t, 'sound', body)]);
  t.equal(sound.code, 0, sound.stdout + sound.stderr);
  const wrong = runCli([
    'run',
    fixtureScenarioFile(t, 'sound', body.replace('processes_left: none', 'processes_left: 0')),
  ]);
  t.equal(wrong.code, 2, wrong.stdout + wrong.stderr);
  t.match(wrong.stderr, /processes_left/);
});

t.test('--no-timed-kills: the same plans but for the kills at a random time, which are gone', async (t) => {
  const draw = (timedKills: boolean) => {
    const plans: Plan[] = [];
    fc.check(
      fc.property(planArbitrary(8, new Set(EXPLORED_ACTIONS), timedKills), ([count, commands]) => {
        plans.push(planOf(count, commands));
        return true;
      }),
      { numRuns: 100, seed: 11 },
    );
    return plans;
  };
  const disturbances = (plans: Plan[]) =>
    plans.flatMap((p) => p.ops.flatMap((op) => (op.kind === 'one' ? [op.op] : [...op.ops]))).map((a) => a.disturb);
  const timed = (d: Disturbance | undefined) => d?.kind === 'kill-timed';
  const withTimed = draw(true);
  const without = draw(false);
  t.ok(disturbances(withTimed).some(timed), 'the seed draws kills at a random time');
  t.notOk(disturbances(without).some(timed), 'none without them');
  // Each such step is left undisturbed; every other value is the same.
  const undisturbed = (plans: Plan[]) =>
    JSON.stringify(plans, (key, value: unknown) =>
      key === 'disturb' && timed(value as Disturbance) ? undefined : value,
    );
  t.equal(undisturbed(without), undisturbed(withTimed));
});
