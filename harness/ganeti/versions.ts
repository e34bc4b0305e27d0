// Ganeti releases 2.7.0 to 3.1.x and how each one reads `attach` output.
// The behaviour letters A-D are the ones spec/SPEC.md §5 defines.

/** How a Ganeti release reads the stdout of `attach`. */
export type AttachBehaviour = 'A' | 'B' | 'C' | 'D';

export interface GanetiVersion {
  /** What the caller wrote, e.g. "2.15" or "2.15.0". */
  readonly asked: string;
  /** The release it stands for, e.g. "2.15.2" for "2.15". */
  readonly release: string;
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly behaviour: AttachBehaviour;
}

/** The last patch release of each series; every patch from .0 up to it exists. */
const LAST_PATCH: ReadonlyMap<string, number> = new Map([
  ['2.7', 2],
  ['2.8', 4],
  ['2.9', 7],
  ['2.10', 8],
  ['2.11', 8],
  ['2.12', 6],
  ['2.13', 3],
  ['2.14', 2],
  ['2.15', 2],
  ['2.16', 2],
  ['3.0', 2],
  ['3.1', 0],
]);

export const SUPPORTED_RANGE = '2.7.0 to 3.1.0';

/** One release per behaviour: the default set of `parse` and of reports. */
export const REPRESENTATIVE_VERSIONS: readonly string[] = ['2.12', '2.13.0', '2.16', '3.1'];

/** Every series, newest last, in the X.Y form (which means its last release). */
export const SERIES: readonly string[] = [...LAST_PATCH.keys()];

/** Every release, oldest first, in X.Y.Z form. */
export const ALL_RELEASES: readonly string[] = SERIES.flatMap((series) => {
  const last = LAST_PATCH.get(series)!;
  return Array.from({ length: last + 1 }, (_, patch) => `${series}.${patch}`);
});

export class UnsupportedVersionError extends Error {
  constructor(readonly asked: string) {
    super(
      `unsupported Ganeti version ${JSON.stringify(asked)}: expected a release from ` +
        `${SUPPORTED_RANGE}, written X.Y (that series' last release) or X.Y.Z`,
    );
    this.name = 'UnsupportedVersionError';
  }
}

function behaviourOf(major: number, minor: number, patch: number): AttachBehaviour {
  if (major === 3) return 'D';
  if (minor <= 12) return 'A';
  if (minor === 13) return 'B';
  // The userspace-only reading (empty first line) arrived in 2.14.2 and 2.15.1.
  if (minor === 14) return patch >= 2 ? 'C' : 'B';
  if (minor === 15) return patch >= 1 ? 'C' : 'B';
  return 'C';
}

const VERSION_RE = /^(\d+)\.(\d+)(?:\.(\d+))?$/;

/** Parses "X.Y" or "X.Y.Z"; throws UnsupportedVersionError for anything outside 2.7.0-3.1.0. */
export function parseGanetiVersion(asked: string): GanetiVersion {
  const match = typeof asked === 'string' ? VERSION_RE.exec(asked) : null;
  if (!match) throw new UnsupportedVersionError(asked);
  const [, majorText, minorText, patchText] = match;
  // Leading zeros ("2.07") are not how Ganeti names releases.
  if ([majorText, minorText, patchText].some((part) => part !== undefined && /^0\d/.test(part))) {
    throw new UnsupportedVersionError(asked);
  }
  const series = `${Number(majorText)}.${Number(minorText)}`;
  const last = LAST_PATCH.get(series);
  if (last === undefined) throw new UnsupportedVersionError(asked);
  const patch = patchText === undefined ? last : Number(patchText);
  if (patch > last) throw new UnsupportedVersionError(asked);
  const major = Number(majorText);
  const minor = Number(minorText);
  return {
    asked,
    release: `${series}.${patch}`,
    major,
    minor,
    patch,
    behaviour: behaviourOf(major, minor, patch),
  };
}

/** True for the Python 2 releases, which handle script output as raw bytes. */
export function isPython2(version: GanetiVersion): boolean {
  return version.major === 2;
}

/** The releases that share a behaviour, as a human range, for messages and docs. */
export const BEHAVIOUR_RANGES: Readonly<Record<AttachBehaviour, string>> = {
  A: '2.7.0-2.12.6',
  B: '2.13.0-2.14.1 and 2.15.0',
  C: '2.14.2, 2.15.1-2.15.2 and 2.16.x',
  D: '3.0.x and 3.1.x',
};
