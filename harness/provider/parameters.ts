// parameters.list as Ganeti reads it: Python 3's str.splitlines(), then line.split(None, 1).

export interface ProviderParameter {
  readonly name: string;
  /** "" when the line has no description. */
  readonly description: string;
  /** 1-based line in parameters.list. */
  readonly line: number;
}

// The characters Python 3's str.splitlines() breaks on (CRLF counts as one break).
const LINE_BREAK = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/u;
// The characters Python 3's str.isspace() accepts: what split(None) splits on.
const SPACE = '[\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const LEADING_SPACE = new RegExp(`^${SPACE}+`, 'u');
const FIRST_RUN = new RegExp(`${SPACE}+`, 'u');

export interface ParsedParameters {
  readonly parameters: ProviderParameter[];
  /** Lines that hold only whitespace: Ganeti keeps them as empty entries. */
  readonly blankLines: number[];
}

export function parseParametersList(text: string): ParsedParameters {
  const parameters: ProviderParameter[] = [];
  const blankLines: number[] = [];
  const lines = text.split(LINE_BREAK);
  // splitlines() yields no final empty piece after a trailing line break.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, index) => {
    const line = raw.replace(LEADING_SPACE, '');
    if (line === '') {
      blankLines.push(index + 1);
      return;
    }
    const gap = FIRST_RUN.exec(line);
    const name = gap ? line.slice(0, gap.index) : line;
    const description = gap ? line.slice(gap.index + gap[0].length) : '';
    parameters.push({ name, description, line: index + 1 });
  });
  return { parameters, blankLines };
}
