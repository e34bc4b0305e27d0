// ajv reports a oneOf/anyOf failure on a node along with every error of every alternative below
// it; the loader's SchemaErrors decides, per alternative node, which of those to keep. This tree
// files each error once under every alternative on its path, so that decision costs the errors
// under the node, not every error of the file (20,000 unknown keys took seconds when it did).

import type { Path, Segment } from './issue.js';

/** The paths of oneOf/anyOf errors as a tree, each node holding the errors at or below it. */
export class AlternativeTree<T> {
  private readonly root: AlternativeNode<T> = { children: new Map(), under: [], alternative: false, absorbed: false };

  add(path: Path): void {
    let node = this.root;
    for (const segment of path) {
      let child = node.children.get(segment);
      if (!child) {
        child = { children: new Map(), under: [], alternative: false, absorbed: false };
        node.children.set(segment, child);
      }
      node = child;
    }
    node.alternative = true;
  }

  /** Files `item` under every alternative on its path. */
  file(path: Path, item: T): void {
    let node: AlternativeNode<T> | undefined = this.root;
    if (node.alternative) node.under.push(item);
    for (const segment of path) {
      node = node.children.get(segment);
      if (!node) return;
      if (node.alternative) node.under.push(item);
    }
  }

  under(path: Path): T[] {
    return this.node(path)?.under ?? [];
  }

  absorb(path: Path): void {
    const node = this.node(path);
    if (node) node.absorbed = true;
  }

  /** Whether an alternative at `path` or above it has been reported as a whole. */
  absorbedAt(path: Path): boolean {
    let node: AlternativeNode<T> | undefined = this.root;
    if (node.absorbed) return true;
    for (const segment of path) {
      node = node.children.get(segment);
      if (!node) return false;
      if (node.absorbed) return true;
    }
    return false;
  }

  private node(path: Path): AlternativeNode<T> | undefined {
    let node: AlternativeNode<T> | undefined = this.root;
    for (const segment of path) node = node?.children.get(segment);
    return node;
  }
}

interface AlternativeNode<T> {
  readonly children: Map<Segment, AlternativeNode<T>>;
  readonly under: T[];
  alternative: boolean;
  absorbed: boolean;
}
