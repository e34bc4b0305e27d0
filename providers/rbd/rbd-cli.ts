// The rbd command line, as the RBD provider uses it: every call carries --id and -c when they
// are set, so nothing depends on the node's default Ceph configuration. Works with the rbd of
// Ceph 12 (Luminous) to 18 (Reef): kernel mappings go through `rbd device ...` (Ceph 13 and later)
// and fall back to Luminous' `rbd map`/`showmapped`/`unmap` when that rbd does not know `device`.

import { lastWords, render, tryRun, type CommandResult } from '../lib/command.js';
import { ProviderError } from '../lib/errors.js';

export interface CephAccess {
  readonly id?: string;
  readonly conf?: string;
}

/**
 * One mapping, as `rbd device list --format json` (Ceph 13+) or `rbd showmapped --format json`
 * (Ceph 12) describe it; releases before namespaces (Ceph 14) lack that key, Ceph 12 lacks `id`.
 */
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

/** The kernel-mapping commands: Ceph 13+'s `device` words, then Ceph 12's (Luminous) own command. */
const KERNEL = {
  list: { current: ['device', 'list'], luminous: ['showmapped'] },
  map: { current: ['device', 'map'], luminous: ['map'] },
  unmap: { current: ['device', 'unmap'], luminous: ['unmap'] },
} as const;

export class Rbd {
  /** Whether this rbd is Ceph 12's (no `device` commands); null until a call has told. */
  private luminous: boolean | null = null;

  constructor(private readonly access: CephAccess) {}

  /**
   * Runs a kernel-mapping command (`list`, `map`, `unmap`) with `args` after its words: as
   * `rbd device <cmd>` unless this rbd turned out not to know it, in which case (Ceph 12 prints
   * "error: unknown option 'device ...'" and exits 1) it is run again in Ceph 12's form.
   */
  kernel(command: keyof typeof KERNEL, args: readonly string[]): CommandResult & { argv: string[] } {
    if (this.luminous !== true) {
      const result = this.call([...KERNEL[command].current, ...args]);
      this.luminous = result.status === 1 && result.stderr.startsWith("error: unknown option 'device ");
      if (!this.luminous) return result;
    }
    return this.call([...KERNEL[command].luminous, ...args]);
  }

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

  /** Every kernel mapping on this node (of any image). */
  mapped(): MappedDevice[] {
    const what = 'listing mapped rbd devices';
    const result = this.kernel('list', ['--format', 'json']);
    if (result.status !== 0) throw new ProviderError(`${what} failed: ${render(result.argv)}: ${lastWords(result)}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(result.stdout);
    } catch {
      throw new ProviderError(
        `${what}: rbd printed something that is not JSON: ${JSON.stringify(result.stdout.slice(0, 200))}`,
      );
    }
    // Ceph 13+: a list of devices. Ceph 12: an object keyed by device id ({"0": {...}}).
    if (typeof parsed !== 'object' || parsed === null)
      throw new ProviderError(`${what}: rbd printed JSON that is neither a list nor an object`);
    const list: unknown[] = Array.isArray(parsed) ? parsed : Object.values(parsed);
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
