// The rbd backend simulator: the generated executable run as a real process in a temp sandbox
// (every command, its exact output, streams and exit statuses, state kept between calls, every
// injected failure), the loader's checks of `simulate:` and `expect.simulated`, and scenarios run
// through `extstorage-kit run` with a tiny bash provider (test/fixtures/simulate/rbd-bash).

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { LoggedCall } from '../harness/backend/call-log.js';
import { parseScenarioText } from '../harness/scenario/load.js';
import { formatFileError, type RbdSimulation, type Simulators } from '../harness/scenario/model.js';
import {
  installSimulators,
  simulatorViews,
  unusedInjectedFailures,
  type SimulatorSandbox,
} from '../harness/simulate/install.js';
import { GARBAGE, HUNG_EXIT } from '../harness/simulate/runtime.js';
import { CLI, REPO_ROOT } from './helpers/cli.js';
import { tempDir } from './helpers/provider-dir.js';

const AT = { file: 'scenario.yaml', line: 3, col: 7 };

interface Sandbox {
  readonly root: string;
  readonly stubs: string;
  readonly log: string;
  readonly sims: SimulatorSandbox;
}

function sandbox(t: Parameters<typeof tempDir>[0], rbd: Partial<RbdSimulation> = {}): Sandbox {
  const root = tempDir(t, 'esk-sim-rbd-');
  mkdirSync(join(root, 'stub-state'));
  const log = join(root, 'stub-state', 'calls.jsonl');
  writeFileSync(log, '');
  const simulators: Simulators = { rbd: { pools: ['rbd'], images: [], kernelModule: true, fail: [], ...rbd } };
  const sims = installSimulators(simulators, root, join(root, 'stubs'), log, 'EXTSTORAGE_KIT_SANDBOX')!;
  return { root, stubs: join(root, 'stubs'), log, sims };
}

interface Ran {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly bytes: Buffer;
}

function env(sb: Sandbox): NodeJS.ProcessEnv {
  return { PATH: `${sb.stubs}:/usr/local/bin:/usr/bin:/bin`, LC_ALL: 'C', TZ: 'UTC' };
}

function rbd(sb: Sandbox, ...args: string[]): Ran {
  const r = spawnSync(join(sb.stubs, 'rbd'), args, { env: env(sb), timeout: 30_000 });
  if (r.error) throw r.error;
  return {
    code: r.status,
    signal: r.signal,
    stdout: r.stdout.toString(),
    stderr: r.stderr.toString(),
    bytes: r.stdout,
  };
}

// The rbd simulator's documented view (rbdView in harness/simulate/state.ts): what expect.simulated
// compares with.
interface RbdSnapshotView {
  readonly id: number;
  readonly size: number;
  readonly bytes: number;
  readonly protected: boolean;
  readonly children: readonly string[];
}
interface RbdImageView {
  readonly id: string;
  readonly size: number;
  readonly bytes: number;
  readonly order: number;
  readonly features: readonly string[];
  readonly meta: Readonly<Record<string, string>>;
  readonly snapshots: Readonly<Record<string, RbdSnapshotView>>;
  readonly parent: {
    readonly pool: string;
    readonly namespace: string;
    readonly image: string;
    readonly snapshot: string;
    readonly overlap: number;
  } | null;
  readonly mapped: boolean;
  readonly devices: readonly string[];
}
interface RbdDeviceView {
  readonly pool: string;
  readonly namespace: string;
  readonly image: string;
  readonly snap: string;
  readonly read_only: boolean;
}
interface RbdView {
  readonly pools: readonly string[];
  readonly kernel_module: boolean;
  readonly images: Readonly<Record<string, RbdImageView>>;
  readonly devices: Readonly<Record<string, RbdDeviceView>>;
  readonly mapped: number;
}

function state(sb: Sandbox): RbdView {
  return simulatorViews(sb.sims).rbd! as unknown as RbdView;
}

function calls(sb: Sandbox): LoggedCall[] {
  return readFileSync(sb.log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as LoggedCall);
}

/** A Ceph log line prefix: "2024-01-01T00:00:00.000+0000 7f3c9d7fa380 -1 ". */
const LOG = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}[+-]\\d{4} 7f[0-9a-f]{10} ';
const CTIME = '[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9]\\d \\d\\d:\\d\\d:\\d\\d \\d{4}';

