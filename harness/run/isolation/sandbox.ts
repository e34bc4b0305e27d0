// One scenario's sandbox for provider scripts (spec/SCENARIOS.md §14): what is mounted where,
// rendered as a bwrap argv or as the waiter's mount operations under `unshare`, and at level none
// what could not be contained, said in words. Everything is argv: no shell command is built
// from data, and every path is checked (absolute, normalised, no control character) before it is
// bound.

import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  writeFileSync,
} from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { sandboxPathProblem, type FakeDevice } from '../../scenario/model.js';
import { UNSHARE_ARGS, type IsolationLevel } from './probe.js';
import { WAITER_SCRIPT } from './waiter.js';

/**
 * Where a coverage-instrumented harness has its node children write (Node's NODE_V8_COVERAGE, and
 * tap's process info under <cwd>/.tap when the harness itself runs under tap): bound writable, so
 * that measuring the kit does not turn into "the provider wrote on a read-only file system".
 */
function instrumentationDirs(): string[] {
  const tapCwd = process.env._TAPJS_PROCESSINFO_CWD_;
  return [process.env.NODE_V8_COVERAGE, tapCwd === undefined ? undefined : join(tapCwd, '.tap')].filter(
    (dir): dir is string => dir !== undefined && isAbsolute(dir) && existsSync(dir),
  );
}

export interface SandboxSpec {
  readonly level: IsolationLevel;
  /** The scenario's sandbox directory (read-write inside). */
  readonly root: string;
  readonly providerDir: string;
  readonly installPath?: string;
  /** Absolute path inside the sandbox -> the stub executable bound over it. */
  readonly absoluteStubs: ReadonlyMap<string, string>;
  readonly devices: readonly FakeDevice[];
  readonly scratch: readonly string[];
  /** The scenario runs against real storage (`run --real`, `test --live`): the host's /dev and a writable host. */
  readonly realDevices: boolean;
}

export interface ScriptSandbox {
  readonly level: IsolationLevel;
  /** What this sandbox does not contain, in words, for the report. */
  readonly notContained: readonly string[];
  /** Where the provider folder is seen by its scripts: the install path when mapped. */
  readonly providerPath: string;
  /** The argv that runs `command` inside the sandbox, or null at level none (run it directly). */
  wrap(
    command: string,
    args: readonly string[],
    cwd: string,
    env: Readonly<Record<string, string>>,
  ): { file: string; args: string[] } | null;
}

/** The path with its deepest existing ancestor resolved (symlinks followed), and that ancestor. */
function resolveTarget(path: string): { target: string; ancestor: string; exists: boolean } {
  let ancestor = path;
  while (ancestor !== '/' && !existsSync(ancestor)) ancestor = dirname(ancestor);
  const real = realpathSync(ancestor);
  const rest = path.slice(ancestor.length);
  return { target: real === '/' ? rest || '/' : real + rest, ancestor: real, exists: ancestor === path };
}

/** The entries of `dir` as bwrap recreates them on a tmpfs: a read-only bind each, symlinks as symlinks. */
function replicate(dir: string): string[] {
  const args = ['--tmpfs', dir];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (sandboxPathProblem(path) !== null) continue; // a name mount options cannot carry: left out
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) args.push('--symlink', readlinkSync(path), path);
    else if (stat.isDirectory() || stat.isFile()) args.push('--ro-bind', path, path);
    else args.push('--dev-bind-try', path, path);
  }
  return args;
}

/**
 * A node's lock directory, writable there and kept from one action to the next (providers lock
 * volumes in it): in the sandbox a folder of the scenario's own is bound over it, so that neither
 * the host's nor another scenario's locks are seen (two scenarios running at once both lock
 * vol1.ext.disk0), and a read-only host root does not make a provider's lock fail.
 */
const LOCK_DIR = '/run/lock';

function lockDirectory(work: string): string | null {
  try {
    if (!lstatSync(LOCK_DIR).isDirectory()) return null;
  } catch {
    return null;
  }
  const own = join(work, 'run-lock');
  mkdirSync(own, { recursive: true });
  chmodSync(own, 0o1777); // as on a node: a sticky, world-writable directory
  return own;
}

