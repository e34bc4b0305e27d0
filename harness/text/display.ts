// Small helpers for human output: strings shown so that invisible characters are visible. The
// bottom layer of the harness: anything may import it, it imports nothing.

const MISLEADING = /[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffd]|^\s|\s$/u;

/**
 * A string (a value, a file name) as it should appear in a message or a table: as it is when it
 * prints as itself, else quoted with escapes, so that it can neither forge a line nor repaint the
 * terminal (JSON.stringify alone leaves C1 controls such as CSI U+009B and U+2028 raw).
 */
export function shown(value: string | null, none = '-'): string {
  if (value === null) return none;
  if (value !== '' && !MISLEADING.test(value)) return value;
  return JSON.stringify(value).replace(
    /[\x7f-\x9f\u2028\u2029\ufeff]/gu,
    (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`,
  );
}

/** Left-aligned columns, two spaces apart. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, [...cell].length)));
  return rows
    .map((row) =>
      row.map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(widths[i]! - [...cell].length))).join('  '),
    )
    .join('\n');
}

export function useColor(stream: NodeJS.WriteStream): boolean {
  return stream.isTTY && !('NO_COLOR' in process.env);
}

export function paint(enabled: boolean, code: number, text: string): string {
  return enabled ? `\x1b[${code}m${text}\x1b[0m` : text;
}