t.test('create, ls, info: formats as Ceph 16 prints them', async (t) => {
  const sb = sandbox(t, { pools: ['rbd', 'fast'] });
  t.strictSame(rbd(sb, 'create', '--size', '1024', 'rbd/vol1'), {
    code: 0,
    signal: null,
    stdout: '',
    stderr: '',
    bytes: Buffer.alloc(0),
  });
  t.equal(rbd(sb, 'create', '-s', '1G', 'vol2').code, 0, 'M/G/T suffixes, the default pool');
  t.equal(rbd(sb, 'create', '--size=1536', '--pool', 'fast', 'vol3').code, 0, '--pool and --opt=value');
  t.equal(
    rbd(sb, 'create', 'vol4', '--size', '256', '--image-feature', 'layering,exclusive-lock').code,
    0,
    'options after the spec',
  );

  const exists = rbd(sb, 'create', '--size', '1024', 'rbd/vol1');
  t.equal(exists.code, 17);
  t.match(
    exists.stderr,
    new RegExp(`^${LOG}-1 librbd: rbd image vol1 already exists\n\nrbd: create error: \\(17\\) File exists\n$`),
  );

  t.equal(rbd(sb, 'ls').stdout, 'vol1\nvol2\nvol4\n');
  t.equal(rbd(sb, 'ls', 'fast').stdout, 'vol3\n');
  t.equal(rbd(sb, 'ls', '--format', 'json').stdout, '["vol1","vol2","vol4"]\n');
  t.equal(rbd(sb, 'ls', '--format=json', '--pretty-format').stdout, '[\n    "vol1",\n    "vol2",\n    "vol4"\n]\n');
  t.equal(
    rbd(sb, 'ls', '--format', 'xml').stdout,
    '<images><name>vol1</name><name>vol2</name><name>vol4</name></images>\n',
  );
  t.equal(
    rbd(sb, '-p', 'fast', 'ls', '-l').stdout,
    'NAME  SIZE     PARENT  FMT  PROT  LOCK\nvol3  1.5 GiB            2            \n',
  );

  const v = state(sb).images['rbd/vol1']!;
  const info = rbd(sb, 'info', 'rbd/vol1');
  t.equal(info.code, 0);
  t.match(
    info.stdout,
    new RegExp(
      `^rbd image 'vol1':\n\tsize 1 GiB in 256 objects\n\torder 22 \\(4 MiB objects\\)\n\tsnapshot_count: 0\n\tid: ${v.id}\n` +
        `\tblock_name_prefix: rbd_data\\.${v.id}\n\tformat: 2\n\tfeatures: layering, exclusive-lock, object-map, fast-diff, deep-flatten\n` +
        `\top_features: \n\tflags: \n\tcreate_timestamp: ${CTIME}\n\taccess_timestamp: ${CTIME}\n\tmodify_timestamp: ${CTIME}\n$`,
    ),
  );
  const json = rbd(sb, 'info', '--format', 'json', 'vol4');
  t.match(
    json.stdout,
    /^\{"name":"vol4","id":"[0-9a-f]+","size":268435456,"objects":64,"order":22,"object_size":4194304,"snapshot_count":0,"block_name_prefix":"rbd_data\.[0-9a-f]+","format":2,"features":\["layering","exclusive-lock"\],"op_features":\[\],"flags":\[\],"create_timestamp":"[^"]+","access_timestamp":"[^"]+","modify_timestamp":"[^"]+"\}\n$/,
  );
  const pretty = JSON.parse(rbd(sb, 'info', 'fast/vol3', '--format', 'json', '--pretty-format').stdout) as {
    size: number;
    objects: number;
  };
  t.equal(pretty.size, 1610612736);
  t.equal(pretty.objects, 384);
  t.match(
    rbd(sb, 'info', 'fast/vol3', '--format', 'json', '--pretty-format').stdout,
    /^\{\n {4}"name": "vol3",\n {4}"id": "/,
  );
  t.match(
    rbd(sb, 'info', 'vol1', '--format', 'xml').stdout,
    /^<image><name>vol1<\/name><id>[0-9a-f]+<\/id><size>1073741824<\/size>.*<features><feature>layering<\/feature>.*<\/image>\n$/,
  );

  t.strictSame(state(sb).images['rbd/vol2']!.size, 1024);
  t.strictSame(state(sb).images['fast/vol3']!.bytes, 1610612736);
  t.strictSame(state(sb).images['rbd/vol4']!.features, ['layering', 'exclusive-lock']);
});

t.test('resize: progress on stderr, shrinking needs --allow-shrink', async (t) => {
  const sb = sandbox(t);
  rbd(sb, 'create', '--size', '1024', 'vol1');
  t.strictSame(rbd(sb, 'resize', '--size', '2048', 'vol1').stderr, '\rResizing image: 100% complete...done.\n');
  t.strictSame(state(sb).images['rbd/vol1']!.size, 2048);
  const same = rbd(sb, 'resize', '--size', '2G', 'rbd/vol1');
  t.strictSame([same.code, same.stderr], [22, 'rbd: new size is equal to original size \n']);
  const shrink = rbd(sb, 'resize', '--size', '512', 'vol1');
  t.strictSame(
    [shrink.code, shrink.stderr],
    [22, 'rbd: shrinking an image is only allowed with the --allow-shrink flag\n'],
  );
  t.strictSame(rbd(sb, 'resize', '--size', '512', '--allow-shrink', '--no-progress', 'vol1').stderr, '');
  t.strictSame(state(sb).images['rbd/vol1']!.size, 512);
  const missing = rbd(sb, 'resize', '--size', '512', 'nope');
  t.strictSame([missing.code, missing.stderr], [2, 'rbd: error opening image nope: (2) No such file or directory\n']);
  const nosize = rbd(sb, 'resize', 'vol1');
  t.strictSame([nosize.code, nosize.stderr], [22, 'rbd: must specify --size <M/G/T>\n']);
});

t.test('rm: progress, a missing image, snapshots, watchers', async (t) => {
  const sb = sandbox(t, {
    images: [
      {
        pool: 'rbd',
        namespace: '',
        name: 'snapped',
        size: 1,
        meta: {},
        mapped: false,
        snapshots: [{ name: 's', protected: false }],
      },
      { pool: 'rbd', namespace: '', name: 'mapped', size: 1, meta: {}, mapped: true, snapshots: [] },
      { pool: 'rbd', namespace: '', name: 'plain', size: 1, meta: {}, mapped: false, snapshots: [] },
    ],
  });
  t.strictSame(rbd(sb, 'rm', 'plain').stderr, '\rRemoving image: 100% complete...done.\n');
  const missing = rbd(sb, 'remove', 'plain');
  t.strictSame(
    [missing.code, missing.stderr],
    [2, '\rRemoving image: 0% complete...failed.\nrbd: delete error: (2) No such file or directory\n'],
  );
  const snapped = rbd(sb, 'rm', 'snapped');
  t.equal(snapped.code, 39);
  t.match(
    snapped.stderr,
    new RegExp(
      // Ceph 16.2.15 logs nothing here (e2e/drift/rbd.ts compares with the real rbd).
      "^\rRemoving image: 0% complete\\.\\.\\.failed\\.\nrbd: image has snapshots - these must be deleted with 'rbd snap purge' before the image can be removed\\.\n$",
    ),
  );
  const mapped = rbd(sb, 'rm', '--no-progress', 'mapped');
  t.equal(mapped.code, 16);
  t.match(
    mapped.stderr,
    new RegExp(
      `^${LOG}-1 librbd::image::PreRemoveRequest: 0x[0-9a-f]+ check_image_watchers: image has watchers - not removing\n\n` +
        'rbd: error: image still has watchers\nThis means the image is still open or the client using it crashed\\. Try again after closing/unmapping it or waiting 30s for the crashed client to timeout\\.\n$',
    ),
  );
  t.strictSame(Object.keys(state(sb).images), ['rbd/mapped', 'rbd/snapped']);
});

t.test('image-meta set, get, list, remove', async (t) => {
  const sb = sandbox(t);
  rbd(sb, 'create', '--size', '1', 'vol1');
  t.strictSame(rbd(sb, 'image-meta', 'list', 'vol1').stdout, 'There are 0 metadata on this image.\n');
  t.strictSame(
    rbd(sb, 'image-meta', 'list', 'vol1', '--format', 'json').stdout,
    '',
    'nothing at all when there is none, as rbd',
  );
  t.equal(rbd(sb, 'image-meta', 'set', 'vol1', 'originstname', 'web1').code, 0);
  t.strictSame(
    rbd(sb, 'image-meta', 'list', 'vol1').stdout,
    'There is 1 metadatum on this image:\n\nKey           Value\noriginstname  web1 \n',
  );
  rbd(sb, 'image-meta', 'set', 'rbd/vol1', 'a', 'with "quotes"');
  t.strictSame(
    rbd(sb, 'image-meta', 'ls', 'vol1', '--format', 'json').stdout,
    '{"a":"with \\"quotes\\"","originstname":"web1"}\n',
  );
  t.strictSame(rbd(sb, 'image-meta', 'get', 'vol1', 'originstname').stdout, 'web1\n');
  const missing = rbd(sb, 'image-meta', 'get', 'vol1', 'nokey');
  t.strictSame(
    [missing.code, missing.stdout, missing.stderr],
    [
      2,
      '',
      'failed to get metadata nokey of image : (2) No such file or directory\nrbd: getting metadata failed: (2) No such file or directory\n',
    ],
  );
  const rm = rbd(sb, 'image-meta', 'rm', 'vol1', 'nokey');
  t.strictSame(
    [rm.code, rm.stderr],
    [
      2,
      'rbd: no existing metadata key nokey of image : (2) No such file or directory\nrbd: removing metadata failed: (2) No such file or directory\n',
    ],
  );
  t.equal(rbd(sb, 'image-meta', 'remove', 'vol1', 'a').code, 0);
  t.strictSame(state(sb).images['rbd/vol1']!.meta, { originstname: 'web1' });
  t.strictSame(rbd(sb, 'image-meta', 'set', 'vol1', 'k').stderr, 'rbd: metadata value was not specified\n');
  t.strictSame(rbd(sb, 'image-meta', 'get', 'vol1').stderr, 'rbd: metadata key was not specified\n');
  t.strictSame(rbd(sb, 'image-meta', 'get').stderr, 'rbd: image name was not specified\n');
  t.strictSame(
    rbd(sb, 'image-meta', 'get', 'vol1@s', 'k').stderr,
    "rbd: snapshot name specified for a command that doesn't use it\n",
  );
});

t.test('snapshots, clones (v1), copies, flatten', async (t) => {
  const sb = sandbox(t);
  rbd(sb, 'create', '--size', '1024', 'base');
  t.strictSame(rbd(sb, 'snap', 'create', 'base@s1').stderr, '\rCreating snap: 100% complete...done.\n');
  const again = rbd(sb, 'snap', 'add', 'base@s1');
  t.strictSame(
    [again.code, again.stderr],
    [17, '\rCreating snap: 0% complete...failed.\nrbd: failed to create snapshot: (17) File exists\n'],
  );
  t.strictSame(rbd(sb, 'snap', 'create', 'base').stderr, 'rbd: snapshot name was not specified\n');
  const ls = rbd(sb, 'snap', 'ls', 'base');
  t.match(
    ls.stdout,
    new RegExp(`^SNAPID  NAME  SIZE   PROTECTED  TIMESTAMP {15}\n {5}4  s1    1 GiB             ${CTIME}\n$`),
  );
  t.match(
    rbd(sb, 'snap', 'list', 'base', '--format', 'json').stdout,
    /^\[\{"id":4,"name":"s1","size":1073741824,"protected":"false","timestamp":"[^"]+"\}\]\n$/,
  );
  t.strictSame(rbd(sb, 'snap', 'ls', 'base', '--format', 'json', '--pretty-format').stdout.split('\n')[1], '    {');

  const unprotected = rbd(sb, 'clone', 'base@s1', 'child');
  t.equal(unprotected.code, 22);
  t.match(
    unprotected.stderr,
    new RegExp(
      `^${LOG}-1 librbd::image::CloneRequest: 0x[0-9a-f]+ validate_parent: parent snapshot must be protected\n\nrbd: clone error: \\(22\\) Invalid argument\n$`,
    ),
  );
  t.equal(rbd(sb, 'snap', 'protect', 'base@s1').code, 0);
  t.strictSame(rbd(sb, 'snap', 'protect', 'base@s1').stderr, 'rbd: snap is already protected\n');
  t.equal(rbd(sb, 'clone', 'base@s1', 'rbd/child').code, 0);
  t.strictSame(state(sb).images['rbd/child']!.parent, {
    pool: 'rbd',
    namespace: '',
    image: 'base',
    snapshot: 's1',
    overlap: 1073741824,
  });
  t.strictSame(state(sb).images['rbd/base']!.snapshots.s1!.children, ['rbd/child']);
  t.match(rbd(sb, 'info', 'child').stdout, /\tparent: rbd\/base@s1\n\toverlap: 1 GiB\n$/);
  t.match(
    rbd(sb, 'info', 'child', '--format', 'json').stdout,
    /"parent":\{"pool":"rbd","pool_namespace":"","image":"base","id":"[0-9a-f]+","snapshot":"s1","trash":false,"overlap":1073741824\}\}\n$/,
  );
  t.match(rbd(sb, 'info', 'base@s1').stdout, /\tprotected: True\n$/);

  const busy = rbd(sb, 'snap', 'unprotect', 'base@s1');
  t.equal(busy.code, 16);
  t.match(
    busy.stderr,
    /cannot unprotect: at least 1 child\(ren\) \[[0-9a-f]+\] in pool 'rbd'\n\n[^]*-1 librbd::SnapshotUnprotectRequest: 0x[0-9a-f]+ should_complete_error: ret_val=-16\n\nrbd: unprotecting snap failed: \(16\) Device or resource busy\n$/,
  );
  const protectedRm = rbd(sb, 'snap', 'rm', 'base@s1');
  t.equal(protectedRm.code, 16);
  t.match(
    protectedRm.stderr,
    /-1 librbd::Operations: snapshot is protected\n\n\rRemoving snap: 0% complete\.\.\.failed\.\nrbd: snapshot 's1' is protected from removal\.\n$/,
  );

  t.strictSame(rbd(sb, 'flatten', 'child').stderr, '\rImage flatten: 100% complete...done.\n');
  t.strictSame(state(sb).images['rbd/child']!.parent, null);
  const notClone = rbd(sb, 'flatten', 'child');
  t.equal(notClone.code, 22);
  t.match(
    notClone.stderr,
    /image has no parent\n\n\rImage flatten: 0% complete\.\.\.failed\.\nrbd: flatten error: \(22\) Invalid argument\n$/,
  );
  t.equal(rbd(sb, 'snap', 'unprotect', 'base@s1').code, 0);
  t.strictSame(rbd(sb, 'snap', 'unprotect', 'base@s1').stderr, 'rbd: snap is already unprotected\n');
  t.strictSame(rbd(sb, 'snap', 'rm', 'base@s1').stderr, '\rRemoving snap: 100% complete...done.\n');
  t.strictSame(
    rbd(sb, 'snap', 'rm', 'base@s1').stderr,
    '\rRemoving snap: 0% complete...failed.\nrbd: failed to remove snapshot: (2) No such file or directory\n',
  );

  rbd(sb, 'image-meta', 'set', 'base', 'k', 'v');
  t.strictSame(rbd(sb, 'cp', 'base', 'copy').stderr, '\rImage copy: 100% complete...done.\n');
  t.strictSame(state(sb).images['rbd/copy']!.meta, { k: 'v' });
  t.equal(rbd(sb, 'copy', 'base', 'copy').code, 17);
});

t.test('device map, list, unmap', async (t) => {
  const sb = sandbox(t, {
    images: [
      {
        pool: 'rbd',
        namespace: '',
        name: 'vol1',
        size: 1024,
        meta: {},
        mapped: false,
        snapshots: [{ name: 's', protected: false }],
      },
    ],
  });
  t.strictSame(rbd(sb, 'device', 'list').stdout, '', 'nothing mapped: no table');
  t.strictSame(rbd(sb, 'device', 'list', '--format', 'json').stdout, '[]\n');
  t.strictSame(rbd(sb, 'device', 'map', 'rbd/vol1'), {
    code: 0,
    signal: null,
    stdout: '/dev/rbd0\n',
    stderr: '',
    bytes: Buffer.from('/dev/rbd0\n'),
  });
  const twice = rbd(sb, 'map', 'vol1');
  t.strictSame(
    [twice.stdout, twice.stderr],
    ['/dev/rbd1\n', 'rbd: warning: image already mapped as /dev/rbd0\n'],
    'krbd maps it again',
  );
  t.strictSame(rbd(sb, 'map', '--read-only', 'vol1@s').stdout, '/dev/rbd2\n');
  t.strictSame(
    rbd(sb, 'device', 'list', '--format', 'json').stdout,
    '[{"id":"0","pool":"rbd","namespace":"","name":"vol1","snap":"-","device":"/dev/rbd0"},' +
      '{"id":"1","pool":"rbd","namespace":"","name":"vol1","snap":"-","device":"/dev/rbd1"},' +
      '{"id":"2","pool":"rbd","namespace":"","name":"vol1","snap":"s","device":"/dev/rbd2"}]\n',
  );
  t.strictSame(
    rbd(sb, 'showmapped').stdout,
    'id  pool  namespace  image  snap  device   \n0   rbd              vol1   -     /dev/rbd0\n1   rbd              vol1   -     /dev/rbd1\n2   rbd              vol1   s     /dev/rbd2\n',
  );
  t.strictSame(state(sb).devices['/dev/rbd2'], {
    pool: 'rbd',
    namespace: '',
    image: 'vol1',
    snap: 's',
    read_only: true,
  });
  t.strictSame(rbd(sb, 'unmap', 'vol1').stderr, 'rbd: rbd/vol1: mapped more than once, unmapping /dev/rbd0 only\n');
  t.strictSame(rbd(sb, 'device', 'unmap', '/dev/rbd1'), {
    code: 0,
    signal: null,
    stdout: '',
    stderr: '',
    bytes: Buffer.alloc(0),
  });
  t.strictSame(rbd(sb, 'device', 'map', 'vol1').stdout, '/dev/rbd0\n', 'the lowest free number');
  const gone = rbd(sb, 'unmap', '/dev/rbd7');
  t.strictSame(
    [gone.code, gone.stderr],
    [22, "rbd: '/dev/rbd7' is not a block device\nrbd: unmap failed: (22) Invalid argument\n"],
  );
  const notMapped = rbd(sb, 'device', 'unmap', 'rbd/other');
  t.strictSame(
    [notMapped.code, notMapped.stderr],
    [22, 'rbd: rbd/other: not a mapped image or snapshot\nrbd: unmap failed: (22) Invalid argument\n'],
  );
  t.strictSame(rbd(sb, 'unmap').stderr, 'rbd: unmap requires either image name or device path\n');

  const missing = rbd(sb, 'device', 'map', 'nope');
  t.strictSame(
    [missing.code, missing.stdout, missing.stderr],
    [
      2,
      'In some cases useful info is found in syslog - try "dmesg | tail".\n',
      'rbd: sysfs write failed\nrbd: map failed: (2) No such file or directory\n',
    ],
    'the hint goes to stdout, as rbd prints it',
  );
  t.strictSame(
    rbd(sb, 'map', 'vol1', '-o', 'noshare,bogus').stderr,
    "rbd: unknown map option 'bogus'\nrbd: couldn't parse map options\n",
  );
  t.strictSame(rbd(sb, 'map', 'vol1', '-t', 'nbd').code, 95, 'rbd-nbd is not simulated');
  t.strictSame(
    rbd(sb, 'map', 'vol1', '-t', 'bogus').stderr,
    "rbd: the argument for option '--device-type' is invalid\n",
  );
});

t.test('no rbd kernel module: map fails as on such a host', async (t) => {
  const sb = sandbox(t, {
    kernelModule: false,
    images: [{ pool: 'rbd', namespace: '', name: 'vol1', size: 1, meta: {}, mapped: false, snapshots: [] }],
  });
  const r = rbd(sb, 'device', 'map', 'vol1');
  t.equal(r.code, 2);
  t.equal(r.stdout, 'In some cases useful info is found in syslog - try "dmesg | tail".\n');
  t.match(
    r.stderr,
    /^modinfo: ERROR: Module rbd not found\.\nmodprobe: FATAL: Module rbd not found in directory \/lib\/modules\/\S+\nrbd: failed to load rbd kernel module \(1\)\nrbd: sysfs write failed\nrbd: map failed: \(2\) No such file or directory\n$/,
  );
  t.strictSame(state(sb).mapped, 0);
});

t.test('pools and namespaces', async (t) => {
  const sb = sandbox(t, { pools: ['rbd', 'fast', 'fast/ns1'] });
  t.strictSame(
    rbd(sb, 'ls', 'nopool').stderr,
    "rbd: error opening pool 'nopool': (2) No such file or directory\nrbd: listing images failed: (2) No such file or directory\n",
  );
  t.equal(rbd(sb, 'create', '--size', '1', 'fast/ns1/vol1').code, 0);
  t.equal(rbd(sb, 'create', '--size', '1', '--pool', 'fast', '--namespace', 'ns1', 'vol2').code, 0);
  t.strictSame(rbd(sb, 'ls', 'fast/ns1').stdout, 'vol1\nvol2\n');
  t.strictSame(rbd(sb, 'ls', 'fast').stdout, '', 'the default namespace is another one');
  t.strictSame(rbd(sb, 'create', '--size', '1', 'fast/ns2/x').stderr, "rbd: namespace 'ns2' does not exist.\n");
  t.strictSame(rbd(sb, 'map', 'fast/ns1/vol1').stdout, '/dev/rbd0\n');
  t.strictSame(
    rbd(sb, 'device', 'list').stdout,
    'id  pool  namespace  image  snap  device   \n0   fast  ns1        vol1   -     /dev/rbd0\n',
  );
  t.ok(state(sb).images['fast/ns1/vol1']!.mapped);

  const none = sandbox(t, { pools: [] });
  const r = rbd(none, 'create', '--size', '1', 'vol1');
  t.strictSame(
    [r.code, r.stderr],
    [
      2,
      "rbd: error opening default pool 'rbd'\nEnsure that the default pool has been created or specify an alternate pool name.\n",
    ],
  );
});

t.test('argument parsing as rbd: usage errors exit 1, names exit 22', async (t) => {
  const sb = sandbox(t);
  const unknown = rbd(sb, 'frobnicate', 'vol1');
  t.equal(unknown.code, 1);
  t.equal(unknown.stderr, "error: unknown option 'frobnicate vol1'\n\n");
  t.match(unknown.stdout, /^usage: rbd <command> \.\.\.\n\nCommand-line interface for managing Ceph RBD images\.\n/);
  t.match(unknown.stdout, /\n {4}device map \(map\) {18}Map an image to a block device\.\n/);
  t.match(unknown.stdout, /See 'rbd help <command>' for help on a specific command\.\n$/);
  t.equal(rbd(sb).stdout, unknown.stdout, 'no command: the help');
  t.equal(rbd(sb, '--help').code, 0);
  const unsimulated = rbd(sb, 'lock', 'ls', 'vol1');
  t.strictSame(
    [unsimulated.code, unsimulated.stderr],
    [
      95,
      "rbd (extstorage-kit simulator): 'rbd lock list' is a real rbd command that the simulator does not implement\n",
    ],
  );
  t.strictSame(rbd(sb, 'create', '--size', '1', '--frob', 'v').stderr, "rbd: unrecognised option '--frob'\n");
  t.strictSame(rbd(sb, 'create', '--size').stderr, "rbd: the required argument for option '--size' is missing\n");
  t.strictSame(rbd(sb, 'create', '--size', 'big', 'v').stderr, "rbd: the argument for option '--size' is invalid\n");
  t.strictSame(
    rbd(sb, 'create', '--size', '1', '--size', '2', 'v').stderr,
    "rbd: option '--size' cannot be specified more than once\n",
  );
  t.strictSame(rbd(sb, 'create', '--size', '1', 'a', 'b').stderr, 'rbd: too many arguments\n');
  t.strictSame(rbd(sb, 'create', '--size', '1', 'a/b/c/d').stderr, "rbd: invalid spec 'a/b/c/d'\n");
  t.strictSame(
    rbd(sb, 'create', '--size', '1', 'a@b').stderr,
    "rbd: snapshot name specified for a command that doesn't use it\n",
  );
  t.strictSame(rbd(sb, 'create', '--size', '1').stderr, 'rbd: image name was not specified\n');
  t.strictSame(rbd(sb, 'info', 'v', '--format', 'yaml').stderr, "rbd: the argument for option '--format' is invalid\n");
  t.strictSame(
    rbd(sb, 'info', 'v', '--pretty-format').stderr,
    'rbd: --pretty-format only works when --format is json or xml\n',
  );
  t.strictSame(
    rbd(sb, 'resize', '--allow-shrink=yes', 'v').stderr,
    "rbd: option '--allow-shrink' does not take any arguments\n",
  );
  for (const r of [rbd(sb, 'create', '--size', '1', '--frob', 'v'), rbd(sb, 'create', '--size', '1', 'a', 'b')])
    t.equal(r.code, 1);
  t.equal(rbd(sb, 'create', '--size', '1', 'a/b/c/d').code, 22);
  t.strictSame(
    rbd(sb, '--version').stdout,
    'ceph version 16.2.15 (618f440892089921c3e944a991122ddc44e60516) pacific (stable)\n',
  );

  // Global options anywhere, with and without '='; --image instead of the positional spec.
  t.equal(
    rbd(sb, '--id', 'admin', '-c', '/etc/ceph/ceph.conf', 'create', '--size', '1', '--cluster=ceph', '--image', 'vol1')
      .code,
    0,
  );
  t.equal(rbd(sb, 'info', '--keyring', '/k', '-n', 'client.admin', 'rbd/vol1', '-m', 'mon1').code, 0);
  t.equal(rbd(sb, 'info', '--', 'vol1').code, 0, '-- ends the options');
  t.ok(state(sb).images['rbd/vol1']);
});

t.test('injected failures: kinds, matching after global options, counts', async (t) => {
  const fail = (
    when: string[],
    error: 'unreachable' | 'busy' | 'not-found' | 'permission' | 'timeout' | 'garbage',
    times: number | 'any' = 'any',
  ) => ({
    when: when.map((w) =>
      w.startsWith('/') ? { regex: new RegExp(w.slice(1, -1)), source: w.slice(1, -1) } : { equals: w },
    ),
    error,
    times,
    position: AT,
  });
  const images = [{ pool: 'rbd', namespace: '', name: 'vol1', size: 1, meta: {}, mapped: false, snapshots: [] }];

  const unreachable = sandbox(t, { images, fail: [fail(['info'], 'unreachable')] });
  const u = rbd(unreachable, '--id', 'admin', 'info', '--pool', 'rbd', 'vol1');
  t.equal(u.code, 110);
  t.match(
    u.stderr,
    new RegExp(
      `^${LOG} 0 monclient\\(hunting\\): authenticate timed out after 300\nrbd: couldn't connect to the cluster!\n$`,
    ),
  );
  t.equal(rbd(unreachable, 'ls').code, 0, 'other commands are not affected');

  const map = sandbox(t, {
    images,
    fail: [fail(['device', 'map'], 'unreachable', 1), fail(['device'], 'unreachable')],
  });
  const m = rbd(map, 'device', 'map', 'vol1');
  t.equal(m.code, 110);
  t.equal(m.stdout, 'In some cases useful info is found in syslog - try "dmesg | tail".\n');
  t.match(
    m.stderr,
    /^rbd: sysfs write failed\n.*authenticate timed out after 300\nrbd: couldn't connect to the cluster!\nrbd: map failed: \(110\) Connection timed out\n$/,
  );
  t.equal(rbd(map, 'device', 'list', '--format', 'json').stdout, '[]\n', 'device list does not talk to the cluster');

  const busy = sandbox(t, { images, fail: [fail(['resize'], 'busy', 1)] });
  const b = rbd(busy, 'resize', '--size', '2', 'vol1');
  t.strictSame(
    [b.code, b.stderr],
    [16, '\rResizing image: 0% complete...failed.\nrbd: resize error: (16) Device or resource busy\n'],
  );
  t.equal(rbd(busy, 'resize', '--size', '2', 'vol1').code, 0, 'times: 1');
  t.strictSame(unusedInjectedFailures(busy.sims), []);

  const notFound = sandbox(t, { images, fail: [fail(['image-meta', 'set'], 'not-found')] });
  t.strictSame(
    rbd(notFound, 'image-meta', 'set', 'vol1', 'k', 'v').stderr,
    'rbd: error opening image vol1: (2) No such file or directory\n',
  );
  t.strictSame(state(notFound).images['rbd/vol1']!.meta, {}, 'a failure changes nothing');

  const permission = sandbox(t, { images, fail: [fail(['/^(info|rm)$/'], 'permission')] });
  const p = rbd(permission, 'rm', 'vol1');
  t.equal(p.code, 13);
  t.match(
    p.stderr,
    /monclient\(hunting\): handle_auth_bad_method server allowed_methods \[2\] but i only support \[2\]\nrbd: couldn't connect to the cluster!\n$/,
  );

  const garbage = sandbox(t, { images, fail: [fail(['device', 'list'], 'garbage', 1)] });
  const g = rbd(garbage, 'device', 'list', '--format', 'json');
  t.equal(g.code, 0);
  t.ok(g.bytes.equals(Buffer.from(GARBAGE)), 'the garbage bytes, exactly');
  t.equal(rbd(garbage, 'device', 'list', '--format', 'json').stdout, '[]\n');

  const unused = sandbox(t, { fail: [fail(['rm'], 'busy', 2)] });
  t.match(unusedInjectedFailures(unused.sims), [
    {
      message: 'injected busy failure never triggered: rbd rm (scenario.yaml:3:7)',
      expected: '2 more calls to rbd starting with those arguments',
      actual: 'none',
    },
  ]);

  const usage = sandbox(t, { fail: [fail([], 'busy', 1)] });
  t.equal(rbd(usage, 'create').code, 22, 'a usage error comes first');
  t.equal(unusedInjectedFailures(usage.sims).length, 1, 'and does not use the failure up');
});

t.test('an injected timeout hangs until killed, and is logged', async (t) => {
  const sb = sandbox(t, { fail: [{ when: [{ equals: 'ls' }], error: 'timeout', times: 'any', position: AT }] });
  const started = Date.now();
  const r = spawnSync(join(sb.stubs, 'rbd'), ['ls'], { env: env(sb), timeout: 1500 });
  t.equal(r.signal, 'SIGTERM', 'killed by the time limit');
  t.ok(Date.now() - started >= 1400);
  t.match(calls(sb), [{ command: 'rbd', argv: ['ls'], exit: HUNG_EXIT, simulated: true, entry: null }]);
  t.equal(rbd(sb, 'create', '--size', '1', 'v').code, 0, 'the lock was released before hanging');
});

t.test('calls are logged for expect.calls, and parallel calls are answered one at a time', async (t) => {
  const sb = sandbox(t, {
    images: [{ pool: 'rbd', namespace: '', name: 'vol1', size: 1, meta: {}, mapped: false, snapshots: [] }],
  });
  rbd(sb, '--id', 'admin', 'info', 'vol1');
  const logged = calls(sb);
  t.equal(logged.length, 1);
  t.match(logged[0], {
    command: 'rbd',
    argv: ['--id', 'admin', 'info', 'vol1'],
    entry: null,
    exit: 0,
    simulated: true,
  });
  t.notOk('EXTSTORAGE_KIT_SANDBOX' in (logged[0] as unknown as { env: object }).env);

  const maps = await Promise.all(
    [0, 1, 2, 3, 4].map(
      () =>
        new Promise<string>((resolve, reject) => {
          const child = spawn(join(sb.stubs, 'rbd'), ['device', 'map', 'vol1'], { env: env(sb) });
          let out = '';
          child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
          child.on('error', reject);
          child.on('close', () => resolve(out));
        }),
    ),
  );
  t.strictSame([...maps].sort(), ['/dev/rbd0\n', '/dev/rbd1\n', '/dev/rbd2\n', '/dev/rbd3\n', '/dev/rbd4\n']);
  t.equal(state(sb).mapped, 5);
});

// ---------------------------------------------------------------------------------------------
// ceph_release: what differs from Ceph 16 in the other releases played

const VOL1 = { pool: 'rbd', namespace: '', name: 'vol1', size: 1024, meta: {}, mapped: false, snapshots: [] };

t.test('ceph_release: rbd --version of each release', async (t) => {
  const versions = {
    12: 'ceph version 12.2.13 (584a20eb0237c657dc0567da126be145106aa47e) luminous (stable)\n',
    14: 'ceph version 14.2.22 (ca74598065096e6fcbd8433c8779a2be0c889351) nautilus (stable)\n',
    16: 'ceph version 16.2.15 (618f440892089921c3e944a991122ddc44e60516) pacific (stable)\n',
    17: 'ceph version 17.2.7 (b12291d110049b2f35e32e0de30d70e9a4c060d2) quincy (stable)\n',
    18: 'ceph version 18.2.4 (e7ad5345525c7aa95470c26863873b581076945d) reef (stable)\n',
  } as const;
  for (const [release, text] of Object.entries(versions)) {
    const sb = sandbox(t, { cephRelease: Number(release) as 12 | 14 | 16 | 17 | 18 });
    t.strictSame(rbd(sb, '--version'), { code: 0, signal: null, stdout: text, stderr: '', bytes: Buffer.from(text) });
  }
  t.equal(rbd(sandbox(t), '-v').stdout, versions[16], 'no ceph_release: Ceph 16');
});

t.test('ceph_release 12: no `rbd device`; map, showmapped and unmap as Luminous prints them', async (t) => {
  const sb = sandbox(t, { cephRelease: 12, images: [VOL1] });
  for (const words of [
    ['device', 'map', 'vol1'],
    ['device', 'list', '--format', 'json'],
    ['device', 'unmap', 'vol1'],
  ]) {
    const r = rbd(sb, ...words);
    t.equal(r.code, 1, words.join(' '));
    t.equal(
      r.stderr,
      `error: unknown option '${words.filter((w) => !w.startsWith('-') && w !== 'json').join(' ')}'\n\n`,
    );
    t.match(r.stdout, /^usage: rbd <command> \.\.\.\n/);
    t.notMatch(r.stdout, /device (map|list|unmap)/, 'its help has no device commands');
    t.match(r.stdout, /\n {4}map {31}Map image to a block device using the\n {38}kernel\.\n {4}merge-diff /);
    t.match(r.stdout, /\n {4}showmapped {24}Show the rbd images mapped by the kernel\.\n/);
  }
  t.strictSame(rbd(sb, 'help', 'map').stdout, 'usage: rbd map\n');
  t.strictSame(rbd(sb, 'nbd', 'map', 'vol1').code, 95, "Luminous' rbd nbd map is real, not simulated");
  t.strictSame(calls(sb).length, 5, 'every call is logged');

  t.strictSame(rbd(sb, 'showmapped', '--format', 'json').stdout, '{}\n', 'nothing mapped: an empty object');
  t.strictSame(rbd(sb, 'showmapped').stdout, '', 'nothing mapped: no table');
  t.strictSame(rbd(sb, 'map', 'vol1').stdout, '/dev/rbd0\n');
  t.strictSame(rbd(sb, 'map', 'vol1').stdout, '/dev/rbd1\n');
  t.strictSame(
    rbd(sb, 'showmapped', '--format', 'json').stdout,
    '{"0":{"pool":"rbd","name":"vol1","snap":"-","device":"/dev/rbd0"},' +
      '"1":{"pool":"rbd","name":"vol1","snap":"-","device":"/dev/rbd1"}}\n',
    'an object keyed by device id, no id or namespace keys',
  );
  t.strictSame(JSON.parse(rbd(sb, 'showmapped', '--format', 'json', '--pretty-format').stdout), {
    '0': { pool: 'rbd', name: 'vol1', snap: '-', device: '/dev/rbd0' },
    '1': { pool: 'rbd', name: 'vol1', snap: '-', device: '/dev/rbd1' },
  });
  t.strictSame(
    rbd(sb, 'showmapped').stdout,
    'id pool image snap device    \n0  rbd  vol1  -    /dev/rbd0 \n1  rbd  vol1  -    /dev/rbd1 \n',
    'no namespace column; one space after every cell (TextTable of 12)',
  );
  t.strictSame(
    rbd(sb, 'unmap', 'vol1').stderr,
    'rbd: rbd/vol1@-: mapped more than once, unmapping /dev/rbd0 only\n',
    'krbd names the mapping pool/image@snap, "-" for none',
  );
  const notMapped = rbd(sb, 'unmap', 'rbd/other');
  t.strictSame(
    [notMapped.code, notMapped.stderr],
    [22, 'rbd: rbd/other@-: not a mapped image or snapshot\nrbd: unmap failed: (22) Invalid argument\n'],
  );
  t.strictSame(rbd(sb, 'unmap', '/dev/rbd1').code, 0);
  t.strictSame(state(sb).mapped, 0);

  const typed = rbd(sb, 'map', '-t', 'krbd', 'vol1');
  t.strictSame([typed.code, typed.stderr], [1, "rbd: unrecognised option '-t'\n"], 'no --device-type before 13');
  t.strictSame(rbd(sb, 'map', '--quiesce', 'vol1').stderr, "rbd: unrecognised option '--quiesce'\n");
  t.strictSame(
    rbd(sb, 'create', '--size', '1', '--namespace', 'ns', 'vol2').stderr,
    "rbd: unrecognised option '--namespace'\n",
    'no namespaces before 14',
  );
});

t.test('ceph_release 12: info and ls -l as Luminous prints them', async (t) => {
  const sb = sandbox(t, {
    cephRelease: 12,
    images: [{ ...VOL1, snapshots: [{ name: 's', protected: true }] }],
  });
  t.equal(rbd(sb, 'clone', 'vol1@s', 'child').code, 0);
  const id = state(sb).images['rbd/vol1']!.id;
  const childId = state(sb).images['rbd/child']!.id;
  t.match(
    rbd(sb, 'info', '--format', 'json', 'vol1').stdout,
    new RegExp(
      `^\\{"name":"vol1","size":1073741824,"objects":256,"order":22,"object_size":4194304,"block_name_prefix":"rbd_data\\.${id}","format":2,` +
        `"features":\\["layering","exclusive-lock","object-map","fast-diff","deep-flatten"\\],"flags":\\[\\],"create_timestamp":"${CTIME}"\\}\n$`,
    ),
    'no id, snapshot_count, op_features, access_timestamp, modify_timestamp',
  );
  t.match(rbd(sb, 'info', '--format', 'json', 'vol1@s').stdout, /"create_timestamp":"[^"]+","protected":"true"\}\n$/);
  t.match(
    rbd(sb, 'info', '--format', 'json', 'child').stdout,
    /"create_timestamp":"[^"]+","parent":\{"pool":"rbd","image":"vol1","snapshot":"s","overlap":1073741824\}\}\n$/,
    'a parent without pool_namespace, id and trash',
  );
  t.match(
    rbd(sb, 'info', 'child').stdout,
    new RegExp(
      `^rbd image 'child':\n\tsize 1024 MB in 256 objects\n\torder 22 \\(4096 kB objects\\)\n\tblock_name_prefix: rbd_data\\.${childId}\n\tformat: 2\n` +
        `\tfeatures: layering, exclusive-lock, object-map, fast-diff, deep-flatten\n\tflags: \n\tcreate_timestamp: ${CTIME}\n` +
        `\tparent: rbd/vol1@s\n\toverlap: 1024 MB\n$`,
    ),
    'prettybyte_t sizes, no snapshot_count, id, op_features or access/modify lines',
  );
  t.match(rbd(sb, 'info', 'vol1@s').stdout, /\tcreate_timestamp: [^\n]+\n\tprotected: True\n$/);

  t.equal(rbd(sb, 'create', '--size', '50', 'small').code, 0);
  t.strictSame(
    rbd(sb, 'ls', '-l').stdout,
    'NAME     SIZE PARENT     FMT PROT LOCK \n' +
      'child   1024M rbd/vol1@s   2           \n' +
      'small  51200k              2           \n' +
      'vol1    1024M              2           \n' +
      'vol1@s  1024M              2 yes       \n',
    'si_t sizes, right-aligned SIZE and FMT headings, a space after every cell',
  );
  t.strictSame(
    rbd(sb, 'ls', '-l', '--format', 'json').stdout,
    '[{"image":"child","size":1073741824,"parent":{"pool":"rbd","image":"vol1","snapshot":"s"},"format":2},' +
      '{"image":"small","size":52428800,"format":2},{"image":"vol1","size":1073741824,"format":2},' +
      '{"image":"vol1","snapshot":"s","size":1073741824,"format":2,"protected":"true"}]\n',
    'no image id, snapshot_id or pool_namespace',
  );
  t.strictSame(
    rbd(sb, 'ls', 'nopool').stderr,
    "rbd: error opening pool 'nopool': (2) No such file or directory\nrbd: list: (2) No such file or directory\n",
  );
});

