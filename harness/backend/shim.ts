// The executable a stubbed or simulated command gets in the sandbox: a POSIX sh script that hands
// the call to the harness's server (command-server.ts) and relays the answer byte for byte. Only
// sh and coreutils (cat; mktemp and mkfifo when no slot is free; by absolute path), as on a Ganeti
// node: no node process per call.
//
// The call's folder, inside the sandbox so that it works under every isolation level, is one of
// the slots the server made ahead, claimed by an exclusive create under `set -C` (with the regular
// builtin `true`: a failed redirection of the special builtin `:` would end sh), or, when every
// slot is taken, a folder of its own from mktemp. It holds argv (NUL-separated), the environment
// exactly as the command got it (/proc/$$/environ: sh adds PWD to its own), the working directory,
// and the `reply` FIFO the shim holds open read-write before it asks (so the server's non-blocking
// open never waits on a caller that died). The server writes `out` and `err`, then "STATUS O E" on
// the reply (O, E: 1 when out, err hold bytes; STATUS "hang" for an injected timeout: print, then
// never return).

import { accessSync, chmodSync, constants, writeFileSync } from 'node:fs';
import { CALL_SLOTS, makeRequestFifo } from './command-server.js';

/** Where the shim finds its tools: by absolute path, since a scenario may stub `cat` itself. */
const TOOL_DIRS = ['/usr/bin', '/bin'];

const tools = new Map<string, string>();

/** The absolute path of coreutils' `name` on this host. */
function tool(name: string): string {
  let path = tools.get(name);
  if (path === undefined) {
    path = TOOL_DIRS.map((dir) => `${dir}/${name}`).find((candidate) => {
      try {
        accessSync(candidate, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
    if (path === undefined)
      throw new Error(`${name} was not found in ${TOOL_DIRS.join(' or ')}: the stubs and simulators need coreutils`);
    tools.set(name, path);
  }
  return path;
}

/** A word of sh, single-quoted. */
function shQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** The shim for `command`, whose server reads requests on `requestFifo` and whose calls live in `callsDir`. */
function shimScript(command: string, requestFifo: string, callsDir: string): string {
  const fifo = shQuote(requestFifo);
  const [mktemp, cat, mkfifo] = ['mktemp', 'cat', 'mkfifo'].map((name) => shQuote(tool(name)));
  const slots = Array.from({ length: CALL_SLOTS }, (_, i) => i).join(' ');
  return `#!/bin/sh
# extstorage-kit: ${JSON.stringify(command)} as the scenario has it; the harness answers (harness/backend/command-server.ts)
d=
set -C
for s in ${slots}; do
  if { true >${shQuote(callsDir)}/slot.$s/claim; } 2>/dev/null; then d=${shQuote(callsDir)}/slot.$s; break; fi
done
set +C
if [ -z "$d" ]; then
  d=$(${mktemp} -d ${shQuote(`${callsDir}/call.XXXXXXXX`)}) || exit 126
  ${mkfifo} "$d/reply" || exit 126
fi
for a in "$@"; do printf '%s\\000' "$a"; done >"$d/argv"
${cat} "/proc/$$/environ" >"$d/env" || exit 126
pwd -P >"$d/cwd"
exec 3<>"$d/reply"
printf '%s\\n' "$d" >${fifo}
read -r status out err <&3
exec 4<"$d/out" 5<"$d/err"
# A hanging call keeps its folder: it still reads its reply FIFO, which must not serve another call.
if [ "$status" != hang ]; then printf 'done %s\\n' "$d" >${fifo}; fi
if [ "$out" = 1 ]; then ${cat} <&4; fi
if [ "$err" = 1 ]; then ${cat} <&5 >&2; fi
if [ "$status" = hang ]; then read -r status <&3; fi
exit "$status"
`;
}

/** Writes the shim for `command` at `path` and makes the FIFO its server will read. */
export function installShim(path: string, command: string, requestFifo: string, callsDir: string): void {
  makeRequestFifo(requestFifo, callsDir);
  writeFileSync(path, shimScript(command, requestFifo, callsDir));
  chmodSync(path, 0o755);
}
