#!/usr/bin/env python3
"""A test oracle: Ganeti's reading of attach output, written the way Ganeti's Python code does it.

It mirrors ExtStorageDevice.Attach and GetUserspaceAccessUri (lib/storage/extstorage.py) per
behaviour (spec/SPEC.md section 5), using real Python semantics: bytes for Ganeti 2.x (Python 2
byte strings, ASCII-only lower()), str for 3.x (strict UTF-8 decode, Unicode lower()).

Reads JSON lines {"id", "hex", "behaviour"} on stdin and writes JSON lines
{"id", "ok", "device", "uris", "select"} on stdout. Device existence uses the model of the spec:
an absolute path with no control character counts as an existing block device.
"""
import json
import sys

HYPERVISORS = ["kvm", "xen-pvm", "xen-hvm", "lxc", "chroot", "fake"]
CONTROL = set(range(0x20)) | {0x7F}


def exists(path):
    data = path if isinstance(path, bytes) else path.encode("utf-8")
    return data[:1] == b"/" and not any(b in CONTROL for b in data)


def text(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def interpret(data, behaviour):
    no_select = {h: None for h in HYPERVISORS}
    if behaviour == "D":
        try:
            out = data.decode("utf-8")  # strict, as Ganeti 3.x's RPC layer
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


def main():
    for line in sys.stdin:
        case = json.loads(line)
        answer = interpret(bytes.fromhex(case["hex"]), case["behaviour"])
        answer["id"] = case["id"]
        sys.stdout.write(json.dumps(answer) + "\n")


if __name__ == "__main__":
    main()
