// From scenario results to the conformance verdict: one status per check id, the checks that
// need a look across results (grow's sizes, faults anywhere, the layout), and the Ganeti versions
// the provider's attach output works with.

import {
  BEHAVIOUR_RANGES,
  REPRESENTATIVE_VERSIONS,
  parseGanetiVersion,
  type AttachBehaviour,
} from '../ganeti/versions.js';
import type { ProviderCheck } from '../provider/check.js';
import type { RunSummary, ScenarioResult, ScriptRun } from '../run/result.js';
import { renderCall } from '../backend/call-log.js';
import { NOT_VERIFIED_SKIP } from './suite.js';
import type { CheckLevel, CheckNeeds, Scenario } from '../scenario/model.js';
import { clip, visible } from '../report/format.js';

/**
 * `unverified`: the check ran, but the backend could not show what it needs to judge (a grow that
 * called nothing, a remove answered by a stateless stub): never a pass, and never a silent skip.
 */
export type CheckStatus = 'pass' | 'fail' | 'skip' | 'unverified';

export interface CheckOutcome {
  readonly id: string;
  readonly level: CheckLevel;
  readonly spec: string;
  readonly status: CheckStatus;
  /** Why it failed, was skipped or is not verified, one line each. */
  readonly reasons: string[];
  /** What the run exercised for the check's needs (check.needs), one line per action. */
  readonly exercised?: string[];
  /** More lines, all shown (EXPLORE: the invariant, the shrunk steps, the counterexample). */
  readonly details?: string[];
}

export interface VerdictOptions {
  /** The suite ran against the real storage (`--live`): state is real, backend calls are unseen. */
  readonly live: boolean;
  /** Not-verified checks the author accepts (`--allow-unverified ID`). */
  readonly allowUnverified: readonly string[];
}

export interface Verdict {
  readonly provider: string;
  readonly checks: CheckOutcome[];
  /** Per behaviour: whether every attach output seen was accepted by that behaviour's releases. */
  readonly compatibility: {
    readonly behaviour: AttachBehaviour;
    readonly releases: string;
    readonly ok: boolean | null;
  }[];
  readonly mustFailures: string[];
  /** MUST and SHOULD checks not verified, the accepted ones included. */
  readonly unverified: string[];
  /** The subset of `unverified` accepted with --allow-unverified, recorded for the report. */
  readonly allowedUnverified: string[];
  /** No MUST or SHOULD check failed, and each one not verified was accepted (ADVICE does not count). */
  readonly passed: boolean;
  /** Against the real storage (--live). */
  readonly live: boolean;
  /** Processes the provider left running that the harness had to kill, by check. */
  readonly killed: { readonly check: string; readonly pid: number; readonly command: string; readonly after: string }[];
}

/** Sizes in the grow check (spec/conformance/lifecycle.yaml): 1024 MiB grown to 3072 MiB. */
export const GROW_FROM_MIB = 1024;
export const GROW_TO_MIB = 3072;

function sizePattern(mib: number): RegExp {
  const gib = mib / 1024;
  const bytes = mib * 1024 * 1024;
  // A whole token: not part of a longer number or a name (a uuid can hold "3072").
  return new RegExp(`(?<![0-9A-Za-z.])(${mib}(?:[mM](?:i?[bB])?)?|${gib}(?:[gG](?:i?[bB])?)|${bytes})(?![0-9A-Za-z])`);
}

/**
 * Did grow hand the backend VOL_NEW_SIZE? Read from the arguments of the commands it ran, or, for
 * a provider whose volumes are files, from the size grow left the file at.
 */
