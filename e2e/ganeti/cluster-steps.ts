// What the cluster stages ask of Ganeti, gnt-* command by gnt-* command, and what is checked after
// each one with the backend's own tools (stat, losetup, rbd) and QEMU's own view of its drives.

import { join } from 'node:path';
import { QEMU_SYSTEM } from './install.js';
import { NODE_NAME, BRIDGE, type ClusterHost } from './cluster-host.js';
import { gnt } from './cluster-daemons.js';
import {
  drivesFromQueryBlock,
  namesNotExecutable,
  parseActivateDisks,
  parseDiagnose,
  rbdImageOf,
  type QemuDrive,
} from './cluster-parse.js';
import { isAlive } from '../lib/processes.js';
import { seconds } from '../report.js';

/** Ganeti's ExtStorage search path (Debian's build: --with-extstorage-search-path). */
export const SEARCH_PATH = '/srv/ganeti/extstorage';
const LEGACY_DATA = '/srv/legacy-data';
const CEPH_CONF = '/etc/ceph/ceph.conf';
const GIB = 1024 ** 3;
/** The default instance policy's smallest disk; the images are sparse. */
const DISK_SIZE = '1g';

/** Where the stage is and what it writes down: a line per step, with its time. */
export interface StepContext {
  readonly host: ClusterHost;
  /** The repository root: the built CLI is dist/harness/cli.js. */
  readonly repo: string;
  readonly lines: string[];
}

/** Runs one step; its line says what it found, and a failure names the step. */
async function step(ctx: StepContext, name: string, fn: () => Promise<string>): Promise<void> {
  const started = performance.now();
  let said: string;
  try {
    said = await fn();
  } catch (error) {
    throw new Error(`${name}: ${(error as Error).message}`, { cause: error });
  }
  ctx.lines.push(`${name}: ${said} (${seconds(performance.now() - started)})`);
}

function expect(condition: boolean, what: string): void {
  if (!condition) throw new Error(what);
}

function kit(ctx: StepContext, args: readonly string[]): string[] {
  return [process.execPath, join(ctx.repo, 'dist', 'harness', 'cli.js'), ...args];
}

/** `extstorage-kit install <provider> --to <search path>/<provider>`, inside the node's namespace. */
export async function installProviders(ctx: StepContext, providers: readonly string[]): Promise<void> {
  await step(ctx, `extstorage-kit install ${providers.join(', ')}`, async () => {
    for (const provider of providers)
      await ctx.host.exec(kit(ctx, ['install', provider, '--to', join(SEARCH_PATH, provider)]));
    return `into ${SEARCH_PATH}`;
  });
}

async function fileSize(ctx: StepContext, file: string): Promise<number | null> {
  const result = await ctx.host.exec(['stat', '-c', '%s', file], { allowFailure: true });
  if (result.code !== 0) return null;
  return Number(result.stdout.trim());
}

async function instanceStatus(ctx: StepContext, instance: string): Promise<string> {
  return (await gnt(ctx.host, ['gnt-instance', 'list', '--no-headers', '-o', 'status', instance])).trim();
}

/** The broken copy and `gnt-storage diagnose` against `extstorage-kit check` on it. */
async function diagnose(ctx: StepContext, valid: readonly string[]): Promise<void> {
  const broken = join(SEARCH_PATH, 'broken');
  await step(ctx, 'a broken copy of legacy', async () => {
    await ctx.host.exec(['cp', '-a', join(SEARCH_PATH, 'legacy'), broken]);
    await ctx.host.exec(['chmod', '0644', join(broken, 'attach')]);
    return `${broken}, its attach 0644`;
  });
  let ganetiReason = '';
  await step(ctx, 'gnt-storage diagnose', async () => {
    const found = parseDiagnose(await gnt(ctx.host, ['gnt-storage', 'diagnose']));
    const status = (name: string) => found.find((p) => p.provider === name);
    for (const name of valid) {
      const p = status(name);
      expect(p?.valid === true, `${name}: expected valid, got ${p ? `invalid - ${p.reason}` : 'not listed'}`);
    }
    const b = status('broken');
    expect(b !== undefined && !b.valid, `broken: expected invalid, got ${b ? 'valid' : 'not listed'}`);
    ganetiReason = b!.reason;
    expect(
      namesNotExecutable(ganetiReason, 'attach'),
      `broken: Ganeti's reason does not name attach as not executable`,
    );
    return `${valid.join(', ')} valid; broken invalid - ${ganetiReason}`;
  });
  await step(ctx, 'extstorage-kit check on the broken copy', async () => {
    const result = await ctx.host.exec(kit(ctx, ['check', broken]), { allowFailure: true });
    expect(result.code !== 0, `exit ${result.code}: the kit accepted a provider Ganeti refuses`);
    const line = result.stdout.split('\n').find((l) => namesNotExecutable(l, 'attach'));
    expect(line !== undefined, `no line names attach as not executable:\n${result.stdout}${result.stderr}`);
    return `exit ${result.code}, "${line!.trim()}"; Ganeti: "${ganetiReason}"`;
  });
}

