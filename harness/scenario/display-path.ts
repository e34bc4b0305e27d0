// A file name as it is printed in `file:line:col: message`. A name can hold any byte but "/" and
// NUL: a newline would forge a second message, an ANSI escape would drive the terminal, a bidi
// control would reorder what is read. Such a name is printed JSON-quoted, with those characters
// escaped; every other name is printed as it is, byte for byte.

// C0 controls (tab too: it is invisible), DEL, C1 controls, the line and paragraph separators,
// the bidi embeddings, overrides and isolates, lone surrogates (with the u flag, a surrogate range
// only matches a surrogate that is not half of a pair). And a leading '"', so that a quoted name
// and a plain one can always be told apart.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]|^"/u;

// What JSON.stringify leaves as it is among the unsafe characters.
const NOT_ESCAPED_BY_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

/** `path` itself when it is safe to print, otherwise a JSON string with every unsafe character escaped. */
export function displayPath(path: string): string {
  if (!UNSAFE.test(path)) return path;
  return JSON.stringify(path).replace(
    NOT_ESCAPED_BY_JSON,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
