#!/usr/bin/env python3
"""A test oracle: Ganeti's reading of attach output, per behaviour (spec/SPEC.md section 5).

Behaviour D (3.x) runs Ganeti 3.0's own code when it is installed (Debian's ganeti-3.0, under
/usr/share/ganeti/3.0, run with /usr/bin/python3): ExtStorageDevice.Attach and
GetUserspaceAccessUri from lib/storage/extstorage.py, on the text that utils/process.py's
Popen(..., encoding="utf-8") would read, that is io.TextIOWrapper(..., encoding="utf-8") over the
bytes (strict UTF-8, universal newlines). Only the script run and os.stat are replaced: attach
"prints" the case's bytes, and stat follows the kit's device model. Without Ganeti 3.0, and always
for A to C (Python 2 releases, which no machine here can run), it uses a model written the way
Ganeti's Python code reads: bytes for 2.x (ASCII-only lower()), str for 3.x.

Reads JSON lines {"id", "hex", "behaviour"} on stdin and writes JSON lines
{"id", "ok", "device", "uris", "select"} on stdout. The first line written is
{"ganeti": "<release>"} when Ganeti's code judges behaviour D, or {"ganeti": null}.

Device model (the kit's, without --stat): the node daemon stats from its working directory, /; a
path free of control bytes counts as an existing block device when it is absolute or starts with
"dev/".
"""
import io
import json
import logging
import os
import stat
import sys

HYPERVISORS = ["kvm", "xen-pvm", "xen-hvm", "lxc", "chroot", "fake"]
CONTROL = set(range(0x20)) | {0x7F}
GANETI_LIB = "/usr/share/ganeti/3.0"


def exists(path):
    data = path if isinstance(path, bytes) else path.encode("utf-8")
    placed = data[:1] == b"/" or data[:4] == b"dev/"
    return placed and not any(b in CONTROL for b in data)


def text(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def read_as_ganeti3(data):
    """What Popen(..., encoding="utf-8") hands Ganeti 3.x for output read in one piece."""
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8").read()


def model(data, behaviour):
    no_select = {h: None for h in HYPERVISORS}
    if behaviour == "D":
        try:
            out = read_as_ganeti3(data)
        except UnicodeDecodeError:
            return {"ok": False, "device": None, "uris": [], "select": no_select}
        newline = "\n"
    else:
        out = data  # Python 2 byte string
        newline = b"\n"

    if behaviour == "A":
        ok = exists(out)
        return {"ok": ok, "device": text(out) if ok else None, "uris": [], "select": no_select}

    result = out.split(newline)
    dev_path, uris = result[0], result[1:]
    if not dev_path:
        ok = behaviour != "B" and bool(uris)  # B stats "" and fails
        device = None
    else:
        ok = exists(dev_path)
        device = text(dev_path) if ok else None

    select = dict(no_select)
    if ok:
        for hypervisor in HYPERVISORS:
            prefix = hypervisor.lower() + ":"
            if behaviour != "D":
                prefix = prefix.encode("ascii")
            for uri in uris:
                head = uri[:len(prefix)]
                # bytes.lower() is ASCII-only; str.lower() is Unicode-aware
                if head.lower() == prefix:
                    select[hypervisor] = text(uri[len(prefix):])
                    break
    return {"ok": ok, "device": device, "uris": [text(u) for u in uris], "select": select}


class _ModelOs:
    """extstorage.py's `os`, with stat() answering by the device model."""

    def __getattr__(self, name):
        return getattr(os, name)

    @staticmethod
    def stat(path):
        if "\0" in path:
            raise ValueError("embedded null byte")  # what os.stat raises
        if not exists(path):
            raise FileNotFoundError(2, "No such file or directory", path)
        return os.stat_result((stat.S_IFBLK | 0o660, 0, 0, 1, 0, 0, 0, 0, 0, 0), {"st_rdev": os.makedev(7, 0)})


def load_ganeti():
    """Ganeti 3.0's extstorage module with the script run replaced, or None when not installed."""
    if not os.path.isdir(os.path.join(GANETI_LIB, "ganeti")):
        return None
    sys.path.insert(0, GANETI_LIB)
    try:
        from ganeti import constants, errors  # pylint: disable=import-outside-toplevel
        from ganeti.storage import extstorage  # pylint: disable=import-outside-toplevel
    except ImportError as err:
        sys.stderr.write("Ganeti 3.0 is installed but cannot be imported (%s): using the model\n" % err)
        return None
    extstorage.os = _ModelOs()
    logging.disable(logging.CRITICAL)  # Ganeti logs every refusal; the verdicts are what count
    return constants, errors, extstorage


def ganeti(modules, data):
    """Behaviour D by Ganeti's own ExtStorageDevice; attach's output is `data`."""
    _, errors, extstorage = modules
    no_select = {h: None for h in HYPERVISORS}

    def action(action_name, *_args, **_kwargs):
        assert action_name == "attach", action_name
        return read_as_ganeti3(data)  # raises UnicodeDecodeError as RunCmd would

    extstorage._ExtStorageAction = action  # pylint: disable=protected-access
    # Built in two steps to keep the object when Attach raises (os.stat of a path with NUL).
    device = extstorage.ExtStorageDevice.__new__(extstorage.ExtStorageDevice)
    try:
        device.__init__(("oracle", "vol"), [], 1, {}, {}, name=None, uuid=None)
    except UnicodeDecodeError:  # before the split: no URI lines at all
        return {"ok": False, "device": None, "uris": [], "select": no_select}
    except ValueError:
        return {"ok": False, "device": None, "uris": device.uris, "select": no_select}
    if not device.attached:
        return {"ok": False, "device": None, "uris": device.uris, "select": no_select}
    select = dict(no_select)
    for hypervisor in HYPERVISORS:
        try:
            select[hypervisor] = device.GetUserspaceAccessUri(hypervisor)
        except errors.BlockDeviceError:
            pass
    return {"ok": True, "device": device.dev_path, "uris": device.uris, "select": select}


def main():
    modules = load_ganeti()
    release = modules[0].RELEASE_VERSION if modules else None
    sys.stdout.write(json.dumps({"ganeti": release}) + "\n")
    for line in sys.stdin:
        case = json.loads(line)
        data = bytes.fromhex(case["hex"])
        if case["behaviour"] == "D" and modules:
            answer = ganeti(modules, data)
        else:
            answer = model(data, case["behaviour"])
        answer["id"] = case["id"]
        sys.stdout.write(json.dumps(answer) + "\n")


if __name__ == "__main__":
    main()
