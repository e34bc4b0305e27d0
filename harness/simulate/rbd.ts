// A stateful fake of Ceph 16's `rbd` command (src/tools/rbd in Ceph 16.2, "Pacific"): images,
// image-meta, snapshots, clones (v1), copies and kernel mappings, kept in the scenario's sandbox.
// With `ceph_release` it plays another release (12 Luminous, 14 Nautilus, 17 Quincy, 18 Reef): the
// differences are marked "Ceph NN:" below, each with the release and source file it comes from;
// everything not marked is Ceph 16's in every release (none of the others was checked against a
// real binary: Debian 12 ships only Ceph 16).
// It reads its arguments as rbd does (Shell.cc: the command found from the words that are not
// options, then boost::program_options with the command's own options), checks them in the order
// each action does, and prints what rbd prints, on the same stream, with the same exit status:
// the absolute value of the errno an action returns, or 1 for usage errors.
//
// Where the real output could not be checked against a live Ceph 16, the comment says what was
// assumed. Deliberate differences (documented in spec/SCENARIOS.md):
//   - no cluster configuration is read: -c/--conf, --id, --cluster, --keyring... are accepted and
//     ignored, and Ceph config overrides on the command line (--debug-rbd 20) are not;
//   - only the commands providers use are simulated; any other real rbd command fails with a
//     message saying so (exit 95), and a command rbd does not know fails as rbd fails;
//   - progress is printed as its final line only ("\rResizing image: 100% complete...done.").

import { release } from 'node:os';
import {
  byteU,
  createFormatter,
  ctime,
  fakePointer,
  logPrefix,
  prettyByte,
  siSize,
  TextTable,
  type CephFormatter,
} from './ceph-format.js';
import { cppStrerror, ERRNO } from './errno.js';
import { rbdCommands, rbdHelp } from './rbd-help.js';
import { Exit, GARBAGE, takeFailure, type FailureKind, type Output } from './runtime.js';
import {
  imageKey,
  newImageId,
  nowSeconds,
  RBD_DEFAULT_FEATURES,
  type CephRelease,
  type RbdImage,
  type RbdState,
} from './state.js';

/** Answers one call: changes `state` as the real command would, and prints on `output`. */
export function simulateRbd(state: RbdState, argv: readonly string[], output: Output): void {
  new Rbd(state, output).run(argv);
}

// ---------------------------------------------------------------------------------------------
// Options (src/tools/rbd/ArgumentTypes.cc)

type OptionKind = 'value' | 'switch' | 'multi';

interface OptionDef {
  readonly long: string;
  readonly short?: string;
  readonly kind: OptionKind;
  /** Store-time validation (boost validators): false gives "the argument for option ... is invalid". */
  readonly valid?: (value: string) => boolean;
  /** The first release (of those simulated) whose rbd has the option; absent: every one. */
  readonly since?: CephRelease;
}

/** Feature names, in ImageFeatures::FEATURE_MAPPING order (by feature bit). */
const FEATURES = [
  'layering',
  'striping',
  'exclusive-lock',
  'object-map',
  'fast-diff',
  'deep-flatten',
  'journaling',
  'data-pool',
  'operations',
];

/** strict_iecstrtoll: a non-negative integer with an optional B/K/M/G/T/P/E unit (and "i"/"iB"). */
function iecBytes(text: string): number | undefined {
  const match = /^([0-9]+)([BKMGTPE]?)(i?B?)$/.exec(text);
  if (!match) return undefined;
  if (match[3] !== '' && match[2] === '') return undefined;
  if (match[2] === 'B' && match[3] !== '') return undefined;
  const shift = { '': 0, B: 0, K: 10, M: 20, G: 30, T: 40, P: 50, E: 60 }[match[2] as 'K'];
  const value = Number(match[1]) * 2 ** shift;
  return Number.isSafeInteger(value) ? value : undefined;
}

/** --size: iec bytes, a bare number meaning MiB (ArgumentTypes.cc validate(ImageSize)). */
function sizeBytes(text: string): number | undefined {
  const bytes = iecBytes(text);
  if (bytes === undefined) return undefined;
  return /[0-9]$/.test(text) ? bytes * 2 ** 20 : bytes;
}

const isUint = (v: string) => /^[0-9]+$/.test(v);

const POOL: OptionDef = { long: 'pool', short: 'p', kind: 'value' };
// Ceph 14: RBD namespaces, and --namespace, are new in Nautilus (ArgumentTypes.cc add_namespace_option).
const NAMESPACE: OptionDef = { long: 'namespace', kind: 'value', since: 14 };
const IMAGE: OptionDef = { long: 'image', kind: 'value' };
const SNAP: OptionDef = { long: 'snap', kind: 'value' };
const IMAGE_ID: OptionDef = { long: 'image-id', kind: 'value' };
const DEST_POOL: OptionDef = { long: 'dest-pool', kind: 'value' };
const DEST_NAMESPACE: OptionDef = { long: 'dest-namespace', kind: 'value' };
const DEST: OptionDef = { long: 'dest', kind: 'value' };
const FORMAT: OptionDef = { long: 'format', kind: 'value', valid: (v) => v === 'plain' || v === 'json' || v === 'xml' };
const PRETTY: OptionDef = { long: 'pretty-format', kind: 'switch' };
const NO_PROGRESS: OptionDef = { long: 'no-progress', kind: 'switch' };
const SIZE: OptionDef = { long: 'size', short: 's', kind: 'value', valid: (v) => sizeBytes(v) !== undefined };

const IMAGE_SPEC = [POOL, NAMESPACE, IMAGE];
const SNAP_SPEC = [POOL, NAMESPACE, IMAGE, SNAP];
const FORMAT_OPTIONS = [FORMAT, PRETTY];

function createImageOptions(withFormat: boolean): OptionDef[] {
  return [
    ...(withFormat
      ? [
          { long: 'image-format', kind: 'value', valid: (v: string) => v === '1' || v === '2' } as OptionDef,
          { long: 'new-format', kind: 'switch' } as OptionDef,
        ]
      : []),
    { long: 'order', kind: 'value', valid: (v) => isUint(v) && Number(v) >= 12 && Number(v) <= 25 },
    { long: 'object-size', kind: 'value', valid: (v) => iecBytes(v) !== undefined },
    { long: 'image-feature', kind: 'multi', valid: (v) => v.split(',').every((f) => f === '' || FEATURES.includes(f)) },
    { long: 'image-shared', kind: 'switch' },
    { long: 'stripe-unit', kind: 'value', valid: (v) => iecBytes(v) !== undefined },
    { long: 'stripe-count', kind: 'value', valid: isUint },
    { long: 'data-pool', kind: 'value' },
    { long: 'mirror-image-mode', kind: 'value', valid: (v) => v === 'journal' || v === 'snapshot' },
    { long: 'journal-splay-width', kind: 'value', valid: isUint },
    { long: 'journal-object-size', kind: 'value', valid: (v) => iecBytes(v) !== undefined },
    { long: 'journal-pool', kind: 'value' },
  ];
}

/** Shell::get_global_options: accepted by every command (and ignored by the simulator). */
const GLOBAL_OPTIONS: OptionDef[] = [
  { long: 'conf', short: 'c', kind: 'value' },
  { long: 'cluster', kind: 'value' },
  { long: 'id', kind: 'value' },
  { long: 'name', short: 'n', kind: 'value' },
  { long: 'mon_host', short: 'm', kind: 'value' },
  { long: 'keyfile', short: 'K', kind: 'value' },
  { long: 'keyring', short: 'k', kind: 'value' },
];

/** Options Shell::get_command_spec knows take no value (Shell::SwitchArguments, at::SWITCH_ARGUMENTS). */
const SWITCHES = new Set([
  'allow-shrink',
  'read-only',
  'exclusive',
  'quiesce',
  'long',
  'l',
  'all',
  'a',
  'force',
  'image-shared',
  'thick-provision',
  'whole-object',
  'no-progress',
  'pretty-format',
  'verbose',
  'no-error',
  'skip-quiesce',
  'ignore-quiesce-error',
  'new-format',
]);

/** The options `when:` matchers skip (and the brief calls global): these and their values. */
const MATCH_SKIPPED_LONG = new Set([
  'conf',
  'cluster',
  'id',
  'name',
  'mon_host',
  'keyfile',
  'keyring',
  'pool',
  'format',
]);
const MATCH_SKIPPED_SHORT = new Set(['c', 'n', 'm', 'K', 'k', 'p']);

/** The arguments of a call without the global options, -p/--pool, --format and --pretty-format. */
export function argsForMatching(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '--pretty-format') continue;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      if (MATCH_SKIPPED_LONG.has(name)) {
        if (eq < 0) i++;
        continue;
      }
    } else if (arg.length >= 2 && arg.startsWith('-') && MATCH_SKIPPED_SHORT.has(arg[1]!)) {
      if (arg.length === 2) i++;
      continue;
    }
    out.push(arg);
  }
  return out;
}

interface ActionDef {
  readonly spec: readonly string[];
  readonly alias?: readonly string[];
  readonly options: readonly OptionDef[];
  /** How many positional arguments follow the command's words. */
  readonly positionals: number;
  readonly run: (rbd: Rbd, vm: Parsed) => void;
}

/** What boost::program_options stored: option values by long name, and the positional arguments. */
class Parsed {
  readonly values = new Map<string, string[]>();
  readonly positional: string[] = [];

  has(name: string): boolean {
    return this.values.has(name);
  }

  get(name: string): string | undefined {
    return this.values.get(name)?.[0];
  }

  all(name: string): string[] {
    return this.values.get(name) ?? [];
  }

  flag(name: string): boolean {
    return this.values.has(name);
  }

  arg(index: number): string {
    return this.positional[index] ?? '';
  }
}

// ---------------------------------------------------------------------------------------------
// Names (src/tools/rbd/Utils.cc)

type Modifier = 'none' | 'source' | 'dest';
type SnapPresence = 'none' | 'permitted' | 'required';
type Validation = 'full' | 'snap' | 'none';

interface Names {
  pool: string;
  namespace: string;
  image: string;
  snap: string;
}

