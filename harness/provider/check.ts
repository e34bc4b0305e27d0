// checkProvider: judge a provider directory as Ganeti does when it loads one (ExtStorageFromDisk),
// then go further with warnings Ganeti does not give. Rules and codes: spec/SPEC.md §2 and §8.

import { accessSync, constants, lstatSync, readFileSync, statSync, type Stats } from 'node:fs';
import { basename, delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { firstInvalidUtf8 } from '../attach/bytes.js';
import { OPTIONAL_SCRIPTS, PARAMETERS_FILE, REQUIRED_SCRIPTS, type OptionalScript } from './layout.js';
import { parseParametersList } from './parameters.js';

export type CheckSeverity = 'error' | 'warning';

export interface CheckProblem {
  readonly code: string;
  readonly severity: CheckSeverity;
  /** The file the problem is about, relative to the provider directory ("." for the directory). */
  readonly file: string;
  readonly message: string;
}

export interface ProviderCheck {
  /** The directory's name: the provider name Ganeti knows it by. */
  readonly provider: string;
  /** Whether Ganeti would load it (no problem of severity "error"). */
  readonly valid: boolean;
  readonly problems: CheckProblem[];
  readonly parameters: { name: string; description: string }[];
  /** Which optional scripts are present. */
  readonly optional: Record<OptionalScript, boolean>;
}

/** The PATH Ganeti's node daemon usually runs with; `#!/usr/bin/env X` looks X up there. */
export const NODE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const OWNER_EXECUTE = 0o100;

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path); // follows symlinks, as Python's os.stat
  } catch {
    return null;
  }
}

export function checkProvider(dir: string): ProviderCheck {
  const problems: CheckProblem[] = [];
  const add = (code: string, severity: CheckSeverity, file: string, message: string) =>
    problems.push({ code, severity, file, message });
  const root = resolve(dir);
  const optional = { snapshot: false, open: false, close: false };
  const result = (parameters: ProviderCheck['parameters']): ProviderCheck => ({
    provider: basename(root),
    valid: !problems.some((p) => p.severity === 'error'),
    problems,
    parameters,
    optional,
  });

  const dirStat = statOrNull(root);
  if (dirStat === null) {
    add('provider-missing', 'error', '.', `${dir} does not exist`);
    return result([]);
  }
  if (!dirStat.isDirectory()) {
    add('provider-not-directory', 'error', '.', `${dir} is not a directory: a provider is a directory named after it`);
    return result([]);
  }

  for (const name of [...REQUIRED_SCRIPTS, ...OPTIONAL_SCRIPTS]) {
    const required = (REQUIRED_SCRIPTS as readonly string[]).includes(name);
    const path = join(root, name);
    const stats = statOrNull(path);
    if (stats === null) {
      if (required) add('missing-script', 'error', name, `required script ${name} is missing${danglingNote(path)}`);
      continue;
    }
    if (!required) optional[name as OptionalScript] = true;
    if (!stats.isFile()) {
      add(
        'not-regular-file',
        'error',
        name,
        `${name} is not a regular file (${kindOf(stats)}): Ganeti refuses the provider`,
      );
      continue;
    }
    if ((stats.mode & OWNER_EXECUTE) === 0) {
      add(
        'not-executable',
        'error',
        name,
        `${name} lacks the owner-execute bit (mode ${(stats.mode & 0o7777).toString(8).padStart(4, '0')}): chmod u+x ${name}`,
      );
      continue;
    }
    lintScript(root, name, stats, add);
  }

  const parametersPath = join(root, PARAMETERS_FILE);
  const parametersStat = statOrNull(parametersPath);
  if (parametersStat === null) {
    add(
      'missing-parameters-list',
      'error',
      PARAMETERS_FILE,
      `${PARAMETERS_FILE} is missing${danglingNote(parametersPath)}; an empty file declares no parameters`,
    );
    return result([]);
  }
  if (!parametersStat.isFile()) {
    add(
      'not-regular-file',
      'error',
      PARAMETERS_FILE,
      `${PARAMETERS_FILE} is not a regular file (${kindOf(parametersStat)})`,
    );
    return result([]);
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(parametersPath);
  } catch (error) {
    add(
      'unreadable-parameters-list',
      'error',
      PARAMETERS_FILE,
      `${PARAMETERS_FILE} cannot be read: ${(error as Error).message}`,
    );
    return result([]);
  }
  const badByte = firstInvalidUtf8(bytes);
  if (badByte >= 0) {
    add(
      'parameters-not-utf8',
      'warning',
      PARAMETERS_FILE,
      `byte ${badByte} is not valid UTF-8: Ganeti 3.x cannot read the file`,
    );
  }
  const { parameters, blankLines } = parseParametersList(bytes.toString('utf8'));
  if (blankLines.length > 0) {
    add(
      'parameters-blank-line',
      'warning',
      PARAMETERS_FILE,
      `blank line${blankLines.length > 1 ? 's' : ''} ${blankLines.join(', ')}: Ganeti keeps an empty entry for each`,
    );
  }
  const seen = new Map<string, number>();
  for (const { name, line, description } of parameters) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      add(
        'parameter-name-invalid',
        'warning',
        PARAMETERS_FILE,
        `line ${line}: ${JSON.stringify(name)} is not a valid identifier, so EXTP_${name.toUpperCase()} cannot be read as a shell variable`,
      );
    }
    const key = name.toUpperCase();
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      add(
        'parameter-duplicate',
        'warning',
        PARAMETERS_FILE,
        `line ${line}: ${name} is declared again (first on line ${earlier}); both give EXTP_${key}`,
      );
    } else {
      seen.set(key, line);
    }
    if (description === '') {
      add(
        'parameter-no-description',
        'warning',
        PARAMETERS_FILE,
        `line ${line}: ${name} has no description; gnt-storage diagnose shows it to users`,
      );
    }
  }
  return result(parameters.map(({ name, description }) => ({ name, description })));
}

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isCharacterDevice()) return 'a character device';
  return 'not a file';
}