function growOutcome(result: ScenarioResult, live: boolean): { status: CheckStatus; reason?: string } {
  const grow = result.steps.find((s) => s.action === 'grow');
  if (!grow) return { status: 'skip', reason: 'grow did not run (an earlier step failed)' };
  const resized = grow.runs.flatMap((r) => r.files ?? []).filter((f) => f.after?.kind === 'file' && f.before !== null);
  if (resized.some((f) => f.after!.size === GROW_TO_MIB * 1024 * 1024)) return { status: 'pass' };
  if (resized.length > 0) {
    const f = resized[0]!;
    return {
      status: 'fail',
      reason: `grow resized ${f.path} to ${f.after!.size} bytes, not VOL_NEW_SIZE (${GROW_TO_MIB} MiB = ${GROW_TO_MIB * 1024 * 1024} bytes)`,
    };
  }
  const calls = grow.runs.flatMap((r) => r.calls);
  const rendered = calls.map((c) => renderCall(c.command, c.argv));
  const newSize = sizePattern(GROW_TO_MIB);
  const oldSize = sizePattern(GROW_FROM_MIB);
  if (calls.some((c) => c.argv.some((a) => newSize.test(a)))) return { status: 'pass' };
  const wrong = calls.find((c) => c.argv.some((a) => oldSize.test(a)));
  if (wrong) {
    return {
      status: 'fail',
      reason: `grow asked the backend for VOL_SIZE (${GROW_FROM_MIB} MiB), not VOL_NEW_SIZE (${GROW_TO_MIB} MiB): ${renderCall(wrong.command, wrong.argv)}`,
    };
  }
  return {
    status: 'unverified',
    reason:
      rendered.length > 0
        ? `no size in grow's backend calls (${rendered.join('; ')})`
        : live
          ? "a live run does not see grow's backend commands, and grow resized no file in the sandbox"
          : 'grow called no backend command and resized no file, so nothing shows the size it asked for',
  };
}

/** One line on what an action's runs did that the kit could see; the volume's name reads ${VOLUME}. */
function describeRuns(action: string, runs: readonly ScriptRun[]): string {
  const calls = runs.flatMap((r) => r.calls);
  const volume = runs[0]?.env.VOL_NAME;
  const files = [
    ...new Set(
      runs.flatMap((r) => r.files ?? []).map((f) => (volume ? f.path.replaceAll(volume, '${VOLUME}') : f.path)),
    ),
  ];
  const parts: string[] = [];
  const simulated = calls.filter((c) => c.simulated);
  const stubbed = calls.filter((c) => !c.simulated);
  if (simulated.length > 0)
    parts.push(`${simulated.length} simulated (${[...new Set(simulated.map((c) => c.command))].join(', ')})`);
  if (stubbed.length > 0)
    parts.push(`${stubbed.length} stubbed (${[...new Set(stubbed.map((c) => c.command))].join(', ')})`);
  if (files.length > 0) parts.push(`changed ${files.join(', ')}`);
  return `${action}: ${parts.length > 0 ? parts.join('; ') : 'no backend command, no file changed'}`;
}

/**
 * What the check's needs (check.needs) got from one scenario's run: the lines of what was
 * exercised, and why not, where something needed could not be seen.
 */
function needsOutcome(
  needs: CheckNeeds,
  result: ScenarioResult,
  live: boolean,
): { exercised: string[]; missing: string[]; unmet: Set<string> } {
  const exercised: string[] = [];
  const missing: string[] = [];
  const unmet = new Set<string>();
  const actions = [...new Set([...(needs.calls ?? []), ...(needs.state ?? [])])];
  for (const action of actions) {
    const steps = result.steps.filter((s) => s.action === action && s.runs.length > 0);
    if (steps.length === 0) continue; // it never ran: the scenario failed before, and says why
    const runs = steps.flatMap((s) => s.runs);
    const calls = runs.flatMap((r) => r.calls);
    exercised.push(live ? `${action}: the live backend` : describeRuns(action, runs));
    const before = missing.length;
    if (live) {
      // Real storage keeps real state, but its commands are neither seen nor made to fail.
      if (needs.calls?.includes(action))
        missing.push(`a live run can neither see nor fail ${action}'s backend commands`);
    } else if (needs.calls?.includes(action) && calls.length === 0)
      missing.push(`${action} called no backend command the kit could see`);
    else if (needs.state?.includes(action) && calls.length > 0 && !calls.some((c) => c.simulated)) {
      // Only stateless stubs answered: they say the same whatever came before, so nothing here can
      // tell a volume that exists from one that does not. (No call at all is the provider deciding
      // from its own files, which the sandbox holds for real; a file it writes beside a stub's
      // answer is a side effect, not the source of that answer.)
      missing.push(
        `${action}'s backend commands (${[...new Set(calls.map((c) => c.command))].join(', ')}) were answered by stateless stubs, which answer the same whatever happened before: simulate them or use --live`,
      );
    }
    if (missing.length > before) unmet.add(action);
  }
  return { exercised, missing, unmet };
}