t.test('ceph_release 14: Ceph 16 formats, without the quiesce options', async (t) => {
  const sb = sandbox(t, { cephRelease: 14, images: [VOL1] });
  t.strictSame(rbd(sb, 'device', 'map', '-t', 'krbd', 'vol1').stdout, '/dev/rbd0\n');
  t.strictSame(
    rbd(sb, 'device', 'list', '--format', 'json').stdout,
    '[{"id":"0","pool":"rbd","namespace":"","name":"vol1","snap":"-","device":"/dev/rbd0"}]\n',
  );
  t.strictSame(
    rbd(sb, 'showmapped').stdout,
    'id  pool  namespace  image  snap  device   \n0   rbd              vol1   -     /dev/rbd0\n',
  );
  const r = rbd(sb, 'device', 'map', '--quiesce', 'vol1');
  t.strictSame([r.code, r.stderr], [1, "rbd: unrecognised option '--quiesce'\n"], 'quiesce hooks are new in 16');
  t.match(rbd(sb, 'info', '--format', 'json', 'vol1').stdout, /"op_features":\[\],"flags":\[\],"create_timestamp"/);
  t.equal(rbd(sb, 'device', 'attach', 'vol1').code, 1, 'device attach is unknown before 17');
});

t.test('ceph_release 17 and 18: device attach and detach are real commands', async (t) => {
  for (const release of [17, 18] as const) {
    const sb = sandbox(t, { cephRelease: release, images: [VOL1] });
    const help = rbd(sb, 'help').stdout;
    t.match(
      help,
      /\n {4}device attach {21}Attach image to device\.\n {4}device detach {21}Detach image from device\.\n {4}device list \(showmapped\)/,
    );
    const attach = rbd(sb, 'device', 'attach', 'vol1');
    t.strictSame(
      [attach.code, attach.stderr],
      [
        95,
        "rbd (extstorage-kit simulator): 'rbd device attach' is a real rbd command that the simulator does not implement\n",
      ],
    );
    t.strictSame(rbd(sb, 'device', 'map', '--quiesce', 'vol1').stdout, '/dev/rbd0\n');
    t.strictSame(
      rbd(sb, 'device', 'list', '--format', 'json').stdout,
      '[{"id":"0","pool":"rbd","namespace":"","name":"vol1","snap":"-","device":"/dev/rbd0"}]\n',
    );
  }
  const sixteen = rbd(sandbox(t), 'device', 'attach', 'vol1');
  t.strictSame([sixteen.code, sixteen.stderr], [1, "error: unknown option 'device attach vol1'\n\n"]);
  t.notMatch(rbd(sandbox(t), 'help').stdout, /device attach/);
});

