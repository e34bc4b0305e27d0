// The semantic stage of the loader: what the schema cannot say. Ganeti versions, regexes,
// durations, keys that do not fit the step's action, versions both accepted and rejected,
// duplicate scenario names, the sandbox's paths, simulators against stubs and pools. Runs on data
// the schema stage may have refused, so every check looks at the types it needs first.

import { HYPERVISORS, isHypervisor } from '../ganeti/hypervisors.js';
import { parseGanetiVersion, UnsupportedVersionError } from '../ganeti/versions.js';
import { isAction } from '../provider/layout.js';
import { joinOr, type Issue, type Path } from './issue.js';
import { COMMAND_PLACEHOLDERS, sandboxPathProblem } from './model.js';
import { isObj, parseDuration, parseImageSpec, versionText, type Obj } from './values.js';
import type { YamlSource } from './yaml-source.js';

/** `expect` keys that judge attach output, which only attach prints for Ganeti to read. */
const ATTACH_ONLY_EXPECT = ['device', 'uris', 'accepted_by', 'rejected_by', 'lint'] as const;

/** Step keys that only make sense when a provider script runs: a command step takes none of them. */
const ACTION_ONLY_STEP_KEYS = ['with', 'ganeti'] as const;

/** The text of a regex error without JavaScript's "Invalid regular expression: /.../: " prefix. */
function regexProblem(source: string): string | undefined {
  try {
    new RegExp(source);
    return undefined;
  } catch (error) {
    return (error as Error).message.replace(/^Invalid regular expression: \/[\s\S]*\/[a-z]*: /, '');
  }
}