/**
 * How a check's scenario is reported, before the verdict: one that could not exercise what it
 * judges (a need unmet, and no failure outside the unmet actions) is "not verified", not an "ok"
 * or a "FAIL" in the progress, JUnit, TAP and annotations; the verdict reads it the same way.
 */
export function judgeCheckResult(result: ScenarioResult, live: boolean): ScenarioResult {
  const needs = result.check?.needs;
  if (!needs || result.status === 'skip') return result;
  const { missing, unmet } = needsOutcome(needs, result, live);
  if (missing.length === 0 || failureCounts(result, unmet)) return result;
  return { ...result, status: 'skip', skipReason: `${NOT_VERIFIED_SKIP}${missing.join('; ')}`, notExercised: true };
}

/** A failed scenario counts against the provider unless every failure is in an action whose needs were unmet. */
function failureCounts(result: ScenarioResult, unmet: ReadonlySet<string>): boolean {
  if (result.status !== 'fail') return false;
  if (result.failures.length > 0) return true;
  return result.steps.some((s) => s.status === 'fail' && !unmet.has(s.action));
}

/** A check scenario's name without its "ID: " prefix (the check's line already names it). */
function checkScenarioName(result: ScenarioResult): string {
  return result.name.replace(/^[A-Z-]+: /, '');
}

function failureLines(result: ScenarioResult): string[] {
  const lines: string[] = [];
  for (const step of result.steps) {
    for (const f of step.failures) {
      lines.push(
        `${step.label}: ${f.message.split('\n')[0]}${f.expected !== undefined ? ` (expected ${JSON.stringify(f.expected).slice(0, 80)}, got ${JSON.stringify(f.actual ?? '').slice(0, 80)})` : ''}`,
      );
    }
  }
  for (const f of result.failures) lines.push(f.message.split('\n')[0]!);
  return lines;
}

