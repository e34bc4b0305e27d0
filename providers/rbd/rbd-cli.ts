// The rbd command line, as the RBD provider uses it: every call carries --id and -c when they
// are set, so nothing depends on the node's default Ceph configuration.

import { lastWords, render, tryRun, type CommandResult } from '../lib/command.js';
import { ProviderError } from '../lib/errors.js';

export interface CephAccess {
  readonly id?: string;
  readonly conf?: string;
}

/** One entry of `rbd device list --format json`; releases before namespaces (Ceph 14) lack that key. */
export interface MappedDevice {
  readonly pool: string;
  readonly namespace?: string;
  readonly name: string;
  readonly snap?: string;
  readonly device: string;
}

export interface ImageInfo {
  readonly size: number;
  readonly parent?: { readonly pool: string; readonly image: string; readonly snapshot: string };
}

export const ENOENT = 2;

export class Rbd {
  constructor(private readonly access: CephAccess) {}

  private argv(args: readonly string[]): string[] {
    return [
      'rbd',
      ...(this.access.id ? ['--id', this.access.id] : []),
      ...(this.access.conf ? ['-c', this.access.conf] : []),
      ...args,
    ];
  }

  /** Runs rbd; the result, whatever it is. */
  call(args: readonly string[]): CommandResult & { argv: string[] } {
    const argv = this.argv(args);
    return { ...tryRun(argv), argv };
  }

  /** Runs rbd and insists on success. */
  must(args: readonly string[], what: string): CommandResult {
    const result = this.call(args);
    if (result.status !== 0) throw new ProviderError(`${what} failed: ${render(result.argv)}: ${lastWords(result)}`);
    return result;
  }

  /** The parsed JSON of a `--format json` call: unknown until the caller has checked its shape. */
  json(args: readonly string[], what: string): unknown {
    const result = this.must([...args, '--format', 'json'], what);
    try {
      return JSON.parse(result.stdout);
    } catch {
      throw new ProviderError(
        `${what}: rbd printed something that is not JSON: ${JSON.stringify(result.stdout.slice(0, 200))}`,
      );
    }
  }

  /** Image info, or null when the image does not exist. */
  info(spec: string): ImageInfo | null {
    const result = this.call(['info', spec, '--format', 'json']);
    // A missing pool also exits ENOENT: that is a mistake to report, not a volume already gone.
    if (result.status === ENOENT && result.stderr.includes('error opening pool')) {
      throw new ProviderError(`the pool of ${spec} does not exist: ${lastWords(result)}`);
    }
    if (result.status === ENOENT) return null;
    if (result.status !== 0)
      throw new ProviderError(`reading ${spec} failed: ${render(result.argv)}: ${lastWords(result)}`);
    let parsed: { size?: unknown; parent?: { pool?: unknown; image?: unknown; snapshot?: unknown } };
    try {
      parsed = JSON.parse(result.stdout) as typeof parsed;
    } catch {
      throw new ProviderError(
        `reading ${spec}: rbd info printed something that is not JSON: ${JSON.stringify(result.stdout.slice(0, 200))}`,
      );
    }
    if (typeof parsed.size !== 'number') throw new ProviderError(`reading ${spec}: rbd info gave no size`);
    const p = parsed.parent;
    const parent =
      p && typeof p.pool === 'string' && typeof p.image === 'string' && typeof p.snapshot === 'string'
        ? { pool: p.pool, image: p.image, snapshot: p.snapshot }
        : undefined;
    return { size: parsed.size, ...(parent ? { parent } : {}) };
  }

  mapped(): MappedDevice[] {
    const list = this.json(['device', 'list'], 'listing mapped rbd devices');
    if (!Array.isArray(list)) throw new ProviderError('rbd device list printed JSON that is not a list');
    return list.filter(
      (d): d is MappedDevice =>
        typeof d === 'object' &&
        d !== null &&
        typeof (d as MappedDevice).device === 'string' &&
        typeof (d as MappedDevice).name === 'string',
    );
  }

  /** The kernel devices mapping pool/image (not its snapshots). */
  devicesOf(pool: string, image: string): string[] {
    return this.mapped()
      .filter(
        (d) =>
          d.pool === pool &&
          d.name === image &&
          (d.namespace ?? '') === '' &&
          (d.snap === '-' || d.snap === undefined || d.snap === ''),
      )
      .map((d) => d.device);
  }
}
