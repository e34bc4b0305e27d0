"""One provider script run through Ganeti's own storage code (extstorage-kit --through-ganeti).

Run by the kit with Ganeti's Python (Debian: /usr/bin/python3) in place of the script. The request is
one JSON argument; the script runs through the function Ganeti's node daemon uses for every action,
`extstorage._ExtStorageAction` (which finds the provider in the search path, builds the environment
and calls `utils.RunCmd`), and attach through `ExtStorageDevice.Attach`, which also reads its output.
One step is one script run: the extra attach runs that Ganeti's Grow, Shutdown and Remove methods
make around theirs are left to the scenario.

What Ganeti did goes to the report file named in the request, as JSON: the environment each script
got (VOL_*, EXTP_*), its exit status, for attach Ganeti's verdict (attached, dev_path, uris, and the
URI GetUserspaceAccessUri hands each hypervisor), and what Ganeti raised. The script's own output is
passed on: attach's stdout and stderr byte for byte (read under Ganeti's decoding, which still
applies), the other actions' log file, where Ganeti sends their stdout and stderr together, on
stdout. The exit status is the script's (128 + N when killed by signal N).
"""

import io
import json
import logging
import os
import stat
import subprocess
import sys

REQUEST = json.loads(sys.argv[1])
sys.path.insert(0, REQUEST["lib"])

# pylint: disable=wrong-import-position
from ganeti import constants, errors, objects, pathutils, utils  # noqa: E402
from ganeti.storage import extstorage  # noqa: E402
from ganeti.utils import process as utils_process  # noqa: E402

SCRIPTS = []
LOGGED = []


class _Kept(logging.Handler):
    """Ganeti's log messages go to the report, not into the script's stderr."""

    def emit(self, record):
        LOGGED.append("%s: %s" % (record.levelname, record.getMessage()))


logging.basicConfig(level=logging.INFO, handlers=[_Kept()], force=True)


class _TeeRaw(io.RawIOBase):
    """A child's pipe as Ganeti reads it, keeping a copy of every byte read."""

    def __init__(self, raw, copy):
        super().__init__()
        self._raw = raw
        self._copy = copy

    def readable(self):
        return True

    def fileno(self):
        return self._raw.fileno()

    def readinto(self, buffer):
        try:
            data = os.read(self._raw.fileno(), len(buffer))
        except BlockingIOError:
            return None
        buffer[: len(data)] = data
        self._copy.extend(data)
        return len(data)

    def close(self):
        self._raw.close()
        super().close()


class _RecordingPopen(subprocess.Popen):
    """subprocess.Popen as Ganeti calls it, but each text pipe keeps the raw bytes it read.

    The pipes are rebuilt exactly as Popen builds them for encoding="utf-8" (a TextIOWrapper with
    universal newlines and strict errors over a buffered reader), so what Ganeti decodes is unchanged.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.raw_output = {"stdout": bytearray(), "stderr": bytearray()}
        for name in ("stdout", "stderr"):
            stream = getattr(self, name)
            if isinstance(stream, io.TextIOWrapper):
                encoding, errors_mode = stream.encoding, stream.errors
                # Detached, not dropped: a dropped wrapper would close the pipe when collected.
                raw = stream.detach().detach()
                tee = io.BufferedReader(_TeeRaw(raw, self.raw_output[name]))
                setattr(self, name, io.TextIOWrapper(tee, encoding=encoding, errors=errors_mode))


_RUN_CMD = utils.RunCmd
CHILDREN = []


def _popen(*args, **kwargs):
    child = _RecordingPopen(*args, **kwargs)
    CHILDREN.append(child)
    return child


def _recording_run_cmd(cmd, env=None, output=None, **kwargs):
    record = {
        "script": os.path.basename(cmd[0]),
        "env": {k: v for k, v in sorted((env or {}).items()) if k.startswith(("VOL_", "EXTP_"))},
        "log": output,
    }
    SCRIPTS.append(record)
    CHILDREN.clear()
    try:
        result = _RUN_CMD(cmd, env=env, output=output, **kwargs)
    except Exception as err:  # e.g. UnicodeDecodeError: Ganeti 3 decodes attach's output as strict UTF-8
        record["raised"] = "%s: %s" % (type(err).__name__, err)
        _keep_output(record)
        raise
    record["exit"] = result.exit_code
    record["signal"] = result.signal
    _keep_output(record)
    return result


def _keep_output(record):
    """The raw bytes the script wrote to its pipes (attach; the other actions write to the log file)."""
    child = CHILDREN[-1] if CHILDREN else None
    if child is not None:
        record["_stdout"] = bytes(child.raw_output["stdout"])
        record["_stderr"] = bytes(child.raw_output["stderr"])


# Every provider script Ganeti runs goes through utils.RunCmd, which spawns with subprocess.Popen:
# both are wrapped to record what Ganeti passed and got, without changing what it does.
utils_process.subprocess.Popen = _popen
utils.RunCmd = _recording_run_cmd


def disk_params(provider, user_params):
    """The disk's params as a node receives them (cmdlib/instance_storage.py GenerateDiskTemplate:
    provider plus the user's keys; rpc/node.py AnnotateDiskParams: filled with the cluster's ext
    disk parameters, by default access=kernelspace)."""
    params = dict(user_params)
    params[constants.IDISK_PROVIDER] = provider
    cluster_ext = objects.Disk.ComputeLDParams(constants.DT_EXT, constants.DISK_DT_DEFAULTS)[0]
    return objects.FillDict(cluster_ext, params)


def device_without_attach(unique_id, size, params, name, uuid):
    """An ExtStorageDevice as its constructor leaves it, minus the constructor's own attach run."""
    device = extstorage.ExtStorageDevice.__new__(extstorage.ExtStorageDevice)
    device.unique_id = unique_id
    device.children = []
    device.size = size
    device.params = params
    device.dyn_params = {}
    device.name = name
    device.uuid = uuid
    device.driver, device.vol_name = unique_id
    device.ext_params = params
    device.major = device.minor = None
    device.dev_path = None
    device.attached = False
    device.uris = []
    return device