export function buildVerdict(
  provider: ProviderCheck,
  suite: readonly Scenario[],
  summary: RunSummary,
  skippedIds: ReadonlySet<string>,
  options: VerdictOptions,
): Verdict {
  const checks: CheckOutcome[] = [];
  const notSelected = ['not run: not selected (--only/--skip/--filter/--shard), or stopped by --bail or Ctrl-C'];
  checks.push({
    id: 'LAYOUT-VALID',
    level: 'MUST',
    spec: '§2',
    status: provider.valid ? 'pass' : 'fail',
    reasons: provider.problems.filter((p) => p.severity === 'error').map((p) => `${p.file}: ${p.message}`),
  });
  if (skippedIds.has('LAYOUT-VALID'))
    Object.assign(checks[checks.length - 1]!, { status: 'skip', reasons: notSelected });
  const warnings = provider.problems.filter((p) => p.severity === 'warning');
  checks.push(
    skippedIds.has('LAYOUT-CLEAN')
      ? { id: 'LAYOUT-CLEAN', level: 'ADVICE', spec: '§8', status: 'skip', reasons: notSelected }
      : {
          id: 'LAYOUT-CLEAN',
          level: 'ADVICE',
          spec: '§8',
          status: warnings.length === 0 ? 'pass' : 'fail',
          reasons: warnings.map((p) => `${p.file}: ${p.message}`),
        },
  );

  const byId = new Map<string, ScenarioResult[]>();
  for (const r of summary.results) if (r.check) byId.set(r.check.id, [...(byId.get(r.check.id) ?? []), r]);
  const seen = new Set<string>();
  for (const scenario of suite) {
    const check = scenario.check;
    if (!check || seen.has(check.id)) continue;
    seen.add(check.id);
    const info = { id: check.id, level: check.level, spec: check.spec };
    const results = byId.get(check.id) ?? [];
    if (skippedIds.has(check.id) || results.length === 0) {
      checks.push({ ...info, status: 'skip', reasons: skippedIds.has(check.id) ? notSelected : ['not run'] });
      continue;
    }
    // Results the run marked not exercised (judgeCheckResult) ran, and are judged with the others.
    const ran = results.filter((r) => r.status !== 'skip' || r.notExercised === true);
    // What each scenario of the check could show: a failure seen where the needs were not met is
    // no failure of the provider (a stateless stub says yes to attaching a volume never created).
    // Each scenario of a check may need other actions (BACKEND-FAILURE has one per action).
    const judged = ran.map((r) => {
      const needs = r.check?.needs;
      return {
        result: r,
        ...(needs ? needsOutcome(needs, r, options.live) : { exercised: [], missing: [], unmet: new Set<string>() }),
      };
    });
    const exercised = [...new Set(judged.flatMap((j) => j.exercised))];
    const shown = exercised.length > 0 ? { exercised } : {};
    const failed = judged.filter((j) => failureCounts(j.result, j.unmet));
    if (failed.length > 0) {
      checks.push({
        ...info,
        status: 'fail',
        reasons: failed.flatMap(({ result: r }) => failureLines(r).map((l) => `${checkScenarioName(r)}: ${l}`)),
        ...shown,
      });
      continue;
    }
    if (ran.length === 0) {
      const reasons = [...new Set(results.map((r) => r.skipReason ?? 'skipped'))];
      // Skipped because the run could not exercise it at all (suite.ts): not verified, loudly.
      const unverifiable = reasons.every((r) => r.startsWith(NOT_VERIFIED_SKIP));
      checks.push(
        unverifiable
          ? { ...info, status: 'unverified', reasons: reasons.map((r) => r.slice(NOT_VERIFIED_SKIP.length)) }
          : { ...info, status: 'skip', reasons },
      );
      continue;
    }
    // Failures in actions whose needs were not met are shown, but not held against the provider.
    const discounted = judged
      .filter((j) => (j.result.status === 'fail' || j.result.notExercised === true) && j.missing.length > 0)
      .flatMap(({ result: r }) =>
        failureLines(r).map((l) => `not judged (a need above was not met): ${checkScenarioName(r)}: ${l}`),
      );
    const missing = [...new Set(judged.flatMap((j) => j.missing))];
    // A partial check (BACKEND-FAILURE) is verified by the scenarios that could be exercised; the
    // others are listed as not exercised. It is not verified only when none could be.
    const partialOk = judged.some((j) => j.result.check?.needs?.partial === true && j.missing.length === 0);
    if (partialOk && missing.length > 0) {
      checks.push({
        ...info,
        status: 'pass',
        reasons: [],
        exercised: [...exercised, ...missing.map((m) => `not exercised: ${m}`)],
      });
      continue;
    }
    if (missing.length > 0) {
      checks.push({ ...info, status: 'unverified', reasons: [...missing, ...discounted], ...shown });
      continue;
    }
    // --through-ganeti: what Ganeti's code hid from the kit (a log file, a stand-in device) is not a pass.
    const hidden = [...new Set(ran.flatMap((r) => r.steps.flatMap((s) => s.notObserved ?? [])))];
    if (hidden.length > 0) {
      checks.push({ ...info, status: 'unverified', reasons: hidden.map((h) => `through Ganeti: ${h}`), ...shown });
      continue;
    }
    if (check.id === 'GROW-NEW-SIZE') {
      const grow = growOutcome(ran[0]!, options.live);
      checks.push({ ...info, status: grow.status, reasons: grow.reason ? [grow.reason] : [], ...shown });
      continue;
    }
    checks.push({ ...info, status: 'pass', reasons: [], ...shown });
  }

  // Faults anywhere in the run, named as checks of their own.
  const faults = (kind: 'lingering' | 'timeout') =>
    summary.results.flatMap((r) =>
      r.steps.flatMap((s) =>
        s.runs.some((run) => run.fault?.kind === kind) ? [`${checkScenarioName(r)}: ${s.label}`] : [],
      ),
    );
  const lingering = faults('lingering');
  const timeouts = faults('timeout');
  const faultCheck = (id: string, found: string[], why: string): CheckOutcome =>
    skippedIds.has(id) || summary.results.every((r) => r.status === 'skip')
      ? {
          id,
          level: 'MUST',
          spec: '§3',
          status: 'skip',
          reasons: skippedIds.has(id) ? notSelected : ['no script ran: this check watches the runs of the others'],
        }
      : {
          id,
          level: 'MUST',
          spec: '§3',
          status: found.length ? 'fail' : 'pass',
          reasons: found.map((w) => `${w}: ${why}`),
        };
  checks.push(
    faultCheck(
      'PROCESS-LINGER',
      lingering,
      'a background process kept stdout or stderr open; Ganeti would wait for it forever',
    ),
  );
  checks.push(faultCheck('PROCESS-TIMEOUT', timeouts, 'did not finish in time (Ganeti has no timeout and would hang)'));

  // Every attach output seen, judged by one release of each behaviour.
  const rows = summary.results.flatMap((r) => r.steps.flatMap((s) => (s.compatibility ? [s.compatibility] : [])));
  const compatibility = (['A', 'B', 'C', 'D'] as const).map((behaviour) => {
    const representative = REPRESENTATIVE_VERSIONS.find((v) => parseGanetiVersion(v).behaviour === behaviour)!;
    const verdicts = rows.flatMap((row) => row.filter((c) => c.ganeti === representative).map((c) => c.ok));
    return {
      behaviour,
      releases: BEHAVIOUR_RANGES[behaviour],
      ok: verdicts.length === 0 ? null : verdicts.every(Boolean),
    };
  });
  const mustFailures = checks.filter((c) => c.level === 'MUST' && c.status === 'fail').map((c) => c.id);
  const unverified = checks.filter((c) => c.level !== 'ADVICE' && c.status === 'unverified').map((c) => c.id);
  const allowedUnverified = unverified.filter((id) => options.allowUnverified.includes(id));
  const passed =
    !checks.some((c) => c.status === 'fail' && c.level !== 'ADVICE') && allowedUnverified.length === unverified.length;
  const killed = summary.results.flatMap((r) =>
    (r.isolation?.killed ?? []).map((k) => ({ check: r.check?.id ?? r.name, ...k })),
  );
  return {
    provider: provider.provider,
    checks,
    compatibility,
    mustFailures,
    unverified,
    allowedUnverified,
    passed,
    live: options.live,
    killed,
  };
}

