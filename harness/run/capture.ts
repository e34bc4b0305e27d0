// Keeps a stream's first and last bytes and counts the rest, so a script that prints gigabytes
// costs bounded memory and the report still shows how its output began and ended.

import type { CapturedStream } from './result.js';

export const HEAD_BYTES = 256 * 1024;
export const TAIL_BYTES = 64 * 1024;

export class BoundedCapture {
  private readonly head: Buffer;
  private headLength = 0;
  private readonly tail: Buffer;
  private tailStart = 0; // ring buffer: next write position
  private tailLength = 0;
  private total = 0;

  constructor(
    private readonly headLimit = HEAD_BYTES,
    private readonly tailLimit = TAIL_BYTES,
  ) {
    this.head = Buffer.alloc(headLimit);
    this.tail = Buffer.alloc(tailLimit);
  }

  write(chunk: Uint8Array): void {
    this.total += chunk.length;
    let rest = chunk;
    if (this.headLength < this.headLimit) {
      const take = Math.min(this.headLimit - this.headLength, rest.length);
      this.head.set(rest.subarray(0, take), this.headLength);
      this.headLength += take;
      rest = rest.subarray(take);
    }
    if (rest.length === 0 || this.tailLimit === 0) return;
    if (rest.length >= this.tailLimit) {
      this.tail.set(rest.subarray(rest.length - this.tailLimit));
      this.tailStart = 0;
      this.tailLength = this.tailLimit;
      return;
    }
    const first = Math.min(rest.length, this.tailLimit - this.tailStart);
    this.tail.set(rest.subarray(0, first), this.tailStart);
    this.tail.set(rest.subarray(first), 0);
    this.tailStart = (this.tailStart + rest.length) % this.tailLimit;
    this.tailLength = Math.min(this.tailLimit, this.tailLength + rest.length);
  }

  result(): CapturedStream {
    const head = Buffer.from(this.head.subarray(0, this.headLength));
    const tail =
      this.tailLength < this.tailLimit
        ? Buffer.from(this.tail.subarray(0, this.tailLength))
        : Buffer.concat([this.tail.subarray(this.tailStart), this.tail.subarray(0, this.tailStart)]);
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
