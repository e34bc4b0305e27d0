// `--through-ganeti` for run and test: Ganeti's own storage code found (or a usage error saying
// what is missing), and the closing lines that say what went through it and where Ganeti and
// the kit disagreed.

import { UsageError } from '../cli/command.js';
import { findGanetiInstallation, type GanetiInstallation } from '../ganeti-bridge/installation.js';
import type { RunSummary } from '../run/result.js';

export const THROUGH_GANETI_HELP = `      --through-ganeti run every action's script through Ganeti's own storage
                       code (ExtStorage's _ExtStorageAction and Attach, found
                       in /usr/share/ganeti/3.0 or $EXTSTORAGE_KIT_GANETI_LIB,
                       run by /usr/bin/python3) instead of the kit's invoker,
                       and compare what Ganeti did (each script's VOL_*/EXTP_*,
                       attach accepted or refused, device, URIs) with the
                       kit's model: a difference fails as a kit defect. Other
                       actions' stdout goes to Ganeti's log with stderr, so
                       their stdout/stderr expectations are "not verified"`;

/** Ganeti's code when the option is given, or a usage error that says what is missing. */
export function throughGanetiOption(given: boolean | undefined): GanetiInstallation | undefined {
  if (given !== true) return undefined;
  const found = findGanetiInstallation();
  if ('problem' in found) throw new UsageError(`--through-ganeti: ${found.problem}`);
  return found;
}

/** The lines `run` and `test` close with under --through-ganeti. */
export function throughGanetiLines(installation: GanetiInstallation, summary: RunSummary): string[] {
  const runs = summary.results.flatMap((r) => r.steps.flatMap((s) => s.runs));
  const through = runs.flatMap((r) => (r.ganeti && 'release' in r.ganeti ? [r.ganeti] : []));
  const direct = runs.filter((r) => r.ganeti && 'direct' in r.ganeti).length;
  const defects = through.reduce((n, r) => n + r.disagreements.length, 0);
  const lines = [
    `through Ganeti ${installation.release}'s own code (${installation.lib}): ${through.length} script run${through.length === 1 ? '' : 's'}` +
      (direct > 0
        ? `, ${direct} run by the kit (steps Ganeti cannot express: arguments, unset or hand-set variables)`
        : '') +
      `; ${defects === 0 ? 'Ganeti and the kit agree on every one' : `${defects} disagreement${defects === 1 ? '' : 's'} between Ganeti and the kit`}`,
  ];
  if (defects > 0)
    lines.push(
      `KIT DEFECT: the kit's model of Ganeti ${installation.release} is wrong where marked "kit defect" above; the provider is not at fault there. Please report it with the lines above.`,
    );
  return lines;
}