/** Every problem in `data` (parsed from `source`) that the schema cannot express. */
export function semanticIssues(data: unknown, source: YamlSource): Issue[] {
  const issues: Issue[] = [];
  if (!isObj(data)) return issues;

  const versions = (path: Path, value: unknown): { text: string; release: string; path: Path }[] => {
    const out: { text: string; release: string; path: Path }[] = [];
    if (!Array.isArray(value)) return out;
    value.forEach((item, index) => {
      if (typeof item !== 'string' && typeof item !== 'number') return;
      const itemPath = [...path, index];
      const text = versionText(source, itemPath, item);
      try {
        out.push({ text, release: parseGanetiVersion(text).release, path: itemPath });
      } catch (error) {
        if (!(error instanceof UnsupportedVersionError)) throw error;
        issues.push({ path: itemPath, at: 'value', message: error.message });
      }
    });
    return out;
  };
  const duration = (path: Path, value: unknown): void => {
    if (value === undefined || (typeof value !== 'number' && typeof value !== 'string')) return;
    if (parseDuration(value) === undefined) {
      issues.push({
        path,
        at: 'value',
        message: `bad duration ${JSON.stringify(value)}: must be more than 0, as a number of seconds or a string like "10s", "500ms", "1.5s", "2m"`,
      });
    }
  };
  const regex = (path: Path, value: unknown): void => {
    if (typeof value !== 'string') return;
    const problem = regexProblem(value);
    if (problem !== undefined) {
      issues.push({ path, at: 'value', message: `invalid regular expression ${JSON.stringify(value)}: ${problem}` });
    }
  };
  const matcher = (path: Path, value: unknown): void => {
    if (isObj(value)) regex([...path, 'regex'], value.regex);
  };
  const placeholders = (path: Path, value: unknown): void => {
    if (typeof value !== 'string') return;
    for (const [text, name] of value.matchAll(/\$\{([^}]*)\}/g)) {
      const uri = /^URI:(.*)$/.exec(name!);
      if (uri !== null && !isHypervisor(uri[1]!)) {
        issues.push({
          path,
          at: 'value',
          message: `unknown hypervisor in ${text}: expected one of ${HYPERVISORS.join(', ')}`,
        });
      } else if (uri === null && !['SANDBOX', 'VOLUME', 'DEVICE'].includes(name!)) {
        issues.push({
          path,
          at: 'value',
          message: `unknown placeholder ${text} in a command: expected ${joinOr(COMMAND_PLACEHOLDERS)}`,
        });
      }
    }
  };

  if (isObj(data.defaults)) {
    versions(['defaults', 'ganeti'], data.defaults.ganeti);
    duration(['defaults', 'timeout'], data.defaults.timeout);
  }
  const scenarios = Array.isArray(data.scenarios) ? data.scenarios : [];
  const names = new Map<string, Path>();
  scenarios.forEach((scenario, s) => {
    if (!isObj(scenario)) return;
    const at: Path = ['scenarios', s];
    if (typeof scenario.name === 'string') {
      const first = names.get(scenario.name);
      if (first) {
        const line = source.positionOf(first, 'value').line;
        issues.push({
          path: [...at, 'name'],
          at: 'value',
          message: `duplicate scenario name ${JSON.stringify(scenario.name)} (first at line ${line})`,
        });
      } else names.set(scenario.name, [...at, 'name']);
    }
    versions([...at, 'ganeti'], scenario.ganeti);
    duration([...at, 'timeout'], scenario.timeout);
    if (isObj(scenario.stubs)) {
      for (const [command, entries] of Object.entries(scenario.stubs)) {
        if (!Array.isArray(entries)) continue;
        entries.forEach((entry, e) => {
          if (!isObj(entry) || !Array.isArray(entry.args)) return;
          entry.args.forEach((arg, a) => matcher([...at, 'stubs', command, e, 'args', a], arg));
        });
      }
    }
    const simulated = checkSimulators(scenario, at, issues, matcher);
    checkIsolationKeys(scenario, at, issues);
    checkVolumesKillsAndGroups(scenario, at, issues);
    // The members of a `together` step are steps too, checked like any other.
    const steps: [unknown, Path][] = (Array.isArray(scenario.steps) ? scenario.steps : []).flatMap(
      (step, i): [unknown, Path][] =>
        isObj(step) && Array.isArray(step.together)
          ? step.together.map((member, m): [unknown, Path] => [member, [...at, 'steps', i, 'together', m]])
          : [[step, [...at, 'steps', i]]],
    );
    steps.forEach(([step, stepAt]) => {
      if (!isObj(step)) return;
      const command = step.command;
      const isCommand = command !== undefined;
      if (isCommand && step.action !== undefined) {
        issues.push({
          path: [...stepAt, 'command'],
          at: 'key',
          message: 'a step has either "action" (a provider script) or "command" (a check between actions), not both',
        });
      } else if (!isCommand && step.action === undefined) {
        issues.push({
          path: stepAt,
          at: 'value',
          message: 'missing required key "action" in step (or "command", to run a check between actions)',
        });
      }
      if (isCommand) {
        for (const key of ACTION_ONLY_STEP_KEYS) {
          if (key in step)
            issues.push({
              path: [...stepAt, key],
              at: 'key',
              message: `${JSON.stringify(key)} does not apply to a command step: it is for provider scripts`,
            });
        }
        if (Array.isArray(command)) command.forEach((arg, a) => placeholders([...stepAt, 'command', a], arg));
      }
      const action = isCommand
        ? 'command'
        : typeof step.action === 'string' && isAction(step.action)
          ? step.action
          : undefined;
      versions([...stepAt, 'ganeti'], step.ganeti);
      duration([...stepAt, 'timeout'], step.timeout);
      const expect = step.expect;
      if (!isObj(expect)) return;
      const expectAt: Path = [...stepAt, 'expect'];
      if (action && action !== 'attach') {
        for (const key of ATTACH_ONLY_EXPECT) {
          if (!(key in expect)) continue;
          issues.push({
            path: [...expectAt, key],
            at: 'key',
            message:
              action === 'command'
                ? `${JSON.stringify(key)} does not apply to a command step: only the output of attach is read by Ganeti`
                : `${JSON.stringify(key)} does not apply to ${action}: only the output of attach is read by Ganeti`,
          });
        }
      }
      matcher([...expectAt, 'device'], expect.device);
      if (isObj(expect.uris)) {
        for (const [hypervisor, value] of Object.entries(expect.uris))
          matcher([...expectAt, 'uris', hypervisor], value);
      }
      for (const stream of ['stdout', 'stderr']) {
        const checks = expect[stream];
        if (isObj(checks)) regex([...expectAt, stream, 'regex'], checks.regex);
      }
      if (isObj(expect.simulated)) {
        for (const [name, subset] of Object.entries(expect.simulated)) {
          if (simulated !== null && (name === 'rbd' || name === 'losetup') && !simulated.includes(name)) {
            const running = simulated.length === 0 ? 'no simulator' : `simulate: ${simulated.join(', ')}`;
            issues.push({
              path: [...expectAt, 'simulated', name],
              at: 'key',
              message: `${JSON.stringify(name)} is not simulated in this scenario (${running})`,
            });
          }
          stateRegexes([...expectAt, 'simulated', name], subset, regex);
        }
      }
      const accepted = versions([...expectAt, 'accepted_by'], expect.accepted_by);
      const rejected = versions([...expectAt, 'rejected_by'], expect.rejected_by);
      for (const r of rejected) {
        const a = accepted.find((candidate) => candidate.release === r.release);
        if (!a) continue;
        const same = a.text === r.text ? '' : ` (as ${JSON.stringify(a.text)}: both mean ${r.release})`;
        issues.push({
          path: r.path,
          at: 'value',
          message: `Ganeti ${JSON.stringify(r.text)} is in both accepted_by${same} and rejected_by`,
        });
      }
    });
  });
  return issues;
}

