// The runner's hold on a scenario's backend calls (../backend/command-server.ts, CallGate): it
// counts each running step's calls, kills a step's script right before or after its k-th call
// (`kill`), or at a random time (the explorer's `killAfterMs`, recording where that kill
// landed as a `kill` that does the same again), and answers the calls of steps started together in
// turn, one of each, so the interleaving of their backend calls is the same on every run
// (spec/SCENARIOS.md §6.5, §6.6).

import type { CallDisposal, CallGate, CommandCall } from '../backend/command-server.js';
import type { StepKill } from '../scenario/model.js';

/**
 * How long the turn waits for the step whose call is next when another step's call is waiting: a
 * script may block on something else than the backend (a lock the other step holds), and the
 * group must go on.
 */
const TURN_PATIENCE_MS = 250;

/**
 * The same, for a step that has made no call yet: starting a script (its sandbox, an interpreter)
 * takes longer than its steps between two calls, the more so on a loaded machine (plans played at
 * once), and letting the other go first then would change the interleaving from run to run.
 */
const FIRST_CALL_PATIENCE_MS = 1000;

/** One running step, as the gate sees it. */
export interface GatedStep {
  /** Its script's process group is to be killed: set when the script starts. */
  setKiller(kill: () => void): void;
  /** The script ended (its calls, if any, are no longer waited for). */
  finished(): void;
  /** Calls carried out for this step so far (a call dropped by a kill before it is not counted). */
  readonly calls: number;
  /** A kill at a random time that happened: where it landed, as a kill at a call that replays it. */
  readonly landed: StepKill | null;
}

interface Member {
  readonly volumeName: string;
  readonly kill: StepKill | undefined;
  readonly killAfterMs: number | undefined;
  killer: (() => void) | null;
  calls: number;
  killed: boolean;
  done: boolean;
  landed: StepKill | null;
  timer: NodeJS.Timeout | undefined;
  readonly pending: ((how: CallDisposal) => void)[];
}

export class ScenarioCallGate implements CallGate {
  private members: Member[] = [];
  private turn = 0;
  private timer: NodeJS.Timeout | undefined;

  /** Steps starting now (one, or the steps of a `together` group): each with its volume's VOL_NAME. */
  begin(
    steps: readonly { readonly volumeName: string; readonly kill?: StepKill; readonly killAfterMs?: number }[],
  ): GatedStep[] {
    this.members = steps.map((s) => ({
      volumeName: s.volumeName,
      kill: s.kill,
      killAfterMs: s.killAfterMs,
      killer: null,
      calls: 0,
      killed: false,
      done: false,
      landed: null,
      timer: undefined,
      pending: [],
    }));
    this.turn = 0;
    return this.members.map((member) => ({
      setKiller: (kill) => {
        member.killer = kill;
        if (member.killAfterMs !== undefined)
          member.timer = setTimeout(() => {
            this.killNow(member);
          }, member.killAfterMs);
      },
      finished: () => {
        member.done = true;
        clearTimeout(member.timer);
        this.pump();
      },
      get calls() {
        return member.calls;
      },
      get landed() {
        return member.landed;
      },
    }));
  }

  /**
   * A kill at a random time: the script dies now, wherever it is. In the gate's terms: with a call
   * waiting (its turn not come), before that call; before any call, before the first (a script
   * that then makes none cannot be killed there again); else after its last call, whose effect
   * the backend has. (Killing once a call is answered would race with what the script does with
   * the answer: the same point twice would be two.)
   */
  private killNow(member: Member): void {
    if (member.done || member.killed) return;
    member.killed = true;
    member.landed =
      member.pending.length > 0 || member.calls === 0
        ? { call: member.calls + 1, when: 'before' }
        : { call: member.calls, when: 'after' };
    member.killer?.();
    for (const other of member.pending.splice(0)) other('drop');
    this.pump();
  }

  /** The steps have all ended: calls made from now on (a command step, a leftover) are answered at once. */
  end(): void {
    for (const member of this.members) {
      clearTimeout(member.timer);
      for (const respond of member.pending.splice(0)) respond('answer');
    }
    this.members = [];
    clearTimeout(this.timer);
  }

  admit(call: CommandCall, respond: (how: CallDisposal) => void): void {
    const member = this.memberOf(call);
    if (member === undefined) {
      respond('answer');
      return;
    }
    if (member.killed) {
      respond('drop'); // a process of a killed script that escaped the kill: it is not heard
      return;
    }
    member.pending.push(respond);
    this.pump();
  }

  /** Which step made the call: the only one running, or the one whose volume the call's VOL_NAME names. */
  private memberOf(call: CommandCall): Member | undefined {
    if (this.members.length <= 1) return this.members[0];
    return this.members.find((m) => m.volumeName === call.env.VOL_NAME);
  }

  /** Carries out waiting calls: at once for a step alone; in turn, one of each running step, for a group. */
  private pump(): void {
    clearTimeout(this.timer);
    if (this.members.length <= 1) {
      const member = this.members[0];
      while (member !== undefined && member.pending.length > 0) this.carry(member, member.pending.shift()!);
      return;
    }
    for (;;) {
      const running = this.members.filter((m) => !m.done && !m.killed);
      const waiting = this.members.filter((m) => m.pending.length > 0);
      if (waiting.length === 0) return;
      // Every step still running has a call waiting (or none is running): the next in turn goes.
      if (running.every((m) => m.pending.length > 0)) {
        const next = this.nextInTurn(waiting);
        this.carry(next, next.pending.shift()!);
        continue;
      }
      // One step is busy elsewhere: wait for its call for a while, then let the others go on.
      const starting = running.some((m) => m.pending.length === 0 && m.calls === 0);
      this.timer = setTimeout(
        () => {
          const next = this.nextInTurn(this.members.filter((m) => m.pending.length > 0));
          const respond = next.pending.shift();
          if (respond !== undefined) this.carry(next, respond);
          this.pump();
        },
        starting ? FIRST_CALL_PATIENCE_MS : TURN_PATIENCE_MS,
      );
      this.timer.unref();
      return;
    }
  }

  /** The first of `candidates` at or after the turn, which then passes to the step after it. */
  private nextInTurn(candidates: readonly Member[]): Member {
    for (let k = 0; k < this.members.length; k++) {
      const member = this.members[(this.turn + k) % this.members.length]!;
      if (candidates.includes(member)) {
        this.turn = (this.members.indexOf(member) + 1) % this.members.length;
        return member;
      }
    }
    return candidates[0]!;
  }

  private carry(member: Member, respond: (how: CallDisposal) => void): void {
    if (member.killed) {
      respond('drop');
      return;
    }
    const kill = member.kill;
    if (member.calls + 1 === kill?.call) {
      member.killed = true;
      clearTimeout(member.timer);
      if (kill.when === 'before') {
        member.killer?.();
        respond('drop');
      } else {
        member.calls++;
        respond('apply');
        member.killer?.();
      }
      for (const other of member.pending.splice(0)) other('drop');
      this.pump();
      return;
    }
    member.calls++;
    respond('answer');
  }
}