const SPEC_PATTERNS: Record<Validation, RegExp> = {
  full: /^(?:([^/@]+)\/(?:([^/@]+)\/)?)?([^/@]+)(?:@([^/@]+))?$/,
  snap: /^(?:([^/]+)\/(?:([^/@]+)\/)?)?([^@]+)(?:@([^/@]+))?$/,
  none: /^(?:([^/]+)\/(?:([^/@]+)\/)?)?([^@]+)(?:@(.+))?$/,
};

const NAME_PATTERN = /^[^@/]*$/;

// ---------------------------------------------------------------------------------------------

export class Rbd {
  /** The injected failure for this call, consumed by the first step it applies to. */
  private failure: FailureKind | null = null;
  /** The call's arguments for `when:` matching; null once the failures were looked at. */
  private matchArgs: string[] | null = null;

  constructor(
    private readonly state: RbdState,
    private readonly out: Output,
  ) {}

  /** The Ceph release played. */
  private get release(): CephRelease {
    return this.state.cephRelease;
  }

  /** common/TextTable as the release lays it out (Ceph 12: a space after every cell). */
  private table(): TextTable {
    return new TextTable(this.release === 12);
  }

  // --- output helpers ---

  private stderr(line: string): void {
    this.out.err(`${line}\n`);
  }

  private stdout(text: string): void {
    this.out.out(text);
  }

  /**
   * A Ceph log line on stderr, as librbd's lderr() prints it for command-line tools: followed by
   * an empty line (seen on Ceph 16.2.15, e2e/drift/rbd.ts).
   */
  private lderr(prefix: string, message: string): void {
    this.stderr(`${logPrefix(-1)}${prefix}${message}\n`);
  }

  private exit(code: number): never {
    throw new Exit(code);
  }

  private fail(errno: number, ...lines: string[]): never {
    for (const line of lines) this.stderr(line);
    this.exit(errno);
  }

  // --- the shell ---

  run(argv: readonly string[]): void {
    // global_init (ceph_argparse) answers --version before rbd's own parsing.
    if (argv.some((a) => a === '--version' || a === '-v')) {
      this.stdout(`${VERSIONS[this.release]}\n`);
      return;
    }
    const spec = this.commandSpec(argv);
    if (spec.length === 0 || (spec.length === 1 && spec[0] === 'help')) {
      this.stdout(rbdHelp(this.release));
      return;
    }
    if (spec[0] === 'help') {
      const wanted = spec.slice(1);
      const action = findAction(wanted, this.release);
      const real = findReal(wanted, this.release);
      if (action === null && real === null) this.unknown(wanted);
      // Assumption-free choice: rbd's per-command help text is not reproduced.
      const words = action === null ? real! : this.release === 12 ? action.words : action.action.spec;
      this.stdout(`usage: rbd ${words.join(' ')}\n`);
      this.stderr('rbd (extstorage-kit simulator): per-command help is not reproduced');
      return;
    }
    const found = findAction(spec, this.release);
    if (found === null) {
      const real = findReal(spec, this.release);
      if (real !== null) {
        this.fail(
          ERRNO.EOPNOTSUPP,
          `rbd (extstorage-kit simulator): 'rbd ${real.join(' ')}' is a real rbd command that the simulator does not implement`,
        );
      }
      this.unknown(spec);
    }
    const { action, words } = found;
    const vm = this.parse(argv, action, words);
    this.matchArgs = argsForMatching(argv);
    action.run(this, vm);
  }

  /**
   * The call reaches the backend (the cluster, or the kernel): the first injected failure that
   * matches applies from here on. Calls that fail their own checks before this never use one up.
   */
  backend(): void {
    if (this.matchArgs === null) return;
    const failure = takeFailure(this.state.fail, this.matchArgs);
    this.matchArgs = null;
    if (failure === null) return;
    if (failure.error === 'timeout') {
      this.out.hang = true;
      this.exit(0);
    }
    if (failure.error === 'garbage') {
      this.out.stdoutParts.length = 0;
      this.out.stderrParts.length = 0;
      this.out.out(GARBAGE);
      this.exit(0);
    }
    this.failure = failure.error;
  }

  /** Shell::print_unknown_action (the same from Ceph 12 to 18), then the release's help. */
  private unknown(spec: readonly string[]): never {
    this.out.err(`error: unknown option '${spec.join(' ')}'\n\n`);
    this.stdout(rbdHelp(this.release));
    this.exit(1);
  }

