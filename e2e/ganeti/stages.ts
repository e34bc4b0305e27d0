// The Ganeti stages: each reference provider installed with `extstorage-kit install` into a search
// path of the run's own, then put through Ganeti 3.0's ExtStorageDevice on its real backend
// (lifecycle.ts); and the kit's model judged by Ganeti (differential.ts). Skipped, saying why, only
// where ganeti-3.0 could not be installed (install.ts).

import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Namespace } from '../backends/namespace.js';
import { exec } from '../lib/exec.js';
import type { GanetiAvailability } from './install.js';
import type { GanetiOutcome, GanetiPlaces } from './driver.js';
import { differentialStage } from './differential.js';
import { ganetiLifecycle, type ProviderPlan } from './lifecycle.js';

const CEPH_CONF = '/etc/ceph/ceph.conf';
const GLUSTER_DIR = 'ganeti';

/** `stat -c %s`, or null when the file does not exist. */
async function fileSize(ns: Namespace, file: string): Promise<number | null> {
  const result = await ns.exec(['stat', '-c', '%s', file], { allowFailure: true });
  if (result.code !== 0 && result.stderr.includes('No such file')) return null;
  if (result.code !== 0) throw new Error(`stat ${file}: ${result.stderr.trim()}`);
  return Number(result.stdout.trim());
}

async function fileText(ns: Namespace, file: string): Promise<string> {
  return (await ns.exec(['cat', file])).stdout.replace(/\n$/, '');
}

async function loopsOver(ns: Namespace, file: string): Promise<string> {
  return (await ns.exec(['losetup', '--associated', file])).stdout.trim();
}

/** The volume files of the providers that keep them in a folder (legacy, gluster). */
function filePlan(
  folder: (env: GanetiPlaces) => string,
): Pick<ProviderPlan, 'backendSize' | 'backendMetadata' | 'loopsOver'> {
  const file = (env: GanetiPlaces, volume: string, ext: string) => join(folder(env), `${volume}.${ext}`);
  return {
    backendSize: (ns, env, volume) => fileSize(ns, file(env, volume, 'img')),
    backendMetadata: (ns, env, volume) => fileText(ns, file(env, volume, 'meta')),
    loopsOver: (ns, env, volume) => loopsOver(ns, file(env, volume, 'img')),
  };
}

const legacyFolder = (env: GanetiPlaces) => join(env.workDir, 'ganeti', 'legacy-data');

export const LEGACY: ProviderPlan = {
  provider: 'legacy',
  params: (env) => ({ dir: legacyFolder(env) }),
  blockDevice: true,
  kvmUri: () => null,
  ...filePlan(legacyFolder),
};

export const RBD: ProviderPlan = {
  provider: 'rbd',
  // No rbd kernel module here: userspace only, as a cluster with `-D ext:access=userspace` runs it.
  params: () => ({ pool: 'rbd', userspace_only: 'true', ceph_conf: CEPH_CONF, access: 'userspace' }),
  blockDevice: false,
  kvmUri: (volume) => `rbd:rbd/${volume}:conf=${CEPH_CONF}`,
  backendSize: async (ns, _env, volume) => {
    const result = await ns.exec(['rbd', 'info', '--format', 'json', `rbd/${volume}`], { allowFailure: true });
    if (result.code !== 0 && result.stderr.includes('No such file')) return null;
    if (result.code !== 0) throw new Error(`rbd info rbd/${volume}: ${result.stderr.trim()}`);
    return (JSON.parse(result.stdout) as { size: number }).size;
  },
  backendMetadata: async (ns, _env, volume) =>
    (await ns.exec(['rbd', 'image-meta', 'get', `rbd/${volume}`, 'ganeti.metadata'])).stdout.replace(/\n$/, ''),
};

export const GLUSTER: ProviderPlan = {
  provider: 'gluster',
  params: (env) => ({ volume: 'gv0', mountpoint: env.glusterMount, dir: GLUSTER_DIR }),
  blockDevice: true,
  kvmUri: (volume) => `gluster://127.0.0.1:24007/gv0/${GLUSTER_DIR}/${volume}.img`,
  ...filePlan((env) => join(env.glusterMount, GLUSTER_DIR)),
};

/** The stage: install the provider where the driver's search path points, then the lifecycle. */
export async function ganetiStage(
  ns: Namespace,
  env: GanetiPlaces & { readonly ganeti: GanetiAvailability },
  plan: ProviderPlan,
): Promise<GanetiOutcome> {
  if (!env.ganeti.available) return { ok: true, summary: `# SKIP ${env.ganeti.reason}`, details: [] };
  const dir = join(env.workDir, 'ganeti');
  for (const sub of ['extstorage', 'log', 'legacy-data']) mkdirSync(join(dir, sub), { recursive: true });
  const target = join(dir, 'extstorage', plan.provider);
  if (!existsSync(target)) {
    const cli = join(env.repo, 'dist', 'harness', 'cli.js');
    await exec([process.execPath, cli, 'install', plan.provider, '--to', target], { cwd: env.repo });
  }
  const result = await ganetiLifecycle(ns, env, plan);
  return { ...result, summary: `Ganeti ${env.ganeti.release}: ${result.summary}` };
}

/** The differential stage (differential.ts), skipped like the others where Ganeti is not here. */
export async function ganetiDifferential(
  ns: Namespace,
  env: GanetiPlaces & { readonly ganeti: GanetiAvailability },
): Promise<GanetiOutcome> {
  if (!env.ganeti.available) return { ok: true, summary: `# SKIP ${env.ganeti.reason}`, details: [] };
  return differentialStage(ns, env);
}
