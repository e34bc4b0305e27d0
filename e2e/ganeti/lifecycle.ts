// Ganeti 3.0's own storage code (ExtStorageDevice, run by drive_extstorage.py) drives a reference
// provider on its real backend through a disk's whole life, one node-daemon call at a time; between
// calls the backend's own tools and QEMU check what Ganeti reported. What Ganeti returned at each
// step is listed under the stage; a step that went otherwise than a node needs fails it.

import { randomUUID } from 'node:crypto';
import type { Namespace } from '../backends/namespace.js';
import { callGaneti, type GanetiCall, type GanetiOutcome, type GanetiPlaces } from './driver.js';

/** What differs between the providers: parameters, where a volume lives, how to look at it. */
export interface ProviderPlan {
  readonly provider: 'legacy' | 'rbd' | 'gluster';
  /** Ext parameters, as `gnt-instance add --disk 0:size=64,provider=NAME,KEY=VALUE` gives them. */
  readonly params: (env: GanetiPlaces) => Record<string, string>;
  /** Whether attach gives a local block device (else Ganeti's dev_path must be None). */
  readonly blockDevice: boolean;
  /** The kvm URI attach should offer for a volume, or null when the provider offers none. */
  readonly kvmUri: (volume: string) => string | null;
  /** The backend's own view: the volume's size in bytes, or null when it does not exist. */
  readonly backendSize: (ns: Namespace, env: GanetiPlaces, volume: string) => Promise<number | null>;
  /** The metadata setinfo stored, read back with the backend's tools. */
  readonly backendMetadata: (ns: Namespace, env: GanetiPlaces, volume: string) => Promise<string>;
  /** The loop devices over the volume's file (`losetup --associated`), for providers that map files. */
  readonly loopsOver?: (ns: Namespace, env: GanetiPlaces, volume: string) => Promise<string>;
}

const MIB = 1024 * 1024;
const SIZE_MIB = 64;
const GROW_MIB = 64;
const METADATA = 'originstname+web1.example.com';
const PATTERN = '0x5a';

/** Calls for one disk; `volume` (a snapshot volume: no name, no uuid) and `size` per call. */
function driver(ns: Namespace, env: GanetiPlaces, plan: ProviderPlan, volume: string, uuid: string) {
  const params = plan.params(env);
  return (step: string, options: { arg?: string; size: number; volume?: string }): Promise<GanetiCall> => {
    const disk =
      options.volume === undefined
        ? { provider: plan.provider, volume, size: options.size, cname: 'data', uuid, params }
        : { provider: plan.provider, volume: options.volume, size: options.size, params };
    return callGaneti(ns, env, disk, step, options.arg);
  };
}

/** The one line the report shows for a call: the scripts Ganeti ran and what it made of them. */
function summarize(call: GanetiCall, arg?: string): string {
  const scripts = call.scripts.map((s) => (s.exit === 0 ? s.script : `${s.script}(exit ${s.exit ?? '?'})`)).join(',');
  const outcome = call.ok
    ? `returned ${JSON.stringify(call.returned ?? null)}`
    : `raised ${call.raised?.type}: ${call.raised?.message}`;
  // The device as Ganeti sees it, where the step is about it.
  const shown = call.device && ['create', 'attach'].includes(call.step);
  const device = shown
    ? `; dev_path ${JSON.stringify(call.device.dev_path)} uris ${JSON.stringify(call.device.uris)}`
    : '';
  return `${call.step}${arg === undefined ? '' : ` ${arg}`} [${scripts}]: ${outcome}${device}`;
}