/** `expect` keys a killed step may have: its exit and output are the kill's, its effect is what counts. */
const KILLED_STEP_EXPECT = ['simulated', 'calls'];

/**
 * Several volumes, kills and `together` groups: a step's `volume` names a label of `volumes`; a
 * group holds action steps on different volumes, with no fail_backend (it would fail the others'
 * calls too) and no repeat; a kill is on an action step run once, expecting only its effect.
 */
function checkVolumesKillsAndGroups(scenario: Obj, at: Path, issues: Issue[]): void {
  const labels = isObj(scenario.volumes) ? Object.keys(scenario.volumes) : [];
  const steps = Array.isArray(scenario.steps) ? scenario.steps : [];
  const checkOne = (step: Obj, stepAt: Path): void => {
    if (typeof step.volume === 'string' && !labels.includes(step.volume)) {
      issues.push({
        path: [...stepAt, 'volume'],
        at: 'value',
        message:
          labels.length === 0
            ? `unknown volume ${JSON.stringify(step.volume)}: the scenario has no "volumes"`
            : `unknown volume ${JSON.stringify(step.volume)}: expected one of ${joinOr(labels.map((l) => JSON.stringify(l)))} (the keys of "volumes")`,
      });
    }
    if (step.kill === undefined) return;
    if (step.command !== undefined) {
      issues.push({
        path: [...stepAt, 'kill'],
        at: 'key',
        message: '"kill" applies to action steps, not to a command step',
      });
    }
    if (typeof step.repeat === 'number' && step.repeat > 1) {
      issues.push({
        path: [...stepAt, 'repeat'],
        at: 'key',
        message: 'a step with "kill" runs once: the retry is a step of its own',
      });
    }
    if (isObj(step.expect)) {
      for (const key of Object.keys(step.expect)) {
        if (KILLED_STEP_EXPECT.includes(key)) continue;
        issues.push({
          path: [...stepAt, 'expect', key],
          at: 'key',
          message: `${JSON.stringify(key)} cannot be expected of a killed step: its exit and output are the kill's (expect simulated or calls)`,
        });
      }
    }
  };
  steps.forEach((step, i) => {
    if (!isObj(step)) return;
    const stepAt: Path = [...at, 'steps', i];
    if (step.together === undefined) {
      checkOne(step, stepAt);
      return;
    }
    for (const key of Object.keys(step)) {
      if (key === 'together' || key === 'name') continue;
      issues.push({
        path: [...stepAt, key],
        at: 'key',
        message: `${JSON.stringify(key)} does not apply to a "together" step: give it to its steps (it takes only name)`,
      });
    }
    if (!Array.isArray(step.together)) return;
    const seen = new Map<string, number>();
    step.together.forEach((member, m) => {
      if (!isObj(member)) return;
      const memberAt: Path = [...stepAt, 'together', m];
      checkOne(member, memberAt);
      if (member.together !== undefined || member.command !== undefined) {
        issues.push({
          path: [...memberAt, member.together !== undefined ? 'together' : 'command'],
          at: 'key',
          message: 'the steps of "together" are action steps',
        });
        return;
      }
      if (isObj(member.with) && member.with.fail_backend === true) {
        issues.push({
          path: [...memberAt, 'with', 'fail_backend'],
          at: 'key',
          message: '"fail_backend" cannot be used in "together": it would fail the other steps\' backend calls too',
        });
      }
      if (typeof member.repeat === 'number' && member.repeat > 1) {
        issues.push({ path: [...memberAt, 'repeat'], at: 'key', message: 'the steps of "together" run once each' });
      }
      const volume = typeof member.volume === 'string' ? member.volume : '';
      const first = seen.get(volume);
      if (first !== undefined) {
        issues.push({
          path: [...memberAt, ...(volume === '' ? [] : ['volume'])],
          at: 'value',
          message: `the steps of "together" act on different volumes: step ${first + 1} of this group already acts on ${volume === '' ? "the scenario's volume" : JSON.stringify(volume)}`,
        });
      } else seen.set(volume, m);
    });
  });
}

