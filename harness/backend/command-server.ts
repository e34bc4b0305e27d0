// Answers the calls of one stubbed or simulated command in one process (the harness's own, or
// simulate/server-main.ts): the shims (shim.ts) write the folder of each call to a FIFO in the
// sandbox; the server reads the call, answers it, writes the output back and the status on the
// call's reply FIFO. Calls are answered one at a time, in the order they arrive, as the real
// tools' locks order concurrent calls.

import { closeSync, constants, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
import { makeFifos } from './fifo-pool.js';

/** One call as the caller made it. */
export interface CommandCall {
  readonly argv: readonly string[];
  /** The caller's environment, exactly. */
  readonly env: Readonly<Record<string, string>>;
  /** The caller's working directory (physical). */
  readonly cwd: string;
}

/** How a call ends: its output, and its exit status or "hang" (never return: an injected timeout). */
export interface CommandAnswer {
  readonly stdout: readonly (string | Uint8Array)[];
  readonly stderr: readonly (string | Uint8Array)[];
  readonly status: number | 'hang';
}

/**
 * What becomes of one call: answered as usual; `apply`: carried out (the state changes, the call is
 * logged) but never answered; `drop`: neither (its caller is gone).
 */
export type CallDisposal = 'answer' | 'apply' | 'drop';

/**
 * Decides when each call is carried out, and whether it is answered: the runner's hold on the
 * order of concurrent calls and on kills at a given call (../run/call-gate.ts). `respond` is called
 * once, at once or later.
 */
export interface CallGate {
  admit(call: CommandCall, respond: (how: CallDisposal) => void): void;
}

/** Reads a call's folder as the shim wrote it. */
function readCall(dir: string): CommandCall {
  const argv = readFileSync(join(dir, 'argv'), 'utf8').split('\0');
  argv.pop(); // each argument ends with a NUL
  const env: Record<string, string> = {};
  for (const entry of readFileSync(join(dir, 'env'), 'utf8').split('\0')) {
    const eq = entry.indexOf('=');
    // As node reads its own environment: the first of two equal names wins.
    if (eq > 0 && !(entry.slice(0, eq) in env)) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  const cwd = readFileSync(join(dir, 'cwd'), 'utf8').replace(/\n$/, '');
  return { argv, env, cwd };
}

function joined(parts: readonly (string | Uint8Array)[]): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
}

/**
 * Call slots made ahead, each a folder with its reply FIFO: a shim claims a free one with a builtin
 * redirection (`set -C`, an exclusive create of `claim`) instead of running mktemp and mkfifo, two
 * processes per call. More concurrent calls than slots fall back to a folder of their own.
 */
export const CALL_SLOTS = 4;
const SLOT = /^slot\.[0-9]+$/;

/** Makes the request FIFO, the calls' folder and its slots, before any shim can be called. */
export function makeRequestFifo(requestFifo: string, callsDir: string): void {
  mkdirSync(callsDir, { recursive: true });
  mkdirSync(dirname(requestFifo), { recursive: true });
  const replies = Array.from({ length: CALL_SLOTS }, (_, i) => {
    mkdirSync(join(callsDir, `slot.${i}`));
    return join(callsDir, `slot.${i}`, 'reply');
  });
  makeFifos([requestFifo, ...replies]);
}

/** Frees a call's folder: a slot is emptied and released (its claim last), any other folder removed. */
function release(dir: string): void {
  if (!SLOT.test(basename(dir))) {
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  for (const name of ['argv', 'env', 'cwd', 'out', 'err', 'claim']) rmSync(join(dir, name), { force: true });
}

export class CommandServer {
  private buffered = '';

  private constructor(
    private readonly callsDir: string,
    private readonly requests: Socket,
    private readonly answer: (call: CommandCall) => CommandAnswer,
    private readonly gate: CallGate | undefined,
  ) {
    requests.setEncoding('utf8');
    requests.on('data', (chunk: string) => {
      this.received(chunk);
    });
    requests.on('error', () => undefined);
  }

  /**
   * Listens on the request FIFO (made by makeRequestFifo). `keepAlive`: the server alone keeps its
   * process running (server-main.ts); in the harness, the scripts that call it do.
   */
  static start(
    requestFifo: string,
    callsDir: string,
    answer: (call: CommandCall) => CommandAnswer,
    keepAlive = false,
    gate?: CallGate,
  ): CommandServer {
    // Read-write: the FIFO never reports end of file when a shim closes it, and opening it never waits.
    const fd = openSync(requestFifo, constants.O_RDWR | constants.O_NONBLOCK);
    const requests = new Socket({ fd, readable: true, writable: false });
    if (!keepAlive) requests.unref();
    return new CommandServer(resolve(callsDir), requests, answer, gate);
  }

  close(): void {
    this.requests.destroy(); // closes the FIFO's descriptor too
  }

  private received(chunk: string): void {
    this.buffered += chunk;
    let newline: number;
    while ((newline = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, newline);
      this.buffered = this.buffered.slice(newline + 1);
      const done = line.startsWith('done ');
      const dir = resolve(done ? line.slice('done '.length) : line);
      // Anything in the sandbox can write to the FIFO: only folders of our own calls are taken.
      if (dirname(dir) !== this.callsDir) continue;
      if (done) release(dir);
      else this.handle(dir);
    }
  }

  private handle(dir: string): void {
    let call: CommandCall;
    try {
      call = readCall(dir);
    } catch (error) {
      this.reply(dir, Buffer.alloc(0), Buffer.from(`${(error as Error).stack ?? String(error)}\n`), '1');
      return;
    }
    if (this.gate === undefined) this.respond(dir, call, 'answer');
    else
      this.gate.admit(call, (how) => {
        this.respond(dir, call, how);
      });
  }

  private respond(dir: string, call: CommandCall, how: CallDisposal): void {
    // A call not answered belongs to a caller that is killed: its folder goes whole, a slot too (its
    // reply FIFO may still be open in the dying shim, so it must serve no other call; later calls
    // use the other slots, or folders of their own).
    if (how === 'drop') {
      rmSync(dir, { recursive: true, force: true });
      return;
    }
    let out: Buffer;
    let err: Buffer;
    let status: string;
    try {
      const answer = this.answer(call);
      out = joined(answer.stdout);
      err = joined(answer.stderr);
      status = answer.status === 'hang' ? 'hang' : String(answer.status & 0xff);
    } catch (error) {
      // An answer's own bug: said on the call's stderr, as node would have printed it.
      out = Buffer.alloc(0);
      err = Buffer.from(`${(error as Error).stack ?? String(error)}\n`);
      status = '1';
    }
    if (how === 'apply') rmSync(dir, { recursive: true, force: true });
    else this.reply(dir, out, err, status);
  }

  private reply(dir: string, out: Buffer, err: Buffer, status: string): void {
    try {
      writeFileSync(join(dir, 'out'), out);
      writeFileSync(join(dir, 'err'), err);
      const reply = openSync(join(dir, 'reply'), constants.O_WRONLY | constants.O_NONBLOCK);
      try {
        writeSync(reply, `${status} ${out.length > 0 ? 1 : 0} ${err.length > 0 ? 1 : 0}\n`);
      } finally {
        closeSync(reply);
      }
    } catch {
      // The caller is gone (killed): nobody reads the answer.
      release(dir);
    }
  }
}
