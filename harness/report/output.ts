// Where reports go: streams (colors, writes that finish before exit) and report files (--junit,
// --json), whose paths are checked before anything runs and whose content is never lost.

import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { displayPath } from '../text/display-path.js';

/** process.stdout or process.stderr, or anything shaped like them (tests pass fakes). */
export type OutputStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

/** Colors on a terminal unless NO_COLOR is set (as useColor() in ../cli/display.ts, with env given). */
export function colorFor(stream: OutputStream, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && !('NO_COLOR' in env);
}

/** Writes text and resolves once the stream has taken it (so an exit right after loses nothing). */
export function writeAll(stream: OutputStream, text: string): Promise<void> {
  if (text === '') return Promise.resolve();
  return new Promise((done) => {
    stream.write(text, () => done());
  });
}

/**
 * Why a report cannot be written to `path` (relative to cwd), or null when it can. Checked before a
 * run, so a typo costs nothing. Missing folders are created, but only inside the working directory
 * (CI's "reports/junit.xml"): elsewhere a missing folder is more likely a typo than a wish.
 */
export function reportPathProblem(path: string, cwd: string): string | null {
  const target = resolve(cwd, path);
  if (existsSync(target)) {
    const stat = statSync(target);
    if (stat.isDirectory()) return `${displayPath(path)} is a directory (name a file in it)`;
    if (!stat.isFile()) return `${displayPath(path)} is not a regular file`;
    return writable(target) ? null : `${displayPath(path)} is not writable`;
  }
  let ancestor = dirname(target);
  while (!existsSync(ancestor)) ancestor = dirname(ancestor);
  if (!statSync(ancestor).isDirectory()) return `${displayPath(ancestor)} is not a directory`;
  const missing = dirname(target) !== ancestor;
  if (missing && !inside(dirname(target), resolve(cwd)))
    return `folder ${displayPath(dirname(target))} does not exist (missing folders are created only inside the working directory)`;
  return writable(ancestor) ? null : `folder ${displayPath(ancestor)} is not writable`;
}

/** The problems of every report path given (flag, path), the same file named twice included. */
export function reportPathProblems(reports: readonly (readonly [string, string | undefined])[], cwd: string): string[] {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const [flag, path] of reports) {
    if (path === undefined) continue;
    const problem = reportPathProblem(path, cwd);
    if (problem !== null) problems.push(`${flag} ${problem}`);
    const target = resolve(cwd, path);
    const other = seen.get(target);
    if (other !== undefined) problems.push(`${other} and ${flag} name the same file ${displayPath(path)}`);
    seen.set(target, flag);
  }
  return problems;
}

/** A report file could not be written; its content was saved to `savedTo` instead. */
export class ReportWriteError extends Error {
  constructor(
    readonly path: string,
    readonly savedTo: string | null,
    reason: string,
  ) {
    super(
      `could not write the report ${displayPath(path)}: ${reason}; ${
        savedTo === null ? 'it could not be saved anywhere else either' : `it was saved to ${displayPath(savedTo)}`
      }`,
    );
    this.name = 'ReportWriteError';
  }
}

/** Writes a report file, creating its directory; on failure saves it under the temp dir and throws. */
export async function writeReportFile(path: string, content: string): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    const fallback = join(tmpdir(), `extstorage-kit-${process.pid}-${Date.now()}-${basename(path)}`);
    try {
      await writeFile(fallback, content, { flag: 'wx' });
    } catch {
      throw new ReportWriteError(path, null, reason);
    }
    throw new ReportWriteError(path, fallback, reason);
  }
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function inside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !rel.startsWith(sep));
}
