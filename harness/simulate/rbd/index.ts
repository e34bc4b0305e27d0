// A stateful fake of Ceph 16's `rbd` command (src/tools/rbd in Ceph 16.2, "Pacific"): images,
// image-meta, snapshots, clones (v1), copies and kernel mappings, kept in the scenario's sandbox.
// With `ceph_release` it plays another release (12 Luminous, 14 Nautilus, 17 Quincy, 18 Reef): the
// differences are marked "Ceph NN:" in this folder's modules, each with the release and source
// file it comes from; everything not marked is Ceph 16's in every release (none of the others was
// checked against a real binary: Debian 12 ships only Ceph 16).
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
//
// The parts: shell.ts finds the command and parses its arguments (program-options.ts, options.ts),
// commands.ts lists the commands, one module per group runs them (images, image-info, image-meta,
// snapshots, clones, kernel-devices) through the call's context (call.ts), names.ts, cluster.ts
// and formatter.ts.

import type { Output } from '../runtime.js';
import type { RbdState } from '../state.js';
import { RbdCall } from './call.js';
import { runShell } from './shell.js';

/** Answers one call: changes `state` as the real command would, and prints on `output`. */
export function simulateRbd(state: RbdState, argv: readonly string[], output: Output): void {
  runShell(new RbdCall(state, output), argv);
}
