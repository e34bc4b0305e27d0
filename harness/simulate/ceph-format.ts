// How Ceph 16 (Pacific) prints things, re-done byte for byte: the JSON and XML Formatters
// (common/Formatter.cc, with rbd's enable_line_break() when not pretty), TextTable (two spaces
// between columns, every cell padded), byte_u_t ("1 GiB", "1.5 GiB"), ctime() timestamps and the
// prefix of log lines ("2024-01-01T00:00:00.000+0000 7f3c9d7fa380 -1 ").

import { randomBytes } from 'node:crypto';

// ---------------------------------------------------------------------------------------------
// Formatter

/** The calls rbd makes on a ceph::Formatter, rendered as JSON or XML. */
export interface CephFormatter {
  openObject(name: string): void;
  openArray(name: string): void;
  close(): void;
  dumpString(name: string, value: string): void;
  dumpNumber(name: string, value: number): void;
  dumpBool(name: string, value: boolean): void;
  /** Everything written, as `flush(std::cout)` prints it. */
  flush(): string;
}

/** common/escape.cc escape_json_attr: quote, backslash, tab, newline, other controls as \u00XX. */
function escapeJson(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (c < 0x20 || c === 0x7f) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out;
}

/** xml_stream_escaper: entities for < & > ' ", control characters (but tab and newline) as &#xNN;. */
function escapeXml(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '<') out += '&lt;';
    else if (ch === '&') out += '&amp;';
    else if (ch === '>') out += '&gt;';
    else if (ch === "'") out += '&apos;';
    else if (ch === '"') out += '&quot;';
    else if ((c < 0x20 && c !== 0x09 && c !== 0x0a) || c === 0x7f) out += `&#x${c.toString(16).padStart(2, '0')};`;
    else out += ch;
  }
  return out;
}

/** JSONFormatter: keys are written as given (not escaped), 4 spaces per level when pretty. */
class JsonFormatter implements CephFormatter {
  private text = '';
  private readonly stack: { isArray: boolean; size: number }[] = [];

  constructor(private readonly pretty: boolean) {}

  private indent(): string {
    return '    '.repeat(Math.max(0, this.stack.length - 1));
  }

  private printComma(entry: { isArray: boolean; size: number }): void {
    if (entry.size) {
      this.text += this.pretty ? `,\n${this.indent()}` : ',';
    } else if (this.pretty) {
      this.text += `\n${this.indent()}`;
    }
    if (this.pretty && entry.isArray) this.text += '    ';
  }

  private printName(name: string): void {
    const entry = this.stack[this.stack.length - 1];
    if (entry === undefined) return;
    this.printComma(entry);
    if (!entry.isArray) {
      if (this.pretty) this.text += '    ';
      this.text += `"${name}"${this.pretty ? ': ' : ':'}`;
    }
    entry.size += 1;
  }

  private open(name: string, isArray: boolean): void {
    this.printName(name);
    this.text += isArray ? '[' : '{';
    this.stack.push({ isArray, size: 0 });
  }

  openObject(name: string): void {
    this.open(name, false);
  }

  openArray(name: string): void {
    this.open(name, true);
  }

  close(): void {
    const entry = this.stack[this.stack.length - 1]!;
    if (this.pretty && entry.size) this.text += `\n${this.indent()}`;
    this.text += entry.isArray ? ']' : '}';
    this.stack.pop();
    if (this.pretty && this.stack.length === 0) this.text += '\n';
  }

  dumpString(name: string, value: string): void {
    this.printName(name);
    this.text += `"${escapeJson(value)}"`;
  }

  dumpNumber(name: string, value: number): void {
    this.printName(name);
    this.text += String(value);
  }

  dumpBool(name: string, value: boolean): void {
    this.printName(name);
    this.text += value ? 'true' : 'false';
  }

  flush(): string {
    return this.pretty ? this.text : `${this.text}\n`;
  }
}

/** XMLFormatter(pretty, lowercased=false, underscored=true): one space per level when pretty. */
class XmlFormatter implements CephFormatter {
  private text = '';
  private readonly sections: string[] = [];

  constructor(private readonly pretty: boolean) {}

  private spaces(): void {
    if (this.pretty) this.text += ' '.repeat(this.sections.length);
  }

  private element(name: string): string {
    return name.replace(/ /g, '_');
  }

  private open(name: string): void {
    this.spaces();
    const e = this.element(name);
    this.text += `<${e}>`;
    if (this.pretty) this.text += '\n';
    this.sections.push(e);
  }

  openObject(name: string): void {
    this.open(name);
  }

  openArray(name: string): void {
    this.open(name);
  }

  close(): void {
    const section = this.sections.pop()!;
    this.spaces();
    this.text += `</${section}>`;
    if (this.pretty) this.text += '\n';
  }

  private value(name: string, raw: string): void {
    const e = this.element(name);
    this.spaces();
    this.text += `<${e}>${raw}</${e}>`;
    if (this.pretty) this.text += '\n';
  }

  dumpString(name: string, value: string): void {
    this.value(name, escapeXml(value));
  }

  dumpNumber(name: string, value: number): void {
    this.value(name, String(value));
  }

  dumpBool(name: string, value: boolean): void {
    this.value(name, value ? 'true' : 'false');
  }

  flush(): string {
    if (this.pretty && this.text !== '') return `${this.text}\n`;
    return this.pretty ? this.text : `${this.text}\n`;
  }
}

