// expect.simulated: a subset of a simulator's state that must hold. Maps list the keys checked
// (null: the key must be absent or null), lists must have the same length and match item by item,
// strings may be {regex: ...}, everything else must be equal.

import type { StateExpectation } from '../scenario/model.js';

export interface StateMismatch {
  /** Where, as "images.rbd/vol1.size". */
  readonly path: string;
  readonly expected: string;
  readonly actual: string;
}

function isRegex(value: unknown): value is { readonly regex: RegExp; readonly source: string } {
  return value !== null && typeof value === 'object' && (value as { regex?: unknown }).regex instanceof RegExp;
}

function show(value: unknown): string {
  if (value === undefined) return '(absent)';
  if (isRegex(value)) return `/${value.source}/`;
  return JSON.stringify(value, (_, v: unknown) => (isRegex(v) ? `/${v.source}/` : v));
}

export function matchState(expected: StateExpectation, actual: unknown, path = ''): StateMismatch[] {
  const here = path === '' ? '(the whole state)' : path;
  const differ = (): StateMismatch[] => [
    { path: here, expected: expected === null ? '(absent)' : show(expected), actual: show(actual) },
  ];
  if (expected === null) return actual === null || actual === undefined ? [] : differ();
  if (isRegex(expected)) return typeof actual === 'string' && expected.regex.test(actual) ? [] : differ();
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return differ();
    return expected.flatMap((item: StateExpectation, i) => matchState(item, actual[i], `${path}[${i}]`));
  }
  if (typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return differ();
    return Object.entries(expected).flatMap(([key, item]) =>
      matchState(item, (actual as Record<string, unknown>)[key], path === '' ? key : `${path}.${key}`),
    );
  }
  return Object.is(expected, actual) ? [] : differ();
}
