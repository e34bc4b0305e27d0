"""Drive one ExtStorage step through Ganeti's own storage code.

Run with Debian's /usr/bin/python3 (Ganeti 3.0's modules live in /usr/share/ganeti/3.0). One call
is one node-daemon RPC: a fresh ExtStorageDevice for the disk (its constructor attaches, as
bdev.FindDevice does), then the one method the step names. It prints one JSON line: what Ganeti
returned or raised, the device as Ganeti sees it afterwards, and every provider script Ganeti ran
(its VOL_*/EXTP_* environment, exit status, and attach's stdout).

  drive_extstorage.py --search-path DIR --log-dir DIR --provider NAME --volume VOL \
      --size MIB [--cname NAME] [--uuid UUID] [--param KEY=VALUE]... STEP [ARG]

Steps: create, attach, uri HYPERVISOR, grow AMOUNT_MIB, setinfo TEXT, snapshot SNAP_NAME,
open exclusive|shared, close, shutdown, remove.
"""

import argparse
import json
import os
import sys

GANETI_LIB = "/usr/share/ganeti/3.0"
sys.path.insert(0, GANETI_LIB)

# pylint: disable=wrong-import-position
from ganeti import constants, errors, objects, pathutils, utils  # noqa: E402
from ganeti.storage import extstorage  # noqa: E402

# Every provider script Ganeti runs goes through utils.RunCmd (extstorage._ExtStorageAction):
# wrap it to record what Ganeti passed and got, without changing what it does.
SCRIPTS = []
_RUN_CMD = utils.RunCmd


def _recording_run_cmd(cmd, env=None, **kwargs):
    record = {
        "script": os.path.basename(cmd[0]),
        "env": {k: v for k, v in sorted((env or {}).items()) if k.startswith(("VOL_", "EXTP_"))},
    }
    SCRIPTS.append(record)
    try:
        result = _RUN_CMD(cmd, env=env, **kwargs)
    except Exception as err:  # e.g. UnicodeDecodeError: Ganeti 3 decodes output as strict UTF-8
        record["raised"] = "%s: %s" % (type(err).__name__, err)
        raise
    record["exit"] = result.exit_code
    if record["script"] == constants.ES_ACTION_ATTACH:
        record["stdout"] = result.stdout
    return result


utils.RunCmd = _recording_run_cmd


def disk_params(provider, user_params):
    """The disk's params as a node receives them (see lib/cmdlib/instance_storage.py
    GenerateDiskTemplate: provider plus the user's keys; lib/rpc/node.py AnnotateDiskParams:
    filled with the cluster's ext disk parameters, by default access=kernelspace)."""
    params = dict(user_params)
    params[constants.IDISK_PROVIDER] = provider
    cluster_ext = objects.Disk.ComputeLDParams(constants.DT_EXT, constants.DISK_DT_DEFAULTS)[0]
    return objects.FillDict(cluster_ext, params)


def describe(device):
    if device is None:
        return None
    return {
        "attached": device.attached,
        "dev_path": device.dev_path,
        "uris": device.uris,
        "major": device.major,
        "minor": device.minor,
    }


def run_step(args, params, seen):
    """Runs the step; `seen["device"]` keeps the device for the report, also when a method raises."""
    unique_id = (args.provider, args.volume)
    ids = {"name": args.cname, "uuid": args.uuid}
    if args.step == "create":
        # bdev.Create: ExtStorageDevice.Create(unique_id, children, size, spindles, params,
        # excl_stor, dyn_params, name=..., uuid=...)
        seen["device"] = extstorage.ExtStorageDevice.Create(unique_id, [], args.size, None, params, False, {}, **ids)
        return None
    device = seen["device"] = extstorage.ExtStorageDevice(unique_id, [], args.size, params, {}, **ids)
    if args.step == "attach":
        # bdev.FindDevice: the constructor's Attach is the whole step.
        return device.attached
    if args.step == "uri":
        return device.GetUserspaceAccessUri(args.arg)
    if args.step == "grow":
        # backend.BlockdevGrow: Grow(amount, dryrun, backingstore, excl_stor).
        return device.Grow(int(args.arg), False, True, False)
    if args.step == "setinfo":
        return device.SetInfo(args.arg)
    if args.step == "snapshot":
        # backend.BlockdevSnapshot passes a name and the disk's size.
        return list(device.Snapshot(args.arg, args.size))
    if args.step == "open":
        return device.Open(exclusive=args.arg == "exclusive")
    if args.step == "close":
        return device.Close()
    if args.step == "shutdown":
        return device.Shutdown()
    if args.step == "remove":
        return device.Remove()
    raise ValueError("unknown step %r" % args.step)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--search-path", required=True, help="folder holding the providers")
    parser.add_argument("--log-dir", required=True, help="where Ganeti writes the scripts' logs")
    parser.add_argument("--provider", required=True)
    parser.add_argument("--volume", required=True, help="VOL_NAME, e.g. <uuid>.ext.disk0")
    parser.add_argument("--size", required=True, type=int, help="the disk's size in MiB, as the config has it")
    parser.add_argument("--cname", default=None)
    parser.add_argument("--uuid", default=None)
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument(
        "step",
        choices=["create", "attach", "uri", "grow", "setinfo", "snapshot", "open", "close", "shutdown", "remove"],
    )
    parser.add_argument("arg", nargs="?", default=None)
    args = parser.parse_args()
    if args.step in ("uri", "grow", "setinfo", "snapshot", "open") and args.arg is None:
        parser.error("step %s needs an argument" % args.step)
    user_params = {}
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep or not key:
            parser.error("--param %r: expected KEY=VALUE" % item)
        user_params[key] = value

    # Both are read when a script runs (extstorage.ExtStorageFromDisk, _VolumeLogName), not at import.
    pathutils.ES_SEARCH_PATH = [args.search_path]
    pathutils.LOG_ES_DIR = args.log_dir

    line = {"step": args.step, "arg": args.arg}
    seen = {}
    try:
        line.update(ok=True, returned=run_step(args, disk_params(args.provider, user_params), seen))
    except (errors.GenericError, ValueError, OSError, UnicodeError) as err:
        line.update(ok=False, raised={"type": type(err).__name__, "message": str(err)})
    line.update(device=describe(seen.get("device")), scripts=SCRIPTS)
    print(json.dumps(line, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