/** "compatible with ..." for the releases whose behaviour accepted every attach output; null for none. */
function acceptedReleases(behaviours: readonly AttachBehaviour[]): string | null {
  const key = [...behaviours].sort().join('');
  if (key === 'ABCD') return 'every Ganeti release (2.7.0 to 3.1.0)';
  const known: Record<string, string> = {
    BCD: '2.13.0 to 3.1.0',
    CD: '2.14.2, 2.15.1 and later (to 3.1.0)',
    D: '3.0.0 to 3.1.0',
    ABC: '2.7.0 to 2.16.2 (not 3.x)',
    BC: '2.13.0 to 2.16.2 (not 3.x)',
    C: '2.14.2, 2.15.1 to 2.16.2 (not 3.x)',
  };
  if (key === '') return null;
  return `Ganeti ${known[key] ?? behaviours.map((b) => BEHAVIOUR_RANGES[b]).join('; ')}`;
}

const STATUS_WORD: Record<CheckStatus, string> = {
  pass: 'pass',
  fail: 'FAIL',
  skip: 'skip',
  unverified: 'NOT VERIFIED',
};

/** The verdict with one more check, judged by a part of `test` that runs no suite scenario (EXPLORE). */
export function withCheck(verdict: Verdict, check: CheckOutcome): Verdict {
  const failed = check.status === 'fail' && check.level !== 'ADVICE';
  return {
    ...verdict,
    checks: [...verdict.checks, check],
    mustFailures:
      check.status === 'fail' && check.level === 'MUST' ? [...verdict.mustFailures, check.id] : verdict.mustFailures,
    passed: verdict.passed && !failed,
  };
}

