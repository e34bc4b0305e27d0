// Host commands a provider runs by absolute path (`/sbin/rescan-scsi-bus`, `/etc/init.d/foo`):
// PATH stubs cannot stand in for them, so every report lists them. Found by reading the files of
// the provider folder (the action scripts and what they source), once per folder and process:
// paths into the directories executables live in, anywhere in the text (shell, Python, bundled
// JavaScript alike), and any absolute path where a shell command starts. The interpreter line is
// left out.

import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Paths into executable directories, in any language. */
const EXECUTABLE_PATH =
  /(?<![\w./-])\/(?:usr\/(?:local\/)?)?(?:s?bin|libexec)\/[\w.+-]+|(?<![\w./-])\/etc\/init\.d\/[\w.+-]+/g;
/** An absolute path where a shell command starts: line start, after ; & | ( ` $( or a keyword. */
const COMMAND_POSITION = /(?:^|[;&|(`]|\$\(|\b(?:then|do|else|exec|sudo|nohup|env|xargs|command))\s*(\/[\w.+/-]+)/gm;
/** Absolute paths that are not commands even where one could start. */
const NOT_COMMANDS = /^\/(dev|proc|sys|tmp)\//;

const MAX_FILE_BYTES = 1024 * 1024;
/** Files that are documentation or data, not code a script runs. */
const NOT_CODE = /^README|\.(md|txt|list|json|ya?ml|rst|html)$/i;

const cache = new Map<string, readonly string[]>();

/** "PATH (file, file)" for each host command found, sorted by path. */
export function hostCommands(providerDir: string): readonly string[] {
  const cached = cache.get(providerDir);
  if (cached) return cached;
  const found = new Map<string, Set<string>>();
  let names: string[] = [];
  try {
    names = readdirSync(providerDir).sort();
  } catch {
    // an unreadable folder: nothing found
  }
  for (const name of names) {
    if (NOT_CODE.test(name)) continue;
    let text: string;
    try {
      const stat = lstatSync(join(providerDir, name));
      if (!stat.isFile() || stat.size > MAX_FILE_BYTES) continue;
      text = readFileSync(join(providerDir, name), 'utf8');
    } catch {
      continue;
    }
    if (text.startsWith('#!')) text = text.slice(text.indexOf('\n') + 1 || text.length);
    const add = (path: string) => {
      if (NOT_COMMANDS.test(path) || path.endsWith('/')) return;
      if (!found.has(path)) found.set(path, new Set());
      found.get(path)!.add(name);
    };
    for (const m of text.matchAll(EXECUTABLE_PATH)) add(m[0]);
    for (const m of text.matchAll(COMMAND_POSITION)) add(m[1]!);
  }
  const list = [...found.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([path, files]) => `${path} (${[...files].join(', ')})`);
  cache.set(providerDir, list);
  return list;
}
