// Strings that reach a process's environment or argv hold no NUL: the kernel takes both as
// C strings, so a NUL would cut the value short (Node refuses to spawn with one). Found here, the
// mistake is reported at its file:line:col instead of failing the run.

import { label, type Issue, type Path } from './issue.js';

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Every NUL in an environment value, an argument, or a stubbed call's expected argument. */
export function processStringIssues(data: unknown): Issue[] {
  const issues: Issue[] = [];
  const env = (path: Path, value: unknown): void => {
    if (!isObj(value)) return;
    // Names are the schema's (envName: no NUL among its other rules); values are free text.
    for (const [name, item] of Object.entries(value)) {
      if (typeof item === 'string' && item.includes('\0'))
        issues.push({ path: [...path, name], at: 'value', message: nul(label([...path, name]), 'env') });
    }
  };
  const list = (path: Path, value: unknown, where: 'env' | 'argv'): void => {
    if (!Array.isArray(value)) return;
    value.forEach((item: unknown, i) => {
      if (typeof item === 'string' && item.includes('\0'))
        issues.push({ path: [...path, i], at: 'value', message: nul(label([...path, i]), where) });
    });
  };
  const strings = (path: Path, value: unknown, keys: readonly string[]): void => {
    if (!isObj(value)) return;
    for (const key of keys) {
      const item = value[key];
      if (typeof item === 'string' && item.includes('\0'))
        issues.push({ path: [...path, key], at: 'value', message: nul(label([...path, key]), 'env') });
    }
  };
  // The volume's name, cname, uuid and parameters become VOL_* and EXTP_* variables.
  const volume = (path: Path, value: unknown): void => {
    strings(path, value, ['name', 'cname', 'uuid']);
    if (isObj(value)) env([...path, 'params'], value.params);
  };

  if (!isObj(data)) return issues;
  if (isObj(data.defaults)) {
    env(['defaults', 'env'], data.defaults.env);
    volume(['defaults', 'volume'], data.defaults.volume);
  }
  const scenarios = Array.isArray(data.scenarios) ? data.scenarios : [];
  scenarios.forEach((scenario, s) => {
    if (!isObj(scenario)) return;
    const at: Path = ['scenarios', s];
    env([...at, 'env'], scenario.env);
    volume([...at, 'volume'], scenario.volume);
    if (isObj(scenario.stubs)) {
      for (const [command, entries] of Object.entries(scenario.stubs)) {
        if (!Array.isArray(entries)) continue;
        entries.forEach((entry, e) => {
          if (isObj(entry)) list([...at, 'stubs', command, e, 'args'], entry.args, 'argv');
        });
      }
    }
    const steps = Array.isArray(scenario.steps) ? scenario.steps : [];
    steps.forEach((step, i) => {
      if (!isObj(step)) return;
      const stepAt: Path = [...at, 'steps', i];
      list([...stepAt, 'command'], step.command, 'argv');
      if (!isObj(step.with)) return;
      const withAt: Path = [...stepAt, 'with'];
      env([...withAt, 'env'], step.with.env);
      list([...withAt, 'args'], step.with.args, 'argv');
      strings(withAt, step.with, ['metadata', 'snapshot_name']);
    });
  });
  return issues;
}

function nul(what: string, where: 'env' | 'argv'): string {
  const into = where === 'env' ? 'a process environment' : 'a process argument';
  return `${what} holds a NUL character, which cannot be passed in ${into}`;
}
