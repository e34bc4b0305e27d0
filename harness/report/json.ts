// --json FILE: the whole RunSummary (../run/result.ts) as JSON, nothing left out. Its shape:
//
// {
//   "provider": string, "passed": n, "failed": n, "skipped": n, "notRun": n, "durationMs": n,
//   "results": [                                   // stable order: file, then index in the file
//     { "file", "name", "index", "position": { "file", "line", "col" },
//       "status": "pass" | "fail" | "skip", "skipReason"?, "durationMs", "sandbox"?,
//       "isolation"?: { "level": "bwrap" | "unshare" | "none", "notContained": [string],
//                       "hostCommands": [string], "killed": [ { "pid", "command", "after" } ] },
//       "failures": [ { "message", "expected"?, "actual"? } ],          // outside any step
//       "steps": [
//         { "index", "action", "label", "position", "status": "pass" | "fail",
//           "failures": [ { "message", "expected"?, "actual"? } ],
//           "compatibility"?: [ { "ganeti": "2.12", "ok": false } ],    // attach steps
//           "runs": [
//             { "exitCode": n | null, "signal": string | null, "durationMs",
//               "fault"?: { "kind": "timeout", "seconds" } | { "kind": "lingering", "stream" }
//                       | { "kind": "spawn", "message" } | { "kind": "killed", "call", "when" },
//               "stdout": STREAM, "stderr": STREAM,
//               "calls": [ { "command", "argv": [..], "env": {..}, "entry": n | null, "exit": n } ],
//               "env": { NAME: value } } ] } ] } ] }
//
// STREAM = { "head": string, "headBase64": string, "tail": string, "tailBase64": string,
//            "totalBytes": n, "droppedBytes": n }
// head and tail are the kept bytes decoded as UTF-8 with U+FFFD for ill-formed sequences (each
// decoded on its own, so a character cut between them shows as U+FFFD); the *Base64 fields hold
// the exact bytes. Generally, any byte array becomes text plus a "<name>Base64" field, a regular
// expression its source string, and undefined fields are left out.

import type { RunSummary } from '../run/result.js';
import { decode } from './format.js';
import type { Reporter } from '../run/events.js';
import { writeReportFile } from './output.js';

export class JsonReporter implements Reporter {
  constructor(private readonly path: string) {}

  start(): void {}
  scenarioStarted(): void {}
  scenarioFinished(): void {}

  async finish(summary: RunSummary): Promise<void> {
    await writeReportFile(this.path, jsonDocument(summary));
  }
}

/** The JSON report; `extra` adds top-level fields after the summary's (test's "conformance"). */
export function jsonDocument(summary: RunSummary, extra: Readonly<Record<string, unknown>> = {}): string {
  const document = { ...(toJsonValue(summary) as Record<string, unknown>), ...(toJsonValue(extra) as object) };
  return `${JSON.stringify(document, null, 2)}\n`;
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** A plain JSON value for anything the result model holds (see the comment at the top). */
export function toJsonValue(value: unknown, seen = new Set<object>()): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object') return undefined; // undefined, functions, symbols
  if (value instanceof Uint8Array) return { text: decode(value), base64: base64(value) };
  if (value instanceof RegExp) return value.source;
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  try {
    if (Array.isArray(value) || value instanceof Set) return [...value].map((v) => toJsonValue(v, seen) ?? null);
    const entries =
      value instanceof Map ? [...value.entries()].map(([k, v]) => [String(k), v] as const) : Object.entries(value);
    const out: Record<string, unknown> = {};
    for (const [key, v] of entries) {
      if (v instanceof Uint8Array) {
        out[key] = decode(v);
        out[`${key}Base64`] = base64(v);
        continue;
      }
      const converted = toJsonValue(v, seen);
      if (converted !== undefined) out[key] = converted;
    }
    return out;
  } finally {
    seen.delete(value);
  }
}
