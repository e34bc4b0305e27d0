// Installs the Debian packages the e2e backends need, only those that are missing.

import { exec, findInPath } from '../lib/exec.js';

export interface Requirement {
  readonly package: string;
  /** Commands that must be on PATH once the package is installed. */
  readonly commands: readonly string[];
}

export const REQUIREMENTS: readonly Requirement[] = [
  // monmaptool ships in ceph-base, which ceph-mon pulls in (ceph-common alone lacks it).
  { package: 'ceph-mon', commands: ['ceph-mon', 'monmaptool'] },
  { package: 'ceph-osd', commands: ['ceph-osd'] },
  { package: 'ceph-common', commands: ['ceph', 'rbd', 'rados', 'ceph-authtool'] },
  // The gluster CLI is in glusterfs-cli, a dependency of glusterfs-server.
  { package: 'glusterfs-server', commands: ['glusterd', 'gluster'] },
  { package: 'glusterfs-client', commands: ['glusterfs', 'mount.glusterfs'] },
  { package: 'qemu-utils', commands: ['qemu-io', 'qemu-img'] },
  // Holds qemu's rbd block driver (block-rbd.so): no command to look for, dpkg tells.
  { package: 'qemu-block-extra', commands: [] },
  { package: 'mount', commands: ['losetup'] },
  { package: 'iproute2', commands: ['ip'] },
];

const APT_TIMEOUT_MS = 15 * 60_000;
const APT_ENV = { DEBIAN_FRONTEND: 'noninteractive' };

async function dpkgInstalled(pkg: string): Promise<boolean> {
  const result = await exec(['dpkg-query', '-W', '-f=${Status}', pkg], { allowFailure: true, timeoutMs: 30_000 });
  return result.code === 0 && result.stdout.trim() === 'install ok installed';
}

async function isMissing(requirement: Requirement): Promise<boolean> {
  if (requirement.commands.length === 0) return !(await dpkgInstalled(requirement.package));
  return requirement.commands.some((command) => findInPath(command) === undefined);
}

export async function ensurePackages(
  log: (line: string) => void,
): Promise<{ installed: string[]; durationMs: number }> {
  const started = Date.now();
  const missing: string[] = [];
  for (const requirement of REQUIREMENTS) {
    if (await isMissing(requirement)) missing.push(requirement.package);
  }
  if (missing.length === 0) {
    log('e2e packages: all present');
    return { installed: [], durationMs: Date.now() - started };
  }

  log(`e2e packages: installing ${missing.join(' ')}`);
  await exec(['apt-get', 'update', '-qq'], { env: APT_ENV, timeoutMs: APT_TIMEOUT_MS });
  await exec(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...missing], {
    env: APT_ENV,
    timeoutMs: APT_TIMEOUT_MS,
  });

  // A package can be installed while its commands are not on PATH (e.g. /usr/sbin missing from PATH).
  const stillMissing: string[] = [];
  for (const requirement of REQUIREMENTS) {
    if (missing.includes(requirement.package) && (await isMissing(requirement))) {
      stillMissing.push(`${requirement.package} (${requirement.commands.join(', ') || 'dpkg status'})`);
    }
  }
  if (stillMissing.length > 0) {
    throw new Error(`after apt-get install, still missing: ${stillMissing.join('; ')}; is /usr/sbin on PATH?`);
  }
  const durationMs = Date.now() - started;
  log(`e2e packages: installed ${missing.join(' ')} in ${(durationMs / 1000).toFixed(1)} s`);
  return { installed: missing, durationMs };
}
