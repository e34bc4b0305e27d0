// The value syntaxes the schema names but cannot parse: durations, rbd image specs, Ganeti
// versions as written. Both the semantic checks and the model builder read values through these,
// so that what is accepted is exactly what is built.

import type { Path } from './issue.js';
import type { YamlSource } from './yaml-source.js';

export type Obj = Record<string, unknown>;

/** A YAML map in the data (not a list, not null). */
export function isObj(value: unknown): value is Obj {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Seconds, or undefined when `value` is not a duration (see the schema's `duration`). */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m)$/.exec(value);
  if (!match) return undefined;
  const amount = Number(match[1]);
  const seconds = match[2] === 'ms' ? amount / 1000 : match[2] === 'm' ? amount * 60 : amount;
  return seconds > 0 ? seconds : undefined;
}

/** Parses an image spec as rbd does: [pool/[namespace/]]image. */
export function parseImageSpec(spec: string): { pool: string; namespace: string; name: string } {
  const parts = spec.split('/');
  const name = parts.pop()!;
  const pool = parts.length > 0 ? parts[0]! : 'rbd';
  const namespace = parts.length > 1 ? parts[1]! : '';
  return { pool, namespace, name };
}

/** A version as written: unquoted 2.10 is the number 2.1 to YAML, but the user meant "2.10". */
export function versionText(source: YamlSource, path: Path, value: string | number): string {
  if (typeof value === 'string') return value;
  return source.plainText(path) ?? String(value);
}
