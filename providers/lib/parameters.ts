// A provider's parameters, declared once: they produce parameters.list at build time and the typed,
// validated EXTP_* values at run time. An EXTP_ variable nobody declared is an error, so a typo
// (EXTP_POOOL=fast) cannot silently send a volume to the default pool.

import { InputError } from './errors.js';
import * as validate from './validate.js';

export type ParameterKind = 'string' | 'name' | 'path' | 'host' | 'port' | 'boolean';

export interface ParameterSpec {
  readonly name: string;
  readonly kind: ParameterKind;
  /** One line for parameters.list and gnt-storage diagnose. */
  readonly description: string;
  /** The value when the parameter is not given; absent: optional with no value, unless required. */
  readonly default?: string;
  readonly required?: boolean;
}

export type ParameterValue = string | number | boolean;

/** Ganeti's own disk parameters, which reach every provider as EXTP_*. */
export const GANETI_PARAMETERS: readonly string[] = ['PROVIDER', 'ACCESS'];

/** @public Called by the code `extstorage-kit build` generates, which knip cannot see. */
export function parametersList(specs: readonly ParameterSpec[]): string {
  return specs.map((p) => `${p.name} ${p.description}\n`).join('');
}

function convert(spec: ParameterSpec, variable: string, raw: string): ParameterValue {
  switch (spec.kind) {
    case 'string':
      return validate.text(variable, raw);
    case 'name':
      return validate.simpleName(variable, raw);
    case 'path':
      return validate.absolutePath(variable, raw);
    case 'host':
      return validate.host(variable, raw);
    case 'port':
      return validate.port(variable, raw);
    case 'boolean':
      return validate.boolean(variable, raw);
  }
}

/** Reads and checks every EXTP_* variable against the declarations. */
export function readParameters(
  specs: readonly ParameterSpec[],
  env: NodeJS.ProcessEnv,
): Record<string, ParameterValue | undefined> {
  const byVariable = new Map(specs.map((s) => [`EXTP_${s.name.toUpperCase()}`, s]));
  for (const variable of Object.keys(env)) {
    if (!variable.startsWith('EXTP_') || byVariable.has(variable)) continue;
    if (GANETI_PARAMETERS.includes(variable.slice('EXTP_'.length))) continue;
    const known = specs.map((s) => s.name).join(', ') || '(none)';
    throw new InputError(
      `unknown parameter ${variable.slice('EXTP_'.length).toLowerCase()} (${variable}): this provider takes ${known}`,
    );
  }
  const values: Record<string, ParameterValue | undefined> = {};
  for (const [variable, spec] of byVariable) {
    const raw = env[variable];
    if (raw === undefined || raw === '') {
      if (spec.required)
        throw new InputError(
          `parameter ${spec.name} is required (${variable} is not set): add ${spec.name}=<value> to the disk's parameters`,
        );
      values[spec.name] = spec.default === undefined ? undefined : convert(spec, `${variable} (default)`, spec.default);
      continue;
    }
    values[spec.name] = convert(spec, variable, raw);
  }
  return values;
}
