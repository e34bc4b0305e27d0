// The commands the documentation shows a reader: shell lines in README.md and docs/*.md (console
// blocks' "$ " lines, sh/bash blocks' lines, CI YAML blocks' run: and script: lines) and every
// command's --help Examples. The doc test (test/docs-commands.test.ts) runs each one.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DocCommand {
  /** Where a reader sees it: "README.md:57" or "run --help". */
  readonly source: string;
  /** The command as shown, continuation lines joined, without the prompt or a trailing comment. */
  readonly command: string;
  /** The code block (or --help) it is in: a reader runs a block's commands in order, on one machine. */
  readonly block: string;
}

const SHELL_LANGS = new Set(['sh', 'bash', 'shell', 'console']);

/** A line without its trailing "# comment" (outside quotes), trimmed. */
function withoutComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote !== null) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"') i++;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '\\') i++;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i).trimEnd();
  }
  return line.trimEnd();
}

/** Joins lines ending in a backslash with the next (as the shell does). */
function joinContinuations(lines: readonly { text: string; line: number }[]): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  let pending: { text: string; line: number } | null = null;
  for (const l of lines) {
    const text: string = pending ? `${pending.text} ${l.text.trim()}` : l.text;
    const start: number = pending ? pending.line : l.line;
    if (text.endsWith('\\')) pending = { text: text.slice(0, -1).trimEnd(), line: start };
    else {
      out.push({ text, line: start });
      pending = null;
    }
  }
  return out;
}

/** The shell commands in one Markdown file. */
export function markdownCommands(file: string, label: string): DocCommand[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: DocCommand[] = [];
  let lang: string | null = null;
  let block: { text: string; line: number }[] = [];
  let blockId = '';
  const flush = () => {
    if (lang === null) return;
    if (SHELL_LANGS.has(lang)) {
      const kept =
        lang === 'console'
          ? block.filter((l) => l.text.startsWith('$ ')).map((l) => ({ ...l, text: l.text.slice(2) }))
          : block.filter((l) => l.text.trim() !== '' && !l.text.trim().startsWith('#'));
      for (const l of joinContinuations(kept))
        out.push({ source: `${label}:${l.line}`, command: withoutComment(l.text.trim()), block: blockId });
    } else if (lang === 'yaml' || lang === 'yml') {
      // CI files: a step's "run: CMD" and the items of a GitLab "script:" list.
      let inScript = false;
      for (const l of block) {
        const run = /^\s*(?:- )?run: (?![|>])(.+)$/.exec(l.text);
        if (run) out.push({ source: `${label}:${l.line}`, command: withoutComment(run[1]!.trim()), block: blockId });
        if (/^\s*(before_)?script:\s*$/.test(l.text)) inScript = true;
        else if (inScript && /^\s*- /.test(l.text))
          out.push({
            source: `${label}:${l.line}`,
            command: withoutComment(l.text.replace(/^\s*- /, '').trim()),
            block: blockId,
          });
        else if (inScript && !/^\s*$/.test(l.text)) inScript = false;
      }
    }
  };
  lines.forEach((text, i) => {
    const fence = /^```(\S*)/.exec(text);
    if (fence && lang === null) {
      lang = fence[1] ?? '';
      block = [];
      blockId = `${label}:${i + 1}`;
    } else if (fence) {
      flush();
      lang = null;
    } else if (lang !== null) block.push({ text, line: i + 1 });
  });
  return out;
}

/** The commands in README.md and docs/*.md of the repository at `root`. */
export function documentationCommands(root: string): DocCommand[] {
  const files = [
    'README.md',
    ...readdirSync(join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
  return files.flatMap((f) => markdownCommands(join(root, f), f));
}

/** The Examples of one --help text. */
export function helpExamples(help: string, label: string): DocCommand[] {
  const at = help.indexOf('\nExamples:\n');
  if (at < 0) return [];
  const lines = help
    .slice(at + '\nExamples:\n'.length)
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((text, i) => ({ text: text.trim(), line: i + 1 }));
  return joinContinuations(lines).map((l) => ({ source: label, command: withoutComment(l.text), block: label }));
}
