// A stateful fake of losetup from util-linux 2.38.1 (Debian 12), following sys-utils/losetup.c
// step by step: the same option parsing (glibc getopt_long), the same choice of action, the same
// messages on the same streams and exit statuses, the same --list/--json/--raw output. Loop devices
// are not real block devices: /dev/loop0 .. /dev/loop<devices-1> exist in the simulated kernel only,
// and none can be added. Backing files are real files; their path, device and inode are read when a
// device is set up, and a backing file deleted since shows as "<path> (deleted)", as the kernel
// reports it.
//
// Checked against the real losetup 2.38.1 (messages, formats, orders). Devices are listed in the
// order the kernel's /sys/block directory gives them (kernfs sorts entries by a hash of their
// name: loop1 loop8 loop6 loop4 loop11 loop2 loop0 ...), as losetup walks that directory.

import type { Stats } from 'node:fs';
import { errnoOf, ERRNO, strerror } from './errno.js';
import { getoptLong, type LongOption } from './getopt.js';
import { Exit, GARBAGE, takeFailure, type FailureKind, type Output } from './runtime.js';
import { renderScols, type Cell, type ScolsColumn } from './scols.js';
import type { LoopDevice, LosetupState } from './state.js';

/** Answers one call: changes `state` as the real command would, and prints on `output`. */
export function simulateLosetup(state: LosetupState, argv: readonly string[], output: Output): void {
  new Losetup(state, output).run(argv);
}

const PROGRAM = 'losetup';
const VERSION = 'losetup from util-linux 2.38.1\n';

const USAGE = `
Usage:
 losetup [options] [<loopdev>]
 losetup [options] -f | <loopdev> <file>

Set up and control loop devices.

Options:
 -a, --all                     list all used devices
 -d, --detach <loopdev>...     detach one or more devices
 -D, --detach-all              detach all used devices
 -f, --find                    find first unused device
 -c, --set-capacity <loopdev>  resize the device
 -j, --associated <file>       list all devices associated with <file>
 -L, --nooverlap               avoid possible conflict between devices

 -o, --offset <num>            start at offset <num> into file
     --sizelimit <num>         device is limited to <num> bytes of the file
 -b, --sector-size <num>       set the logical sector size to <num>
 -P, --partscan                create a partitioned loop device
 -r, --read-only               set up a read-only loop device
     --direct-io[=<on|off>]    open backing file with O_DIRECT
     --show                    print device name after setup (with -f)
 -v, --verbose                 verbose mode

 -J, --json                    use JSON --list output format
 -l, --list                    list info about all or specified (default)
 -n, --noheadings              don't print headings for --list output
 -O, --output <cols>           specify columns to output for --list
     --output-all              output all columns
     --raw                     use raw --list output format

 -h, --help                    display this help
 -V, --version                 display version

Available output columns:
         NAME  loop device name
    AUTOCLEAR  autoclear flag set
    BACK-FILE  device backing file
     BACK-INO  backing file inode number
 BACK-MAJ:MIN  backing file major:minor device number
      MAJ:MIN  loop device major:minor number
       OFFSET  offset from the beginning
     PARTSCAN  partscan flag set
           RO  read-only device
    SIZELIMIT  size limit of the file in bytes
          DIO  access backing file with direct-io
      LOG-SEC  logical sector size in bytes

For more details see losetup(8).
`;

const OPT_SIZELIMIT = 256;
const OPT_SHOW = 257;
const OPT_RAW = 258;
const OPT_DIO = 259;
const OPT_OUTPUT_ALL = 260;

