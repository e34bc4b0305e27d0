// Masking for `extstorage-kit record --mask REGEX`: every match becomes "***" in the written
// scenario, and where the scenario must still match what the provider does on replay (stub
// arguments, expected output), the masked text becomes an anchored regex in which each masked
// part matches anything.

export interface Mask {
  /** Compiled with the g flag. */
  readonly pattern: RegExp;
  /** What a match is written as: "***" for --mask. */
  readonly label: string;
}

export const MASK_LABEL = '***';

/** What a masked part matches in the regexes written: any text, newlines included, as little as possible. */
export const MASKED_PART_REGEX = '[\\s\\S]*?';

/** Compiles --mask values; throws with JavaScript's reason for one that is not a regex. */
export function compileMasks(sources: readonly string[]): Mask[] {
  return sources.map((source) => {
    try {
      return { pattern: new RegExp(source, 'g'), label: MASK_LABEL };
    } catch (error) {
      throw new Error(
        `--mask ${JSON.stringify(source)}: ${(error as Error).message.replace(/^Invalid regular expression: \/[\s\S]*\/[a-z]*: /, '')}`,
        { cause: error },
      );
    }
  });
}

/** A text with every match of the masks replaced by its label. */
export interface MaskedText {
  /** The text as written: each masked part replaced by its label. */
  readonly text: string;
  /** The text around the masked parts, in order: parts.length - 1 parts were masked. */
  readonly parts: readonly string[];
  readonly masked: boolean;
}

/** A mask that hides a fixed string (such as a temporary directory), written as `label`. */
export function literalMask(text: string, label: string): Mask {
  return { pattern: new RegExp(escapeRegex(text), 'g'), label };
}

/**
 * Applies every mask to `text`: the matches of all masks (empty matches ignored) are merged where
 * they overlap or touch, and each merged part is replaced by one label ("***" when a --mask match
 * is part of it).
 */
export function maskText(text: string, masks: readonly Mask[]): MaskedText {
  const ranges: { start: number; end: number; label: string }[] = [];
  for (const mask of masks) {
    mask.pattern.lastIndex = 0;
    for (const match of text.matchAll(mask.pattern)) {
      if (match[0].length === 0) continue;
      ranges.push({ start: match.index, end: match.index + match[0].length, label: mask.label });
    }
  }
  if (ranges.length === 0) return { text, parts: [text], masked: false };
  ranges.sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: { start: number; end: number; label: string }[] = [];
  for (const range of ranges) {
    const last = merged[merged.length - 1];
    if (last !== undefined && range.start <= last.end) {
      last.end = Math.max(last.end, range.end);
      if (range.label === MASK_LABEL) last.label = MASK_LABEL;
    } else {
      merged.push({ ...range });
    }
  }
  const parts: string[] = [];
  let written = '';
  let at = 0;
  for (const range of merged) {
    parts.push(text.slice(at, range.start));
    written += text.slice(at, range.start) + range.label;
    at = range.end;
  }
  parts.push(text.slice(at));
  written += text.slice(at);
  return { text: written, parts, masked: true };
}

/**
 * `text` as a regex source that matches exactly it: regex syntax escaped, and every character that
 * is not printable on one line written as an escape (\n, \t, \xNN, \uNNNN), so the source stays one
 * readable line.
 */
export function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]|[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    const code = c.charCodeAt(0);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return `\\x${code.toString(16).padStart(2, '0')}`;
    if (code >= 0x2028) return `\\u${code.toString(16).padStart(4, '0')}`;
    return `\\${c}`;
  });
}

/** The whole text as a regex: ^...$, the unmasked parts literal, each masked part matching anything. */
export function anchoredRegex(masked: MaskedText): string {
  return `^${masked.parts.map(escapeRegex).join(MASKED_PART_REGEX)}$`;
}
