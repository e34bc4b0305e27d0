// Duplicate keys in the maps of a YAML document, found in one pass. yaml's own check (its
// `uniqueKeys` option) compares each key with every earlier key of its map: 20,000 keys took
// seconds. This keeps yaml's rule (scalar keys equal by value; merge keys "<<" and collection keys
// never duplicates) with one hash lookup per key.

import { isCollection, isMap, isPair, isScalar, type Document } from 'yaml';

export interface DuplicateKey {
  /** Where the repeated key starts. */
  readonly offset: number;
  readonly name: string;
  /** Where the same key first appears in its map. */
  readonly firstOffset: number;
}

export function duplicateKeys(doc: Document.Parsed): DuplicateKey[] {
  const found: DuplicateKey[] = [];
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isPair(node)) {
      stack.push(node.value, node.key);
      continue;
    }
    if (!isCollection(node)) continue;
    if (isMap(node)) {
      const first = new Map<unknown, number>();
      for (const pair of node.items) {
        const key = pair.key;
        if (!isScalar(key) || typeof key.value === 'symbol' || Number.isNaN(key.value)) continue;
        const offset = key.range?.[0] ?? 0;
        const earlier = first.get(key.value);
        if (earlier === undefined) first.set(key.value, offset);
        else found.push({ offset, name: String(key.value), firstOffset: earlier });
      }
    }
    for (let i = node.items.length - 1; i >= 0; i--) stack.push(node.items[i]);
  }
  return found;
}