const LONGOPTS: readonly LongOption[] = [
  { name: 'all', hasArg: 'no', val: 'a' },
  { name: 'set-capacity', hasArg: 'required', val: 'c' },
  { name: 'detach', hasArg: 'required', val: 'd' },
  { name: 'detach-all', hasArg: 'no', val: 'D' },
  { name: 'find', hasArg: 'no', val: 'f' },
  { name: 'nooverlap', hasArg: 'no', val: 'L' },
  { name: 'help', hasArg: 'no', val: 'h' },
  { name: 'associated', hasArg: 'required', val: 'j' },
  { name: 'json', hasArg: 'no', val: 'J' },
  { name: 'list', hasArg: 'no', val: 'l' },
  { name: 'sector-size', hasArg: 'required', val: 'b' },
  { name: 'noheadings', hasArg: 'no', val: 'n' },
  { name: 'offset', hasArg: 'required', val: 'o' },
  { name: 'output', hasArg: 'required', val: 'O' },
  { name: 'output-all', hasArg: 'no', val: OPT_OUTPUT_ALL },
  { name: 'sizelimit', hasArg: 'required', val: OPT_SIZELIMIT },
  { name: 'partscan', hasArg: 'no', val: 'P' },
  { name: 'read-only', hasArg: 'no', val: 'r' },
  { name: 'direct-io', hasArg: 'optional', val: OPT_DIO },
  { name: 'raw', hasArg: 'no', val: OPT_RAW },
  { name: 'show', hasArg: 'no', val: OPT_SHOW },
  { name: 'verbose', hasArg: 'no', val: 'v' },
  { name: 'version', hasArg: 'no', val: 'V' },
];

/** Mutually exclusive options (each row in ASCII order), as err_exclusive_options checks them. */
const EXCLUSIVE: readonly (readonly (string | number)[])[] = [
  ['D', 'a', 'c', 'd', 'f', 'j'],
  ['D', 'c', 'd', 'f', 'l'],
  ['D', 'c', 'd', 'f', 'O'],
  ['J', OPT_RAW],
];

const code = (c: string | number) => (typeof c === 'number' ? c : c.charCodeAt(0));

interface Column extends ScolsColumn {
  readonly cell: (lo: Losetup, number: number, device: LoopDevice | undefined) => Cell;
}

const flag = (on: boolean) => (on ? '1' : '0');

/** The --list columns, in losetup's order (--output-all prints them all in this order). */
const COLUMNS: readonly Column[] = [
  { name: 'NAME', right: false, json: 'string', cell: (_, n) => `/dev/loop${n}` },
  { name: 'AUTOCLEAR', right: true, json: 'boolean', cell: (_, __, d) => flag(d?.autoclear ?? false) },
  { name: 'BACK-FILE', right: false, json: 'string', cell: (lo, _, d) => (d === undefined ? null : lo.backingFile(d)) },
  {
    name: 'BACK-INO',
    right: true,
    json: 'number',
    cell: (lo, _, d) => (d === undefined || lo.noStatus || d.ino === 0 ? null : String(d.ino)),
  },
  {
    name: 'BACK-MAJ:MIN',
    right: false,
    json: 'string',
    cell: (lo, _, d) =>
      d === undefined || lo.noStatus || d.dev === 0
        ? null
        : `${String(major(d.dev)).padStart(8)}:${String(minor(d.dev)).padEnd(3)}`,
  },
  { name: 'MAJ:MIN', right: false, json: 'string', cell: (_, n) => `${'7'.padStart(3)}:${String(n).padEnd(3)}` },
  { name: 'OFFSET', right: true, json: 'number', cell: (_, __, d) => (d === undefined ? null : String(d.offset)) },
  { name: 'PARTSCAN', right: true, json: 'boolean', cell: (_, __, d) => flag(d === undefined ? true : d.partscan) },
  { name: 'RO', right: true, json: 'boolean', cell: (_, __, d) => flag(d?.readOnly ?? false) },
  {
    name: 'SIZELIMIT',
    right: true,
    json: 'number',
    cell: (_, __, d) => (d === undefined ? null : String(d.sizelimit)),
  },
  { name: 'DIO', right: true, json: 'boolean', cell: (_, __, d) => flag(d?.directIo ?? false) },
  { name: 'LOG-SEC', right: true, json: 'number', cell: (_, __, d) => String(d?.sectorSize ?? 512) },
];

