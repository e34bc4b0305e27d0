// What the loader reads at most (spec/SCENARIOS.md §10.1). Each is far above what a scenario file
// needs (the largest in the kit: 8 KB, about 1,100 nodes, 13 levels deep) and low enough that no
// input can make the loader take more than a few seconds or a few hundred MB: past one, a file is
// refused with an error where the limit was passed, before the work it would cost.

/** Bytes in one scenario file (checked with fstat before it is read, and while reading). */
export const MAX_FILE_BYTES = 4 * 1024 * 1024;

/**
 * YAML nodes in one file: counted on the text before it is parsed (each scalar, alias, "[", "{",
 * "-" and ":" counts one), and again on the data with every alias expanded (each value counts one).
 */
export const MAX_NODES = 100_000;

/** Nesting levels of lists and maps, in the text and with aliases expanded. */
export const MAX_DEPTH = 100;

/** Aliases (`*name`) in one file. */
export const MAX_ALIASES = 10_000;

/** yaml's own bound on alias expansion (its `maxAliasCount`: uses of an anchor, weighted by the aliases inside it). */
export const MAX_ALIAS_EXPANSION = 1000;

/** Errors reported per file; the rest are counted ("... and N more"). */
export const MAX_ERRORS_PER_FILE = 100;