/**
 * The fake hypervisor: providers installed and diagnosed, then an instance with an ext disk from
 * legacy through add, activate-disks, grow-disk, deactivate-disks, start, stop, verify, remove.
 */
export async function fakeHypervisorSteps(ctx: StepContext): Promise<void> {
  const { host } = ctx;
  await installProviders(ctx, ['legacy', 'rbd', 'gluster']);
  await diagnose(ctx, ['legacy', 'rbd', 'gluster']);
  await host.exec(['mkdir', LEGACY_DATA]);
  let image = '';
  let meta = '';
  await step(ctx, 'gnt-instance add -t ext (legacy, noop OS)', async () => {
    await gnt(host, [
      'gnt-instance',
      'add',
      '-t',
      'ext',
      '--disk',
      `0:size=${DISK_SIZE},provider=legacy,dir=${LEGACY_DATA}`,
      '-o',
      'noop',
      '--no-name-check',
      '--no-ip-check',
      '--no-start',
      '-n',
      NODE_NAME,
      'inst1',
    ]);
    const files = (await host.exec(['ls', LEGACY_DATA])).stdout.split('\n').filter((f) => f !== '');
    const img = files.find((f) => f.endsWith('.img'));
    expect(img !== undefined && files.includes(img.replace(/\.img$/, '.meta')), `${LEGACY_DATA}: ${files.join(' ')}`);
    image = join(LEGACY_DATA, img!);
    meta = image.replace(/\.img$/, '.meta');
    const size = await fileSize(ctx, image);
    expect(size === GIB, `${image}: ${size} bytes, expected ${GIB}`);
    return `${image}, 1 GiB (sparse), and its .meta`;
  });
  await step(ctx, 'gnt-instance activate-disks', async () => {
    const disks = parseActivateDisks(await gnt(host, ['gnt-instance', 'activate-disks', 'inst1']));
    expect(disks.length === 1 && disks[0]!.node === NODE_NAME, `printed ${JSON.stringify(disks)}`);
    const device = disks[0]!.device;
    const backing = (await host.exec(['losetup', '--list', '--noheadings', '--output', 'BACK-FILE', device])).stdout;
    expect(backing.trim() === image, `${device} is bound to ${backing.trim() || 'nothing'}, not ${image}`);
    return `${NODE_NAME}:disk/0:${device}, losetup: bound to ${image}`;
  });
  await step(ctx, 'gnt-instance grow-disk inst1 0 1g', async () => {
    await gnt(host, ['gnt-instance', 'grow-disk', 'inst1', '0', '1g']);
    const size = await fileSize(ctx, image);
    expect(size === 2 * GIB, `${image}: ${size} bytes, expected ${2 * GIB}`);
    return 'image 2 GiB';
  });
  await step(ctx, 'gnt-instance deactivate-disks', async () => {
    await gnt(host, ['gnt-instance', 'deactivate-disks', 'inst1']);
    const left = (await host.exec(['losetup', '--associated', image])).stdout.trim();
    expect(left === '', `still attached: ${left}`);
    return 'no loop device left on the image';
  });
  await step(ctx, 'gnt-instance start, stop (fake hypervisor)', async () => {
    await gnt(host, ['gnt-instance', 'start', 'inst1']);
    const running = await instanceStatus(ctx, 'inst1');
    expect(running === 'running', `after start: ${running}`);
    await gnt(host, ['gnt-instance', 'stop', 'inst1']);
    const stopped = await instanceStatus(ctx, 'inst1');
    expect(stopped === 'ADMIN_down', `after stop: ${stopped}`);
    return `${running}, then ${stopped}`;
  });
  await step(ctx, 'gnt-cluster verify --ignore-errors=ENODESETUP', async () => {
    const out = await gnt(host, ['gnt-cluster', 'verify', '--ignore-errors=ENODESETUP']);
    const warnings = out.split('\n').filter((l) => l.includes('WARNING'));
    return `exit 0${warnings.length > 0 ? `; ${warnings.map((w) => w.replace(/^.*?- WARNING: /, '')).join('; ')}` : ''}`;
  });
  await step(ctx, 'gnt-instance remove', async () => {
    await gnt(host, ['gnt-instance', 'remove', '-f', 'inst1']);
    for (const file of [image, meta]) expect((await fileSize(ctx, file)) === null, `${file} is still there`);
    return 'image and .meta gone';
  });
}

/** Asks QEMU over the QMP socket Ganeti keeps; prints {"<command>": <return value>} as JSON. */
const QMP_CLIENT = `
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(20)
s.connect(sys.argv[1])
f = s.makefile("rw")
def reply():
    while True:
        line = f.readline()
        if not line:
            raise SystemExit("QMP: the socket closed")
        message = json.loads(line)
        if "event" not in message:
            return message
reply()
out = {}
for command in ["qmp_capabilities"] + sys.argv[2:]:
    f.write(json.dumps({"execute": command}) + "\\n")
    f.flush()
    answer = reply()
    if "error" in answer:
        raise SystemExit("QMP %s: %s" % (command, json.dumps(answer["error"])))
    out[command] = answer["return"]
print(json.dumps(out))
`;

