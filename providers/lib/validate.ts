// Validators for everything a provider reads from its environment. Each returns the clean value or
// throws InputError naming the variable, what it holds, and what was expected.

import { InputError } from './errors.js';

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;

export function describe(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value);
}

export function noControl(variable: string, value: string): string {
  if (CONTROL.test(value)) throw new InputError(`${variable} contains a control character: ${describe(value)}`);
  return value;
}

/**
 * A volume name as Ganeti makes them (`<uuid>.ext.disk<N>`, snapshots `<name>.snap`): it becomes a
 * file name and a backend object name, so no path separator, no "..", no leading "-" or ".".
 */
export function volumeName(variable: string, value: string | undefined): string {
  if (value === undefined || value === '')
    throw new InputError(`${variable} is not set: Ganeti always passes the volume name`);
  noControl(variable, value);
  if (value.includes('/')) throw new InputError(`${variable} must not contain "/": ${describe(value)}`);
  if (value.includes('..')) throw new InputError(`${variable} must not contain "..": ${describe(value)}`);
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.+-]*$/.test(value)) {
    throw new InputError(
      `${variable} must start with a letter, digit or "_" and hold only letters, digits and "_.+-": ${describe(value)}`,
    );
  }
  if (value.length > 200) throw new InputError(`${variable} is longer than 200 characters`);
  return value;
}

/** A size in MiB: a positive decimal integer, as Ganeti writes it. */
export function sizeMiB(variable: string, value: string | undefined): number {
  if (value === undefined || value === '') throw new InputError(`${variable} is not set`);
  if (!/^[1-9][0-9]*$/.test(value))
    throw new InputError(`${variable} must be a positive whole number of MiB, got ${describe(value)}`);
  const size = Number(value);
  // Keep byte counts exact: MiB * 2^20 must stay a safe integer.
  if (!Number.isSafeInteger(size * 1024 * 1024)) throw new InputError(`${variable} is too large: ${value} MiB`);
  return size;
}

const TRUE = new Set(['true', 'yes', 'on', '1']);
const FALSE = new Set(['false', 'no', 'off', '0']);

/** true/false/yes/no/on/off/1/0 in any case (Ganeti writes Python's True and False). */
export function boolean(variable: string, value: string): boolean {
  const lower = value.toLowerCase();
  if (TRUE.has(lower)) return true;
  if (FALSE.has(lower)) return false;
  throw new InputError(`${variable} must be one of true/false, yes/no, on/off, 1/0 (any case), got ${describe(value)}`);
}

export function absolutePath(variable: string, value: string): string {
  noControl(variable, value);
  if (!value.startsWith('/')) throw new InputError(`${variable} must be an absolute path, got ${describe(value)}`);
  if (value.split('/').includes('..'))
    throw new InputError(`${variable} must not contain ".." components: ${describe(value)}`);
  return value;
}

/** A name that is safe as one path component or backend object name (a pool, a folder, a volume). */
export function simpleName(variable: string, value: string): string {
  noControl(variable, value);
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(value) || value.includes('..')) {
    throw new InputError(
      `${variable} must start with a letter, digit or "_" and hold only letters, digits and "_.-", got ${describe(value)}`,
    );
  }
  return value;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** An IPv6 address, checked by the URL parser (a global: loading node:net costs start-up time). */
export function isIPv6(value: string): boolean {
  if (!value.includes(':')) return false;
  try {
    return new URL(`http://[${value}]/`).hostname.startsWith('[');
  } catch {
    return false;
  }
}

/** A host name, an IPv4 address or an IPv6 address (with or without brackets). */
export function host(variable: string, value: string): string {
  noControl(variable, value);
  const bare = value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
  if (IPV4.test(bare) || isIPv6(bare)) return bare;
  if (/^[\d.]+$/.test(value)) throw new InputError(`${variable} is not a valid IPv4 address: ${describe(value)}`);
  if (
    /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(
      value,
    )
  )
    return value;
  throw new InputError(`${variable} must be a host name or an IP address, got ${describe(value)}`);
}

export function port(variable: string, value: string): number {
  if (!/^[1-9][0-9]{0,4}$/.test(value) || Number(value) > 65535)
    throw new InputError(`${variable} must be a port number from 1 to 65535, got ${describe(value)}`);
  return Number(value);
}

/** Free text that is passed on as one argument (never through a shell): only control characters are refused. */
export function text(variable: string, value: string): string {
  return noControl(variable, value);
}