export async function ganetiLifecycle(ns: Namespace, env: GanetiPlaces, plan: ProviderPlan): Promise<GanetiOutcome> {
  const uuid = randomUUID();
  const volume = `${uuid}.ext.disk0`;
  const snapshot = `${volume}.snap`;
  const drive = driver(ns, env, plan, volume, uuid);
  const details: string[] = [];
  let size = SIZE_MIB;
  let calls = 0;

  const call = async (step: string, options: { arg?: string; volume?: string; size?: number } = {}) => {
    const result = await drive(step, { size, ...options });
    calls += 1;
    details.push(summarize(result, options.arg));
    return result;
  };
  const expect = (ok: boolean, what: string, call?: GanetiCall): void => {
    if (!ok) throw new Error(`${what}${call ? `\nGaneti's call: ${JSON.stringify(call)}` : ''}`);
  };
  const expectOk = (result: GanetiCall, what: string): void => expect(result.ok, `${what}: Ganeti raised`, result);
  const qemuIo = async (command: string, target: string, direct = false) => {
    const argv = ['qemu-io', '-f', 'raw', ...(direct ? ['-n'] : []), '-c', command, target];
    const result = await ns.exec(argv, { allowFailure: true, timeoutMs: 60_000 });
    const done = /^(read|wrote) 1048576\/1048576 bytes at offset 0$/m.test(result.stdout);
    expect(
      result.code === 0 && done,
      `${argv.join(' ')} failed (exit ${result.code}):\n${result.stdout}${result.stderr}`,
    );
    details.push(`qemu-io ${command} through ${target}: ok`);
  };
  const expectBackendSize = async (mib: number, name = volume) => {
    const bytes = await plan.backendSize(ns, env, name);
    expect(bytes === mib * MIB, `the backend says ${name} has ${bytes} bytes, expected ${mib * MIB}`);
    details.push(`backend: ${name} has ${mib} MiB`);
  };
  /** Attach as FindDevice does; the device must be what the provider offers. */
  const attach = async (name = volume) => {
    const result = await call('attach', name === volume ? {} : { volume: name });
    expect(result.ok && result.returned === true, `attach ${name}: Ganeti did not accept the attach`, result);
    const device = result.device!;
    if (plan.blockDevice) expect(/^\/dev\/loop\d+$/.test(device.dev_path ?? ''), 'attach: no loop device', result);
    else expect(device.dev_path === null, 'attach: a userspace-only attach gave Ganeti a device path', result);
    return device;
  };

  try {
    // Create runs create, then attach (the constructor): the volume exists and is usable at once.
    const created = await call('create');
    expectOk(created, 'create');
    await expectBackendSize(SIZE_MIB);

    const device = await attach();
    const uri = await call('uri', { arg: 'kvm' });
    const expectedUri = plan.kvmUri(volume);
    if (expectedUri === null) {
      expect(
        !uri.ok && (uri.raised?.message ?? '').includes('Userspace access is not supported'),
        'uri: expected a refusal',
        uri,
      );
    } else {
      expect(uri.ok && uri.returned === expectedUri, `uri kvm: expected ${expectedUri}`, uri);
    }
    // QEMU opens what Ganeti's KVM would (-drive file=<URI>, or the device with access=kernelspace).
    // Written through the device when there is one (bypassing its cache), read through everything.
    const targets = [device.dev_path, expectedUri].filter((t): t is string => t !== null);
    await qemuIo(`write -P ${PATTERN} 0 1M`, targets[0]!, true);
    for (const target of targets) await qemuIo(`read -P ${PATTERN} 0 1M`, target);

    // Grow(amount): attach, then grow with VOL_SIZE (the config's size) and VOL_NEW_SIZE.
    const grown = await call('grow', { arg: String(GROW_MIB) });
    expectOk(grown, 'grow');
    const growEnv = grown.scripts.find((s) => s.script === 'grow')?.env;
    expect(
      growEnv?.VOL_SIZE === String(SIZE_MIB) && growEnv.VOL_NEW_SIZE === String(SIZE_MIB + GROW_MIB),
      `grow: Ganeti passed VOL_SIZE=${growEnv?.VOL_SIZE} VOL_NEW_SIZE=${growEnv?.VOL_NEW_SIZE}`,
      grown,
    );
    size = SIZE_MIB + GROW_MIB;
    await expectBackendSize(size);
    const again = await attach();
    expect(again.dev_path === device.dev_path, `attach after grow: ${again.dev_path}, before ${device.dev_path}`);
    if (again.dev_path !== null) {
      const blockdev = await ns.exec(['blockdev', '--getsize64', again.dev_path]);
      expect(blockdev.stdout.trim() === String(size * MIB), `${again.dev_path} has ${blockdev.stdout.trim()} bytes`);
      details.push(`blockdev: ${again.dev_path} has ${size} MiB`);
      await qemuIo(`read -P ${PATTERN} 0 1M`, again.dev_path);
    }

    const setinfo = await call('setinfo', { arg: METADATA });
    expectOk(setinfo, 'setinfo');
    const stored = await plan.backendMetadata(ns, env, volume);
    expect(stored === METADATA, `setinfo: the backend holds ${JSON.stringify(stored)}, expected ${METADATA}`);
    details.push(`backend: metadata ${stored}`);

    // As gnt-backup export does: snapshot, attach the snapshot as a volume, read it, remove it.
    const snap = await call('snapshot', { arg: snapshot });
    expect(snap.ok && JSON.stringify(snap.returned) === JSON.stringify([plan.provider, snapshot]), 'snapshot', snap);
    const snapDevice = await attach(snapshot);
    await qemuIo(`read -P ${PATTERN} 0 1M`, snapDevice.dev_path ?? plan.kvmUri(snapshot)!);
    expectOk(await call('remove', { volume: snapshot }), 'remove the snapshot volume');
    expect((await plan.backendSize(ns, env, snapshot)) === null, 'the snapshot volume is still on the backend');

    const opened = await call('open', { arg: 'exclusive' });
    expectOk(opened, 'open');
    const openEnv = opened.scripts.find((s) => s.script === 'open')?.env;
    expect(openEnv?.VOL_OPEN_EXCLUSIVE === 'True', `open: VOL_OPEN_EXCLUSIVE=${openEnv?.VOL_OPEN_EXCLUSIVE}`, opened);
    expectOk(await call('close'), 'close');

    expectOk(await call('shutdown'), 'shutdown');
    if (plan.loopsOver) {
      const loops = await plan.loopsOver(ns, env, volume);
      expect(loops === '', `after shutdown, still attached: ${loops}`);
      details.push('losetup: no loop device over the volume');
    }
    expectOk(await call('remove'), 'remove');
    expect((await plan.backendSize(ns, env, volume)) === null, 'after remove, the volume is still on the backend');
    details.push('backend: the volume is gone');
    return { ok: true, summary: `${calls} calls into Ganeti's ExtStorageDevice, all as a node needs`, details };
  } catch (error) {
    // Leave the backend clean for the stages after this one (what is still left, they report).
    for (const name of [snapshot, volume]) await drive('remove', { size, volume: name }).catch(() => undefined);
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, summary: 'failed', details: [...details, ...message.split('\n')] };
  }
}
