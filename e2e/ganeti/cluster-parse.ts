// Reading what the gnt-* commands and QEMU print, for the cluster stages' checks: pure functions,
// each given the exact text Ganeti 3.0.2 or QEMU 7.2 writes (client/gnt_storage.py,
// client/gnt_instance.py, QMP's query-block).

/** One provider as `gnt-storage diagnose` reports it on one node. */
export interface DiagnosedProvider {
  readonly provider: string;
  readonly node: string;
  readonly valid: boolean;
  /** Ganeti's reason when invalid (`invalid - <reason> (path: ...)`), else ''. */
  readonly reason: string;
  readonly path: string;
  /** `[parameters: a, b]`; empty for `[no parameters]`. */
  readonly parameters: readonly string[];
}

const NODE_LINE = /^ {2}Node: (.*?), status: (.*)$/;
const STATUS = /^(valid|invalid - ([\s\S]*)) \(path: ([^)]*)\) \[(?:parameters: (.*)|no parameters)\]$/;

/**
 * `gnt-storage diagnose`'s output: a block per provider (`Provider: <name>`, `---`, a line per node
 * `  Node: <node>, status: valid (path: <dir>) [parameters: <a, b>]` or `status: invalid - <reason>
 * (path: ...) [...]`, `  --`, the node groups). Throws, quoting the line, on anything else.
 */
export function parseDiagnose(text: string): DiagnosedProvider[] {
  const found: DiagnosedProvider[] = [];
  let provider: string | undefined;
  for (const [index, line] of text.split('\n').entries()) {
    const header = /^Provider: (.+)$/.exec(line);
    if (header) {
      provider = header[1]!;
      continue;
    }
    const node = NODE_LINE.exec(line);
    if (!node) continue;
    const status = STATUS.exec(node[2]!);
    if (provider === undefined || !status)
      throw new Error(`gnt-storage diagnose, line ${index + 1}: not a provider's node status: ${JSON.stringify(line)}`);
    found.push({
      provider,
      node: node[1]!,
      valid: status[1] === 'valid',
      reason: status[2] ?? '',
      path: status[3]!,
      parameters: status[4] === undefined ? [] : status[4].split(', '),
    });
  }
  return found;
}

/** A disk `gnt-instance activate-disks` activated: `<node>:disk/<index>:<device>`. */
export interface ActivatedDisk {
  readonly node: string;
  readonly index: number;
  readonly device: string;
}

/** `gnt-instance activate-disks`'s lines (client/gnt_instance.py ActivateDisks); others are ignored. */
export function parseActivateDisks(text: string): ActivatedDisk[] {
  const disks: ActivatedDisk[] = [];
  for (const line of text.split('\n')) {
    const match = /^([^:\s]+):disk\/(\d+):(.+)$/.exec(line.trim());
    if (match) disks.push({ node: match[1]!, index: Number(match[2]), device: match[3]! });
  }
  return disks;
}

/** A drive as QEMU sees it (QMP query-block): its device id, block driver and what it opened. */
export interface QemuDrive {
  readonly device: string;
  readonly driver: string;
  readonly file: string;
}

/** QMP `query-block`'s return value: the drives with a medium inserted. */
export function drivesFromQueryBlock(value: unknown): QemuDrive[] {
  if (!Array.isArray(value)) throw new Error(`query-block: expected a list, got ${JSON.stringify(value)}`);
  const drives: QemuDrive[] = [];
  for (const entry of value as { device?: unknown; inserted?: { drv?: unknown; file?: unknown } }[]) {
    const inserted = entry.inserted;
    if (inserted === undefined) continue;
    if (typeof entry.device !== 'string' || typeof inserted.drv !== 'string' || typeof inserted.file !== 'string')
      throw new Error(`query-block: a drive without device, drv or file: ${JSON.stringify(entry)}`);
    drives.push({ device: entry.device, driver: inserted.drv, file: inserted.file });
  }
  return drives;
}

/**
 * The rbd image a drive opened, from QEMU's own filename for it: the legacy syntax Ganeti passes
 * (`rbd:<pool>/<image>[:opts]`) or the JSON QEMU shows for it (`json:{"driver": "rbd", "pool": ...,
 * "image": ...}`, possibly under "file"). undefined for any other drive.
 */
export function rbdImageOf(file: string): { pool: string; image: string } | undefined {
  const legacy = /^rbd:([^/:]+)\/([^:@]+)/.exec(file);
  if (legacy) return { pool: legacy[1]!, image: legacy[2]! };
  if (!file.startsWith('json:')) return undefined;
  let node: unknown;
  try {
    node = JSON.parse(file.slice('json:'.length));
  } catch {
    return undefined;
  }
  for (let depth = 0; depth < 4 && typeof node === 'object' && node !== null; depth++) {
    const o = node as { driver?: unknown; pool?: unknown; image?: unknown; file?: unknown };
    if (o.driver === 'rbd' && typeof o.pool === 'string' && typeof o.image === 'string')
      return { pool: o.pool, image: o.image };
    node = o.file;
  }
  return undefined;
}

/** Both messages name the script and say it is not executable (the kit's code is `not-executable`). */
export function namesNotExecutable(message: string, script: string): boolean {
  return message.includes(script) && /not[- ]executable/.test(message);
}