// ---------------------------------------------------------------------------------------------
// The loader

function errors(t: { fail(message: string): boolean }, text: string): string[] {
  const result = parseScenarioText(text, 's.yaml');
  if ('file' in result) {
    t.fail('the file loaded without errors');
    return [];
  }
  return result.errors.map(formatFileError);
}

t.test('the loader: ceph_release', async (t) => {
  const result = parseScenarioText(
    `scenarios:
  - name: luminous
    simulate: { rbd: { ceph_release: 12 } }
    steps: [{ action: attach }]
  - name: default
    simulate: { rbd: { kernel_module: true } }
    steps: [{ action: attach }]
`,
    's.yaml',
  );
  if ('errors' in result) {
    t.fail(result.errors.map(formatFileError).join('\n'));
    return;
  }
  const [luminous, unnamed] = result.file.scenarios;
  t.equal(luminous!.simulators.rbd!.cephRelease, 12);
  t.notOk('cephRelease' in unnamed!.simulators.rbd!, 'absent: Ceph 16, and nothing stored');
  t.strictSame(luminous!.simulators.rbd!.given, ['ceph_release']);
  const bad = errors(
    t,
    'scenarios:\n  - name: a\n    simulate: { rbd: { ceph_release: 13 } }\n    steps: [{ action: attach }]\n',
  );
  t.strictSame(bad, ['s.yaml:3:38: "ceph_release" must be one of 12, 14, 16, 17, 18, got 13']);
});