/** Every {regex: ...} in a state expectation compiles. */
function stateRegexes(path: Path, value: unknown, regex: (path: Path, value: unknown) => void): void {
  if (Array.isArray(value)) value.forEach((item, i) => stateRegexes([...path, i], item, regex));
  else if (isObj(value)) {
    if (Object.keys(value).length === 1 && typeof value.regex === 'string') regex([...path, 'regex'], value.regex);
    else for (const [key, item] of Object.entries(value)) stateRegexes([...path, key], item, regex);
  }
}

/**
 * The isolation keys (spec/SCENARIOS.md §14): absolute paths the sandbox binds or mounts must be
 * plain (no . or .. segment, no control character, nothing that mount options would split on),
 * devices under /dev, and an absolute-path stub not under /proc, /sys or /dev.
 */
function checkIsolationKeys(scenario: Obj, at: Path, issues: Issue[]): void {
  const check = (path: Path, value: unknown, what: string): void => {
    if (typeof value !== 'string' || !value.startsWith('/')) return;
    const problem = sandboxPathProblem(value);
    if (problem !== null) issues.push({ path, at: 'value', message: `${what} ${JSON.stringify(value)}: ${problem}` });
  };
  check([...at, 'install_path'], scenario.install_path, 'install_path');
  if (typeof scenario.install_path === 'string' && /^\/(proc|sys|dev|tmp)(\/|$)/.test(scenario.install_path))
    issues.push({
      path: [...at, 'install_path'],
      at: 'value',
      message: `install_path ${JSON.stringify(scenario.install_path)}: not under /proc, /sys, /dev or /tmp (the sandbox makes those itself)`,
    });
  if (Array.isArray(scenario.scratch))
    scenario.scratch.forEach((path, i) => check([...at, 'scratch', i], path, 'scratch path'));
  if (Array.isArray(scenario.devices)) {
    scenario.devices.forEach((device: unknown, i) => {
      const path: unknown = isObj(device) ? device.path : device;
      check(isObj(device) ? [...at, 'devices', i, 'path'] : [...at, 'devices', i], path, 'device');
      if (isObj(device) && typeof device.symlink === 'string' && /[\u0000-\u001f\u007f]/.test(device.symlink))
        issues.push({
          path: [...at, 'devices', i, 'symlink'],
          at: 'value',
          message: 'a symlink target has no control character',
        });
    });
  }
  if (isObj(scenario.stubs)) {
    for (const command of Object.keys(scenario.stubs)) {
      if (!command.startsWith('/')) continue;
      const problem = sandboxPathProblem(command);
      const message =
        problem !== null
          ? `stub ${JSON.stringify(command)}: ${problem}`
          : /^\/(proc|sys|dev)(\/|$)/.test(command)
            ? `stub ${JSON.stringify(command)}: an absolute-path stub cannot be under /proc, /sys or /dev`
            : null;
      if (message !== null) issues.push({ path: [...at, 'stubs', command], at: 'key', message });
    }
  }
}

/** Simulator names as written in `simulate` (a list or the keys of a map); null if malformed. */
function simulatorNames(value: unknown): string[] | null {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  if (isObj(value)) return Object.keys(value);
  return null;
}

