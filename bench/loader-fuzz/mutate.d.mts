// Types of mutate.mjs, for the fuzz test (test/scenario-fuzz.test.ts).

export interface CorpusFile {
  /** The path below the repository root. */
  readonly name: string;
  readonly bytes: Buffer;
}

export interface Mutant {
  /** The corpus file it started from. */
  readonly from: string;
  /** The mutations applied, in order. */
  readonly kinds: readonly string[];
  readonly bytes: Buffer;
}

export function corpus(root: string): CorpusFile[];
export function seededRandom(seed: number): () => number;
export const KINDS: readonly string[];
export const MUTATIONS: Readonly<
  Record<string, (bytes: Buffer, random: () => number, others: readonly Buffer[]) => Buffer>
>;
export function mutant(files: readonly CorpusFile[], seed: number, index: number): Mutant;