t.test('the loader: simulate as a list or a map, every default', async (t) => {
  const result = parseScenarioText(
    `scenarios:
  - name: list
    simulate: [rbd, losetup]
    steps: [{ action: attach }]
  - name: map
    simulate:
      rbd:
        pools: [rbd, fast, fast/ns]
        images:
          - { spec: fast/ns/vol1, size: 2048, meta: { k: v }, mapped: true, snapshots: [s1, { name: s2, protected: true }] }
          - { spec: vol2, features: [layering] }
        kernel_module: false
        fail:
          - { when: [device, map, { regex: "^rbd/" }], error: unreachable, times: 2 }
          - { error: garbage }
      losetup:
    steps:
      - action: attach
        expect:
          simulated:
            rbd: { images: { rbd/vol1: null, fast/ns/vol1: { size: 2048, id: { regex: "^[0-9a-f]+$" } } } }
            losetup: { attached: 0, devices: { /dev/loop0: null } }
`,
    's.yaml',
  );
  if ('errors' in result) {
    t.fail(result.errors.map(formatFileError).join('\n'));
    return;
  }
  const [list, map] = result.file.scenarios;
  t.strictSame(list!.simulate, ['rbd', 'losetup']);
  t.strictSame(list!.simulators, {
    rbd: { pools: ['rbd'], images: [], kernelModule: true, fail: [] },
    losetup: { devices: 8, fail: [] },
  });
  t.strictSame(map!.simulate, ['rbd', 'losetup']);
  t.strictSame(map!.simulators.losetup, { devices: 8, fail: [] });
  t.strictSame(map!.simulators.rbd!.images, [
    {
      pool: 'fast',
      namespace: 'ns',
      name: 'vol1',
      size: 2048,
      meta: { k: 'v' },
      mapped: true,
      snapshots: [
        { name: 's1', protected: false },
        { name: 's2', protected: true },
      ],
    },
    {
      pool: 'rbd',
      namespace: '',
      name: 'vol2',
      size: 1024,
      meta: {},
      mapped: false,
      snapshots: [],
      features: ['layering'],
    },
  ]);
  t.equal(map!.simulators.rbd!.kernelModule, false);
  t.strictSame(map!.simulators.rbd!.fail, [
    {
      when: [{ equals: 'device' }, { equals: 'map' }, { regex: /^rbd\//, source: '^rbd/' }],
      error: 'unreachable',
      times: 2,
      position: { file: 's.yaml', line: 14, col: 13 },
    },
    { when: [], error: 'garbage', times: 'any', position: { file: 's.yaml', line: 15, col: 13 } },
  ]);
  t.strictSame(map!.steps[0]!.expect.simulated, {
    rbd: {
      images: { 'rbd/vol1': null, 'fast/ns/vol1': { size: 2048, id: { regex: /^[0-9a-f]+$/, source: '^[0-9a-f]+$' } } },
    },
    losetup: { attached: 0, devices: { '/dev/loop0': null } },
  });
});

t.test('the loader: errors in simulate and expect.simulated, as file:line:col', async (t) => {
  t.strictSame(
    errors(
      t,
      `scenarios:
  - name: a
    stubs: { rbd: [] }
    simulate: [rbd, ceph]
    steps: [{ action: attach }]
  - name: b
    simulate:
      rbd:
        pools: [rbd, fast/ns, "a b"]
        images:
          - { spec: other/vol1 }
          - { spec: rbd/vol1, snapshots: [s, s], size: 0 }
          - { spec: vol1 }
          - { spec: "a@b" }
        kernel_mod: false
        fail: [{ when: [{ regex: "(" }], error: flood }]
      losetup: { devices: -1, fail: [{ error: unreachable, times: 0 }] }
      ceph: {}
    steps:
      - action: detach
        expect:
          simulated:
            rbd: { images: { rbd/vol1: { sise: 1, id: { regex: "[" } } } }
  - name: c
    simulate: [losetup]
    steps:
      - action: detach
        expect: { simulated: { rbd: { mapped: 0 } } }
`,
    ),
    [
      's.yaml:3:14: "rbd" is both stubbed and simulated in this scenario: a command is either stubbed or simulated',
      's.yaml:4:21: unknown simulator "ceph": expected one of rbd, losetup',
      's.yaml:9:22: namespace "fast/ns" is in pool "fast", which is not in pools',
      's.yaml:9:31: item 3 of "pools" must be a pool name, or pool/namespace (no "@", no spaces), got "a b"',
      's.yaml:11:21: image "other/vol1" is in pool "other", which is not in pools (pools: rbd, fast/ns, a b)',
      's.yaml:12:46: snapshot "s" is listed twice',
      's.yaml:12:56: "size" must be a positive integer, got 0',
      's.yaml:13:21: image "rbd/vol1" is listed twice in "images" (first as item 2)',
      's.yaml:14:21: "spec" must be an image spec: [<pool>/[<namespace>/]]<image> (no "@", no spaces), got "a@b"',
      's.yaml:15:9: unknown key "kernel_mod" in "rbd" (expected one of: pools, images, kernel_module, ceph_release, fail)',
      's.yaml:16:34: invalid regular expression "(": Unterminated group',
      's.yaml:16:49: "error" must be one of "unreachable", "busy", "not-found", "permission", "timeout", "garbage", got "flood"',
      's.yaml:17:27: "devices" must be an integer from 0 to 4096, got -1',
      's.yaml:17:47: "unreachable" does not apply to losetup: it has no cluster to reach (use busy, not-found, permission, timeout or garbage)',
      's.yaml:17:67: "times" must be a positive integer or "any", got 0',
      's.yaml:18:7: unknown simulator "ceph" in "simulate" (expected one of: rbd, losetup)',
      's.yaml:23:42: unknown key "sise" in "rbd/vol1" (expected one of: id, size, bytes, order, features, meta, snapshots, parent, mapped, devices)',
      's.yaml:23:64: invalid regular expression "[": Unterminated character class',
      's.yaml:28:32: "rbd" is not simulated in this scenario (simulate: losetup)',
    ],
  );
});

// ---------------------------------------------------------------------------------------------
// Through `extstorage-kit run`

interface JsonResult {
  readonly name: string;
  readonly status: string;
  readonly failures: readonly { message: string }[];
  readonly steps: readonly {
    failures: readonly { message: string; expected?: string; actual?: string }[];
    runs: readonly { simulated?: Record<string, unknown> }[];
  }[];
}

function runScenarios(
  t: Parameters<typeof tempDir>[0],
  file: string,
): { code: number | null; results: Map<string, JsonResult>; output: string } {
  const json = join(tempDir(t), 'report.json');
  const r = spawnSync(
    process.execPath,
    [CLI, 'run', join(REPO_ROOT, 'test', 'fixtures', 'simulate', file), '--json', json],
    {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 120_000,
    },
  );
  const report = JSON.parse(readFileSync(json, 'utf8')) as { results: JsonResult[] };
  return { code: r.status, results: new Map(report.results.map((x) => [x.name, x])), output: r.stdout + r.stderr };
}

t.test('scenarios with the rbd simulator pass through extstorage-kit run', async (t) => {
  const { code, results, output } = runScenarios(t, 'rbd.yaml');
  t.equal(code, 0, output);
  t.equal(results.size, 7);
  for (const result of results.values()) t.equal(result.status, 'pass', result.name);
  const lifecycle = results.get('the whole lifecycle keeps its state from step to step')!;
  t.match(
    lifecycle.steps[1]!.runs[0]!.simulated,
    { rbd: { devices: { '/dev/rbd0': { image: 'vol1' } } } },
    'the state is in the report',
  );
});

t.test('what the rbd simulator makes a scenario fail on', async (t) => {
  const { code, results } = runScenarios(t, 'rbd-failing.yaml');
  t.equal(code, 1);
  const failures = (name: string) => {
    const r = results.get(name)!;
    t.equal(r.status, 'fail', name);
    return [...r.failures, ...r.steps.flatMap((s) => s.failures)];
  };
  t.match(failures('a state that differs is reported'), [
    { message: 'simulated rbd state differs at images.rbd/vol1.size', expected: '2048', actual: '1024' },
    { message: 'simulated rbd state differs at images.rbd/vol1.meta.k', expected: '"v"', actual: '(absent)' },
  ]);
  t.match(failures('an image that should not exist is reported'), [
    { message: 'simulated rbd state differs at images.rbd/vol1', expected: '(absent)' },
  ]);
  t.match(failures('an injected failure never triggered is reported'), [
    { message: /^injected busy failure never triggered: rbd resize \(.*rbd-failing\.yaml:19:31\)$/ },
  ]);
  t.match(failures("an injected timeout is killed by the step's timeout"), [{ message: /^killed after 1s/ }]);
});
