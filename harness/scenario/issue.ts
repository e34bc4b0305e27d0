// A problem found on a node of a scenario file, named by its path in the data, before it is given
// a file:line:col. The checks (schema, semantics, process strings) produce these; the loader
// positions them on the YAML document.

export type Segment = string | number;
export type Path = readonly Segment[];

export interface Issue {
  readonly path: Path;
  /** 'key': the key naming the node (unknown keys, keys that do not belong); 'value': the node. */
  readonly at: 'key' | 'value';
  readonly message: string;
}

/** How a node is named in a message: "size", item 2 of "args", the file. */
export function label(path: Path): string {
  if (path.length === 0) return 'the file';
  const last = path[path.length - 1]!;
  if (typeof last === 'string') return JSON.stringify(last);
  return `item ${last + 1} of ${label(path.slice(0, -1))}`;
}

/** A path as a map key: two issues on the same node have the same key. */
export function pathKey(path: Path): string {
  return JSON.stringify(path);
}

/** "a", "a or b", "a, b or c". */
export function joinOr(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}