/** The waiter's operations that give the script PWD and OLDPWD only as its environment has them. */
function pwdOps(env: Readonly<Record<string, string>>): string[] {
  return [
    ...(env.PWD !== undefined ? ['pwd', env.PWD] : []),
    ...(env.OLDPWD !== undefined ? ['oldpwd', env.OLDPWD] : []),
  ];
}

export function prepareSandbox(spec: SandboxSpec): ScriptSandbox {
  const notContained: string[] = [];
  const providerDir = realpathSync(spec.providerDir);
  const root = realpathSync(spec.root);
  for (const path of [providerDir, root]) {
    const problem = sandboxPathProblem(path);
    if (problem !== null && spec.level !== 'none')
      throw new Error(`cannot bind ${JSON.stringify(path)} into the sandbox: ${problem}`);
  }

  if (spec.level === 'none') {
    let providerPath = providerDir;
    if (spec.installPath !== undefined) {
      let same = false;
      try {
        same = realpathSync(spec.installPath) === providerDir;
      } catch {
        // not there
      }
      if (same) providerPath = spec.installPath;
      else
        notContained.push(
          `install_path ${spec.installPath} is not mapped (isolation none): the scripts run from ${providerDir}`,
        );
    }
    notContained.push(
      'no namespaces (isolation none): leftover processes are found by process group, environment marker and the PIDs allocated since the scenario began',
      'the host file system is writable: the provider folder is compared before and after each script, other writes are not seen',
      '/var/log/ganeti is the host one',
      `${LOCK_DIR} is the host one (shared with the host and with scenarios running at the same time)`,
    );
    if (spec.scratch.length > 0) notContained.push(`scratch paths are the host ones: ${spec.scratch.join(', ')}`);
    if (spec.devices.length > 0)
      notContained.push(`fake devices are not made (isolation none): ${spec.devices.map((d) => d.path).join(', ')}`);
    return { level: 'none', notContained, providerPath, wrap: () => null };
  }

  const work = join(root, '.isolation');
  mkdirSync(work, { recursive: true });
  const providerPath = spec.installPath ?? providerDir;

  // Targets the sandbox puts something over: where they do not exist on the host, their deepest
  // existing ancestor is recreated (bwrap: a tmpfs of read-only binds) or overlaid (unshare).
  interface Placement {
    readonly kind: 'dir' | 'file' | 'tmpfs';
    readonly source?: string;
    readonly path: string;
  }
  const placements: Placement[] = [];
  if (spec.installPath !== undefined) placements.push({ kind: 'dir', source: providerDir, path: spec.installPath });
  for (const [path, stub] of spec.absoluteStubs) placements.push({ kind: 'file', source: stub, path });
  for (const path of spec.scratch) placements.push({ kind: 'tmpfs', path });

  const resolved = placements.map((p) => ({ ...p, ...resolveTarget(p.path) }));
  const ancestors = [...new Set(resolved.filter((p) => !p.exists && p.ancestor !== '/').map((p) => p.ancestor))].sort(
    (a, b) => a.length - b.length,
  );
  for (const p of resolved)
    if (!p.exists && p.ancestor === '/')
      notContained.push(`${p.path} cannot be made: /${p.path.split('/')[1] ?? ''} does not exist on this host`);
  const placed = resolved.filter((p) => p.exists || p.ancestor !== '/');
  const lockDir = spec.realDevices ? null : lockDirectory(work);

  if (spec.level === 'bwrap') {
    const args: string[] = [];
    args.push(
      ...(spec.realDevices
        ? ['--bind', '/', '/', '--dev-bind', '/dev', '/dev']
        : ['--ro-bind', '/', '/', '--dev', '/dev']),
    );
    args.push('--proc', '/proc');
    // The host's /tmp stays writable: scripts and the tests around them share files there.
    if (!spec.realDevices) args.push('--bind', '/tmp', '/tmp');
    args.push('--bind', root, root);
    for (const dir of instrumentationDirs()) args.push('--bind', dir, dir);
    args.push('--tmpfs', '/var/log', '--dir', '/var/log/ganeti');
    if (lockDir !== null) args.push('--bind', lockDir, LOCK_DIR);
    for (const ancestor of ancestors) args.push(...replicate(ancestor));
    args.push('--ro-bind', providerDir, providerDir);
    for (const p of placed) {
      if (p.kind === 'tmpfs') args.push('--tmpfs', p.target);
      else args.push('--ro-bind', p.source!, p.target);
    }
    if (!spec.realDevices) {
      spec.devices.forEach((device, i) => {
        if (device.symlink !== undefined) args.push('--symlink', device.symlink, device.path);
        else {
          const file = join(work, `device-${i}`);
          writeFileSync(file, '');
          args.push('--bind', file, device.path);
        }
      });
    } else if (spec.devices.length > 0)
      notContained.push(
        `fake devices are not made against real devices: ${spec.devices.map((d) => d.path).join(', ')}`,
      );
    for (const ancestor of ancestors) args.push('--remount-ro', ancestor);
    notContained.push(
      spec.realDevices ? 'the host file system is writable (real storage: --real or --live)' : '/tmp is the host one',
    );
    const head = [...args, '--unshare-pid', '--die-with-parent'];
    return {
      level: 'bwrap',
      notContained,
      providerPath,
      wrap: (command, argv, cwd, env) => ({
        file: 'bwrap',
        args: [
          ...head,
          '--chdir',
          cwd,
          '--',
          '/bin/sh',
          '-c',
          WAITER_SCRIPT,
          'sh',
          ...pwdOps(env),
          '--',
          cwd,
          command,
          ...argv,
        ],
      }),
    };
  }

  // unshare: the waiter makes the mounts, inside the new mount namespace (private propagation).
  const ops: string[] = [];
  ops.push('tmpfs', '/var/log', 'mkdir', '/var/log/ganeti');
  if (lockDir !== null) ops.push('bind', lockDir, LOCK_DIR);
  ancestors.forEach((ancestor, i) => {
    const skeleton = join(work, `skeleton-${i}`);
    mkdirSync(skeleton, { recursive: true });
    for (const p of placed) {
      if (p.exists || !p.target.startsWith(`${ancestor}/`)) continue;
      const inside = join(skeleton, p.target.slice(ancestor.length + 1));
      if (p.kind === 'file') {
        mkdirSync(dirname(inside), { recursive: true });
        writeFileSync(inside, '');
        chmodSync(inside, 0o755);
      } else mkdirSync(inside, { recursive: true });
    }
    ops.push('overlay', skeleton, ancestor);
  });
  ops.push('robind', providerDir, providerDir);
  for (const p of placed) {
    if (p.kind === 'tmpfs') ops.push('tmpfs', p.target);
    else ops.push('robind', p.source!, p.target);
  }
  if (spec.devices.length > 0 && !spec.realDevices) {
    // A /dev of our own: the host's basic nodes parked in the sandbox, a tmpfs over /dev, the nodes
    // bound back into it, then the fake entries.
    const nodes = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];
    for (const name of nodes) {
      const file = join(work, `devnode-${name}`);
      writeFileSync(file, '');
      ops.push('bind', `/dev/${name}`, file);
    }
    ops.push('tmpfs', '/dev', 'mkdir', '/dev/shm', 'mkdir', '/dev/pts');
    for (const name of nodes) ops.push('file', `/dev/${name}`, 'bind', join(work, `devnode-${name}`), `/dev/${name}`);
    for (const [name, target] of [
      ['fd', '/proc/self/fd'],
      ['stdin', '/proc/self/fd/0'],
      ['stdout', '/proc/self/fd/1'],
      ['stderr', '/proc/self/fd/2'],
    ] as const)
      ops.push('symlink', target, `/dev/${name}`);
    spec.devices.forEach((device) => {
      if (device.symlink !== undefined) ops.push('symlink', device.symlink, device.path);
      else ops.push('file', device.path);
    });
  } else if (spec.devices.length > 0)
    notContained.push(`fake devices are not made against real devices: ${spec.devices.map((d) => d.path).join(', ')}`);
  notContained.push(
    'the host file system outside the provider folder is writable (isolation unshare: only the provider folder is made read-only)',
  );
  if (spec.devices.length === 0 || spec.realDevices) notContained.push('/dev is the host one');
  return {
    level: 'unshare',
    notContained,
    providerPath,
    wrap: (command, argv, cwd, env) => ({
      file: 'unshare',
      args: [
        ...UNSHARE_ARGS,
        '--',
        '/bin/sh',
        '-c',
        WAITER_SCRIPT,
        'sh',
        ...ops,
        ...pwdOps(env),
        '--',
        cwd,
        command,
        ...argv,
      ],
    }),
  };
}