export function createFormatter(format: 'json' | 'xml', pretty: boolean): CephFormatter {
  return format === 'json' ? new JsonFormatter(pretty) : new XmlFormatter(pretty);
}

// ---------------------------------------------------------------------------------------------
// TextTable

export type Align = 'left' | 'right';

/**
 * common/TextTable: columns as wide as their widest cell or heading, "  " between them.
 *
 * `spaceAfterEach` is the older layout (Ceph 12 "Luminous", common/TextTable.cc before
 * column_separation was added in 13): every cell, the last one too, is followed by one space, so
 * each line ends with a space. Seen in Luminous' src/test/cli-integration/rbd/unmap.t
 * ("id pool image snap device    ").
 */
export class TextTable {
  private readonly columns: { heading: string; width: number; headAlign: Align; cellAlign: Align }[] = [];
  private readonly rows: string[][] = [];

  constructor(private readonly spaceAfterEach = false) {}

  define(heading: string, headAlign: Align, cellAlign: Align): void {
    this.columns.push({ heading, width: heading.length, headAlign, cellAlign });
  }

  row(...cells: (string | number)[]): void {
    const texts = cells.map(String);
    texts.forEach((text, i) => {
      const column = this.columns[i]!;
      column.width = Math.max(column.width, Buffer.byteLength(text));
    });
    this.rows.push(texts);
  }

  private static pad(text: string, width: number, align: Align): string {
    const fill = ' '.repeat(Math.max(0, width - Buffer.byteLength(text)));
    return align === 'left' ? text + fill : fill + text;
  }

  render(): string {
    const line = (cells: string[], header: boolean) =>
      cells
        .map((cell, i) =>
          TextTable.pad(cell, this.columns[i]!.width, header ? this.columns[i]!.headAlign : this.columns[i]!.cellAlign),
        )
        .map((cell) => (this.spaceAfterEach ? `${cell} ` : cell))
        .join(this.spaceAfterEach ? '' : '  ');
    let out = `${line(
      this.columns.map((c) => c.heading),
      true,
    )}\n`;
    for (const row of this.rows) out += `${line(row, false)}\n`;
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Numbers, times, log lines

/** include/types.h byte_u_t: "512 B", "1 GiB", "1.5 GiB" (at most 7 characters when fractional). */
export function byteU(bytes: number): string {
  const units = [' B', ' KiB', ' MiB', ' GiB', ' TiB', ' PiB', ' EiB'];
  let n = bytes;
  let index = 0;
  while (n >= 1024 && index < 6) {
    n = Math.floor(n / 1024);
    index++;
  }
  const unit = units[index]!;
  const mult = 2 ** (10 * index);
  if (index === 0 || bytes % mult === 0) return `${n}${unit}`;
  for (let digits = 2; digits >= 0; digits--) {
    const text = `${printfFixed(bytes / mult, digits)}${unit}`;
    if (text.length <= 7 || digits === 0) return text;
  }
  return `${n}${unit}`;
}

/**
 * Ceph 12's include/types.h prettybyte_t (replaced by byte_u_t in 13): the largest unit the value
 * exceeds 100 of, truncated: "1024 MB", "4096 kB", "512 bytes" (rbd info in Luminous).
 */
export function prettyByte(bytes: number): string {
  return bump(bytes, [' bytes', ' kB', ' MB', ' GB', ' TB', ' PB', ' EB']);
}

/** Ceph 12's include/types.h si_t (rbd ls -l sizes in Luminous): "1024M", "4096k", "512". */
export function siSize(bytes: number): string {
  return bump(bytes, ['', 'k', 'M', 'G', 'T', 'P', 'E']);
}

/** The shared rule of prettybyte_t and si_t: `if (v > 100 << (10 * i)) return v >> (10 * i)`, largest i first. */
function bump(bytes: number, units: readonly string[]): string {
  for (let index = units.length - 1; index > 0; index--) {
    if (bytes > 100 * 2 ** (10 * index)) return `${Math.floor(bytes / 2 ** (10 * index))}${units[index]}`;
  }
  return `${bytes}${units[0]}`;
}

/** printf("%.*f"): like toFixed, but exact ties round to even, as glibc does. */
export function printfFixed(value: number, digits: number): string {
  const scale = 10 ** digits;
  const scaled = value * scale;
  const floor = Math.floor(scaled);
  const fraction = scaled - floor;
  const rounded = fraction === 0.5 ? (floor % 2 === 0 ? floor : floor + 1) : Math.round(scaled);
  if (digits === 0) return String(rounded);
  const text = String(rounded).padStart(digits + 1, '0');
  return `${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** ctime() without its newline, in local time: "Thu Jan  7 10:16:42 2021". */
export function ctime(seconds: number): string {
  const d = new Date(seconds * 1000);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${d.getFullYear()}`;
}

const THREAD_ID = `7f${randomBytes(5).toString('hex')}`;

/** The start of a Ceph log line written to stderr: local time, thread id, level. */
export function logPrefix(level: number): string {
  const d = new Date();
  const two = (n: number) => String(n).padStart(2, '0');
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const zone = `${sign}${two(Math.floor(Math.abs(offset) / 60))}${two(Math.abs(offset) % 60)}`;
  const stamp = `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}${zone}`;
  return `${stamp} ${THREAD_ID} ${String(level).padStart(2, ' ')} `;
}

/** A librbd object address in log lines ("0x55d5f7c1a7e0"). */
export function fakePointer(): string {
  return `0x55${randomBytes(5).toString('hex')}`;
}