const DEFAULT_COLUMNS = ['NAME', 'SIZELIMIT', 'OFFSET', 'AUTOCLEAR', 'RO', 'BACK-FILE', 'DIO', 'LOG-SEC'];

/** glibc's major()/minor() of a dev_t. */
function major(dev: number): number {
  return Number(((BigInt(dev) >> 8n) & 0xfffn) | ((BigInt(dev) >> 32n) & ~0xfffn));
}

function minor(dev: number): number {
  return Number((BigInt(dev) & 0xffn) | ((BigInt(dev) >> 12n) & ~0xffn));
}

const M64 = (1n << 64n) - 1n;

/** The kernel's kernfs_name_hash(name, NULL): the order of entries in /sys/block. */
function kernfsHash(name: string): bigint {
  let hash = 0n;
  for (const byte of Buffer.from(name)) {
    const c = BigInt(byte);
    hash = ((hash + (c << 4n) + (c >> 4n)) * 11n) & M64;
  }
  let h = ((hash * 0x61c8864680b583ebn) & M64) >> 32n;
  h &= 0x7fffffffn;
  if (h < 2n) h += 2n;
  if (h >= 0x7fffffffn) h = 0x7ffffffen;
  return h;
}

function sysBlockOrder(a: number, b: number): number {
  const ha = kernfsHash(`loop${a}`);
  const hb = kernfsHash(`loop${b}`);
  if (ha !== hb) return ha < hb ? -1 : 1;
  return `loop${a}` < `loop${b}` ? -1 : 1;
}

/**
 * util-linux parse_size(): a number (decimal, 0x hex or 0 octal, optionally with a fraction) and
 * an optional K M G T P E Z Y suffix (KiB = K = 1024, KB = 1000). Undefined, with the errno, if bad.
 */
export function parseSize(text: string): { value: number } | { errno: number } {
  const match =
    /^\s*\+?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)(?:\.(0*)([0-9]*))?(?:([KMGTPEZYkmgtpezy])(iB|ib|B|b)?)?$/.exec(
      text,
    );
  if (!match || text.trimStart().startsWith('-')) return { errno: ERRNO.EINVAL };
  const [, digits, zeros, fraction, suffix, unit] = match;
  if ((zeros !== undefined || fraction !== undefined) && suffix === undefined) return { errno: ERRNO.EINVAL };
  let value = BigInt(
    digits!.startsWith('0x') || digits!.startsWith('0X')
      ? digits!
      : digits!.length > 1 && digits!.startsWith('0')
        ? `0o${digits!.slice(1)}`
        : digits!,
  );
  const base = unit === 'B' || unit === 'b' ? 1000n : 1024n;
  const power = suffix === undefined ? 0 : 'kmgtpezy'.indexOf(suffix.toLowerCase()) + 1;
  const scale = base ** BigInt(power);
  value *= scale;
  if (fraction !== undefined && fraction !== '' && power > 0) {
    const divisor = 10n ** BigInt((zeros ?? '').length + fraction.length);
    value += (BigInt(fraction) * scale) / divisor;
  }
  if (value > 2n ** 64n - 1n) return { errno: ERRNO.ERANGE };
  return { value: Number(value) };
}

const LOOPDEV = /^\/dev\/loop(0|[1-9][0-9]*)$/;

type Act =
  'create' | 'delete' | 'delete-all' | 'show' | 'show-one' | 'find-free' | 'set-capacity' | 'set-dio' | 'set-blocksize';

class Losetup {
  /** Injected permission failure: LOOP_GET_STATUS refused, as for a user who is not root. */
  noStatus = false;
  private failure: FailureKind | null = null;

  constructor(
    private readonly state: LosetupState,
    private readonly out: Output,
  ) {}

  private warnx(message: string): void {
    this.out.err(`${PROGRAM}: ${message}\n`);
  }

  private warn(message: string, errno: number): void {
    this.out.err(`${PROGRAM}: ${message}: ${strerror(errno)}\n`);
  }

  private exit(status: number): never {
    throw new Exit(status);
  }

  private errx(message: string): never {
    this.warnx(message);
    this.exit(1);
  }

