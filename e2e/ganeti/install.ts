// Ganeti 3.0 from Debian (`ganeti-3.0`, bookworm ships 3.0.2): its Python storage layer is what the
// Ganeti stages drive; `ganeti` (the gnt-* commands and daemons), `ganeti-os-noop` and
// `qemu-system-x86` are what the cluster stages run. Installed like the other e2e packages, but
// apart from them: where a package does not exist (not Debian, or a release without it) only the
// stages needing it are skipped, saying why.

import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { exec, findInPath } from '../lib/exec.js';

/** Debian's own interpreter: the one with python3-openssl and the other modules Ganeti imports. */
export const GANETI_PYTHON = '/usr/bin/python3';
export const GANETI_LIB = '/usr/share/ganeti/3.0';
const GANETI_PACKAGE = 'ganeti-3.0';
const EXTSTORAGE_MODULE = `${GANETI_LIB}/ganeti/storage/extstorage.py`;

/** The cluster stages' packages, each with a file that shows it is installed. */
const CLUSTER_PACKAGES = [
  { package: 'ganeti', file: '/usr/sbin/gnt-cluster' },
  { package: 'ganeti-os-noop', file: '/usr/share/ganeti/os/noop/create' },
] as const;
const QEMU_PACKAGE = { package: 'qemu-system-x86', file: '/usr/bin/qemu-system-x86_64' } as const;
/** The QEMU the KVM stage runs: by this name QEMU prefers TCG (as `kvm` it would prefer KVM). */
export const QEMU_SYSTEM = QEMU_PACKAGE.file;

// Installing ganeti-3.0 pulls in openssh-server, whose postinst starts sshd on every address unless
// a policy-rc.d says no: nothing the e2e installs may listen outside its namespace.
const POLICY_RC_D = '/usr/sbin/policy-rc.d';
const NO_SERVICES = '#!/bin/sh\n# extstorage-kit e2e: no service starts while it installs packages\nexit 101\n';

const APT_TIMEOUT_MS = 15 * 60_000;
const APT_ENV = { DEBIAN_FRONTEND: 'noninteractive' };

/** Whether a part can run, or why not. */
export type Availability = { readonly available: true } | { readonly available: false; readonly reason: string };

export type GanetiAvailability =
  | {
      readonly available: true;
      readonly release: string;
      readonly installed: boolean;
      /** The gnt-* commands and the noop OS: the fake-hypervisor cluster. */
      readonly cluster: Availability;
      /** QEMU as well: the KVM cluster. */
      readonly kvm: Availability;
    }
  | { readonly available: false; readonly reason: string };

/** Ganeti's release as its own constants say, or throws with Python's error. */
async function ganetiRelease(): Promise<string> {
  const probe = `import sys; sys.path.insert(0, ${JSON.stringify(GANETI_LIB)}); from ganeti.storage import extstorage; from ganeti import constants; print(constants.RELEASE_VERSION)`;
  const result = await exec([GANETI_PYTHON, '-c', probe], { timeoutMs: 60_000 });
  return result.stdout.trim();
}

async function installWithoutServices(packages: readonly string[]): Promise<void> {
  const ownPolicy = !existsSync(POLICY_RC_D);
  if (ownPolicy) writeFileSync(POLICY_RC_D, NO_SERVICES, { mode: 0o755 });
  try {
    await exec(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...packages], {
      env: APT_ENV,
      timeoutMs: APT_TIMEOUT_MS,
    });
  } finally {
    if (ownPolicy) rmSync(POLICY_RC_D, { force: true });
  }
}

/** The package's candidate version in the apt sources, or undefined when there is none. */
async function candidate(pkg: string): Promise<string | undefined> {
  const policy = await exec(['apt-cache', 'policy', pkg], { timeoutMs: 60_000 });
  const version = /^\s*Candidate:\s*(\S+)/m.exec(policy.stdout)?.[1];
  return version === undefined || version === '(none)' ? undefined : version;
}

const NOT_IN_SOURCES = "is not in this system's apt sources";

/**
 * Installs what is missing of ganeti-3.0, ganeti, ganeti-os-noop and qemu-system-x86 (one apt-get,
 * no service started); says which stages cannot run, and why, where a package does not exist.
 */
export async function ensureGaneti(log: (line: string) => void): Promise<GanetiAvailability> {
  const wanted = [{ package: GANETI_PACKAGE, file: EXTSTORAGE_MODULE }, ...CLUSTER_PACKAGES, QEMU_PACKAGE];
  const missing = wanted.filter((w) => !existsSync(w.file)).map((w) => w.package);
  const absent = new Map<string, string>();
  if (missing.length > 0) {
    if (findInPath('apt-get') === undefined || findInPath('apt-cache') === undefined) {
      for (const pkg of missing) absent.set(pkg, `no apt-get here: ${pkg} is a Debian package`);
    } else {
      log(`Ganeti: installing ${missing.join(' ')}`);
      await exec(['apt-get', 'update', '-qq'], { env: APT_ENV, timeoutMs: APT_TIMEOUT_MS });
      for (const pkg of missing) if ((await candidate(pkg)) === undefined) absent.set(pkg, `${pkg} ${NOT_IN_SOURCES}`);
      const installable = missing.filter((pkg) => !absent.has(pkg));
      const started = Date.now();
      if (installable.length > 0) await installWithoutServices(installable);
      for (const reason of absent.values()) log(`Ganeti: not installed: ${reason}`);
      if (installable.length > 0)
        log(`Ganeti: installed ${installable.join(' ')} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      for (const w of wanted)
        if (installable.includes(w.package) && !existsSync(w.file))
          throw new Error(`${w.package} installed, but ${w.file} is missing`);
    }
  }
  const layer1 = absent.get(GANETI_PACKAGE);
  if (layer1 !== undefined) return { available: false, reason: `${layer1} (Debian 12 "bookworm" ships 3.0.2)` };
  const clusterReasons = CLUSTER_PACKAGES.flatMap((p) => absent.get(p.package) ?? []);
  const cluster: Availability =
    clusterReasons.length === 0 ? { available: true } : { available: false, reason: clusterReasons.join('; ') };
  const qemu = absent.get(QEMU_PACKAGE.package);
  const kvm: Availability = !cluster.available
    ? cluster
    : qemu === undefined
      ? { available: true }
      : { available: false, reason: qemu };
  return {
    available: true,
    release: await ganetiRelease(),
    installed: missing.includes(GANETI_PACKAGE),
    cluster,
    kvm,
  };
}