const KVM_CTRL = '/run/ganeti/kvm-hypervisor/ctrl';
const KVM_PIDS = '/run/ganeti/kvm-hypervisor/pid';

async function rbdImages(ctx: StepContext): Promise<string[]> {
  return (await ctx.host.exec(['rbd', 'ls', 'rbd'])).stdout.split('\n').filter((l) => l !== '');
}

/**
 * KVM without acceleration (QEMU TCG): an instance whose disk is rbd with access=userspace, started,
 * and QEMU asked over QMP what it opened (it must be the rbd image, through the provider's kvm:
 * URI, not a block device) and whether KVM is on (it must not be); its command line as a second view.
 */
export async function kvmSteps(ctx: StepContext): Promise<void> {
  const { host } = ctx;
  await installProviders(ctx, ['rbd']);
  const before = await rbdImages(ctx);
  let image = '';
  await step(ctx, 'gnt-instance add -t ext (rbd, access=userspace) -H kvm (TCG)', async () => {
    await gnt(host, [
      'gnt-instance',
      'add',
      '-t',
      'ext',
      '--disk',
      `0:size=${DISK_SIZE},provider=rbd,pool=rbd,userspace_only=true,ceph_conf=${CEPH_CONF},access=userspace`,
      '--net',
      `0:mode=bridged,link=${BRIDGE}`,
      '-H',
      `kvm:kernel_path=,initrd_path=,kvm_flag=disabled,kvm_path=${QEMU_SYSTEM}`,
      '-o',
      'noop',
      '--no-name-check',
      '--no-ip-check',
      '--no-start',
      '-n',
      NODE_NAME,
      'inst2',
    ]);
    const added = (await rbdImages(ctx)).filter((i) => !before.includes(i));
    expect(added.length === 1, `new images in pool rbd: ${added.join(' ') || 'none'}`);
    image = added[0]!;
    const info = JSON.parse((await host.exec(['rbd', 'info', '--format', 'json', `rbd/${image}`])).stdout) as {
      size: number;
    };
    expect(info.size === GIB, `rbd/${image}: ${info.size} bytes, expected ${GIB}`);
    return `rbd/${image}, 1 GiB`;
  });
  let qemuPid = 0;
  await step(ctx, 'gnt-instance start (QEMU under KVM hypervisor, no acceleration)', async () => {
    await gnt(host, ['gnt-instance', 'start', 'inst2']);
    const status = await instanceStatus(ctx, 'inst2');
    expect(status === 'running', `after start: ${status}`);
    qemuPid = Number((await host.exec(['cat', join(KVM_PIDS, 'inst2')])).stdout.trim());
    return `${status}, QEMU pid ${qemuPid}`;
  });
  await step(ctx, "QEMU's own view (QMP query-block, query-kvm)", async () => {
    const answer = JSON.parse(
      (await host.exec(['python3', '-c', QMP_CLIENT, join(KVM_CTRL, 'inst2.qmp'), 'query-block', 'query-kvm'])).stdout,
    ) as { 'query-block': unknown; 'query-kvm': { enabled: boolean; present: boolean } };
    const drives: QemuDrive[] = drivesFromQueryBlock(answer['query-block']);
    const rbd = drives.filter((d) => rbdImageOf(d.file) !== undefined);
    expect(
      rbd.length === 1 && rbdImageOf(rbd[0]!.file)?.pool === 'rbd' && rbdImageOf(rbd[0]!.file)?.image === image,
      `QEMU's drives: ${JSON.stringify(drives)}; expected rbd/${image}`,
    );
    expect(!answer['query-kvm'].enabled, `KVM acceleration is on: ${JSON.stringify(answer['query-kvm'])}`);
    return `drive ${rbd[0]!.device}: ${rbd[0]!.file}; KVM ${answer['query-kvm'].enabled ? 'on' : 'off'} (TCG)`;
  });
  await step(ctx, "QEMU's command line", async () => {
    const uri = `rbd:rbd/${image}:conf=${CEPH_CONF}`;
    const argv = (await host.exec(['cat', `/proc/${qemuPid}/cmdline`])).stdout.split('\0');
    const drive = argv.find((a) => a.startsWith('file=') && a.includes('rbd:'));
    expect(drive?.startsWith(`file=${uri},`) === true, `-drive ${drive ?? '(no rbd drive)'}; expected file=${uri}`);
    return `-drive ${drive!}`;
  });
  await step(ctx, 'gnt-instance stop --timeout=0, remove', async () => {
    // No OS answers the ACPI power button: without --timeout=0, Ganeti would wait 120 s before killing QEMU.
    await gnt(host, ['gnt-instance', 'stop', '--timeout=0', 'inst2']);
    expect(!isAlive(qemuPid), `QEMU ${qemuPid} still runs after stop`);
    await gnt(host, ['gnt-instance', 'remove', '-f', 'inst2']);
    expect(!(await rbdImages(ctx)).includes(image), `rbd/${image} is still there`);
    return `QEMU gone, rbd/${image} gone`;
  });
}