  private err(message: string, errno: number): never {
    this.warn(message, errno);
    this.exit(1);
  }

  private errtryhelp(): never {
    this.out.err(`Try '${PROGRAM} --help' for more information.\n`);
    this.exit(1);
  }

  /** The number N of "/dev/loopN" when that device exists (is_loopdev()); undefined otherwise. */
  private loopNumber(device: string): number | undefined {
    const match = LOOPDEV.exec(device);
    if (!match) return undefined;
    const n = Number(match[1]);
    return n < this.state.count ? n : undefined;
  }

  private attached(n: number): LoopDevice | undefined {
    return this.state.attached.find((d) => d.number === n);
  }

  /** What the kernel reports as the backing file: " (deleted)" once the file is gone or replaced. */
  backingFile(d: LoopDevice): string {
    try {
      const st = this.out.files.stat(d.file);
      if (st.ino === d.ino && st.dev === d.dev) return d.file;
    } catch {
      // gone
    }
    return `${d.file} (deleted)`;
  }

  private strtosize(text: string, what: string): number {
    const parsed = parseSize(text);
    if ('errno' in parsed) this.err(`${what}: '${text}'`, parsed.errno);
    return parsed.value;
  }

  run(argv: readonly string[]): void {
    let act: Act | null = null;
    let file: string | undefined;
    let offset = 0;
    let sizelimit = 0;
    let blocksize = 0;
    let showdev = false;
    let readOnly = false;
    let partscan = false;
    let useDio = false; // --direct-io's value
    let loDio = false; // LO_FLAGS_DIRECT_IO in the setup flags
    let setDio = false;
    let setBlocksize = false;
    let haveOffset = false;
    let haveSizelimit = false;
    let noOverlap = false;
    let list = false;
    let json = false;
    let raw = false;
    let noHeadings = false;
    let outarg: string | undefined;
    let columns: string[] = [];
    let device: number | undefined; // the device losetup works on (loopcxt_set_device)
    let deviceName: string | undefined;
    const exclusiveSeen: (number | null)[] = EXCLUSIVE.map(() => null);

    const useDevice = (name: string, check: boolean): void => {
      deviceName = name;
      const n = this.loopNumber(name);
      if (check && n === undefined) this.err(`${name}: failed to use device`, ERRNO.ENODEV);
      device = n;
    };

    const getopt = getoptLong(argv, 'ab:c:d:Dfhj:JlLno:O:PrvV', LONGOPTS, PROGRAM, (text) => this.out.err(text));
    for (let option = getopt.next(); option !== null; option = getopt.next()) {
      const c = option.code;
      // err_exclusive_options
      EXCLUSIVE.forEach((row, e) => {
        const rowCodes = row.map(code);
        if (!rowCodes.includes(code(c))) return;
        if (exclusiveSeen[e] === null) exclusiveSeen[e] = code(c);
        else if (exclusiveSeen[e] !== code(c)) {
          const names = row.map((r) => `--${LONGOPTS.find((o) => o.val === r)!.name}`);
          this.out.err(`${PROGRAM}: mutually exclusive arguments: ${names.join(' ')}\n`);
          this.exit(1);
        }
      });
      const arg = option.arg ?? '';
      switch (c) {
        case 'a':
          act = 'show';
          break;
        case 'b':
          setBlocksize = true;
          blocksize = this.strtosize(arg, 'failed to parse logical block size');
          break;
        case 'c':
          act = 'set-capacity';
          useDevice(arg, true);
          break;
        case 'r':
          readOnly = true;
          break;
        case 'd':
          act = 'delete';
          useDevice(arg, true);
          break;
        case 'D':
          act = 'delete-all';
          break;
        case 'f':
          act = 'find-free';
          break;
        case 'J':
          json = true;
          break;
        case 'j':
          act = 'show';
          file = arg;
          break;
        case 'l':
          list = true;
          break;
        case 'L':
          noOverlap = true;
          break;
        case 'n':
          noHeadings = true;
          break;
        case OPT_RAW:
          raw = true;
          break;
        case 'o':
          offset = this.strtosize(arg, 'failed to parse offset');
          haveOffset = true;
          break;
        case 'O':
          outarg = arg;
          list = true;
          break;
        case OPT_OUTPUT_ALL:
          // In 2.38 --output-all does not imply --list (2.39 made it so).
          columns = COLUMNS.map((col) => col.name);
          break;
        case 'P':
          partscan = true;
          break;
        case OPT_SHOW:
          showdev = true;
          break;
        case OPT_DIO:
          useDio = setDio = true;
          if (option.arg !== undefined) {
            if (option.arg === 'on') useDio = true;
            else if (option.arg === 'off') useDio = false;
            else this.errx(`argument error: '${option.arg}'`);
          }
          if (useDio) loDio = true;
          break;
        case 'v':
          break;
        case OPT_SIZELIMIT:
          sizelimit = this.strtosize(arg, 'failed to parse size');
          haveSizelimit = true;
          break;
        case 'h':
          this.out.out(USAGE);
          this.exit(0);
          break;
        case 'V':
          this.out.out(VERSION);
          this.exit(0);
          break;
        default:
          this.errtryhelp();
      }
    }
    const operands = getopt.operands;
    let next = 0;

    if (argv.length === 0) {
      act = 'show';
      list = true;
    }
    if (act === null && argv.length === 1 && (raw || json)) {
      act = 'show';
      list = true;
    }
    if (list && columns.length === 0) columns = [...DEFAULT_COLUMNS];
    if (act === 'find-free' && next < operands.length) {
      act = 'create';
      file = operands[next++];
      if (next < operands.length) this.errx('unexpected arguments');
    }
    if (list && act === null && next === operands.length) act = 'show';
    if (act === null && next + 1 === operands.length) {
      act = setDio ? 'set-dio' : setBlocksize ? 'set-blocksize' : 'show-one';
      if (setDio) loDio = false;
      useDevice(operands[next++]!, true);
    }
    if (act === null) {
      act = 'create';
      if (next >= operands.length) this.errx('no loop device specified');
      useDevice(operands[next++]!, false);
      if (next >= operands.length) this.errx('no file specified');
      file = operands[next++];
    }
    if (act !== 'create' && (sizelimit !== 0 || readOnly || partscan || loDio || showdev)) {
      this.errx('the options --{sizelimit,partscan,read-only,show} are allowed during loop device setup only');
    }
    if (haveOffset && act !== 'create' && (act !== 'show' || file === undefined)) {
      this.errx('the option --offset is not allowed in this context');
    }
    // string_add_to_idarray: "+LIST" adds to the columns so far, "LIST" replaces them.
    if (outarg !== undefined) {
      if (outarg === '' || outarg === '+') this.exit(1);
      columns = outarg.startsWith('+')
        ? [...columns, ...this.parseColumns(outarg.slice(1))]
        : this.parseColumns(outarg);
    }

    const failure = takeFailure(this.state.fail, argv);
    if (failure !== null) {
      if (failure.error === 'timeout') {
        this.out.hang = true;
        return;
      }
      if (failure.error === 'garbage') {
        this.out.out(GARBAGE);
        return;
      }
      this.failure = failure.error;
      if (failure.error === 'permission') this.noStatus = true;
    }

    const table = (n: number | undefined, fileFilter: string | undefined) =>
      this.table(columns, { json, raw, noHeadings }, n, fileFilter, haveOffset ? offset : undefined);
    let status = 0;
    switch (act) {
      case 'create':
        status = this.create({
          device,
          deviceName,
          file: file!,
          offset,
          sizelimit,
          haveSizelimit,
          haveOffset,
          blocksize,
          readOnly,
          partscan,
          dio: loDio,
          noOverlap,
          showdev,
        });
        break;
      case 'delete':
        status = this.detach(device, deviceName!);
        while (next < operands.length) {
          const name = operands[next++]!;
          const n = this.loopNumber(name);
          if (n === undefined) this.warn(`${name}: failed to use device`, ERRNO.ENODEV);
          else {
            device = n;
            deviceName = name;
          }
          status += this.detach(device, deviceName!);
        }
        break;
      case 'delete-all':
        for (const d of this.used()) status += this.detach(d.number, `/dev/loop${d.number}`);
        break;
      case 'find-free':
        status = this.findFree();
        break;
      case 'show':
        status = list ? table(undefined, file) : this.showAll(file, haveOffset ? offset : undefined);
        break;
      case 'show-one':
        status = list ? table(device, undefined) : this.showOne(device!, deviceName!);
        break;
      case 'set-capacity':
        status = this.setCapacity(device!, deviceName!);
        break;
      case 'set-dio':
      case 'set-blocksize': {
        const d = this.attached(device!);
        if (d === undefined || this.failure === 'permission') {
          this.warn(
            `${deviceName}: ${act === 'set-dio' ? 'set direct io failed' : 'set logical block size failed'}`,
            d === undefined ? ERRNO.ENXIO : ERRNO.EACCES,
          );
          status = 1;
        } else if (act === 'set-dio') {
          d.directIo = useDio;
        } else {
          d.sectorSize = blocksize;
        }
        break;
      }
    }
    this.exit(status ? 1 : 0);
  }