export function renderVerdict(verdict: Verdict, comment = false): string {
  const lines: string[] = ['', `Conformance of ${verdict.provider}:`];
  const width = Math.max(...verdict.checks.map((c) => c.id.length));
  // The status column is as wide as its widest word: "NOT VERIFIED" only widens a run that has one.
  const statusWidth = Math.max(...verdict.checks.map((c) => STATUS_WORD[c.status].length));
  for (const c of verdict.checks) {
    lines.push(`  ${STATUS_WORD[c.status].padEnd(statusWidth)}  ${c.level.padEnd(6)} ${c.id.padEnd(width)}  ${c.spec}`);
    for (const reason of c.reasons.slice(0, 6)) lines.push(`          ${reason}`);
    if (c.exercised && c.status !== 'skip') lines.push(`          exercised: ${c.exercised.join('; ')}`);
    for (const detail of c.details ?? []) lines.push(`          ${detail}`);
    if (c.reasons.length > 6) lines.push(`          ... and ${c.reasons.length - 6} more`);
  }
  lines.push('', 'Attach output by Ganeti release:');
  for (const c of verdict.compatibility)
    lines.push(
      `  ${c.ok === null ? 'unknown' : c.ok ? 'accepted' : 'REJECTED'}  ${c.releases} (behaviour ${c.behaviour})`,
    );
  if (verdict.killed.length > 0) {
    lines.push(
      '',
      `Processes the provider left running, killed by the harness (${verdict.killed.length}; Ganeti would leave them running):`,
    );
    for (const k of verdict.killed.slice(0, 10))
      lines.push(`  ${k.check}: pid ${k.pid} ${visible(clip(k.command, 120))} (left by ${visible(k.after)})`);
    if (verdict.killed.length > 10) lines.push(`  ... and ${verdict.killed.length - 10} more (all in --json)`);
  }
  const accepted = acceptedReleases(verdict.compatibility.filter((c) => c.ok).map((c) => c.behaviour));
  const byId = new Map(verdict.checks.map((c) => [c.id, c]));
  const refused = verdict.unverified.filter((id) => !verdict.allowedUnverified.includes(id));
  // Each id with its first reason; the full list stands under the check above.
  const why = (ids: readonly string[]) =>
    ids
      .map((id) => {
        const reasons = byId.get(id)?.reasons ?? [];
        return `${id} (${reasons[0] ?? ''}${reasons.length > 1 ? `; and ${reasons.length - 1} more` : ''})`;
      })
      .join(', ');
  lines.push('');
  if (verdict.mustFailures.length > 0) {
    lines.push(
      `Verdict: NOT a correct ExtStorage provider: ${verdict.mustFailures.length} MUST check${verdict.mustFailures.length > 1 ? 's' : ''} failed (${verdict.mustFailures.join(', ')}).`,
    );
    if (refused.length > 0) lines.push(`Also not verified (reasons above): ${refused.join(', ')}.`);
  } else if (refused.length > 0) {
    lines.push(
      `Verdict: not verified: ${why(refused)}.`,
      ...(verdict.live
        ? [
            'Nothing failed, but a live run cannot exercise what these checks judge: run the suite with a',
            '--backend that simulates the commands for them, and accept each one here with --allow-unverified ID.',
          ]
        : [
            'Nothing failed, but these checks could not exercise what they judge with this backend: simulate the',
            'commands (simulate: [...]) or run --live, or accept each one with --allow-unverified ID.',
          ]),
    );
  } else {
    const judged = verdict.compatibility.some((c) => c.ok !== null);
    const versions = !judged
      ? 'no attach output was judged (no attach ran)'
      : accepted === null
        ? 'no Ganeti release accepts its attach output'
        : `compatible with ${accepted}`;
    const shouldFailed = verdict.checks.some((c) => c.level === 'SHOULD' && c.status === 'fail');
    const allowed =
      verdict.allowedUnverified.length > 0
        ? `; not verified, accepted with --allow-unverified: ${verdict.allowedUnverified.join(', ')}`
        : '';
    lines.push(`Verdict: ${versions}${shouldFailed ? ', with SHOULD checks failing' : ''}${allowed}.`);
  }
  const text = lines.join('\n') + '\n';
  return comment ? text.replace(/^(?=.)/gm, '# ') : text;
}