def probe(path):
    """The stat() outcome Attach acted on, in the kit's words (harness/attach/reading.ts DeviceProbe)."""
    try:
        return "block" if stat.S_ISBLK(os.stat(path).st_mode) else "not-block"
    except ValueError:  # a NUL in the path
        return "control"
    except OSError:
        return "missing"


def run(request, report):
    action = request["action"]
    unique_id = (request["provider"], request["volume"])
    params = disk_params(request["provider"], request["params"])
    name, uuid = request.get("name"), request.get("uuid")
    if action == constants.ES_ACTION_ATTACH:
        device = device_without_attach(unique_id, request["size"], params, name, uuid)
        attached = device.Attach()
        report["attach"] = {"attached": bool(attached), "dev_path": device.dev_path, "uris": device.uris}
        if device.dev_path:
            # What Ganeti's os.stat saw, in this process's view of /dev: the kit judges the same view.
            report["attach"]["probe"] = probe(device.dev_path)
        if attached:
            # What GetUserspaceAccessUri hands each hypervisor, without the attach run it starts with.
            device.Attach = lambda **_: True
            select = report["attach"]["select"] = {}
            for hypervisor in sorted(constants.HYPER_TYPES):
                try:
                    select[hypervisor] = device.GetUserspaceAccessUri(hypervisor)
                except errors.BlockDeviceError:
                    select[hypervisor] = None
        return
    if action == constants.ES_ACTION_SETINFO:
        # The method, for its sanitising of the text; it runs the setinfo script and nothing else.
        device_without_attach(unique_id, request["size"], params, name, uuid).SetInfo(request["metadata"])
        return
    kwargs = {"name": name, "uuid": uuid}
    if action == constants.ES_ACTION_CREATE:
        kwargs["size"] = request["size"]
    elif action == constants.ES_ACTION_GROW:
        kwargs.update(size=request["size"], grow=request["newSize"])
    elif action == constants.ES_ACTION_SNAPSHOT:
        # ExtStorageDevice.Snapshot passes neither name nor uuid.
        kwargs = {"snap_name": request["snapshotName"], "snap_size": request["snapshotSize"]}
    elif action == constants.ES_ACTION_OPEN:
        kwargs["exclusive"] = request["exclusive"]
    elif action == constants.ES_ACTION_VERIFY:
        kwargs = {}
    extstorage._ExtStorageAction(action, unique_id, params, **kwargs)  # pylint: disable=protected-access


def main():
    request = REQUEST
    # Both are read when a script runs (ExtStorageFromDisk, _VolumeLogName), not at import.
    pathutils.ES_SEARCH_PATH = [request["searchPath"]]
    pathutils.LOG_ES_DIR = request["logDir"]
    report = {"release": constants.RELEASE_VERSION, "raised": None}
    try:
        run(request, report)
    except (errors.GenericError, ValueError, OSError, UnicodeError) as err:
        report["raised"] = {"type": type(err).__name__, "message": str(err)}
    status = 0
    out, err = b"", b""
    if SCRIPTS:
        last = SCRIPTS[-1]
        if last.get("signal"):
            status = 128 + int(last["signal"])
        elif last.get("exit") is not None:
            status = int(last["exit"])
        elif report["raised"] is not None:
            status = 1
        out, err = last.pop("_stdout", b""), last.pop("_stderr", b"")
        if last.get("log"):
            try:
                with open(last["log"], "rb") as log:
                    out = log.read()
            except OSError:
                out = b""
    elif report["raised"] is not None:
        status = 1
        err = ("Ganeti ran no script: %s\n" % report["raised"]["message"]).encode("utf-8", "replace")
    for record in SCRIPTS:
        record.pop("_stdout", None)
        record.pop("_stderr", None)
    report["scripts"] = SCRIPTS
    report["logged"] = LOGGED
    with open(request["report"], "w", encoding="utf-8") as handle:
        json.dump(report, handle, sort_keys=True)
    sys.stdout.buffer.write(out)
    sys.stdout.buffer.flush()
    sys.stderr.buffer.write(err)
    sys.stderr.buffer.flush()
    return status


if __name__ == "__main__":
    sys.exit(main())