  /** Shell::get_command_spec: the words that are not options or option values. */
  private commandSpec(argv: readonly string[]): string[] {
    const spec: string[] = [];
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i]!;
      if (arg === '-h' || arg === '--help') return ['help'];
      if (arg === '--') {
        spec.push(...argv.slice(i + 1));
        return spec;
      }
      if (arg.startsWith('-')) {
        if (
          arg.length >= 2 &&
          (arg[1] === '-' || !SWITCHES.has(arg.slice(1, 2))) &&
          (arg[1] !== '-' || !SWITCHES.has(arg.slice(2))) &&
          !SWITCHES.has(arg.slice(2)) &&
          !arg.includes('=')
        ) {
          i++;
        }
      } else {
        spec.push(arg);
      }
    }
    return spec;
  }

  /** boost::program_options as Shell::execute sets it up: the command's options and the global ones. */
  private parse(argv: readonly string[], action: ActionDef, words: readonly string[]): Parsed {
    const options = [...action.options, ...GLOBAL_OPTIONS].filter(
      (o) => o.since === undefined || this.release >= o.since,
    );
    const byLong = new Map(options.map((o) => [o.long, o]));
    const byShort = new Map(options.filter((o) => o.short !== undefined).map((o) => [o.short!, o]));
    const known = (token: string): boolean => {
      if (token.startsWith('--')) return byLong.has(token.slice(2).split('=')[0]!);
      return token.length >= 2 && token.startsWith('-') && byShort.has(token[1]!);
    };
    const stored: { option: OptionDef; value: string | null }[] = [];
    const positional: string[] = [];
    const usage = (message: string): never => this.fail(1, `rbd: ${message}`);

    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i]!;
      if (arg === '--') {
        positional.push(...argv.slice(i + 1));
        break;
      }
      if (arg.startsWith('--') && arg.length > 2) {
        const eq = arg.indexOf('=');
        const name = arg.slice(2, eq < 0 ? undefined : eq);
        const option = byLong.get(name);
        if (option === undefined) usage(`unrecognised option '${arg}'`);
        if (option!.kind === 'switch') {
          if (eq >= 0) usage(`option '--${name}' does not take any arguments`);
          stored.push({ option: option!, value: null });
          continue;
        }
        if (eq >= 0) {
          stored.push({ option: option!, value: arg.slice(eq + 1) });
          continue;
        }
        const next = argv[i + 1];
        if (next === undefined) usage(`the required argument for option '--${name}' is missing`);
        if (known(next!)) usage(`the argument for option '--${name}' should follow immediately after the equal sign`);
        stored.push({ option: option!, value: next! });
        i++;
        continue;
      }
      if (arg.startsWith('-') && arg.length > 1) {
        // Short options, possibly several switches stuck together ("-la") or a value attached ("-prbd").
        for (let j = 1; j < arg.length; j++) {
          const letter = arg[j]!;
          const option = byShort.get(letter);
          if (option === undefined) usage(`unrecognised option '${j === 1 ? arg : `-${letter}`}'`);
          if (option!.kind === 'switch') {
            stored.push({ option: option!, value: null });
            continue;
          }
          if (j + 1 < arg.length) {
            stored.push({ option: option!, value: arg.slice(j + 1) });
          } else {
            const next = argv[i + 1];
            if (next === undefined) usage(`the required argument for option '-${letter}' is missing`);
            if (known(next!))
              usage(`the argument for option '-${letter}' should follow immediately after the equal sign`);
            stored.push({ option: option!, value: next! });
            i++;
          }
          break;
        }
        continue;
      }
      positional.push(arg);
    }

    // The words of the command come first among the positional arguments.
    const rest = positional.slice(words.length);
    if (rest.length > action.positionals) usage('too many arguments');

    // po::store: validation and repeated options, in the order given.
    const vm = new Parsed();
    for (const { option, value } of stored) {
      const seen = vm.values.get(option.long);
      if (seen !== undefined && option.kind !== 'multi') {
        usage(`option '--${option.long}' cannot be specified more than once`);
      }
      if (value !== null && option.valid !== undefined && !option.valid(value)) {
        usage(`the argument for option '--${option.long}' is invalid`);
      }
      if (option.long === 'new-format') this.stdout('rbd: --new-format is deprecated, use --image-format\n');
      vm.values.set(option.long, [...(seen ?? []), value ?? '']);
    }
    if (!startsWith(positional, words)) usage('failed to parse command');
    vm.positional.push(...rest);
    return vm;
  }

  // --- names ---

  /** utils::get_pool_image_snapshot_names. */
  names(
    vm: Parsed,
    mod: Modifier,
    index: { value: number },
    imageRequired: boolean,
    presence: SnapPresence,
    validation: Validation,
  ): Names {
    const dest = mod === 'dest';
    const names: Names = {
      pool: vm.get(dest ? 'dest-pool' : 'pool') ?? '',
      namespace: vm.get(dest ? 'dest-namespace' : 'namespace') ?? '',
      image: vm.get(dest ? 'dest' : 'image') ?? '',
      snap: vm.get(dest ? 'dest-snap' : 'snap') ?? '',
    };
    if (names.image !== '') this.extractSpec(names.image, names, validation);
    if (names.image === '') {
      const spec = vm.arg(index.value++);
      if (spec !== '') this.extractSpec(spec, names, validation);
    }
    if (imageRequired && names.image === '') {
      this.fail(ERRNO.EINVAL, `rbd: ${dest ? 'destination ' : ''}image name was not specified`);
    }
    if (validation === 'full' && !NAME_PATTERN.test(names.pool))
      this.fail(ERRNO.EINVAL, `rbd: invalid pool name '${names.pool}'`);
    if (names.namespace !== '' && !NAME_PATTERN.test(names.namespace)) {
      this.fail(ERRNO.EINVAL, `rbd: invalid namespace name '${names.namespace}'`);
    }
    const prefix = dest ? 'destination ' : '';
    if (presence === 'none' && names.snap !== '') {
      this.fail(ERRNO.EINVAL, `rbd: ${prefix}snapshot name specified for a command that doesn't use it`);
    }
    if (presence === 'required' && names.snap === '')
      this.fail(ERRNO.EINVAL, `rbd: ${prefix}snapshot name was not specified`);
    if (validation === 'snap' && !NAME_PATTERN.test(names.snap))
      this.fail(ERRNO.EINVAL, `rbd: invalid snap name '${names.snap}'`);
    return names;
  }

  /** utils::extract_spec. */
  private extractSpec(spec: string, names: Names, validation: Validation): void {
    const match = SPEC_PATTERNS[validation].exec(spec);
    if (!match) this.fail(ERRNO.EINVAL, `rbd: invalid spec '${spec}'`);
    if (match[1] !== undefined) names.pool = match[1];
    if (match[2] !== undefined) names.namespace = match[2];
    names.image = match[3]!;
    if (match[4] !== undefined) names.snap = match[4];
  }

  /** utils::get_formatter: null for plain output. */
  formatter(vm: Parsed): CephFormatter | null {
    const pretty = vm.flag('pretty-format');
    const format = vm.get('format');
    if (format !== undefined && format !== 'plain') return createFormatter(format as 'json' | 'xml', pretty);
    if (pretty) this.fail(ERRNO.EINVAL, 'rbd: --pretty-format only works when --format is json or xml');
    return null;
  }

  // --- the cluster ---

  /** utils::init_rados: connecting to the monitors. Injected unreachable/permission fail here. */
  connect(): void {
    this.backend();
    if (this.failure === 'unreachable') {
      this.failure = null;
      // Assumption: what a client prints when no monitor answers within client_mount_timeout.
      this.stderr(`${logPrefix(0)}monclient(hunting): authenticate timed out after 300`);
      this.fail(ERRNO.ETIMEDOUT, "rbd: couldn't connect to the cluster!");
    }
    if (this.failure === 'permission') {
      this.failure = null;
      // Assumption: a cephx key the monitors reject (one line per monitor tried in reality).
      this.stderr(
        `${logPrefix(-1)}monclient(hunting): handle_auth_bad_method server allowed_methods [2] but i only support [2]`,
      );
      this.fail(ERRNO.EACCES, "rbd: couldn't connect to the cluster!");
    }
  }

  poolExists(pool: string): boolean {
    return this.state.pools.includes(pool);
  }

  /** utils::init: connect, then open the pool (and namespace); prints rbd's messages on failure. */
  init(
    pool: string,
    namespace: string,
    after: (errno: number) => void = () => undefined,
    notFoundHere = false,
  ): string {
    this.connect();
    const name = pool === '' ? 'rbd' : pool;
    if (!this.poolExists(name) || (notFoundHere && this.consume('not-found'))) {
      if (name === 'rbd') {
        this.stderr(`rbd: error opening default pool '${name}'`);
        this.stderr('Ensure that the default pool has been created or specify an alternate pool name.');
      } else {
        this.stderr(`rbd: error opening pool '${name}': ${cppStrerror(ERRNO.ENOENT)}`);
      }
      after(ERRNO.ENOENT);
      this.exit(ERRNO.ENOENT);
    }
    if (namespace !== '' && !this.state.pools.includes(`${name}/${namespace}`)) {
      this.stderr(`rbd: namespace '${namespace}' does not exist.`);
      after(ERRNO.ENOENT);
      this.exit(ERRNO.ENOENT);
    }
    return name;
  }

  private consume(kind: FailureKind): boolean {
    if (this.failure !== kind) return false;
    this.failure = null;
    return true;
  }

  /** The injected failure of the action's main operation, as an errno (or 0). */
  operationErrno(): number {
    if (this.consume('busy')) return ERRNO.EBUSY;
    if (this.consume('not-found')) return ERRNO.ENOENT;
    return 0;
  }

  image(pool: string, namespace: string, name: string): RbdImage | undefined {
    return this.state.images[imageKey(pool, namespace, name)];
  }

  /** utils::init_and_open_image (or utils::open_image after init). */
  open(names: Names, snapshot = ''): { pool: string; image: RbdImage } {
    const pool = this.init(names.pool, names.namespace);
    const image = this.image(pool, names.namespace, names.image);
    if (image === undefined || this.consume('not-found')) {
      this.fail(ERRNO.ENOENT, `rbd: error opening image ${names.image}: ${cppStrerror(ERRNO.ENOENT)}`);
    }
    if (snapshot !== '' && !image.snapshots.some((s) => s.name === snapshot)) {
      this.fail(ERRNO.ENOENT, `error setting snapshot context: ${cppStrerror(ERRNO.ENOENT)}`);
    }
    return { pool, image: image };
  }

  // --- progress ---

  progressDone(vm: Parsed, operation: string): void {
    if (!vm.flag('no-progress')) this.out.err(`\r${operation}: 100% complete...done.\n`);
  }

  progressFailed(vm: Parsed, operation: string): void {
    if (!vm.flag('no-progress')) this.out.err(`\r${operation}: 0% complete...failed.\n`);
  }

  // --- the actions ---

  doCreate(vm: Parsed): void {
    const index = { value: 0 };
    const names = this.names(vm, 'none', index, true, 'none', 'full');
    const options = this.imageOptions(vm, true);
    if (!vm.has('size')) this.fail(ERRNO.EINVAL, 'rbd: must specify --size <M/G/T>');
    const bytes = sizeBytes(vm.get('size')!)!;
    const pool = this.init(names.pool, names.namespace, undefined, true);
    const errno = this.operationErrno();
    if (errno !== 0) this.fail(errno, `rbd: create error: ${cppStrerror(errno)}`);
    if (options.format === 1) {
      this.lderr('librbd: ', 'Format 1 image creation unsupported. ');
      this.fail(ERRNO.EINVAL, `rbd: create error: ${cppStrerror(ERRNO.EINVAL)}`);
    }
    if (options.dataPool !== undefined && !this.poolExists(options.dataPool)) {
      // Assumption: librbd's CreateRequest refuses a data pool that does not exist this way.
      this.lderr(
        `librbd::image::CreateRequest: ${fakePointer()} validate_data_pool: `,
        `data pool ${options.dataPool} does not exist`,
      );
      this.fail(ERRNO.ENOENT, `rbd: create error: ${cppStrerror(ERRNO.ENOENT)}`);
    }
    if (this.image(pool, names.namespace, names.image) !== undefined) {
      this.lderr('librbd: ', `rbd image ${names.image} already exists`);
      this.fail(ERRNO.EEXIST, `rbd: create error: ${cppStrerror(ERRNO.EEXIST)}`);
    }
    this.state.images[imageKey(pool, names.namespace, names.image)] = {
      id: newImageId(),
      bytes,
      order: options.order,
      features: options.features,
      meta: {},
      snapshots: [],
      parent: null,
      created: nowSeconds(),
    };
    if (vm.flag('thick-provision')) this.progressDone(vm, 'Thick provisioning');
  }

  /** utils::get_image_options, as far as the simulated image keeps it. */
  private imageOptions(
    vm: Parsed,
    withFormat: boolean,
  ): { order: number; features: string[]; format: number; dataPool?: string } {
    let order = 22;
    if (vm.has('order')) order = Number(vm.get('order'));
    else if (vm.has('object-size')) order = Math.round(Math.log2(iecBytes(vm.get('object-size')!)!));
    let features = [...RBD_DEFAULT_FEATURES];
    if (vm.has('image-feature')) {
      const wanted = new Set(
        vm
          .all('image-feature')
          .flatMap((v) => v.split(','))
          .filter((f) => f !== ''),
      );
      features = FEATURES.filter((f) => wanted.has(f));
    }
    if (vm.flag('image-shared'))
      features = features.filter((f) => !['exclusive-lock', 'object-map', 'fast-diff', 'journaling'].includes(f));
    let format = 2;
    if (withFormat && vm.flag('new-format')) format = 2;
    else if (withFormat && vm.has('image-format')) format = Number(vm.get('image-format'));
    if (format === 1) this.stderr('rbd: image format 1 is deprecated');
    const dataPool = vm.get('data-pool');
    if (dataPool !== undefined && !features.includes('data-pool')) {
      features = FEATURES.filter((f) => f === 'data-pool' || features.includes(f));
    }
    return { order, features, format, ...(dataPool !== undefined ? { dataPool } : {}) };
  }

  doResize(vm: Parsed): void {
    const names = this.names(vm, 'none', { value: 0 }, true, 'none', 'none');
    if (!vm.has('size')) this.fail(ERRNO.EINVAL, 'rbd: must specify --size <M/G/T>');
    const bytes = sizeBytes(vm.get('size')!)!;
    const { image } = this.open(names);
    if (image.bytes === bytes) this.fail(ERRNO.EINVAL, 'rbd: new size is equal to original size ');
    const allowShrink = vm.flag('allow-shrink');
    if (image.bytes > bytes && !allowShrink) {
      this.fail(ERRNO.EINVAL, 'rbd: shrinking an image is only allowed with the --allow-shrink flag');
    }
    const errno = this.operationErrno();
    if (errno !== 0) {
      this.progressFailed(vm, 'Resizing image');
      this.fail(errno, `rbd: resize error: ${cppStrerror(errno)}`);
    }
    image.bytes = bytes;
    if (image.parent !== null) image.parent.overlap = Math.min(image.parent.overlap, bytes);
    this.progressDone(vm, 'Resizing image');
  }

  doRemove(vm: Parsed): void {
    const names = this.names(vm, 'none', { value: 0 }, true, 'none', 'none');
    const pool = this.init(names.pool, names.namespace);
    const key = imageKey(pool, names.namespace, names.image);
    const image = this.state.images[key];
    let errno = this.operationErrno();
    if (errno === 0 && image === undefined) errno = ERRNO.ENOENT;
    if (errno === 0 && image!.snapshots.length > 0) {
      // Ceph 16.2.15 logs nothing here (e2e/drift/rbd.ts).
      errno = ERRNO.ENOTEMPTY;
    }
    if (errno === 0 && this.watched(pool, names.namespace, names.image)) errno = ERRNO.EBUSY;
    if (errno === ERRNO.EBUSY) {
      this.lderr(
        `librbd::image::PreRemoveRequest: ${fakePointer()} check_image_watchers: `,
        'image has watchers - not removing',
      );
    }
    if (errno !== 0) {
      this.progressFailed(vm, 'Removing image');
      if (errno === ERRNO.ENOTEMPTY) {
        this.fail(
          errno,
          "rbd: image has snapshots - these must be deleted with 'rbd snap purge' before the image can be removed.",
        );
      }
      if (errno === ERRNO.EBUSY) {
        this.fail(
          errno,
          'rbd: error: image still has watchers',
          'This means the image is still open or the client using it crashed. Try again after closing/unmapping it or waiting 30s for the crashed client to timeout.',
        );
      }
      this.fail(errno, `rbd: delete error: ${cppStrerror(errno)}`);
    }
    if (image!.parent !== null) this.unlinkChild(image!, key);
    delete this.state.images[key];
    this.progressDone(vm, 'Removing image');
  }

  /** Whether a kernel mapping (a watcher on the header) exists for the image or one of its snapshots. */
  private watched(pool: string, namespace: string, name: string): boolean {
    return this.state.devices.some((d) => d.pool === pool && d.namespace === namespace && d.image === name);
  }

  private unlinkChild(image: RbdImage, key: string): void {
    const parent = image.parent!;
    const snapshot = this.image(parent.pool, parent.namespace, parent.image)?.snapshots.find(
      (s) => s.name === parent.snapshot,
    );
    if (snapshot !== undefined) snapshot.children = snapshot.children.filter((c) => c !== key);
  }

  doInfo(vm: Parsed): void {
    if (vm.has('image-id')) {
      this.fail(ERRNO.EOPNOTSUPP, "rbd (extstorage-kit simulator): 'rbd info --image-id' is not simulated");
    }
    const names = this.names(vm, 'none', { value: 0 }, true, 'permitted', 'none');
    const f = this.formatter(vm);
    const { image } = this.open(names, names.snap);
    const errno = this.operationErrno();
    if (errno !== 0) this.fail(errno, `rbd: info: ${cppStrerror(errno)}`);
    const snapshot = names.snap === '' ? undefined : image.snapshots.find((s) => s.name === names.snap);
    const bytes = snapshot?.bytes ?? image.bytes;
    const objectSize = 2 ** image.order;
    const objects = Math.ceil(bytes / objectSize);
    const stamp = ctime(image.created);
    const protectedSnap = snapshot?.protected ?? false;
    if (this.release === 12) {
      this.infoLuminous(
        f,
        names.image,
        image,
        bytes,
        objects,
        objectSize,
        stamp,
        snapshot === undefined ? null : protectedSnap,
      );
      return;
    }
    if (f) {
      f.openObject('image');
      f.dumpString('name', names.image);
      f.dumpString('id', image.id);
      f.dumpNumber('size', bytes);
      f.dumpNumber('objects', objects);
      f.dumpNumber('order', image.order);
      f.dumpNumber('object_size', objectSize);
      f.dumpNumber('snapshot_count', image.snapshots.length);
      f.dumpString('block_name_prefix', `rbd_data.${image.id}`);
      f.dumpNumber('format', 2);
      f.openArray('features');
      for (const feature of image.features) f.dumpString('feature', feature);
      f.close();
      f.openArray('op_features');
      f.close();
      f.openArray('flags');
      f.close();
      f.dumpString('create_timestamp', stamp);
      f.dumpString('access_timestamp', stamp);
      f.dumpString('modify_timestamp', stamp);
      if (snapshot !== undefined) f.dumpString('protected', protectedSnap ? 'true' : 'false');
      if (image.parent !== null) {
        f.openObject('parent');
        f.dumpString('pool', image.parent.pool);
        f.dumpString('pool_namespace', image.parent.namespace);
        f.dumpString('image', image.parent.image);
        f.dumpString('id', image.parent.imageId);
        f.dumpString('snapshot', image.parent.snapshot);
        f.dumpBool('trash', false);
        f.dumpNumber('overlap', image.parent.overlap);
        f.close();
      }
      f.close();
      this.stdout(f.flush());
      return;
    }
    let text = `rbd image '${names.image}':\n`;
    text += `\tsize ${byteU(bytes)} in ${objects} objects\n`;
    text += `\torder ${image.order} (${byteU(objectSize)} objects)\n`;
    text += `\tsnapshot_count: ${image.snapshots.length}\n`;
    text += `\tid: ${image.id}\n`;
    text += `\tblock_name_prefix: rbd_data.${image.id}\n`;
    text += '\tformat: 2\n';
    text += `\tfeatures: ${image.features.join(', ')}\n`;
    text += '\top_features: \n';
    text += '\tflags: \n';
    text += `\tcreate_timestamp: ${stamp}\n`;
    text += `\taccess_timestamp: ${stamp}\n`;
    text += `\tmodify_timestamp: ${stamp}\n`;
    if (snapshot !== undefined) text += `\tprotected: ${protectedSnap ? 'True' : 'False'}\n`;
    if (image.parent !== null) {
      const p = image.parent;
      text += `\tparent: ${p.pool}/${p.namespace === '' ? '' : `${p.namespace}/`}${p.image}@${p.snapshot}\n`;
      text += `\toverlap: ${byteU(p.overlap)}\n`;
    }
    this.stdout(text);
  }

  /**
   * Ceph 12: `rbd info` as Luminous prints it (src/tools/rbd/action/Info.cc of 12.2): no `id`,
   * `snapshot_count` or `op_features` (all new in 13), no `access_timestamp`/`modify_timestamp`
   * (new in 14); sizes as prettybyte_t ("1024 MB", "4096 kB objects"); `create_timestamp` after the
   * flags; a parent without `pool_namespace`, `id` and `trash` (librbd parent_info of 12).
   */
  private infoLuminous(
    f: CephFormatter | null,
    name: string,
    image: RbdImage,
    bytes: number,
    objects: number,
    objectSize: number,
    stamp: string,
    protectedSnap: boolean | null,
  ): void {
    const p = image.parent;
    if (f) {
      f.openObject('image');
      f.dumpString('name', name);
      f.dumpNumber('size', bytes);
      f.dumpNumber('objects', objects);
      f.dumpNumber('order', image.order);
      f.dumpNumber('object_size', objectSize);
      f.dumpString('block_name_prefix', `rbd_data.${image.id}`);
      f.dumpNumber('format', 2);
      f.openArray('features');
      for (const feature of image.features) f.dumpString('feature', feature);
      f.close();
      f.openArray('flags');
      f.close();
      f.dumpString('create_timestamp', stamp);
      if (protectedSnap !== null) f.dumpString('protected', protectedSnap ? 'true' : 'false');
      if (p !== null) {
        f.openObject('parent');
        f.dumpString('pool', p.pool);
        f.dumpString('image', p.image);
        f.dumpString('snapshot', p.snapshot);
        f.dumpNumber('overlap', p.overlap);
        f.close();
      }
      f.close();
      this.stdout(f.flush());
      return;
    }
    let text = `rbd image '${name}':\n`;
    text += `\tsize ${prettyByte(bytes)} in ${objects} objects\n`;
    text += `\torder ${image.order} (${prettyByte(objectSize)} objects)\n`;
    text += `\tblock_name_prefix: rbd_data.${image.id}\n`;
    text += '\tformat: 2\n';
    text += `\tfeatures: ${image.features.join(', ')}\n`;
    text += '\tflags: \n';
    text += `\tcreate_timestamp: ${stamp}\n`;
    if (protectedSnap !== null) text += `\tprotected: ${protectedSnap ? 'True' : 'False'}\n`;
    if (p !== null) {
      text += `\tparent: ${p.pool}/${p.image}@${p.snapshot}\n`;
      text += `\toverlap: ${prettyByte(p.overlap)}\n`;
    }
    this.stdout(text);
  }

  doList(vm: Parsed): void {
    let pool = vm.get('pool') ?? '';
    let namespace = vm.get('namespace') ?? '';
    if (!vm.has('pool')) {
      const spec = vm.arg(0);
      if (spec !== '') {
        const slash = spec.lastIndexOf('/');
        if (slash >= 0) namespace = spec.slice(slash + 1);
        pool = slash >= 0 ? spec.slice(0, slash) : spec;
      }
    }
    if (namespace.includes('/') || namespace.includes('@'))
      this.fail(ERRNO.EINVAL, `rbd: invalid namespace '${namespace}'`);
    const f = this.formatter(vm);
    // Ceph 12: Luminous' action/List.cc execute() says "rbd: list: ..." instead.
    const failed = (errno: number) =>
      this.stderr(`rbd: ${this.release === 12 ? 'list' : 'listing images failed'}: ${cppStrerror(errno)}`);
    const name = this.init(pool, namespace, failed, true);
    const errno = this.operationErrno();
    if (errno !== 0) {
      failed(errno);
      this.exit(errno);
    }
    const prefix = namespace === '' ? `${name}/` : `${name}/${namespace}/`;
    const images = Object.keys(this.state.images)
      .filter((k) => k.startsWith(prefix) && !k.slice(prefix.length).includes('/'))
      .map((k) => k.slice(prefix.length))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (!vm.flag('long')) {
      if (f) {
        f.openArray('images');
        for (const image of images) f.dumpString('name', image);
        f.close();
        this.stdout(f.flush());
      } else {
        this.stdout(images.map((i) => `${i}\n`).join(''));
      }
      return;
    }
    // Ceph 12: Luminous' action/List.cc right-aligns the SIZE and FMT headings, prints sizes as
    // si_t ("1024M"), and gives no image `id` and no parent `pool_namespace` in JSON.
    const luminous = this.release === 12;
    const size = luminous ? siSize : byteU;
    const table = this.table();
    if (f) f.openArray('images');
    else {
      table.define('NAME', 'left', 'left');
      table.define('SIZE', luminous ? 'right' : 'left', 'right');
      table.define('PARENT', 'left', 'left');
      table.define('FMT', luminous ? 'right' : 'left', 'right');
      table.define('PROT', 'left', 'left');
      table.define('LOCK', 'left', 'left');
    }
    for (const imageName of images) {
      const image = this.state.images[prefix + imageName]!;
      const parent =
        image.parent === null
          ? ''
          : `${image.parent.pool}/${image.parent.namespace === '' ? '' : `${image.parent.namespace}/`}${image.parent.image}@${image.parent.snapshot}`;
      const dumpParent = () => {
        const p = image.parent!;
        f!.openObject('parent');
        f!.dumpString('pool', p.pool);
        if (!luminous) f!.dumpString('pool_namespace', p.namespace);
        f!.dumpString('image', p.image);
        f!.dumpString('snapshot', p.snapshot);
        f!.close();
      };
      if (f) {
        f.openObject('image');
        f.dumpString('image', imageName);
        if (!luminous) f.dumpString('id', image.id);
        f.dumpNumber('size', image.bytes);
        if (image.parent !== null) dumpParent();
        f.dumpNumber('format', 2);
        f.close();
      } else {
        table.row(imageName, size(image.bytes), parent, '2', '', '');
      }
      for (const s of image.snapshots) {
        if (f) {
          f.openObject('snapshot');
          f.dumpString('image', imageName);
          if (!luminous) f.dumpString('id', image.id);
          f.dumpString('snapshot', s.name);
          if (!luminous) f.dumpNumber('snapshot_id', s.id);
          f.dumpNumber('size', s.bytes);
          if (image.parent !== null) dumpParent();
          f.dumpNumber('format', 2);
          f.dumpString('protected', s.protected ? 'true' : 'false');
          f.close();
        } else {
          table.row(`${imageName}@${s.name}`, size(s.bytes), parent, '2', s.protected ? 'yes' : '', '');
        }
      }
    }
    if (f) {
      f.close();
      this.stdout(f.flush());
    } else if (images.length > 0) {
      this.stdout(table.render());
    }
  }

  private metaKey(vm: Parsed): string {
    const key = vm.arg(1);
    if (key === '') this.fail(ERRNO.EINVAL, 'rbd: metadata key was not specified');
    return key;
  }

  doMetaList(vm: Parsed): void {
    const names = this.names(vm, 'none', { value: 0 }, true, 'none', 'none');
    const f = this.formatter(vm);
    const { image } = this.open(names);
    const errno = this.operationErrno();
    if (errno !== 0) {
      this.fail(
        errno,
        `failed to list metadata of image : ${cppStrerror(errno)}`,
        `rbd: listing metadata failed: ${cppStrerror(errno)}`,
      );
    }
    const keys = Object.keys(image.meta).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const count = keys.length;
    if (f === null) {
      const single = count === 1;
      this.stdout(
        `There ${single ? 'is' : 'are'} ${count} ${single ? 'metadatum' : 'metadata'} on this image${count === 0 ? '.' : ':'}\n`,
      );
    }
    if (count === 0) return;
    if (f) {
      f.openObject('metadatas');
      for (const key of keys) f.dumpString(key, image.meta[key]!);
      f.close();
      this.stdout(f.flush());
    } else {
      const table = this.table();
      table.define('Key', 'left', 'left');
      table.define('Value', 'left', 'left');
      for (const key of keys) table.row(key, image.meta[key]!);
      this.stdout(`\n${table.render()}`);
    }
  }

  doMetaGet(vm: Parsed): void {
    const names = this.names(vm, 'none', { value: 0 }, true, 'none', 'none');
    const key = this.metaKey(vm);
    const { image } = this.open(names);
    let errno = this.operationErrno();
    if (errno === 0 && !(key in image.meta)) errno = ERRNO.ENOENT;
    if (errno !== 0) {
      this.fail(
        errno,
        `failed to get metadata ${key} of image : ${cppStrerror(errno)}`,
        `rbd: getting metadata failed: ${cppStrerror(errno)}`,
      );
    }
    this.stdout(`${image.meta[key]}\n`);
  }

  doMetaSet(vm: Parsed): void {
    const names = this.names(vm, 'none', { value: 0 }, true, 'none', 'none');
    const key = this.metaKey(vm);
    const value = vm.arg(2);
    if (value === '') this.fail(ERRNO.EINVAL, 'rbd: metadata value was not specified');
    const { image } = this.open(names);
    const errno = this.operationErrno();
    if (errno !== 0) {
      this.fail(
        errno,
        `failed to set metadata ${key} of image : ${cppStrerror(errno)}`,
        `rbd: setting metadata failed: ${cppStrerror(errno)}`,
      );
    }
    image.meta[key] = value;
  }

  doMetaRemove(vm: Parsed): void {
    const names = this.names(vm, 'none', { value: 0 }, true, 'none', 'none');
    const key = this.metaKey(vm);
    const { image } = this.open(names);
    let errno = this.operationErrno();
    if (errno === 0 && !(key in image.meta)) errno = ERRNO.ENOENT;
    if (errno === ERRNO.ENOENT) {
      this.fail(
        errno,
        `rbd: no existing metadata key ${key} of image : ${cppStrerror(errno)}`,
        `rbd: removing metadata failed: ${cppStrerror(errno)}`,
      );
    }
    if (errno !== 0) {
      this.fail(
        errno,
        `failed to remove metadata ${key} of image : ${cppStrerror(errno)}`,
        `rbd: removing metadata failed: ${cppStrerror(errno)}`,
      );
    }
    delete image.meta[key];
  }

  doSnapCreate(vm: Parsed): void {
    const names = this.names(vm, 'none', { value: 0 }, true, 'required', 'snap');
    if (vm.flag('skip-quiesce') && vm.flag('ignore-quiesce-error')) {
      this.fail(ERRNO.EINVAL, 'rbd: ignore-quiesce-error cannot be used together with skip-quiesce');
    }
    const { image } = this.open(names);
    let errno = this.operationErrno();
    if (errno === 0 && image.snapshots.some((s) => s.name === names.snap)) errno = ERRNO.EEXIST;
    if (errno !== 0) {
      this.progressFailed(vm, 'Creating snap');
      this.fail(errno, `rbd: failed to create snapshot: ${cppStrerror(errno)}`);
    }
    image.snapshots.push({
      id: this.state.nextSnapId++,
      name: names.snap,
      bytes: image.bytes,
      protected: false,
      created: nowSeconds(),
      children: [],
    });
    this.progressDone(vm, 'Creating snap');
  }

  doSnapList(vm: Parsed): void {
    if (vm.has('image-id'))
      this.fail(ERRNO.EOPNOTSUPP, "rbd (extstorage-kit simulator): 'rbd snap ls --image-id' is not simulated");
    const names = this.names(vm, 'none', { value: 0 }, true, 'none', 'none');
    const f = this.formatter(vm);
    const { image } = this.open(names);
    const errno = this.operationErrno();
    if (errno !== 0)
      this.fail(errno, 'rbd: unable to list snapshots', `rbd: failed to list snapshots: ${cppStrerror(errno)}`);
    const all = vm.flag('all');
    const table = this.table();
    if (f) f.openArray('snapshots');
    else {
      table.define('SNAPID', 'left', 'right');
      table.define('NAME', 'left', 'left');
      table.define('SIZE', 'left', 'right');
      table.define('PROTECTED', 'left', 'left');
      table.define('TIMESTAMP', 'left', 'right');
      if (all) table.define('NAMESPACE', 'left', 'left');
    }
    for (const s of image.snapshots) {
      if (f) {
        f.openObject('snapshot');
        f.dumpNumber('id', s.id);
        f.dumpString('name', s.name);
        f.dumpNumber('size', s.bytes);
        f.dumpString('protected', s.protected ? 'true' : 'false');
        f.dumpString('timestamp', ctime(s.created));
        if (all) {
          f.openObject('namespace');
          f.dumpString('type', 'user');
          f.close();
        }
        f.close();
      } else {
        const cells: (string | number)[] = [s.id, s.name, byteU(s.bytes), s.protected ? 'yes' : '', ctime(s.created)];
        if (all) cells.push('user');
        table.row(...cells);
      }
    }
    if (f) {
      f.close();
      this.stdout(f.flush());
    } else if (image.snapshots.length > 0) {
      this.stdout(table.render());
    }
  }

  /** `rbd snap purge`: Ceph 16.2.15 reports protected snapshots on stdout and still exits 0. */
  doSnapPurge(vm: Parsed): void {
    if (vm.has('image-id'))
      this.fail(ERRNO.EOPNOTSUPP, "rbd (extstorage-kit simulator): 'rbd snap purge --image-id' is not simulated");
    const names = this.names(vm, 'none', { value: 0 }, true, 'none', 'none');
    const { image } = this.open(names);
    const errno = this.operationErrno();
    if (errno !== 0) this.fail(errno, `rbd: removing snaps failed: ${cppStrerror(errno)}`);
    const total = image.snapshots.length;
    if (total === 0) return;
    const kept = image.snapshots.filter((s) => s.protected);
    image.snapshots = kept;
    if (kept.length === 0) {
      this.progressDone(vm, 'Removing all snapshots');
      return;
    }
    if (!vm.flag('no-progress')) {
      this.out.err(
        `\rRemoving all snapshots: ${Math.floor(((total - kept.length) * 100) / total)}% complete...failed.\n`,
      );
    }
    const which = kept.length === 1 ? 'which is protected' : 'which are protected';
    this.stdout(
      `rbd: error removing snapshot(s) '${kept.map((s) => s.name).join(',')}', ${which} - these must be unprotected with \`rbd snap unprotect\`.\n`,
    );
  }

  /** `rbd children`: the clones of a snapshot (clone v1: recorded on the snapshot). */
  doChildren(vm: Parsed): void {
    const names = this.names(vm, 'none', { value: 0 }, true, 'permitted', 'none');
    const f = this.formatter(vm);
    const { image } = this.open(names);
    const errno = this.operationErrno();
    if (errno !== 0) this.fail(errno, `rbd: listing children failed: ${cppStrerror(errno)}`);
    let children: string[] = [];
    if (names.snap !== '') {
      const snapshot = image.snapshots.find((s) => s.name === names.snap);
      if (snapshot === undefined) this.fail(ERRNO.ENOENT, 'rbd: snapshot does not exist.');
      children = [...snapshot.children].sort();
    }
    if (f) {
      f.openArray('children');
      for (const key of children) {
        const [pool, ...rest] = key.split('/');
        const child = rest.pop()!;
        f.openObject('child');
        f.dumpString('pool', pool!);
        f.dumpString('pool_namespace', rest.join('/'));
        f.dumpString('image', child);
        f.close();
      }
      f.close();
      this.stdout(f.flush());
    } else {
      for (const key of children) this.stdout(`${key}\n`);
    }
  }

  doSnapProtect(vm: Parsed): void {
    const names = this.names(vm, 'none', { value: 0 }, true, 'required', 'none');
    const { image } = this.open(names);
    const snapshot = image.snapshots.find((s) => s.name === names.snap);
    if (snapshot === undefined) this.fail(ERRNO.ENOENT, `rbd: protecting snap failed: ${cppStrerror(ERRNO.ENOENT)}`);
    if (snapshot.protected) this.fail(ERRNO.EBUSY, 'rbd: snap is already protected');
    const errno = this.operationErrno();
    if (errno !== 0) this.fail(errno, `rbd: protecting snap failed: ${cppStrerror(errno)}`);
    if (!image.features.includes('layering')) {
      // librbd refuses to protect snapshots of images that cannot be cloned.
      this.lderr('librbd::Operations: ', 'image must support layering');
      this.fail(ERRNO.ENOSYS, `rbd: protecting snap failed: ${cppStrerror(ERRNO.ENOSYS)}`);
    }
    snapshot.protected = true;
  }

  doSnapUnprotect(vm: Parsed): void {
    if (vm.has('image-id'))
      this.fail(ERRNO.EOPNOTSUPP, "rbd (extstorage-kit simulator): 'rbd snap unprotect --image-id' is not simulated");
    const names = this.names(vm, 'none', { value: 0 }, true, 'required', 'none');
    const { pool, image } = this.open(names);
    const snapshot = image.snapshots.find((s) => s.name === names.snap);
    if (snapshot === undefined) this.fail(ERRNO.ENOENT, `rbd: unprotecting snap failed: ${cppStrerror(ERRNO.ENOENT)}`);
    if (!snapshot.protected) this.fail(ERRNO.EINVAL, 'rbd: snap is already unprotected');
    let errno = this.operationErrno();
    if (errno === 0 && snapshot.children.length > 0) {
      // What Ceph 16.2.15 logs (e2e/drift/rbd.ts); the last line comes from a second thread, and
      // where it lands among the others varies from run to run.
      const ids = snapshot.children.map((c) => this.state.images[c]?.id ?? '').join(',');
      const request = 'librbd::SnapshotUnprotectRequest: ';
      const pointer = fakePointer();
      this.lderr(
        request,
        `cannot unprotect: at least ${snapshot.children.length} child(ren) [${ids}] in pool '${pool}'`,
      );
      this.lderr(request, `encountered error: ${cppStrerror(ERRNO.EBUSY)}`);
      this.lderr(request, `${pointer} should_complete_error: ret_val=-${ERRNO.EBUSY}`);
      this.lderr(request, `${pointer} should_complete_error: ret_val=-${ERRNO.EBUSY}`);
      errno = ERRNO.EBUSY;
    }
    if (errno !== 0) this.fail(errno, `rbd: unprotecting snap failed: ${cppStrerror(errno)}`);
    snapshot.protected = false;
  }

  doSnapRemove(vm: Parsed): void {
    if (vm.has('image-id') || vm.has('snap-id')) {
      this.fail(ERRNO.EOPNOTSUPP, "rbd (extstorage-kit simulator): 'rbd snap rm' by id is not simulated");
    }
    const names = this.names(vm, 'none', { value: 0 }, true, 'required', 'none');
    const pool = this.init(names.pool, names.namespace);
    const image = this.image(pool, names.namespace, names.image);
    if (image === undefined || this.consume('not-found')) {
      this.fail(ERRNO.ENOENT, `rbd: error opening image ${names.image}: ${cppStrerror(ERRNO.ENOENT)}`);
    }
    const index = image.snapshots.findIndex((s) => s.name === names.snap);
    let errno = this.operationErrno();
    if (errno === 0 && index < 0) errno = ERRNO.ENOENT;
    const snapshot = image.snapshots[index];
    if (errno === 0 && snapshot!.protected) {
      if (vm.flag('force') && snapshot!.children.length === 0) {
        snapshot!.protected = false;
      } else {
        this.lderr('librbd::Operations: ', 'snapshot is protected');
        errno = ERRNO.EBUSY;
      }
    }
    if (errno !== 0) {
      this.progressFailed(vm, 'Removing snap');
      if (errno === ERRNO.EBUSY) this.fail(errno, `rbd: snapshot '${names.snap}' is protected from removal.`);
      this.fail(errno, `rbd: failed to remove snapshot: ${cppStrerror(errno)}`);
    }
    image.snapshots.splice(index, 1);
    this.progressDone(vm, 'Removing snap');
  }

  doClone(vm: Parsed): void {
    const index = { value: 0 };
    const source = this.names(vm, 'source', index, true, 'required', 'none');
    const dest = this.names(vm, 'dest', index, true, 'none', 'full');
    const options = this.imageOptions(vm, false);
    const pool = this.init(source.pool, source.namespace);
    const destPool = this.init(dest.pool, dest.namespace);
    const error = (errno: number): never => this.fail(errno, `rbd: clone error: ${cppStrerror(errno)}`);
    const errno = this.operationErrno();
    if (errno !== 0) error(errno);
    const parent = this.image(pool, source.namespace, source.image);
    const snapshot = parent?.snapshots.find((s) => s.name === source.snap);
    const prefix = `librbd::image::CloneRequest: ${fakePointer()} `;
    if (parent === undefined || snapshot === undefined) {
      if (parent !== undefined) this.lderr('librbd::image::OpenRequest: ', `failed to find snapshot ${source.snap}`);
      this.lderr(prefix, `handle_open_parent: failed to open parent image: ${cppStrerror(ERRNO.ENOENT)}`);
      error(ERRNO.ENOENT);
    }
    if (!parent!.features.includes('layering')) {
      this.lderr(prefix, 'validate_parent: parent image must support layering');
      error(ERRNO.ENOSYS);
    }
    // Clone v1 (Ceph 16's default while the cluster's min compat client is below mimic): the
    // parent snapshot must be protected.
    if (!snapshot!.protected) {
      this.lderr(prefix, 'validate_parent: parent snapshot must be protected');
      error(ERRNO.EINVAL);
    }
    const key = imageKey(destPool, dest.namespace, dest.image);
    if (this.state.images[key] !== undefined) {
      this.lderr(prefix, `validate_child: rbd image ${dest.image} already exists`);
      error(ERRNO.EEXIST);
    }
    this.state.images[key] = {
      id: newImageId(),
      bytes: snapshot!.bytes,
      order: vm.has('order') || vm.has('object-size') ? options.order : parent!.order,
      features: vm.has('image-feature') ? options.features : [...parent!.features],
      meta: {},
      snapshots: [],
      parent: {
        pool,
        namespace: source.namespace,
        image: source.image,
        imageId: parent!.id,
        snapshot: source.snap,
        overlap: snapshot!.bytes,
      },
      created: nowSeconds(),
    };
    snapshot!.children.push(key);
  }

  doCopy(vm: Parsed): void {
    const index = { value: 0 };
    const source = this.names(vm, 'source', index, true, 'permitted', 'none');
    const dest = this.names(vm, 'dest', index, true, 'none', 'full');
    const options = this.imageOptions(vm, false);
    const { image } = this.open(source, source.snap);
    const destPool = this.init(dest.pool, dest.namespace);
    const key = imageKey(destPool, dest.namespace, dest.image);
    let errno = this.operationErrno();
    if (errno === 0 && this.state.images[key] !== undefined) {
      this.lderr('librbd: ', `rbd image ${dest.image} already exists`);
      errno = ERRNO.EEXIST;
    }
    if (errno !== 0) {
      this.progressFailed(vm, 'Image copy');
      this.fail(errno, `rbd: copy failed: ${cppStrerror(errno)}`);
    }
    const snapshot = source.snap === '' ? undefined : image.snapshots.find((s) => s.name === source.snap);
    this.state.images[key] = {
      id: newImageId(),
      bytes: snapshot?.bytes ?? image.bytes,
      order: vm.has('order') || vm.has('object-size') ? options.order : image.order,
      features: vm.has('image-feature') ? options.features : [...RBD_DEFAULT_FEATURES],
      meta: { ...image.meta },
      snapshots: [],
      parent: null,
      created: nowSeconds(),
    };
    this.progressDone(vm, 'Image copy');
  }

  doFlatten(vm: Parsed): void {
    const names = this.names(vm, 'none', { value: 0 }, true, 'none', 'none');
    const { pool, image } = this.open(names);
    let errno = this.operationErrno();
    if (errno === 0 && image.parent === null) {
      // Assumption: librbd's message for flattening an image that is not a clone.
      this.lderr(`librbd::Operations: ${fakePointer()} flatten: `, 'image has no parent');
      errno = ERRNO.EINVAL;
    }
    if (errno !== 0) {
      this.progressFailed(vm, 'Image flatten');
      this.fail(errno, `rbd: flatten error: ${cppStrerror(errno)}`);
    }
    this.unlinkChild(image, imageKey(pool, names.namespace, names.image));
    image.parent = null;
    this.progressDone(vm, 'Image flatten');
  }

  // --- kernel devices (src/tools/rbd/action/Kernel.cc, src/krbd.cc) ---

  private deviceType(vm: Parsed): void {
    const type = vm.get('device-type') ?? 'krbd';
    if (type !== 'krbd') {
      this.fail(ERRNO.EOPNOTSUPP, `rbd (extstorage-kit simulator): device type '${type}' is not simulated, only krbd`);
    }
  }

  /** Map options (rbd -o): the ones krbd knows; anything else fails as Kernel.cc parse_map_options. */
  private mapOptions(vm: Parsed): { readOnly: boolean } {
    let readOnly = false;
    const flags = new Set([
      'share',
      'noshare',
      'crc',
      'nocrc',
      'cephx_require_signatures',
      'nocephx_require_signatures',
      'tcp_nodelay',
      'notcp_nodelay',
      'cephx_sign_messages',
      'nocephx_sign_messages',
      'rw',
      'ro',
      'lock_on_read',
      'exclusive',
      'notrim',
      'abort_on_full',
      'rxbounce',
      'udev',
      'noudev',
    ]);
    const valued = new Set([
      'fsid',
      'ip',
      'mount_timeout',
      'osdkeepalive',
      'osd_idle_ttl',
      'lock_timeout',
      'queue_depth',
      'alloc_size',
      'crush_location',
      'read_from_replica',
      'compression_hint',
      'ms_mode',
    ]);
    for (const text of vm.all('options')) {
      for (const item of text.split(',')) {
        if (item === '') continue;
        const eq = item.indexOf('=');
        const name = eq < 0 ? item : item.slice(0, eq);
        if (flags.has(name)) {
          if (name === 'ro') readOnly = true;
          if (name === 'rw') readOnly = false;
        } else if (valued.has(name)) {
          if (eq < 0 || item.slice(eq + 1) === '') {
            this.fail(ERRNO.EINVAL, `rbd: ${name} option requires a value`, "rbd: couldn't parse map options");
          }
        } else {
          this.fail(ERRNO.EINVAL, `rbd: unknown map option '${name}'`, "rbd: couldn't parse map options");
        }
      }
    }
    return { readOnly };
  }

  /** How krbd names a mapping in its messages (operator<< of krbd_spec, new in 14). */
  private krbdSpec(pool: string, namespace: string, image: string, snap: string): string {
    // Ceph 12: Luminous' src/krbd.cc unmap_image() prints pool << "/" << image << "@" << snap,
    // "-" for no snapshot ("rbd: rbd/foobar@-: not a mapped image or snapshot", as in its
    // src/test/cli-integration/rbd/unmap.t).
    if (this.release === 12) return `${pool}/${image}@${snap === '' ? '-' : snap}`;
    return `${pool}/${namespace === '' ? '' : `${namespace}/`}${image}${snap === '-' || snap === '' ? '' : `@${snap}`}`;
  }

  /** Mapped devices in udev's order (by syspath /sys/devices/rbd/<id>, as text). */
  private devicesInOrder(): RbdState['devices'] {
    return [...this.state.devices].sort((a, b) =>
      String(a.id) < String(b.id) ? -1 : String(a.id) > String(b.id) ? 1 : 0,
    );
  }

  doMap(vm: Parsed): void {
    const names = this.names(vm, 'none', { value: 0 }, true, 'permitted', 'none');
    this.deviceType(vm);
    if (vm.flag('quiesce')) this.stderr('rbd: warning: quiesce is not supported');
    if (vm.has('quiesce-hook')) this.stderr('rbd: warning: quiesce-hook is not supported');
    const mapOptions = this.mapOptions(vm);
    const pool = names.pool === '' ? 'rbd' : names.pool;
    const snap = names.snap === '' ? '-' : names.snap;
    const already = this.devicesInOrder().find(
      (d) => d.pool === pool && d.namespace === names.namespace && d.image === names.image && d.snap === snap,
    );
    if (already !== undefined) this.stderr(`rbd: warning: image already mapped as /dev/rbd${already.id}`);

    // krbd_map: load the module when /sys/bus/rbd is missing, then write to /sys/bus/rbd/add.
    this.backend();
    let errno = 0;
    if (!this.state.kernelModule) {
      const kernel = release();
      this.stderr('modinfo: ERROR: Module rbd not found.');
      this.stderr(`modprobe: FATAL: Module rbd not found in directory /lib/modules/${kernel}`);
      this.stderr('rbd: failed to load rbd kernel module (1)');
      errno = ERRNO.ENOENT;
    }
    // The kernel client talks to the cluster itself.
    const failure = this.failure;
    if (errno === 0 && failure === 'unreachable') errno = ERRNO.ETIMEDOUT;
    if (errno === 0 && failure === 'permission') errno = ERRNO.EACCES;
    if (errno === 0 && failure === 'busy') errno = ERRNO.EBUSY;
    if (errno === 0 && failure === 'not-found') errno = ERRNO.ENOENT;
    const image =
      this.poolExists(pool) && (names.namespace === '' || this.state.pools.includes(`${pool}/${names.namespace}`))
        ? this.image(pool, names.namespace, names.image)
        : undefined;
    if (
      errno === 0 &&
      (image === undefined || (names.snap !== '' && !image.snapshots.some((s) => s.name === names.snap)))
    ) {
      errno = ERRNO.ENOENT;
    }
    if (errno !== 0) {
      this.stderr('rbd: sysfs write failed');
      // print_error_description: for anything but ENOENT it opens the image with librbd first.
      if (errno !== ERRNO.ENOENT) {
        if (failure === 'unreachable') {
          this.stderr(`${logPrefix(0)}monclient(hunting): authenticate timed out after 300`);
          this.stderr("rbd: couldn't connect to the cluster!");
        } else if (failure === 'permission') {
          this.stderr(
            `${logPrefix(-1)}monclient(hunting): handle_auth_bad_method server allowed_methods [2] but i only support [2]`,
          );
          this.stderr("rbd: couldn't connect to the cluster!");
        }
      }
      this.failure = null;
      this.stdout('In some cases useful info is found in syslog - try "dmesg | tail".\n');
      this.fail(errno, `rbd: map failed: ${cppStrerror(errno)}`);
    }
    const used = new Set(this.state.devices.map((d) => d.id));
    let id = 0;
    while (used.has(id)) id++;
    this.state.devices.push({
      id,
      pool,
      namespace: names.namespace,
      image: names.image,
      snap,
      readOnly: vm.flag('read-only') || mapOptions.readOnly || snap !== '-',
    });
    this.stdout(`/dev/rbd${id}\n`);
  }

  doUnmap(vm: Parsed): void {
    let device = vm.arg(0);
    if (!device.startsWith('/dev/')) device = '';
    let names: Names = { pool: '', namespace: '', image: '', snap: '' };
    if (device === '') names = this.names(vm, 'none', { value: 0 }, false, 'permitted', 'none');
    if (device === '' && names.image === '')
      this.fail(ERRNO.EINVAL, 'rbd: unmap requires either image name or device path');
    this.deviceType(vm);
    for (const text of vm.all('options')) {
      for (const item of text.split(',')) {
        if (item !== '' && item !== 'force')
          this.fail(ERRNO.EINVAL, `rbd: unknown unmap option '${item}'`, "rbd: couldn't parse unmap options");
      }
    }
    const unmapFailed = (errno: number): never => this.fail(errno, `rbd: unmap failed: ${cppStrerror(errno)}`);
    this.backend();
    let target: RbdState['devices'][number] | undefined;
    if (device !== '') {
      target = this.state.devices.find((d) => `/dev/rbd${d.id}` === device);
      if (target === undefined) {
        let realBlock = false;
        try {
          realBlock = this.out.files.stat(device).isBlockDevice();
        } catch {
          // no such node
        }
        this.stderr(realBlock ? `rbd: '${device}' is not an rbd device` : `rbd: '${device}' is not a block device`);
        unmapFailed(ERRNO.EINVAL);
      }
    } else {
      const pool = names.pool === '' ? 'rbd' : names.pool;
      const snap = names.snap === '' ? '-' : names.snap;
      const spec = this.krbdSpec(pool, names.namespace, names.image, snap);
      const matching = this.devicesInOrder().filter(
        (d) => d.pool === pool && d.namespace === names.namespace && d.image === names.image && d.snap === snap,
      );
      if (matching.length === 0 || this.consume('not-found')) {
        this.stderr(`rbd: ${spec}: not a mapped image or snapshot`);
        unmapFailed(ERRNO.EINVAL);
      }
      if (matching.length > 1)
        this.stderr(`rbd: ${spec}: mapped more than once, unmapping /dev/rbd${matching[0]!.id} only`);
      target = matching[0];
    }
    // The kernel does not need the cluster to unmap: unreachable/permission change nothing here.
    const errno = this.consume('busy') ? ERRNO.EBUSY : this.consume('not-found') ? ERRNO.ENOENT : 0;
    if (errno !== 0) {
      this.stderr('rbd: sysfs write failed');
      unmapFailed(errno);
    }
    this.state.devices = this.state.devices.filter((d) => d !== target);
  }

  doDeviceList(vm: Parsed): void {
    this.deviceType(vm);
    const f = this.formatter(vm);
    // Listing reads sysfs: an unreachable cluster changes nothing.
    this.backend();
    const errno = this.operationErrno();
    if (errno !== 0) this.fail(errno, `rbd: device list failed: ${cppStrerror(errno)}`);
    const devices = this.devicesInOrder();
    if (this.release === 12) {
      this.showmappedLuminous(f, devices);
      return;
    }
    if (f) {
      f.openArray('devices');
      for (const d of devices) {
        f.openObject('device');
        f.dumpString('id', String(d.id));
        f.dumpString('pool', d.pool);
        f.dumpString('namespace', d.namespace);
        f.dumpString('name', d.image);
        f.dumpString('snap', d.snap);
        f.dumpString('device', `/dev/rbd${d.id}`);
        f.close();
      }
      f.close();
      this.stdout(f.flush());
      return;
    }
    if (devices.length === 0) return;
    const table = this.table();
    for (const heading of ['id', 'pool', 'namespace', 'image', 'snap', 'device']) table.define(heading, 'left', 'left');
    for (const d of devices) table.row(d.id, d.pool, d.namespace, d.image, d.snap, `/dev/rbd${d.id}`);
    this.stdout(table.render());
  }

  /**
   * Ceph 12: `rbd showmapped` as Luminous' src/krbd.cc dump_images() prints it: JSON/XML an object
   * keyed by device id, each without `id` and `namespace` ({"0":{"pool":"rbd","name":"vol1",
   * "snap":"-","device":"/dev/rbd0"}}; `{}` when nothing is mapped); plain, the table without the
   * namespace column (an array with "id", and "namespace", came with 13 and 14: os-brick's rbd
   * connector parses both, "new-style output (ceph 13.2.0+)").
   */
  private showmappedLuminous(f: CephFormatter | null, devices: RbdState['devices']): void {
    if (f) {
      f.openObject('devices');
      for (const d of devices) {
        f.openObject(String(d.id));
        f.dumpString('pool', d.pool);
        f.dumpString('name', d.image);
        f.dumpString('snap', d.snap);
        f.dumpString('device', `/dev/rbd${d.id}`);
        f.close();
      }
      f.close();
      this.stdout(f.flush());
      return;
    }
    if (devices.length === 0) return;
    const table = this.table();
    for (const heading of ['id', 'pool', 'image', 'snap', 'device']) table.define(heading, 'left', 'left');
    for (const d of devices) table.row(d.id, d.pool, d.image, d.snap, `/dev/rbd${d.id}`);
    this.stdout(table.render());
  }
}

