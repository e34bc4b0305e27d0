// Real loop devices behind `losetup`, in place of the losetup simulator (root only). The state
// shows the devices whose backing file lies in the scenario's sandbox, the only ones a scenario can
// own on a host that may use loop devices for other things; cleanup detaches exactly those.

import { readdirSync, readFileSync } from 'node:fs';
import type { LosetupSimulation } from '../scenario/model.js';
import { mustRun, runCommand, type RealBackend, type RealContext } from './backend.js';

const MIB = 1024 * 1024;

interface RealLoop {
  readonly name: string;
  readonly 'back-file': string | null;
  readonly offset: number;
  readonly sizelimit: number;
  readonly ro: boolean;
  readonly autoclear: boolean;
  readonly partscan: boolean;
  readonly dio: boolean;
  readonly 'log-sec': number;
}

/** The attached loop devices backed by a file in the sandbox. */
async function ownLoops(context: RealContext): Promise<RealLoop[]> {
  const text = await mustRun(
    ['losetup', '--list', '--json', '--output', 'NAME,BACK-FILE,OFFSET,SIZELIMIT,RO,AUTOCLEAR,PARTSCAN,DIO,LOG-SEC'],
    context.env,
  );
  const all = text.trim() === '' ? [] : (JSON.parse(text) as { loopdevices: RealLoop[] }).loopdevices;
  return all.filter((d) => (d['back-file'] ?? '').startsWith(`${context.sandbox}/`));
}

function deviceBytes(name: string): number {
  try {
    return Number(readFileSync(`/sys/block/${name.replace(/^\/dev\//, '')}/size`, 'utf8').trim()) * 512;
  } catch {
    return 0;
  }
}

export const realLosetup: RealBackend<LosetupSimulation> = {
  name: 'losetup',

  async unsupported(options) {
    if (options.fail.length > 0) return 'it injects failures, which only the simulator can';
    if ((options.given ?? []).includes('devices'))
      return `it needs exactly ${options.devices} loop devices, and a real host has its own`;
    if (process.getuid?.() !== 0) return 'loop devices need root';
    return null;
  },

  async prepare() {
    // Nothing to make: the sandbox is new, so no device is backed by a file in it.
  },

  async view(_options, context) {
    const devices: Record<string, unknown> = {};
    const own = await ownLoops(context);
    for (const d of [...own].sort((a, b) => loopNumber(a.name) - loopNumber(b.name))) {
      const bytes = deviceBytes(d.name);
      devices[d.name] = {
        file: d['back-file'],
        size: bytes / MIB,
        bytes,
        offset: d.offset,
        sizelimit: d.sizelimit,
        read_only: d.ro,
        autoclear: d.autoclear,
        partscan: d.partscan,
        direct_io: d.dio,
        sector_size: d['log-sec'],
      };
    }
    const count = readdirSync('/dev').filter((name) => /^loop\d+$/.test(name)).length;
    return { count, attached: own.length, devices };
  },

  async cleanup(_options, context) {
    const problems: string[] = [];
    for (const d of await ownLoops(context)) {
      const out = await runCommand(['losetup', '--detach', d.name], context.env);
      if (out.code !== 0) problems.push(`losetup --detach ${d.name}: ${out.stderr.trim()}`);
    }
    return problems;
  },
};

function loopNumber(name: string): number {
  return Number(/(\d+)$/.exec(name)?.[1] ?? 0);
}
