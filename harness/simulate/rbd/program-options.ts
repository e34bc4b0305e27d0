// A call's options and positional arguments read as boost::program_options reads them for rbd's
// Shell::execute: the command's own options and the global ones, checked and stored in order.

import { Parsed } from './arguments.js';
import type { RbdCall } from './call.js';
import { startsWith, type ActionDef } from './commands.js';
import { GLOBAL_OPTIONS, type OptionDef } from './options.js';

/** boost::program_options as Shell::execute sets it up: the command's options and the global ones. */
export function parseArguments(
  call: RbdCall,
  argv: readonly string[],
  action: ActionDef,
  words: readonly string[],
): Parsed {
  const options = [...action.options, ...GLOBAL_OPTIONS].filter(
    (o) => o.since === undefined || call.release >= o.since,
  );
  const byLong = new Map(options.map((o) => [o.long, o]));
  const byShort = new Map(options.filter((o) => o.short !== undefined).map((o) => [o.short!, o]));
  const known = (token: string): boolean => {
    if (token.startsWith('--')) return byLong.has(token.slice(2).split('=')[0]!);
    return token.length >= 2 && token.startsWith('-') && byShort.has(token[1]!);
  };
  const stored: { option: OptionDef; value: string | null }[] = [];
  const positional: string[] = [];
  const usage = (message: string): never => call.fail(1, `rbd: ${message}`);

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
    if (option.long === 'new-format') call.stdout('rbd: --new-format is deprecated, use --image-format\n');
    vm.values.set(option.long, [...(seen ?? []), value ?? '']);
  }
  if (!startsWith(positional, words)) usage('failed to parse command');
  vm.positional.push(...rest);
  return vm;
}
