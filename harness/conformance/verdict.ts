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
import type { RunSummary, ScenarioResult } from '../run/result.js';
import { renderCall } from '../run/stub-plan.js';
import type { CheckLevel, Scenario } from '../scenario/model.js';

export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface CheckOutcome {
  readonly id: string;
  readonly level: CheckLevel;
  readonly spec: string;
  readonly status: CheckStatus;
  /** Why it failed or was skipped, one line each. */
  readonly reasons: string[];
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
  /** MUST and SHOULD checks all passed (ADVICE does not count). */
  readonly passed: boolean;
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

/** Did grow hand the backend VOL_NEW_SIZE? Read from the arguments of the commands it ran. */
function growOutcome(result: ScenarioResult): { status: CheckStatus; reason?: string } {
  const grow = result.steps.find((s) => s.action === 'grow');
  if (!grow) return { status: 'skip', reason: 'grow did not run (an earlier step failed)' };
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
    status: 'skip',
    reason:
      rendered.length === 0
        ? 'grow called no backend command, so the backend cannot tell the size'
        : `no size in grow's backend calls (${rendered.join('; ')})`,
  };
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
    const info = scenario.check;
    if (!info || seen.has(info.id)) continue;
    seen.add(info.id);
    const results = byId.get(info.id) ?? [];
    if (skippedIds.has(info.id) || results.length === 0) {
      checks.push({ ...info, status: 'skip', reasons: skippedIds.has(info.id) ? notSelected : ['not run'] });
      continue;
    }
    const failed = results.filter((r) => r.status === 'fail');
    if (failed.length > 0) {
      checks.push({
        ...info,
        status: 'fail',
        reasons: failed.flatMap((r) => failureLines(r).map((l) => `${r.name.replace(/^[A-Z-]+: /, '')}: ${l}`)),
      });
      continue;
    }
    if (results.every((r) => r.status === 'skip')) {
      checks.push({ ...info, status: 'skip', reasons: [...new Set(results.map((r) => r.skipReason ?? 'skipped'))] });
      continue;
    }
    if (info.id === 'GROW-NEW-SIZE') {
      const grow = growOutcome(results[0]!);
      checks.push({ ...info, status: grow.status, reasons: grow.reason ? [grow.reason] : [] });
      continue;
    }
    checks.push({ ...info, status: 'pass', reasons: [] });
  }

  // Faults anywhere in the run, named as checks of their own.
  const faults = (kind: 'lingering' | 'timeout') =>
    summary.results.flatMap((r) =>
      r.steps.flatMap((s) =>
        s.runs.some((run) => run.fault?.kind === kind) ? [`${r.name.replace(/^[A-Z-]+: /, '')}: ${s.label}`] : [],
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
  const passed = !checks.some((c) => c.status === 'fail' && c.level !== 'ADVICE');
  return { provider: provider.provider, checks, compatibility, mustFailures, passed };
}

/** The releases whose behaviour accepted every attach output, in words; null for none. */
function acceptedReleases(behaviours: readonly AttachBehaviour[]): string | null {
  const key = [...behaviours].sort().join('');
  const known: Record<string, string> = {
    ABCD: 'every release, 2.7.0 to 3.1.0',
    BCD: '2.13.0 to 3.1.0',
    CD: '2.14.2, 2.15.1 and later (to 3.1.0)',
    D: '3.0.0 to 3.1.0',
    ABC: '2.7.0 to 2.16.2 (not 3.x)',
    BC: '2.13.0 to 2.16.2 (not 3.x)',
    C: '2.14.2, 2.15.1 to 2.16.2 (not 3.x)',
  };
  if (key === '') return null;
  return known[key] ?? behaviours.map((b) => BEHAVIOUR_RANGES[b]).join('; ');
}

export function renderVerdict(verdict: Verdict, comment = false): string {
  const lines: string[] = ['', `Conformance of ${verdict.provider}:`];
  const width = Math.max(...verdict.checks.map((c) => c.id.length));
  for (const c of verdict.checks) {
    lines.push(
      `  ${c.status === 'pass' ? 'pass' : c.status === 'fail' ? 'FAIL' : 'skip'}  ${c.level.padEnd(6)} ${c.id.padEnd(width)}  ${c.spec}`,
    );
    for (const reason of c.reasons.slice(0, 6)) lines.push(`          ${reason}`);
    if (c.reasons.length > 6) lines.push(`          ... and ${c.reasons.length - 6} more`);
  }
  lines.push('', 'Attach output by Ganeti release:');
  for (const c of verdict.compatibility)
    lines.push(
      `  ${c.ok === null ? 'unknown' : c.ok ? 'accepted' : 'REJECTED'}  ${c.releases} (behaviour ${c.behaviour})`,
    );
  const accepted = acceptedReleases(verdict.compatibility.filter((c) => c.ok).map((c) => c.behaviour));
  lines.push('');
  if (verdict.mustFailures.length > 0) {
    lines.push(
      `Verdict: NOT a correct ExtStorage provider: ${verdict.mustFailures.length} MUST check${verdict.mustFailures.length > 1 ? 's' : ''} failed (${verdict.mustFailures.join(', ')}).`,
    );
  } else {
    const judged = verdict.compatibility.some((c) => c.ok !== null);
    const versions = !judged
      ? 'no attach output was judged (no attach ran)'
      : accepted === null
        ? 'no Ganeti release accepts its attach output'
        : `compatible with Ganeti ${accepted}`;
    lines.push(`Verdict: ${versions}${verdict.passed ? '' : ', with SHOULD checks failing'}.`);
  }
  const text = lines.join('\n') + '\n';
  return comment ? text.replace(/^(?=.)/gm, '# ') : text;
}
