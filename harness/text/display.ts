// Small helpers for human output: strings shown so that invisible characters are visible.

/** A string as it should appear in a table: quoted and escaped when it would mislead raw. */
export function shown(value: string | null, none = '-'): string {
  if (value === null) return none;

  if (value === '' || /[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffd]|^\s|\s$/u.test(value)) return JSON.stringify(value);
  return value;
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
