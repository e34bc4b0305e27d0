// Keeps a stream's first and last bytes and counts the rest, so a script that prints gigabytes
// costs bounded memory and the report still shows how its output began and ended. Nothing is
// allocated up front: most scripts print a few bytes, and every byte the harness holds makes the
// next fork() slower.

import type { CapturedStream } from './result.js';

export const HEAD_BYTES = 256 * 1024;
export const TAIL_BYTES = 64 * 1024;

export class BoundedCapture {
  private readonly headChunks: Uint8Array[] = [];
  private headLength = 0;
  /** A ring buffer, created on the first byte past the head. */
  private tail: Buffer | null = null;
  private tailStart = 0; // next write position
  private tailLength = 0;
  private total = 0;

  constructor(
    private readonly headLimit = HEAD_BYTES,
    private readonly tailLimit = TAIL_BYTES,
  ) {}

  write(chunk: Uint8Array): void {
    this.total += chunk.length;
    let rest = chunk;
    if (this.headLength < this.headLimit) {
      const take = Math.min(this.headLimit - this.headLength, rest.length);
      this.headChunks.push(rest.subarray(0, take));
      this.headLength += take;
      rest = rest.subarray(take);
    }
    if (rest.length === 0 || this.tailLimit === 0) return;
    const tail = (this.tail ??= Buffer.alloc(this.tailLimit));
    if (rest.length >= this.tailLimit) {
      tail.set(rest.subarray(rest.length - this.tailLimit));
      this.tailStart = 0;
      this.tailLength = this.tailLimit;
      return;
    }
    const first = Math.min(rest.length, this.tailLimit - this.tailStart);
    tail.set(rest.subarray(0, first), this.tailStart);
    tail.set(rest.subarray(first), 0);
    this.tailStart = (this.tailStart + rest.length) % this.tailLimit;
    this.tailLength = Math.min(this.tailLimit, this.tailLength + rest.length);
  }

  result(): CapturedStream {
    const head = Buffer.concat(this.headChunks, this.headLength);
    let tail: Buffer;
    if (this.tail === null) tail = Buffer.alloc(0);
    else if (this.tailLength < this.tailLimit) tail = Buffer.from(this.tail.subarray(0, this.tailLength));
    else tail = Buffer.concat([this.tail.subarray(this.tailStart), this.tail.subarray(0, this.tailStart)]);
    return { head, tail, totalBytes: this.total, droppedBytes: this.total - head.length - tail.length };
  }
}

/** The whole stream when nothing was dropped; otherwise null. */
export function completeBytes(stream: CapturedStream): Uint8Array | null {
  return stream.droppedBytes === 0 ? Buffer.concat([stream.head, stream.tail]) : null;
}

const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** The stream as text for messages: lossy UTF-8, with the gap named when bytes were dropped. */
export function streamText(stream: CapturedStream): string {
  if (stream.droppedBytes === 0) return decoder.decode(Buffer.concat([stream.head, stream.tail]));
  return `${decoder.decode(stream.head)}\n[... ${stream.droppedBytes} bytes not kept ...]\n${decoder.decode(stream.tail)}`;
}
