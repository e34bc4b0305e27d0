// Positions in a parsed scenario file: the YAML document walked by a data path (["scenarios", 0,
// "steps", 2]) to the node, its key and their file:line:col, following aliases and "<<" merges as
// yaml does. The checks name problems by path (issue.ts); this module places them in the file.

import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type Alias,
  type Document,
  type LineCounter,
  type Pair,
  type YAMLMap,
} from 'yaml';
import type { SourcePosition } from './model.js';
import type { Path } from './issue.js';

/** One parsed file: its text, its YAML document, and where each path of its data is written. */
export class YamlSource {
  constructor(
    readonly file: string,
    readonly text: string,
    readonly doc: Document.Parsed,
    readonly lines: LineCounter,
    /** What each alias stands for (bounds.ts resolves them all in one pass, as yaml does). */
    private readonly aliases: ReadonlyMap<Alias, unknown>,
  ) {}

  /** Per map: its own keys by name (the first of each) and its merge ("<<") pairs, built when first looked up. */
  private readonly keyIndex = new WeakMap<YAMLMap, { own: Map<string, Pair>; merges: Pair[] }>();

  positionAt(offset: number): SourcePosition {
    const { line, col } = this.lines.linePos(Math.max(0, Math.min(offset, this.text.length)));
    return { file: this.file, line, col };
  }

  /** Follows aliases to the node they stand for. */
  private deref(node: unknown): unknown {
    let current = node;
    for (let hops = 0; isAlias(current) && hops < 100; hops++) current = this.aliases.get(current);
    return current;
  }

  /** The pair for `name` in a map: its own keys first, then what `<<` merges in, as yaml does. */
  private lookup(map: YAMLMap, name: string, depth = 0): { key: unknown; value: unknown } | undefined {
    const index = this.indexOf(map);
    const own = index.own.get(name);
    if (own) return { key: own.key, value: own.value };
    if (depth > 20) return undefined;
    for (const pair of index.merges) {
      const merged = this.deref(pair.value);
      const sources = isSeq(merged) ? merged.items.map((item) => this.deref(item)) : [merged];
      for (const source of sources) {
        if (!isMap(source)) continue;
        const found = this.lookup(source, name, depth + 1);
        if (found) return found;
      }
    }
    return undefined;
  }

  private indexOf(map: YAMLMap): { own: Map<string, Pair>; merges: Pair[] } {
    let index = this.keyIndex.get(map);
    if (!index) {
      index = { own: new Map(), merges: [] };
      for (const pair of map.items) {
        if (isScalar(pair.key) && typeof pair.key.value === 'symbol') index.merges.push(pair);
        else {
          const name = String(isScalar(pair.key) ? pair.key.value : pair.key);
          if (!index.own.has(name)) index.own.set(name, pair);
        }
      }
      this.keyIndex.set(map, index);
    }
    return index;
  }

  /** The node at `path` (or the deepest one that exists) and the key that names it. */
  find(path: Path): { node: unknown; key: unknown; complete: boolean } {
    let node: unknown = this.doc.contents;
    let key: unknown;
    for (const segment of path) {
      const container = this.deref(node);
      let next: { key: unknown; value: unknown } | undefined;
      if (isMap(container)) next = this.lookup(container, String(segment));
      else if (isSeq(container) && typeof segment === 'number' && segment < container.items.length) {
        next = { key: undefined, value: container.items[segment] };
      }
      if (!next) return { node, key, complete: false };
      node = next.value;
      key = next.key;
    }
    return { node, key, complete: true };
  }

  positionOf(path: Path, at: 'key' | 'value'): SourcePosition {
    const { node, key, complete } = this.find(path);
    const start = (n: unknown): number | undefined => (n as { range?: [number, number, number] } | null)?.range?.[0];
    if (complete && at === 'key' && start(key) !== undefined) return this.positionAt(start(key)!);
    // `key:` with nothing after it: point at the key, not at the empty space after the colon.
    if (isScalar(node) && node.value === null && !node.source && start(key) !== undefined) {
      return this.positionAt(start(key)!);
    }
    const offset = start(node) ?? start(key);
    return offset === undefined ? this.positionAt(0) : this.positionAt(offset);
  }

  /** Offsets of `<<` values that are not maps (yaml would throw on them while converting). */
  badMergeSources(): number[] {
    const bad: number[] = [];
    const seen = new Set<unknown>();
    const visit = (node: unknown): void => {
      if (seen.has(node)) return;
      seen.add(node);
      if (isMap(node)) {
        for (const pair of node.items) {
          if (isScalar(pair.key) && typeof pair.key.value === 'symbol') {
            const value = this.deref(pair.value);
            const sources = isSeq(value) ? value.items.map((item) => this.deref(item)) : [value];
            if (!sources.every((item) => isMap(item))) {
              bad.push((pair.value as { range?: number[] } | null)?.range?.[0] ?? pair.key.range?.[0] ?? 0);
            }
          }
          visit(pair.key);
          visit(pair.value);
        }
      } else if (isSeq(node)) {
        for (const item of node.items) visit(item);
      }
    };
    visit(this.doc.contents);
    return bad;
  }

  /** The text of a plain (unquoted) scalar as written, e.g. "2.10" where the value is 2.1. */
  plainText(path: Path): string | undefined {
    const { node, complete } = this.find(path);
    const scalar = this.deref(node);
    if (!complete || !isScalar(scalar) || scalar.type !== 'PLAIN' || typeof scalar.source !== 'string')
      return undefined;
    return scalar.source;
  }

  /** Whether the node at `path` is an empty value (`key:` with nothing after it). */
  isEmptyValue(path: Path): boolean {
    const { node, complete } = this.find(path);
    return complete && isScalar(node) && node.value === null && !node.source;
  }
}
