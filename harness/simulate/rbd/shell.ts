// rbd's shell (src/tools/rbd/Shell.cc): --version and help, the command found from the words that
// are not options, its arguments parsed, then the action run; an unknown command fails as rbd fails.

import { rbdHelp } from '../rbd-help.js';
import { ERRNO } from '../errno.js';
import type { RbdCall } from './call.js';
import { findAction, findReal, VERSIONS } from './commands.js';
import { argsForMatching, SWITCHES } from './options.js';
import { parseArguments } from './program-options.js';

export function runShell(call: RbdCall, argv: readonly string[]): void {
  // global_init (ceph_argparse) answers --version before rbd's own parsing.
  if (argv.some((a) => a === '--version' || a === '-v')) {
    call.stdout(`${VERSIONS[call.release]}\n`);
    return;
  }
  const spec = commandSpec(argv);
  if (spec.length === 0 || (spec.length === 1 && spec[0] === 'help')) {
    call.stdout(rbdHelp(call.release));
    return;
  }
  if (spec[0] === 'help') {
    const wanted = spec.slice(1);
    const action = findAction(wanted, call.release);
    const real = findReal(wanted, call.release);
    if (action === null && real === null) unknown(call, wanted);
    // Assumption-free choice: rbd's per-command help text is not reproduced.
    const words = action === null ? real! : call.release === 12 ? action.words : action.action.spec;
    call.stdout(`usage: rbd ${words.join(' ')}\n`);
    call.stderr('rbd (extstorage-kit simulator): per-command help is not reproduced');
    return;
  }
  const found = findAction(spec, call.release);
  if (found === null) {
    const real = findReal(spec, call.release);
    if (real !== null) {
      call.fail(
        ERRNO.EOPNOTSUPP,
        `rbd (extstorage-kit simulator): 'rbd ${real.join(' ')}' is a real rbd command that the simulator does not implement`,
      );
    }
    unknown(call, spec);
  }
  const { action, words } = found;
  const vm = parseArguments(call, argv, action, words);
  call.matchArgs = argsForMatching(argv);
  action.run(call, vm);
}

/** Shell::print_unknown_action (the same from Ceph 12 to 18), then the release's help. */
function unknown(call: RbdCall, spec: readonly string[]): never {
  call.out.err(`error: unknown option '${spec.join(' ')}'\n\n`);
  call.stdout(rbdHelp(call.release));
  call.exit(1);
}

/** Shell::get_command_spec: the words that are not options or option values. */
function commandSpec(argv: readonly string[]): string[] {
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
