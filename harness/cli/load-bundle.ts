// Loads a CommonJS bundle of the command line (dist/harness/cli-kit.cjs) through V8's code cache.
//
// Why: compiling the commands' code (1.7 MB of JavaScript with its dependencies) was the largest
// part of the command line's start-up (issue 14, goal 3), and Node 20, the version on Ganeti nodes, keeps no compiled
// code between runs (module.enableCompileCache is Node >= 22.1, and only for its own loaders). V8
// does, for a vm.Script given the bytes a warmed-up run produced: `npm run build` runs one scenario
// with EXTSTORAGE_KIT_WRITE_CODE_CACHE=1 and writes them beside the bundle (scripts/bundle-cli.ts).
//
// Safety: V8 checks a cache against its own version and flags and the source's length only, and a
// damaged one makes it abort the process (a fatal error while deserialising). So the cache file
// starts with a line naming the build of the bundle it belongs to (a hash of the bundle's text,
// which the bundle's first line names too) and the SHA-256 of the V8 data after it; the data is
// given to V8 only when both match. Otherwise, and when V8 refuses it, the bundle is compiled as
// usual. Under NODE_V8_COVERAGE or --enable-source-maps the bundle goes through Node's own
// require(), which records its source map (a vm.Script's is not): for the coverage report, and for
// stack traces that name the TypeScript sources.

import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

/** Set to 1 by the build's warm-up run: the cache is written when the process exits. */
export const WRITE_CODE_CACHE_ENV = 'EXTSTORAGE_KIT_WRITE_CODE_CACHE';
/** Set to 1 to have each load say on stderr how the bundle was compiled (for `bench/startup`, and tests). */
export const TRACE_CODE_CACHE_ENV = 'EXTSTORAGE_KIT_TRACE_CODE_CACHE';

/** The bundle's first line names its build: a hash of its text, written by scripts/bundle-cli.ts. */
const BUILD_LINE = /^\/\/ extstorage-kit bundle, build ([0-9a-f]{16})\n/;

/** Where the code cache of `bundle` lives. */
export function codeCachePath(bundle: string): string {
  return `${bundle}.v8-cache`;
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The cache file's first line: the bundle's build and the hash of the V8 data that follows. */
function cacheHeader(build: string, data: Uint8Array): string {
  return `// extstorage-kit code cache, build ${build}, sha256 ${sha256(data)}\n`;
}

/** The cache's V8 data when its first line names `build` and its data is intact, else why not. */
function readCache(file: string, build: string): { data: Buffer } | { why: string } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return { why: 'there is none' };
  }
  const end = bytes.indexOf(0x0a);
  const header = /^\/\/ extstorage-kit code cache, build ([0-9a-f]{16}), sha256 ([0-9a-f]{64})$/.exec(
    bytes.subarray(0, Math.max(end, 0)).toString('latin1'),
  );
  if (header === null) return { why: 'it has no header' };
  if (header[1] !== build) return { why: 'it is of another build' };
  const data = bytes.subarray(end + 1);
  if (sha256(data) !== header[2]) return { why: 'it is damaged' };
  return { data };
}

/** --enable-source-maps (process.sourceMapsEnabled is Node >= 20.7; earlier, read the options). */
function sourceMapsOn(): boolean {
  const enabled = (process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled;
  return (
    enabled ?? [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].includes('--enable-source-maps')
  );
}

function trace(bundle: string, how: string): void {
  if (process.env[TRACE_CODE_CACHE_ENV] === '1') process.stderr.write(`extstorage-kit: ${bundle}: ${how}\n`);
}

/** Runs the CommonJS module `bundle` (an absolute path) and returns its exports. */
export function loadBundle(bundle: string): unknown {
  const require = createRequire(bundle);
  // Node's own loader records the bundle's source map, which a vm.Script's compilation does not:
  // coverage, and stack traces naming the TypeScript sources, need it.
  const why =
    process.env.NODE_V8_COVERAGE !== undefined
      ? 'NODE_V8_COVERAGE is set'
      : sourceMapsOn()
        ? 'source maps are on'
        : null;
  if (why !== null) {
    trace(bundle, `loaded by require (${why})`);
    return require(bundle);
  }
  // Latin-1: esbuild writes the bundle in ASCII (every other character escaped, outside comments),
  // and decoding it as Latin-1 takes half the time of UTF-8 (some 3 ms of the 1.7 MB).
  const source = readFileSync(bundle, 'latin1');
  const build = BUILD_LINE.exec(source)?.[1];
  const cache = build === undefined ? { why: 'the bundle names no build' } : readCache(codeCachePath(bundle), build);
  // The wrapper on the first line keeps every line number of the bundle (stack traces).
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: bundle,
    ...('data' in cache ? { cachedData: cache.data } : {}),
  });
  trace(
    bundle,
    !('data' in cache)
      ? `compiled without its code cache: ${cache.why}`
      : script.cachedDataRejected === true
        ? 'compiled without its code cache: V8 rejected it (another Node, or other V8 flags)'
        : 'compiled from its code cache',
  );
  const module = { exports: {} as unknown };
  (script.runInThisContext() as (...args: unknown[]) => void).call(
    module.exports,
    module.exports,
    require,
    module,
    bundle,
    dirname(bundle),
  );
  if (process.env[WRITE_CODE_CACHE_ENV] === '1' && build !== undefined) {
    // At exit, so that the cache holds every function the run compiled, not only the top level.
    process.once('exit', () => {
      const file = codeCachePath(bundle);
      const data = script.createCachedData();
      const temporary = `${file}.${process.pid}.tmp`; // renamed into place: a reader never sees half a file
      writeFileSync(temporary, Buffer.concat([Buffer.from(cacheHeader(build, data), 'latin1'), data]));
      renameSync(temporary, file);
    });
  }
  return module.exports;
}