// ---------------------------------------------------------------------------------------------
// `rbd --version` (common/version.cc pretty_version_to_str): one point release of each series, as
// its packages print it: 12.2.13 and 14.2.22 (the last of theirs), 16.2.15 (Debian 12's), 17.2.7
// and 18.2.4 (widely deployed; later point releases print their own number and commit).

const VERSIONS: Readonly<Record<CephRelease, string>> = {
  12: 'ceph version 12.2.13 (584a20eb0237c657dc0567da126be145106aa47e) luminous (stable)',
  14: 'ceph version 14.2.22 (ca74598065096e6fcbd8433c8779a2be0c889351) nautilus (stable)',
  16: 'ceph version 16.2.15 (618f440892089921c3e944a991122ddc44e60516) pacific (stable)',
  17: 'ceph version 17.2.7 (b12291d110049b2f35e32e0de30d70e9a4c060d2) quincy (stable)',
  18: 'ceph version 18.2.4 (e7ad5345525c7aa95470c26863873b581076945d) reef (stable)',
};

// ---------------------------------------------------------------------------------------------
// The simulated actions, with the options Ceph 16 gives each (`since`: options older releases lack)

// Ceph 14: -t/--device-type came with the `device` commands (action/Device.cc, new in 13); Luminous'
// map/showmapped/unmap (action/Kernel.cc) are krbd's alone and do not take it.
const DEVICE_TYPE: OptionDef = {
  long: 'device-type',
  short: 't',
  kind: 'value',
  valid: (v) => ['ggate', 'krbd', 'nbd'].includes(v),
  since: 14,
};

