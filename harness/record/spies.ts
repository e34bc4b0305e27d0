// Which commands `extstorage-kit record` spies on, and the spy directory that puts a pass-through
// spy (spy-main.ts) first on PATH for each of them; then the call log, read back in call order.

import {
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { compiledModule, nodeShebang } from '../backend/node-executable.js';
import type { SpyConfig, SpyLogEntry } from './spy-main.js';

/**
 * Basic utilities that are not a storage backend: never spied unless asked with --spy. Shells,
 * text and file tools, wrappers that run another command (their command is spied instead), and
 * interpreters.
 */
export const NOT_SPIED: ReadonlySet<string> = new Set([
  // shells and the environment
  'sh',
  'bash',
  'dash',
  'ash',
  'zsh',
  'ksh',
  'mksh',
  'busybox',
  'env',
  'printenv',
  // text
  'cat',
  'echo',
  'printf',
  'test',
  '[',
  'true',
  'false',
  'yes',
  'sed',
  'awk',
  'gawk',
  'mawk',
  'nawk',
  'grep',
  'egrep',
  'fgrep',
  'rgrep',
  'cut',
  'tr',
  'head',
  'tail',
  'sort',
  'uniq',
  'wc',
  'tee',
  'paste',
  'join',
  'comm',
  'nl',
  'od',
  'hexdump',
  'xxd',
  'fold',
  'fmt',
  'rev',
  'tac',
  'shuf',
  'column',
  'expand',
  'unexpand',
  'iconv',
  'jq',
  'base64',
  'base32',
  'cksum',
  'sum',
  'md5sum',
  'sha1sum',
  'sha224sum',
  'sha256sum',
  'sha384sum',
  'sha512sum',
  'b2sum',
  'diff',
  'cmp',
  'bc',
  'dc',
  'expr',
  'getopt',
  'seq',
  // paths and files
  'basename',
  'dirname',
  'readlink',
  'realpath',
  'pwd',
  'mkdir',
  'rm',
  'rmdir',
  'mv',
  'cp',
  'ln',
  'ls',
  'chmod',
  'chown',
  'chgrp',
  'touch',
  'stat',
  'mktemp',
  'find',
  'dd',
  'sync',
  'which',
  'install',
  'mkfifo',
  'split',
  'csplit',
  // the process and the system
  'date',
  'sleep',
  'id',
  'whoami',
  'groups',
  'logname',
  'hostname',
  'uname',
  'arch',
  'nproc',
  'getconf',
  'locale',
  'tty',
  'stty',
  'tput',
  'logger',
  'kill',
  'ps',
  'pgrep',
  'pkill',
  'pidof',
  // wrappers: they run another command, which is spied itself
  'xargs',
  'flock',
  'timeout',
  'nice',
  'nohup',
  'setsid',
  'stdbuf',
  'ionice',
  'chrt',
  'taskset',
  'time',
  // interpreters
  'python',
  'python2',
  'python3',
  'perl',
  'node',
  'nodejs',
  'ruby',
  'lua',
  'tclsh',
]);

/** Versioned interpreters (python3.11, perl5.36.0): not spied either. */
const NOT_SPIED_PATTERN = /^(python[0-9.]*|perl[0-9.]*|ruby[0-9.]*|lua[0-9.]*)$/;

/** A name a scenario can stub (spec/SCENARIOS.md §3.5): only those can be replayed. */
export const STUBBABLE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*$/;

/** The PATH spied on, and that the provider gets after the spy directory; for tests only. */
export const RECORD_PATH_VARIABLE = 'EXTSTORAGE_KIT_RECORD_PATH';

export function isSpiedByDefault(name: string): boolean {
  return STUBBABLE_NAME.test(name) && !NOT_SPIED.has(name) && !NOT_SPIED_PATTERN.test(name);
}

function isExecutableFile(path: string): boolean {
  try {
    const stats = statSync(path); // follows symlinks, as exec does
    return stats.isFile() && (stats.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** Every executable name in the directories of `path`, first occurrence first. */
export function executablesOnPath(path: string): string[] {
  const names = new Set<string>();
  for (const dir of path.split(':')) {
    if (dir === '') continue;
    let entries: string[];
    try {
      entries = readdirSync(dir).sort();
    } catch {
      continue;
    }
    for (const name of entries) if (!names.has(name) && isExecutableFile(join(dir, name))) names.add(name);
  }
  return [...names];
}

export interface SpySelection {
  /** The commands spied on, sorted. */
  readonly commands: string[];
  /** --spy names found nowhere on the spied PATH: not spied (the shell would not find them either). */
  readonly notFound: string[];
}

/** The default set (every executable on `path` but the basic utilities), plus `add`, less `remove`. */
export function selectSpies(path: string, add: readonly string[], remove: readonly string[]): SpySelection {
  const available = executablesOnPath(path);
  const chosen = new Set(available.filter(isSpiedByDefault));
  const notFound: string[] = [];
  for (const name of add) {
    if (available.includes(name)) chosen.add(name);
    else if (!notFound.includes(name)) notFound.push(name);
  }
  for (const name of remove) chosen.delete(name);
  return { commands: [...chosen].sort(), notFound };
}

export interface SpyInstallation {
  readonly spyDir: string;
  readonly logFile: string;
  readonly activeDir: string;
  readonly commands: readonly string[];
}

/** The spy runtime spies load (npm run build makes the compiled one that tests use too). */
const SPY_MAIN = compiledModule(import.meta.url, './spy-main.js', '../../dist/harness/record/spy-main.js');

/**
 * Puts one executable spy per command into `<root>/spies`: hard links to one script, which tells
 * the command from the name it was run by (linking ~1000 names costs a fraction of writing them).
 */
export function installSpies(root: string, commands: readonly string[]): SpyInstallation {
  const spyDir = join(root, 'spies');
  const stateDir = join(root, 'spy-state');
  const activeDir = join(stateDir, 'active');
  const logFile = join(stateDir, 'calls.jsonl');
  mkdirSync(spyDir, { recursive: true });
  mkdirSync(activeDir, { recursive: true });
  writeFileSync(logFile, '');
  const config: Omit<SpyConfig, 'command'> = { spyDir, logFile, activeDir };
  // A CommonJS file (no package.json around it) that loads the ESM spy runtime.
  const source = `${nodeShebang()}\n// extstorage-kit record spy: the command is the name this file was run by\nimport(${JSON.stringify(SPY_MAIN)}).then((m) => m.runSpy({ ...${JSON.stringify(config)}, command: require('node:path').basename(process.argv[1]) }, process.argv.slice(2)));\n`;
  const master = join(stateDir, 'spy');
  writeFileSync(master, source);
  chmodSync(master, 0o755);
  for (const command of commands) {
    const path = join(spyDir, command);
    try {
      linkSync(master, path);
    } catch {
      writeFileSync(path, source); // a file system without hard links
      chmodSync(path, 0o755);
    }
  }
  return { spyDir, logFile, activeDir, commands };
}

/** One call the provider made, as recorded. */
export interface RecordedCall {
  readonly command: string;
  readonly argv: readonly string[];
  readonly stdout: Buffer;
  readonly stderr: Buffer;
  readonly exit: number;
  readonly signal: string | null;
}

/** The calls logged, in the order they began. */
export function readSpyLog(installation: SpyInstallation): RecordedCall[] {
  if (!existsSync(installation.logFile)) return [];
  const entries = readFileSync(installation.logFile, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as SpyLogEntry);
  entries.sort((a, b) => (BigInt(a.started) < BigInt(b.started) ? -1 : BigInt(a.started) > BigInt(b.started) ? 1 : 0));
  return entries.map((e) => ({
    command: e.command,
    argv: e.argv,
    stdout: Buffer.from(e.stdout, 'base64'),
    stderr: Buffer.from(e.stderr, 'base64'),
    exit: e.exit,
    signal: e.signal,
  }));
}
