// What the executables the harness writes into a sandbox (stubs, simulators, spies, pass-throughs)
// share: their interpreter line, and where the compiled module they load is.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The interpreter line: this very node, unless its path cannot stand in a #! line. */
export function nodeShebang(): string {
  return /^[^\s]+$/.test(process.execPath) ? `#!${process.execPath}` : '#!/usr/bin/env node';
}

/**
 * The compiled module `file` (e.g. "./rbd.js") next to the caller when it runs from dist/, else
 * (sources run directly, as in tests) its copy `distFile` in dist/, relative to the caller.
 */
export function compiledModule(callerUrl: string, file: string, distFile: string): string {
  const candidates = [new URL(file, callerUrl), new URL(distFile, callerUrl)];
  return (candidates.find((url) => existsSync(fileURLToPath(url))) ?? candidates[0]!).href;
}