const ACTIONS: readonly ActionDef[] = [
  {
    spec: ['create'],
    options: [
      ...IMAGE_SPEC,
      ...createImageOptions(true),
      { long: 'thick-provision', kind: 'switch' },
      SIZE,
      NO_PROGRESS,
    ],
    positionals: 1,
    run: (r, vm) => r.doCreate(vm),
  },
  {
    spec: ['resize'],
    options: [...IMAGE_SPEC, SIZE, { long: 'allow-shrink', kind: 'switch' }, NO_PROGRESS],
    positionals: 1,
    run: (r, vm) => r.doResize(vm),
  },
  {
    spec: ['remove'],
    alias: ['rm'],
    options: [...IMAGE_SPEC, NO_PROGRESS],
    positionals: 1,
    run: (r, vm) => r.doRemove(vm),
  },
  {
    spec: ['info'],
    options: [...SNAP_SPEC, IMAGE_ID, ...FORMAT_OPTIONS],
    positionals: 1,
    run: (r, vm) => r.doInfo(vm),
  },
  {
    spec: ['list'],
    alias: ['ls'],
    options: [{ long: 'long', short: 'l', kind: 'switch' }, POOL, NAMESPACE, ...FORMAT_OPTIONS],
    positionals: 1,
    run: (r, vm) => r.doList(vm),
  },
  {
    spec: ['image-meta', 'list'],
    alias: ['image-meta', 'ls'],
    options: [...IMAGE_SPEC, ...FORMAT_OPTIONS],
    positionals: 1,
    run: (r, vm) => r.doMetaList(vm),
  },
  { spec: ['image-meta', 'get'], options: IMAGE_SPEC, positionals: 2, run: (r, vm) => r.doMetaGet(vm) },
  { spec: ['image-meta', 'set'], options: IMAGE_SPEC, positionals: 3, run: (r, vm) => r.doMetaSet(vm) },
  {
    spec: ['image-meta', 'remove'],
    alias: ['image-meta', 'rm'],
    options: IMAGE_SPEC,
    positionals: 2,
    run: (r, vm) => r.doMetaRemove(vm),
  },
  {
    spec: ['snap', 'create'],
    alias: ['snap', 'add'],
    options: [
      ...SNAP_SPEC,
      { long: 'skip-quiesce', kind: 'switch' },
      { long: 'ignore-quiesce-error', kind: 'switch' },
      NO_PROGRESS,
    ],
    positionals: 1,
    run: (r, vm) => r.doSnapCreate(vm),
  },
  {
    spec: ['snap', 'list'],
    alias: ['snap', 'ls'],
    options: [...IMAGE_SPEC, IMAGE_ID, ...FORMAT_OPTIONS, { long: 'all', short: 'a', kind: 'switch' }],
    positionals: 1,
    run: (r, vm) => r.doSnapList(vm),
  },
  {
    spec: ['snap', 'purge'],
    options: [...IMAGE_SPEC, IMAGE_ID, NO_PROGRESS],
    positionals: 1,
    run: (r, vm) => r.doSnapPurge(vm),
  },
  {
    spec: ['children'],
    options: [
      ...SNAP_SPEC,
      IMAGE_ID,
      { long: 'snap-id', kind: 'value', valid: isUint },
      { long: 'all', short: 'a', kind: 'switch' },
      { long: 'descendants', kind: 'switch' },
      ...FORMAT_OPTIONS,
    ],
    positionals: 1,
    run: (r, vm) => r.doChildren(vm),
  },
  { spec: ['snap', 'protect'], options: SNAP_SPEC, positionals: 1, run: (r, vm) => r.doSnapProtect(vm) },
  {
    spec: ['snap', 'unprotect'],
    options: [...SNAP_SPEC, IMAGE_ID],
    positionals: 1,
    run: (r, vm) => r.doSnapUnprotect(vm),
  },
  {
    spec: ['snap', 'remove'],
    alias: ['snap', 'rm'],
    options: [
      ...SNAP_SPEC,
      IMAGE_ID,
      { long: 'snap-id', kind: 'value', valid: isUint },
      NO_PROGRESS,
      { long: 'force', kind: 'switch' },
    ],
    positionals: 1,
    run: (r, vm) => r.doSnapRemove(vm),
  },
  {
    spec: ['clone'],
    options: [...SNAP_SPEC, DEST_POOL, DEST_NAMESPACE, DEST, ...createImageOptions(false)],
    positionals: 2,
    run: (r, vm) => r.doClone(vm),
  },
  {
    spec: ['copy'],
    alias: ['cp'],
    options: [...SNAP_SPEC, DEST_POOL, DEST_NAMESPACE, DEST, ...createImageOptions(false), NO_PROGRESS],
    positionals: 2,
    run: (r, vm) => r.doCopy(vm),
  },
  { spec: ['flatten'], options: [...IMAGE_SPEC, NO_PROGRESS], positionals: 1, run: (r, vm) => r.doFlatten(vm) },
  {
    spec: ['device', 'list'],
    alias: ['showmapped'],
    options: [DEVICE_TYPE, ...FORMAT_OPTIONS],
    positionals: 0,
    run: (r, vm) => r.doDeviceList(vm),
  },
  {
    spec: ['device', 'map'],
    alias: ['map'],
    options: [
      ...SNAP_SPEC,
      DEVICE_TYPE,
      { long: 'options', short: 'o', kind: 'multi' },
      { long: 'read-only', kind: 'switch' },
      { long: 'exclusive', kind: 'switch' },
      // Ceph 16: quiesce hooks (for rbd-nbd) are new in Pacific (action/Device.cc of 16).
      { long: 'quiesce', kind: 'switch', since: 16 },
      { long: 'quiesce-hook', kind: 'value', since: 16 },
    ],
    positionals: 1,
    run: (r, vm) => r.doMap(vm),
  },
  {
    spec: ['device', 'unmap'],
    alias: ['unmap'],
    options: [...SNAP_SPEC, DEVICE_TYPE, { long: 'options', short: 'o', kind: 'multi' }],
    positionals: 1,
    run: (r, vm) => r.doUnmap(vm),
  },
];

function startsWith(words: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length > 0 && prefix.length <= words.length && prefix.every((w, i) => words[i] === w);
}

/**
 * Shell::find_action over the simulated actions: the command's words, or its alias.
 * Ceph 12: Luminous has no `device` group (action/Device.cc is new in 13); its kernel commands
 * are `map`, `showmapped` and `unmap` alone (action/Kernel.cc), so `rbd device map` is unknown.
 */
function findAction(
  spec: readonly string[],
  release: CephRelease,
): { action: ActionDef; words: readonly string[] } | null {
  const known = (words: readonly string[]) => !(release === 12 && words[0] === 'device');
  for (const action of ACTIONS) {
    if (known(action.spec) && startsWith(spec, action.spec)) return { action, words: action.spec };
    if (action.alias !== undefined && known(action.alias) && startsWith(spec, action.alias))
      return { action, words: action.alias };
  }
  return null;
}

/** The real rbd command these words name, when the simulator does not implement it. */
function findReal(spec: readonly string[], release: CephRelease): string[] | null {
  let best: string[] | null = null;
  for (const [command, alias] of rbdCommands(release)) {
    for (const words of [command, alias]) {
      if (startsWith(spec, words) && (best === null || words.length > best.length)) best = command;
    }
  }
  return best;
}