  /** string_add_to_idarray over column names (as losetup 2.38 reports a bad list). */
  private parseColumns(list: string): string[] {
    const out: string[] = [];
    let begin: number | null = null;
    for (let p = 0; p < list.length; p++) {
      begin ??= p;
      let end: number | null = null;
      if (list[p] === ',') end = p;
      if (p + 1 === list.length) end = p + 1;
      if (end === null) continue;
      if (end <= begin) this.exit(1);
      const name = list.slice(begin, end);
      const column = COLUMNS.find((col) => col.name.toLowerCase() === name.toLowerCase());
      if (column === undefined) {
        // warnx("unknown column: %s", name) prints the rest of the string from the bad name on.
        this.warnx(`unknown column: ${list.slice(begin)}`);
        this.exit(1);
      }
      out.push(column.name);
      begin = null;
    }
    return out;
  }

  /** Attached devices in /sys/block order (none when an injected not-found applies to listing). */
  private used(listing = true): LoopDevice[] {
    if (listing && this.consume('not-found')) return [];
    return [...this.state.attached].sort((a, b) => sysBlockOrder(a.number, b.number));
  }

  private consume(kind: FailureKind): boolean {
    if (this.failure !== kind) return false;
    this.failure = null;
    return true;
  }

  /** loopcxt_is_used: the same backing file (by device and inode, else by name), and offset. */
  private usesFile(d: LoopDevice, file: string, offset: number | undefined): boolean {
    let same: boolean;
    try {
      const st = this.out.files.stat(file);
      same = st.dev === d.dev && st.ino === d.ino;
    } catch {
      same = this.backingFile(d) === file;
      if (!same) {
        try {
          same = this.backingFile(d) === this.out.files.realpath(file);
        } catch {
          // cannot canonicalize a missing file
        }
      }
    }
    return same && (offset === undefined || d.offset === offset);
  }