function danglingNote(path: string): string {
  try {
    // stat() failed; lstat() tells a dangling symlink from a missing name
    return lstatSync(path).isSymbolicLink() ? ' (it is a symlink whose target does not exist)' : '';
  } catch {
    return '';
  }
}

type AddProblem = (code: string, severity: CheckSeverity, file: string, message: string) => void;

/**
 * Why exec() of this script fails, in the words `check` uses (a missing #! interpreter, CRLF, no
 * #!, an empty file), or null when its start looks runnable: so that `run` and `test` name the
 * cause instead of a bare ENOENT or exit status.
 */
export function execFailureCause(script: string): string | null {
  let cause: string | null = null;
  try {
    lintScript(dirname(script), basename(script), statSync(script), (_code, _severity, _file, message) => {
      cause ??= message;
    });
  } catch {
    return null; // gone or unreadable: the caller's own error says so
  }
  return cause;
}

/** Warnings about a script Ganeti accepts but that will not run, or not run as meant. */
function lintScript(root: string, name: string, stats: Stats, add: AddProblem): void {
  if (stats.size === 0) {
    add(
      'empty-script',
      'warning',
      name,
      `${name} is empty: exec() fails with ENOEXEC (Exec format error), so every ${name} call fails`,
    );
    return;
  }
  let head: Buffer;
  try {
    head = readFileSync(join(root, name)).subarray(0, 256);
  } catch (error) {
    add('unreadable-script', 'warning', name, `${name} cannot be read: ${(error as Error).message}`);
    return;
  }
  if (head.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) return; // an ELF binary
  if (head[0] !== 0x23 || head[1] !== 0x21) {
    add(
      'no-shebang',
      'warning',
      name,
      `${name} does not start with "#!": exec() fails with ENOEXEC, so Ganeti cannot run it`,
    );
    return;
  }
  const end = head.indexOf(0x0a);
  const line = head.subarray(2, end < 0 ? head.length : end).toString('utf8');
  if (line.endsWith('\r')) {
    add(
      'shebang-crlf',
      'warning',
      name,
      `the #! line ends with CR (Windows line endings): the kernel looks for an interpreter whose name ends in \\r`,
    );
    return;
  }
  // Linux takes the first word as the interpreter and the rest, whole, as one argument.
  const [, interpreter, argument] = /^[ \t]*(\S*)(?:[ \t]+(.*?))?[ \t]*$/.exec(line)!;
  if (!interpreter) {
    add('shebang-interpreter-missing', 'warning', name, 'the #! line names no interpreter');
    return;
  }
  const interpreterPath = isAbsolute(interpreter) ? interpreter : join(root, interpreter);
  if (!isExecutable(interpreterPath)) {
    add(
      'shebang-interpreter-missing',
      'warning',
      name,
      `interpreter ${interpreter} does not exist or is not executable on this machine`,
    );
    return;
  }
  if (basename(interpreter) !== 'env' || !argument) return;
  let program: string | undefined;
  if (argument.startsWith('-S')) {
    program = argument
      .slice(2)
      .trim()
      .split(/[ \t]+/)
      .find((w) => w !== '' && !w.startsWith('-') && !w.includes('='));
  } else if (!argument.startsWith('-')) {
    program = argument;
    if (/[ \t]/.test(argument)) {
      add(
        'shebang-interpreter-missing',
        'warning',
        name,
        `#!${line.trim()}: env gets ${JSON.stringify(argument)} as one program name; use "env -S" to pass arguments`,
      );
      return;
    }
  }
  if (program !== undefined && !findInPath(program)) {
    add(
      'shebang-interpreter-missing',
      'warning',
      name,
      `#!${line.trim()}: ${program} is not on the node daemon's PATH (${NODE_PATH}) on this machine`,
    );
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function findInPath(program: string): boolean {
  if (program.includes('/')) return isExecutable(program);
  return NODE_PATH.split(delimiter).some((dir) => isExecutable(join(dir, program)));
}
