"""What Ganeti 3.0's ExtStorageDevice makes of attach outputs, one JSON line per output.

Run with Debian's /usr/bin/python3. The provider named by --provider (in --search-path) must have
an attach script that prints the bytes of the file in $EXTP_CASE. For each file given, a fresh
ExtStorageDevice is built (its constructor runs attach, as bdev.FindDevice does), then
GetUserspaceAccessUri is asked for every hypervisor Ganeti knows (constants.HYPER_TYPES).

  attach_verdicts.py --search-path DIR --log-dir DIR --provider NAME CASE_FILE...

Prints {"case", "ok", "dev_path", "uris", "select": {hypervisor: uri or null}, "raised"}; "ok" is
whether Ganeti considers the device attached. A call that raises (e.g. UnicodeDecodeError: Ganeti 3
decodes attach's output as strict UTF-8) is not ok, as the node daemon's call would fail.
"""

import argparse
import json
import sys

sys.path.insert(0, "/usr/share/ganeti/3.0")

# pylint: disable=wrong-import-position
from ganeti import constants, errors, pathutils  # noqa: E402
from ganeti.storage import extstorage  # noqa: E402


def verdict(provider, case):
    params = {"provider": provider, "access": "kernelspace", "case": case}
    line = {"case": case, "ok": False, "dev_path": None, "uris": [], "select": {}, "raised": None}
    try:
        device = extstorage.ExtStorageDevice((provider, "differential.ext.disk0"), [], 64, params, {},
                                             name=None, uuid=None)
    except Exception as err:  # pylint: disable=broad-except
        line["raised"] = "%s: %s" % (type(err).__name__, err)
        return line
    line.update(ok=device.attached, dev_path=device.dev_path, uris=device.uris)
    for hypervisor in sorted(constants.HYPER_TYPES):
        try:
            line["select"][hypervisor] = device.GetUserspaceAccessUri(hypervisor)
        except errors.BlockDeviceError:
            line["select"][hypervisor] = None
    return line


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--search-path", required=True)
    parser.add_argument("--log-dir", required=True)
    parser.add_argument("--provider", required=True)
    parser.add_argument("cases", nargs="+")
    args = parser.parse_args()
    pathutils.ES_SEARCH_PATH = [args.search_path]
    pathutils.LOG_ES_DIR = args.log_dir
    for case in args.cases:
        print(json.dumps(verdict(args.provider, case), sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