  private printfLoopdev(d: LoopDevice): void {
    const name = `/dev/loop${d.number}`;
    let line = this.noStatus
      ? `${name}: []: (${this.backingFile(d)})`
      : `${name}: [${String(d.dev).padStart(4, '0')}]:${d.ino} (${this.backingFile(d)})`;
    if (d.offset) line += `, offset ${d.offset}`;
    if (d.sizelimit) line += `, sizelimit ${d.sizelimit}`;
    this.out.out(`${line}\n`);
  }

  private showAll(file: string | undefined, offset: number | undefined): number {
    for (const d of this.used()) {
      if (file !== undefined && !this.usesFile(d, file, offset)) continue;
      this.printfLoopdev(d);
    }
    return 0;
  }

  private showOne(n: number, name: string): number {
    const d = this.attached(n);
    if (d === undefined || this.consume('not-found')) {
      // printf_loopdev cannot read the backing file from sysfs; warn("%s") shows that errno.
      this.warn(name, ERRNO.ENOENT);
      return 1;
    }
    this.printfLoopdev(d);
    return 0;
  }

  private table(
    names: readonly string[],
    options: { json: boolean; raw: boolean; noHeadings: boolean },
    one: number | undefined,
    file: string | undefined,
    offset: number | undefined,
  ): number {
    const columns = names.map((name) => COLUMNS.find((c) => c.name === name)!);
    const rows: Cell[][] = [];
    if (one !== undefined) {
      const d = this.consume('not-found') ? undefined : this.attached(one);
      rows.push(columns.map((c) => c.cell(this, one, d)));
    } else {
      for (const d of this.used()) {
        if (file !== undefined && !this.usesFile(d, file, offset)) continue;
        rows.push(columns.map((c) => c.cell(this, d.number, d)));
      }
    }
    this.out.out(renderScols(columns, rows, { ...options, name: 'loopdevices' }));
    return 0;
  }

