// Ganeti 3.0 from Debian (`ganeti-3.0`, bookworm ships 3.0.2): its Python storage layer is what the
// Ganeti stages drive. Installed like the other e2e packages, but apart from them: where the package
// does not exist (not Debian, or a release without it) only the Ganeti stages are skipped, saying why.

import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { exec, findInPath } from '../lib/exec.js';

/** Debian's own interpreter: the one with python3-openssl and the other modules Ganeti imports. */
export const GANETI_PYTHON = '/usr/bin/python3';
export const GANETI_LIB = '/usr/share/ganeti/3.0';
const GANETI_PACKAGE = 'ganeti-3.0';
const EXTSTORAGE_MODULE = `${GANETI_LIB}/ganeti/storage/extstorage.py`;

// Installing ganeti-3.0 pulls in openssh-server, whose postinst starts sshd on every address unless
// a policy-rc.d says no: nothing the e2e installs may listen outside its namespace.
const POLICY_RC_D = '/usr/sbin/policy-rc.d';
const NO_SERVICES = '#!/bin/sh\n# extstorage-kit e2e: no service starts while it installs packages\nexit 101\n';

const APT_TIMEOUT_MS = 15 * 60_000;
const APT_ENV = { DEBIAN_FRONTEND: 'noninteractive' };

export type GanetiAvailability =
  | { readonly available: true; readonly release: string; readonly installed: boolean }
  | { readonly available: false; readonly reason: string };

/** Ganeti's release as its own constants say, or throws with Python's error. */
async function ganetiRelease(): Promise<string> {
  const probe = `import sys; sys.path.insert(0, ${JSON.stringify(GANETI_LIB)}); from ganeti.storage import extstorage; from ganeti import constants; print(constants.RELEASE_VERSION)`;
  const result = await exec([GANETI_PYTHON, '-c', probe], { timeoutMs: 60_000 });
  return result.stdout.trim();
}

async function installWithoutServices(): Promise<void> {
  const ownPolicy = !existsSync(POLICY_RC_D);
  if (ownPolicy) writeFileSync(POLICY_RC_D, NO_SERVICES, { mode: 0o755 });
  try {
    await exec(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', GANETI_PACKAGE], {
      env: APT_ENV,
      timeoutMs: APT_TIMEOUT_MS,
    });
  } finally {
    if (ownPolicy) rmSync(POLICY_RC_D, { force: true });
  }
}

/** Installs ganeti-3.0 when it is missing; says why not when this system has no such package. */
export async function ensureGaneti(log: (line: string) => void): Promise<GanetiAvailability> {
  if (existsSync(EXTSTORAGE_MODULE) && existsSync(GANETI_PYTHON)) {
    return { available: true, release: await ganetiRelease(), installed: false };
  }
  if (findInPath('apt-get') === undefined || findInPath('apt-cache') === undefined) {
    return {
      available: false,
      reason: `no apt-get here: ${GANETI_PACKAGE} is a Debian package (Debian 12 ships 3.0.2)`,
    };
  }
  log(`Ganeti: installing ${GANETI_PACKAGE}`);
  await exec(['apt-get', 'update', '-qq'], { env: APT_ENV, timeoutMs: APT_TIMEOUT_MS });
  const policy = await exec(['apt-cache', 'policy', GANETI_PACKAGE], { timeoutMs: 60_000 });
  const candidate = /^\s*Candidate:\s*(\S+)/m.exec(policy.stdout)?.[1];
  if (candidate === undefined || candidate === '(none)') {
    return {
      available: false,
      reason: `${GANETI_PACKAGE} is not in this system's apt sources (Debian 12 "bookworm" ships 3.0.2)`,
    };
  }
  await installWithoutServices();
  if (!existsSync(EXTSTORAGE_MODULE))
    throw new Error(`${GANETI_PACKAGE} ${candidate} installed, but ${EXTSTORAGE_MODULE} is missing`);
  return { available: true, release: await ganetiRelease(), installed: true };
}
