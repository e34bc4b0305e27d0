// The limits of limits.ts, checked at the three points where input becomes work: on yaml's tokens
// before anything is parsed (parsing a 4 MB list costs seconds and a GB), on the parsed document
// before anything walks it recursively (depth, aliases that contain themselves), and on the data
// with its aliases expanded before it is validated. Every walk here is iterative and stops at the
// first limit passed.

import { CST, isAlias, isCollection, isPair, Lexer, type Alias, type Document } from 'yaml';
import { MAX_ALIASES, MAX_DEPTH, MAX_NODES } from './limits.js';

/** A limit passed, at an offset into the text. */
export interface LimitProblem {
  readonly offset: number;
  readonly message: string;
}

/** Token types that make (or may make, when empty) one node each. */
const NODE_TOKENS = new Set([
  'scalar',
  'single-quoted-scalar',
  'double-quoted-scalar',
  'alias',
  'flow-map-start',
  'flow-seq-start',
  'seq-item-ind',
  'explicit-key-ind',
  'map-value-ind',
]);

/** Before parsing: nodes, aliases and flow nesting, counted on yaml's own tokens. */
export function textLimitProblem(text: string): LimitProblem | undefined {
  let nodes = 0;
  let aliases = 0;
  let depth = 0;
  let offset = 0;
  let atScalar = false;
  for (const token of new Lexer().lex(text)) {
    // The token after a scalar marker is the scalar's text, whatever it looks like (as in yaml's Parser).
    if (atScalar) {
      atScalar = false;
      offset += token.length;
      continue;
    }
    const type = CST.tokenType(token);
    if (type !== null && NODE_TOKENS.has(type) && ++nodes > MAX_NODES) {
      return { offset, message: `more than ${MAX_NODES} YAML nodes: a scenario file may hold at most ${MAX_NODES}` };
    }
    if (type === 'alias' && ++aliases > MAX_ALIASES) {
      return { offset, message: `more than ${MAX_ALIASES} aliases: a scenario file may use at most ${MAX_ALIASES}` };
    }
    if ((type === 'flow-map-start' || type === 'flow-seq-start') && ++depth > MAX_DEPTH) return tooDeep(offset);
    if (type === 'flow-map-end' || type === 'flow-seq-end') depth = Math.max(0, depth - 1);
    // The marker and these two stand for no text (yaml's Parser does not advance on them either).
    if (type === 'scalar') atScalar = true;
    else if (type === 'flow-error-end') depth = 0;
    else if (type !== 'doc-mode') offset += token.length;
  }
  return undefined;
}

/**
 * After parsing: nesting depth, and aliases that stand inside their own anchor (their value would
 * contain itself, which no walk of it ends). Returns what each alias stands for, resolved once as
 * yaml does (the last node with that anchor before the alias), so that later lookups are O(1).
 */
export function documentLimitProblem(doc: Document.Parsed): {
  problem?: LimitProblem;
  aliases: Map<Alias, unknown>;
} {
  const aliases = new Map<Alias, unknown>();
  const anchors = new Map<string, unknown>();
  // Pre-order, as yaml's visit (and so Alias.resolve) orders nodes; `ancestors` holds the open collections.
  const stack: { node: unknown; depth: number }[] = [{ node: doc.contents, depth: 0 }];
  const open: unknown[] = [];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    open.length = depth;
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (target !== undefined && open.includes(target)) {
        return {
          problem: { offset: start(node), message: `alias *${node.source} is inside its own anchor &${node.source}` },
          aliases,
        };
      }
      aliases.set(node, target);
      continue;
    }
    const anchor = (node as { anchor?: unknown } | null)?.anchor;
    if (typeof anchor === 'string') anchors.set(anchor, node);
    if (isPair(node)) {
      stack.push({ node: node.value, depth }, { node: node.key, depth });
    } else if (isCollection(node)) {
      if (depth + 1 > MAX_DEPTH) return { problem: tooDeep(start(node)), aliases };
      open.push(node);
      for (let i = node.items.length - 1; i >= 0; i--) stack.push({ node: node.items[i], depth: depth + 1 });
    }
  }
  return { aliases };
}

/** After converting to data: values and depth with every alias expanded (the validator walks that). */
export function dataLimitProblem(data: unknown): string | undefined {
  let nodes = 0;
  const stack: { value: unknown; depth: number }[] = [{ value: data, depth: 0 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    if (++nodes > MAX_NODES) {
      return `more than ${MAX_NODES} values once aliases are expanded: a scenario file may hold at most ${MAX_NODES}`;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth + 1 > MAX_DEPTH) {
      return `nested more than ${MAX_DEPTH} levels deep once aliases are expanded: a scenario file may nest at most ${MAX_DEPTH}`;
    }
    for (const item of Object.values(value)) stack.push({ value: item, depth: depth + 1 });
  }
  return undefined;
}

function tooDeep(offset: number): LimitProblem {
  return {
    offset,
    message: `nested more than ${MAX_DEPTH} levels deep: a scenario file may nest at most ${MAX_DEPTH}`,
  };
}

function start(node: unknown): number {
  return (node as { range?: [number, number, number] } | null)?.range?.[0] ?? 0;
}
