// Observers: what the backend holds for each volume after a step, read from what the runner
// recorded with the step's run: the simulators' state (rbd images, sizes, mappings; loop devices
// and their backing files) and the files of the sandbox (a file-backed volume's size is its
// backing file's size).

import { basename } from 'node:path';
import type { FileChange } from '../run/file-snapshot.js';
import { completeBytes } from '../run/capture.js';
import type { JudgedRun } from '../run/expect.js';
import type { ScriptRun } from '../run/result.js';

/** One volume as the backend shows it; null where nothing shows it (no simulator, files elsewhere). */
export interface VolumeObservation {
  /** The image or backing file exists. */
  readonly exists: boolean | null;
  /** Its size in bytes (an rbd image's, or the largest file named after the volume). */
  readonly bytes: number | null;
  /** Devices mapping it: /dev/rbdN, /dev/loopN, with their size in bytes. */
  readonly devices: readonly { readonly path: string; readonly bytes: number }[];
  /** Whose state it is: the rbd image (its key) or the sandbox's files (their paths, relative to it). */
  readonly where:
    | { readonly kind: 'rbd'; readonly key: string }
    | { readonly kind: 'files'; readonly paths: readonly string[] }
    | null;
}

interface RbdImageView {
  readonly bytes: number;
  readonly devices: readonly string[];
}
interface LoopDeviceView {
  readonly file: string;
  readonly bytes: number;
}

/** Whether a file or image name belongs to the volume: its name, or its name and a suffix (vol.img). */
export function namedAfter(entry: string, volume: string): boolean {
  return entry === volume || entry.startsWith(`${volume}.`);
}

/** The backend's state as the steps so far left it: the simulators' last views and the sandbox's files. */
export class BackendState {
  private views: Record<string, Record<string, unknown>> = {};
  private readonly files = new Map<string, number>();

  /** `names`: the volumes' names; an entry belongs to the longest it is named after (vol.snap.img is vol.snap's, not vol's). */
  constructor(private readonly names: readonly string[]) {}

  /** Whether `entry` (a file's or device's backing file's base name) belongs to `volume`. */
  private owns(volume: string, entry: string): boolean {
    if (!namedAfter(entry, volume)) return false;
    return !this.names.some((other) => other.length > volume.length && namedAfter(entry, other));
  }

  /** Takes in what runs (that ended in this order) changed and saw. */
  update(runs: readonly ScriptRun[]): void {
    for (const run of runs) {
      // The runner keeps each run's simulator views on the run (expect.ts, JudgedRun).
      const simulated = (run as JudgedRun).simulated;
      if (simulated !== undefined) this.views = simulated as Record<string, Record<string, unknown>>;
      for (const change of run.files ?? []) this.applyFile(change);
    }
  }

  /** Takes in a full listing of the sandbox's files (execute.ts, OBSERVE_FILES) and the views the command saw. */
  replace(run: ScriptRun): void {
    const simulated = (run as JudgedRun).simulated;
    if (simulated !== undefined) this.views = simulated as Record<string, Record<string, unknown>>;
    const listing = completeBytes(run.stdout);
    if (listing === null) return; // too long to keep whole: the diffs stand
    this.files.clear();
    for (const line of Buffer.from(listing).toString('utf8').split('\n')) {
      const tab = line.lastIndexOf('\t');
      if (tab > 0) this.files.set(line.slice(0, tab), Number(line.slice(tab + 1)));
    }
  }

  private applyFile(change: FileChange): void {
    if (change.after?.kind !== 'file') this.files.delete(change.path);
    else this.files.set(change.path, change.after.size);
  }

  /** Whether the backend shows images or files at all (a simulator runs). */
  get simulated(): boolean {
    return Object.keys(this.views).length > 0;
  }

  /** A loop device's backing file, as losetup shows it, or null. */
  loopDevices(): Record<string, LoopDeviceView> {
    return (this.views.losetup?.devices ?? {}) as Record<string, LoopDeviceView>;
  }

  observe(volume: string): VolumeObservation {
    const images = this.views.rbd?.images as Record<string, RbdImageView> | undefined;
    const loops = Object.entries(this.loopDevices())
      .filter(([, d]) => this.owns(volume, basename(d.file)))
      .map(([path, d]) => ({ path, bytes: d.bytes }));
    if (images !== undefined) {
      const key = Object.keys(images).find((k) => k.split('/').at(-1) === volume);
      const image = key === undefined ? undefined : images[key];
      const devices = [...(image?.devices ?? []).map((path) => ({ path, bytes: image!.bytes })), ...loops];
      return {
        exists: image !== undefined,
        bytes: image?.bytes ?? null,
        devices,
        where: key === undefined ? null : { kind: 'rbd', key },
      };
    }
    const paths = [...this.files.keys()].filter((p) => this.owns(volume, basename(p))).sort();
    const sizes = paths.map((p) => this.files.get(p)!);
    const seen = this.views.losetup !== undefined;
    return {
      exists: seen ? paths.length > 0 : null,
      bytes: paths.length > 0 ? Math.max(...sizes) : null,
      devices: loops,
      where: { kind: 'files', paths },
    };
  }

  /** The path (relative to the sandbox) of the volume's largest file: its image. */
  imageFile(volume: string): string | null {
    let best: [string, number] | null = null;
    for (const [path, size] of this.files)
      if (this.owns(volume, basename(path)) && (best === null || size > best[1])) best = [path, size];
    return best?.[0] ?? null;
  }
}
