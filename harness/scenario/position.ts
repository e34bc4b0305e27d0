import { displayPath } from '../text/display-path.js';
import type { SourcePosition } from './model.js';

/** `file:line:col`, the file printed safely (display-path.ts). */
export function formatPosition(position: SourcePosition): string {
  return `${displayPath(position.file)}:${position.line}:${position.col}`;
}
