// libsmartcols (util-linux 2.38) output as `losetup --list` prints it when stdout is not a
// terminal: no width limit, columns as wide as their widest cell or heading (headings count even
// with --noheadings), one space between columns, right-aligned columns padded on the left, the last
// column not padded on the right. --raw: no padding, unsafe bytes as \xNN. --json: typed values.

export type JsonType = 'string' | 'number' | 'boolean';

export interface ScolsColumn {
  readonly name: string;
  readonly right: boolean;
  readonly json: JsonType;
}

/** A cell: text, or null for "no data". */
export type Cell = string | null;

export interface ScolsOptions {
  readonly noHeadings: boolean;
  readonly raw: boolean;
  readonly json: boolean;
  /** The JSON table name ("loopdevices"). */
  readonly name: string;
}

/** scols' encoding of raw cells: whitespace, control characters and backslash as \xNN. */
function rawEncode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text)) {
    if (byte <= 0x20 || byte === 0x7f || byte === 0x5c) out += `\\x${byte.toString(16).padStart(2, '0')}`;
    else out += String.fromCharCode(byte);
  }
  return Buffer.from(out, 'latin1').toString('utf8');
}

/** fputs_quoted_json. */
function jsonString(text: string): string {
  let out = '"';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (c >= 0x20) out += ch;
    else if (ch === '\b') out += '\\b';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\r') out += '\\r';
    else out += `\\u${c.toString(16).padStart(4, '0')}`;
  }
  return `${out}"`;
}

function jsonValue(cell: Cell, type: JsonType): string {
  switch (type) {
    case 'boolean':
      return cell === null || cell === '' || cell.startsWith('0') || cell.startsWith('N') || cell.startsWith('n')
        ? 'false'
        : 'true';
    case 'number':
      return cell === null || cell === '' ? 'null' : cell;
    default:
      return cell === null || cell === '' ? 'null' : jsonString(cell);
  }
}

/** Display width: one per character (what losetup's ASCII data needs). */
function width(text: string): number {
  return [...text].length;
}

export function renderScols(
  columns: readonly ScolsColumn[],
  rows: readonly (readonly Cell[])[],
  options: ScolsOptions,
): string {
  if (options.json) {
    // Rows are written "      {" ... "      }", the next one right after a comma: "},{".
    let out = `{\n   "${options.name}": [\n`;
    rows.forEach((row, r) => {
      const lines = columns.map(
        (column, i) => `         ${jsonString(column.name.toLowerCase())}: ${jsonValue(row[i] ?? null, column.json)}`,
      );
      out += `${r === 0 ? '      {' : ',{'}\n${lines.join(',\n')}\n      }`;
    });
    return `${out}\n   ]\n}\n`;
  }
  // A table without lines prints nothing at all, not even its headings.
  if (rows.length === 0) return '';
  if (options.raw) {
    const lines: string[] = [];
    if (!options.noHeadings) lines.push(columns.map((c) => c.name).join(' '));
    for (const row of rows) lines.push(columns.map((_, i) => rawEncode(row[i] ?? '')).join(' '));
    return lines.map((l) => `${l}\n`).join('');
  }
  const widths = columns.map((column, i) => Math.max(width(column.name), ...rows.map((row) => width(row[i] ?? ''))));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => {
        const fill = ' '.repeat(widths[i]! - width(cell));
        if (columns[i]!.right) return fill + cell;
        return i === cells.length - 1 ? cell : cell + fill;
      })
      .join(' ');
  const lines: string[] = [];
  if (!options.noHeadings) lines.push(line(columns.map((c) => c.name)));
  for (const row of rows) lines.push(line(columns.map((_, i) => row[i] ?? '')));
  return lines.map((l) => `${l}\n`).join('');
}
