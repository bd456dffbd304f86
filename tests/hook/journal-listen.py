#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# A stand-in for journald or a syslog daemon, for tests/hook/test-journal.sh.
#
#   journal-listen.py listen SOCKET OUT   bind an AF_UNIX datagram socket at
#       SOCKET; append each datagram to OUT as one JSON object per line: the
#       journal's native protocol (KEY=VALUE lines, or KEY, a 64-bit
#       little-endian length and the value) as {KEY: [VALUE...]}, anything
#       else (a syslog line, "<PRI>...") as {"SYSLOG": [TEXT]}. Ends on SIGTERM.
#   journal-listen.py get OUT FIELD KEY=VALUE...   the values of FIELD of the
#       records that have every KEY=VALUE, one a line ("journalctl KEY=VALUE
#       -o json" in short).
import json, os, signal, socket, struct, sys


def parse(data):
    rec = {}
    if not data[:1].isalpha() and not data[:1] == b"_":
        return {"SYSLOG": [data.decode(errors="replace")]}
    while data:
        nl = data.find(b"\n")
        line, rest = (data, b"") if nl < 0 else (data[:nl], data[nl + 1:])
        if b"=" in line:
            key, value = line.split(b"=", 1)
            data = rest
        else:
            key = line
            (n,) = struct.unpack("<Q", rest[:8])
            value, data = rest[8:8 + n], rest[8 + n + 1:]
        rec.setdefault(key.decode(), []).append(value.decode(errors="replace"))
    return rec


def listen(path, out):
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    os.chmod(path, 0o666)
    with open(out, "a") as f:
        while True:
            data = s.recv(1 << 20)
            f.write(json.dumps(parse(data)) + "\n")
            f.flush()


def get(out, field, conds):
    want = [c.split("=", 1) for c in conds]
    with open(out) as f:
        for line in f:
            rec = json.loads(line)
            if all(v in rec.get(k, []) for k, v in want):
                for v in rec.get(field, []):
                    print(v)


if sys.argv[1] == "listen":
    listen(sys.argv[2], sys.argv[3])
else:
    get(sys.argv[2], sys.argv[3], sys.argv[4:])
