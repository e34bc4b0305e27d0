// losetup's command line (sys-utils/losetup.c main()): the options read with getopt_long and
// checked for exclusive ones, then the action they choose, with its device, file and settings.

import { ERRNO } from '../errno.js';
import { getoptLong } from '../getopt.js';
import type { LosetupCall } from './call.js';
import { COLUMNS, DEFAULT_COLUMNS, parseColumns } from './columns.js';
import { loopNumber } from './devices.js';
import { code, EXCLUSIVE, LONGOPTS, OPT_DIO, OPT_OUTPUT_ALL, OPT_RAW, OPT_SHOW, OPT_SIZELIMIT } from './options.js';
import { parseSize } from './sizes.js';
import { PROGRAM, USAGE, VERSION } from './usage.js';

export type Act =
  'create' | 'delete' | 'delete-all' | 'show' | 'show-one' | 'find-free' | 'set-capacity' | 'set-dio' | 'set-blocksize';

/** The action the command line chose and everything it says about it. */
export interface CommandLine {
  readonly act: Act;
  readonly file: string | undefined;
  readonly offset: number;
  readonly sizelimit: number;
  readonly blocksize: number;
  readonly showdev: boolean;
  readonly readOnly: boolean;
  readonly partscan: boolean;
  /** --direct-io's value. */
  readonly useDio: boolean;
  /** LO_FLAGS_DIRECT_IO in the setup flags. */
  readonly loDio: boolean;
  readonly haveOffset: boolean;
  readonly haveSizelimit: boolean;
  readonly noOverlap: boolean;
  readonly list: boolean;
  readonly json: boolean;
  readonly raw: boolean;
  readonly noHeadings: boolean;
  readonly columns: readonly string[];
  /** The device losetup works on (loopcxt_set_device), and the name it was given as. */
  readonly device: number | undefined;
  readonly deviceName: string | undefined;
  /** The arguments that are not options, and the first one not used yet. */
  readonly operands: readonly string[];
  readonly next: number;
}

function strtosize(call: LosetupCall, text: string, what: string): number {
  const parsed = parseSize(text);
  if ('errno' in parsed) call.err(`${what}: '${text}'`, parsed.errno);
  return parsed.value;
}

/** Reads the command line as losetup's main() does, up to the point where it acts. */
export function parseCommandLine(call: LosetupCall, argv: readonly string[]): CommandLine {
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
    const n = loopNumber(call, name);
    if (check && n === undefined) call.err(`${name}: failed to use device`, ERRNO.ENODEV);
    device = n;
  };

  const getopt = getoptLong(argv, 'ab:c:d:Dfhj:JlLno:O:PrvV', LONGOPTS, PROGRAM, (text) => call.out.err(text));
  for (let option = getopt.next(); option !== null; option = getopt.next()) {
    const c = option.code;
    // err_exclusive_options
    EXCLUSIVE.forEach((row, e) => {
      const rowCodes = row.map(code);
      if (!rowCodes.includes(code(c))) return;
      if (exclusiveSeen[e] === null) exclusiveSeen[e] = code(c);
      else if (exclusiveSeen[e] !== code(c)) {
        const names = row.map((r) => `--${LONGOPTS.find((o) => o.val === r)!.name}`);
        call.out.err(`${PROGRAM}: mutually exclusive arguments: ${names.join(' ')}\n`);
        call.exit(1);
      }
    });
    const arg = option.arg ?? '';
    switch (c) {
      case 'a':
        act = 'show';
        break;
      case 'b':
        setBlocksize = true;
        blocksize = strtosize(call, arg, 'failed to parse logical block size');
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
        offset = strtosize(call, arg, 'failed to parse offset');
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
          else call.errx(`argument error: '${option.arg}'`);
        }
        if (useDio) loDio = true;
        break;
      case 'v':
        break;
      case OPT_SIZELIMIT:
        sizelimit = strtosize(call, arg, 'failed to parse size');
        haveSizelimit = true;
        break;
      case 'h':
        call.out.out(USAGE);
        call.exit(0);
        break;
      case 'V':
        call.out.out(VERSION);
        call.exit(0);
        break;
      default:
        call.errtryhelp();
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
    if (next < operands.length) call.errx('unexpected arguments');
  }
  if (list && act === null && next === operands.length) act = 'show';
  if (act === null && next + 1 === operands.length) {
    act = setDio ? 'set-dio' : setBlocksize ? 'set-blocksize' : 'show-one';
    if (setDio) loDio = false;
    useDevice(operands[next++]!, true);
  }
  if (act === null) {
    act = 'create';
    if (next >= operands.length) call.errx('no loop device specified');
    useDevice(operands[next++]!, false);
    if (next >= operands.length) call.errx('no file specified');
    file = operands[next++];
  }
  if (act !== 'create' && (sizelimit !== 0 || readOnly || partscan || loDio || showdev)) {
    call.errx('the options --{sizelimit,partscan,read-only,show} are allowed during loop device setup only');
  }
  if (haveOffset && act !== 'create' && (act !== 'show' || file === undefined)) {
    call.errx('the option --offset is not allowed in this context');
  }
  // string_add_to_idarray: "+LIST" adds to the columns so far, "LIST" replaces them.
  if (outarg !== undefined) {
    if (outarg === '' || outarg === '+') call.exit(1);
    columns = outarg.startsWith('+')
      ? [...columns, ...parseColumns(call, outarg.slice(1))]
      : parseColumns(call, outarg);
  }
  return {
    act,
    file,
    offset,
    sizelimit,
    blocksize,
    showdev,
    readOnly,
    partscan,
    useDio,
    loDio,
    haveOffset,
    haveSizelimit,
    noOverlap,
    list,
    json,
    raw,
    noHeadings,
    columns,
    operands,
    device,
    deviceName,
    next,
  };
}