  private detach(n: number | undefined, name: string): number {
    const d = n === undefined ? undefined : this.attached(n);
    if (this.failure === 'permission') {
      this.warn(`${name}: detach failed`, ERRNO.EACCES);
      return 1;
    }
    if (d === undefined || this.failure === 'not-found') {
      this.warn(`${name}: detach failed`, ERRNO.ENXIO);
      return 1;
    }
    if (this.failure === 'busy') {
      // The device is open: LOOP_CLR_FD only sets autoclear, and the device goes at last close.
      d.autoclear = true;
      return 0;
    }
    this.state.attached = this.state.attached.filter((x) => x !== d);
    return 0;
  }

  private firstUnused(): number | undefined {
    for (let n = 0; n < this.state.count; n++) if (this.attached(n) === undefined) return n;
    return undefined;
  }

  private findFree(): number {
    if (this.failure === 'permission') {
      this.warn('cannot find an unused loop device', ERRNO.EACCES);
      return 1;
    }
    const n = this.consume('not-found') ? undefined : this.firstUnused();
    if (n === undefined) {
      // Assumption: the errno left by the failed search when every device is in use and no more
      // can be created (no /dev/loop-control): "No such file or directory".
      this.warn('cannot find an unused loop device', ERRNO.ENOENT);
      return 1;
    }
    this.out.out(`/dev/loop${n}\n`);
    return 0;
  }

  private setCapacity(n: number, name: string): number {
    const d = this.attached(n);
    const errno =
      this.failure === 'permission'
        ? ERRNO.EACCES
        : this.failure === 'busy'
          ? ERRNO.EBUSY
          : d === undefined
            ? ERRNO.ENXIO
            : 0;
    if (errno !== 0) {
      this.warn(`${name}: set capacity failed`, errno);
      return 1;
    }
    // The kernel reads the size of the file it holds open, even if its name was deleted since.
    if (!this.backingFile(d!).endsWith(' (deleted)')) d!.bytes = this.capacity(d!.file, d!.offset, d!.sizelimit);
    return 0;
  }

  /** The device's size as the kernel computes it: the file from offset, at most sizelimit, whole sectors. */
  private capacity(file: string, offset: number, sizelimit: number): number {
    let size: number;
    try {
      size = this.out.files.stat(file).size;
    } catch {
      return 0;
    }
    let bytes = Math.max(0, size - offset);
    if (sizelimit > 0) bytes = Math.min(bytes, sizelimit);
    return bytes - (bytes % 512);
  }

