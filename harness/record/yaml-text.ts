// Writing YAML by hand for recorded scenarios: every string either plain (when YAML reads it back
// as the same string) or double-quoted on one line with every character YAML cannot hold as-is
// escaped, so any text round-trips exactly; comments go where they explain something.

import { parse } from 'yaml';

/** Characters YAML would not keep as written inside a double-quoted scalar, and their escapes. */
const NAMED_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  '"': '\\"',
  '\0': '\\0',
  '\x07': '\\a',
  '\b': '\\b',
  '\t': '\\t',
  '\n': '\\n',
  '\v': '\\v',
  '\f': '\\f',
  '\r': '\\r',
  '\x1b': '\\e',
  '\u0085': '\\N',
  '\u2028': '\\L',
  '\u2029': '\\P',
};

function escapeChar(char: string): string {
  const named = NAMED_ESCAPES[char];
  if (named !== undefined) return named;
  const code = char.codePointAt(0)!;
  // C0 controls, DEL, C1 controls; and BOM, non-characters and lone surrogates: not printable in YAML.
  if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return `\\x${code.toString(16).toUpperCase().padStart(2, '0')}`;
  if (code === 0xfeff || code === 0xfffe || code === 0xffff || (code >= 0xd800 && code <= 0xdfff)) {
    return `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return char;
}

/** A double-quoted YAML scalar on one line. */
export function doubleQuoted(text: string): string {
  let out = '"';
  for (const char of text) out += escapeChar(char);
  return out + '"';
}

/** Plain scalars used only for simple words, paths and options (never in need of escapes). */
const PLAIN_CANDIDATE = /^(?:[A-Za-z0-9_/]|-(?=[^\s]))[A-Za-z0-9_./=@+%-]*$/;

/** The string as a YAML scalar: plain where YAML reads it back as this very string, else double-quoted. */
export function scalar(text: string): string {
  if (PLAIN_CANDIDATE.test(text)) {
    try {
      if (parse(text) === text) return text;
    } catch {
      // not a plain scalar after all
    }
  }
  return doubleQuoted(text);
}

/**
 * A regex source: single-quoted, so backslashes stay as written (only ' is doubled), when every
 * character is printable on one line; double-quoted otherwise.
 */
export function regexScalar(source: string): string {
  const printable = Array.from(source).every((c) => c === '\\' || c === '"' || escapeChar(c) === c);
  return printable ? `'${source.replaceAll("'", "''")}'` : doubleQuoted(source);
}

/** A flow sequence of already rendered items: [a, b, "c d"]. */
export function flowList(items: readonly string[]): string {
  return `[${items.join(', ')}]`;
}

/** Comment lines at `indent`: each line of `text` gets "# ". */
export function commentLines(text: string, indent: string): string[] {
  const printable = (line: string) => Array.from(line, (c) => (c === '\\' || c === '"' ? c : escapeChar(c))).join('');
  return text.split('\n').map((line) => `${indent}#${line === '' ? '' : ` ${printable(line)}`}`);
}