/**
 * What the schema cannot say about `simulate`: a command both stubbed and simulated, regexes in
 * `when`, unreachable for losetup, images in pools that do not exist. Returns the names simulated.
 */
function checkSimulators(
  scenario: Obj,
  at: Path,
  issues: Issue[],
  matcher: (path: Path, value: unknown) => void,
): string[] | null {
  const names = simulatorNames(scenario.simulate);
  if (names === null) return null;
  if (isObj(scenario.stubs)) {
    for (const command of Object.keys(scenario.stubs)) {
      if (!names.includes(command)) continue;
      issues.push({
        path: [...at, 'stubs', command],
        at: 'key',
        message: `${JSON.stringify(command)} is both stubbed and simulated in this scenario: a command is either stubbed or simulated`,
      });
    }
  }
  const options = scenario.simulate;
  if (!isObj(options)) return names;
  for (const [name, value] of Object.entries(options)) {
    if (!isObj(value)) continue;
    const simAt: Path = [...at, 'simulate', name];
    if (Array.isArray(value.fail)) {
      value.fail.forEach((failure, f) => {
        if (!isObj(failure)) return;
        if (Array.isArray(failure.when)) failure.when.forEach((m, w) => matcher([...simAt, 'fail', f, 'when', w], m));
        if (name === 'losetup' && failure.error === 'unreachable') {
          issues.push({
            path: [...simAt, 'fail', f, 'error'],
            at: 'value',
            message:
              '"unreachable" does not apply to losetup: it has no cluster to reach (use busy, not-found, permission, timeout or garbage)',
          });
        }
      });
    }
    if (name !== 'rbd') continue;
    const pools = Array.isArray(value.pools) ? value.pools.filter((p): p is string => typeof p === 'string') : ['rbd'];
    if (Array.isArray(value.pools)) {
      value.pools.forEach((pool, p) => {
        if (typeof pool !== 'string' || !pool.includes('/')) return;
        const parent = pool.split('/')[0]!;
        if (!pools.includes(parent)) {
          issues.push({
            path: [...simAt, 'pools', p],
            at: 'value',
            message: `namespace ${JSON.stringify(pool)} is in pool ${JSON.stringify(parent)}, which is not in pools`,
          });
        }
      });
    }
    if (!Array.isArray(value.images)) continue;
    const seen = new Map<string, number>();
    value.images.forEach((image, i) => {
      if (!isObj(image) || typeof image.spec !== 'string') return;
      const spec = parseImageSpec(image.spec);
      const key = `${spec.pool}/${spec.namespace === '' ? '' : `${spec.namespace}/`}${spec.name}`;
      const specAt: Path = [...simAt, 'images', i, 'spec'];
      const first = seen.get(key);
      if (first !== undefined) {
        issues.push({
          path: specAt,
          at: 'value',
          message: `image ${JSON.stringify(key)} is listed twice in "images" (first as item ${first + 1})`,
        });
      } else seen.set(key, i);
      const where = spec.namespace === '' ? spec.pool : `${spec.pool}/${spec.namespace}`;
      if (!pools.includes(where)) {
        const known = pools.length === 0 ? 'there are no pools' : `pools: ${pools.join(', ')}`;
        issues.push({
          path: specAt,
          at: 'value',
          message: `image ${JSON.stringify(image.spec)} is in ${spec.namespace === '' ? 'pool' : 'namespace'} ${JSON.stringify(where)}, which is not in pools (${known})`,
        });
      }
      if (Array.isArray(image.snapshots)) {
        const snapNames = new Set<string>();
        image.snapshots.forEach((snap, n) => {
          const snapName =
            typeof snap === 'string' ? snap : isObj(snap) && typeof snap.name === 'string' ? snap.name : undefined;
          if (snapName === undefined) return;
          if (snapNames.has(snapName)) {
            issues.push({
              path: [...simAt, 'images', i, 'snapshots', n],
              at: 'value',
              message: `snapshot ${JSON.stringify(snapName)} is listed twice`,
            });
          }
          snapNames.add(snapName);
        });
      }
    });
  }
  return names;
}