  private create(o: {
    device: number | undefined;
    deviceName: string | undefined;
    file: string;
    offset: number;
    sizelimit: number;
    haveSizelimit: boolean;
    haveOffset: boolean;
    blocksize: number;
    readOnly: boolean;
    partscan: boolean;
    dio: boolean;
    noOverlap: boolean;
    showdev: boolean;
  }): number {
    const hasdev = o.deviceName !== undefined;
    let st: Stats | undefined;
    try {
      st = this.out.files.stat(o.file);
    } catch {
      st = undefined;
    }
    // --nooverlap: reuse a device set up on the same file with the same offset and size limit.
    if (o.noOverlap && st !== undefined) {
      for (const d of this.used(false)) {
        if (d.dev !== st.dev || d.ino !== st.ino) continue;
        const full = d.offset === o.offset && d.sizelimit === o.sizelimit;
        const end = (x: { offset: number; sizelimit: number }) => (x.sizelimit ? x.offset + x.sizelimit : Infinity);
        const overlaps = d.offset < end(o) && o.offset < end(d);
        if (full && (!hasdev || d.number === o.device)) {
          if (d.readOnly && !o.readOnly) this.errx(`${o.file}: overlapping read-only loop device exists`);
          d.autoclear = false;
          if (o.showdev) this.out.out(`/dev/loop${d.number}\n`);
          this.warnSize(o.file, o.sizelimit, o.offset, o.haveOffset);
          return 0;
        }
        if (overlaps) this.errx(`${o.file}: overlapping loop device exists`);
      }
    }
    let n = o.device;
    if (!hasdev) {
      n = this.failure === 'permission' ? undefined : this.firstUnused();
      if (n === undefined) {
        this.warnx('cannot find an unused loop device');
        return 1;
      }
    }
    const name = hasdev ? o.deviceName! : `/dev/loop${n}`;
    const setupFailed = (prefix: string, errno: number): number => {
      this.warn(`${prefix}: failed to set up loop device`, errno);
      return 1;
    };
    // Opening the device: it must exist, and the caller must be allowed to.
    if (hasdev && n === undefined) return setupFailed(name, ERRNO.ENOENT);
    if (hasdev && this.failure === 'permission') return setupFailed(name, ERRNO.EACCES);
    // Opening the backing file.
    if (this.consume('not-found')) return setupFailed(o.file, ERRNO.ENOENT);
    if (st === undefined) {
      let errno: number = ERRNO.ENOENT;
      try {
        this.out.files.stat(o.file);
      } catch (error) {
        errno = errnoOf(error);
      }
      return setupFailed(o.file, errno);
    }
    if (st.isDirectory()) return setupFailed(o.file, ERRNO.EISDIR);
    if (!st.isFile() && !st.isBlockDevice()) return setupFailed(o.file, ERRNO.EINVAL);
    if (this.attached(n!) !== undefined || this.consume('busy')) return setupFailed(o.file, ERRNO.EBUSY);
    if (o.blocksize !== 0 && ![512, 1024, 2048, 4096].includes(o.blocksize)) return setupFailed(o.file, ERRNO.EINVAL);
    this.state.attached.push({
      number: n!,
      file: this.out.files.realpath(o.file),
      dev: st.dev,
      ino: st.ino,
      offset: o.offset,
      sizelimit: o.sizelimit,
      readOnly: o.readOnly,
      autoclear: false,
      partscan: o.partscan,
      directIo: o.dio,
      sectorSize: o.blocksize || 512,
      bytes: this.capacity(o.file, o.offset, o.sizelimit),
    });
    if (o.showdev) this.out.out(`${name}\n`);
    this.warnSize(o.file, o.sizelimit, o.offset, o.haveOffset);
    return 0;
  }

  /** warn_size: files that are too small, or do not end on a sector boundary. */
  private warnSize(file: string, sizelimit: number, offset: number, haveOffset: boolean): void {
    let size = sizelimit;
    if (!size) {
      let st;
      try {
        st = this.out.files.stat(file);
      } catch {
        return;
      }
      if (st.isBlockDevice()) return;
      size = st.size;
      if (haveOffset) size -= offset;
      if (size < 0) size += 2 ** 64; // unsigned arithmetic
    }
    if (size < 512) {
      this.warnx(
        `${file}: Warning: file is smaller than 512 bytes; the loop device may be useless or invisible for system tools.`,
      );
    } else if (size % 512) {
      this.warnx(`${file}: Warning: file does not fit into a 512-byte sector; the end of the file will be ignored.`);
    }
  }
}
