import type { SourcePosition } from './model.js';

export function formatPosition(position: SourcePosition): string {
  return `${position.file}:${position.line}:${position.col}`;
}
