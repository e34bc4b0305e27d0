// A file name as it is printed in `file:line:col: message`, and the message itself. A name can
// hold any byte but "/" and NUL: a newline would forge a second message, an ANSI escape would drive
// the terminal, a bidi control would reorder what is read. Such a name is printed JSON-quoted, with
// those characters escaped; every other name is printed as it is, byte for byte. Messages quote
// values with JSON.stringify, which leaves C1 controls, bidi controls and the line separators raw;
// yaml's messages can hold names from the file (an alias's): both are escaped the same way.

// C0 controls (tab too in names: it is invisible), DEL, C1 controls, the line and paragraph
// separators, the bidi embeddings, overrides and isolates, lone surrogates (with the u flag, a
// surrogate range only matches a surrogate that is not half of a pair).
const UNSAFE_IN_NAME = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]|^"/u;
const UNSAFE_IN_MESSAGE =
  /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]/gu;

// What JSON.stringify leaves as it is among the unsafe characters.
const NOT_ESCAPED_BY_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

const escape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * `path` itself when it is safe to print, otherwise a JSON string with every unsafe character
 * escaped. A leading '"' counts as unsafe, so that a quoted name and a plain one can be told apart.
 */
export function displayPath(path: string): string {
  if (!UNSAFE_IN_NAME.test(path)) return path;
  return JSON.stringify(path).replace(NOT_ESCAPED_BY_JSON, escape);
}

/** `message` with every character that is unsafe on a terminal line (tab aside) as a \uXXXX escape. */
export function safeMessage(message: string): string {
  return message.replace(UNSAFE_IN_MESSAGE, escape);
}
