#!/usr/bin/env python3
"""Where a quartetd metrics directory's bytes go, per block section and per
series kind (docs/formats/block.md and metrics.md describe the formats).

    bench/metrics_vs_prometheus/block_bytes.py <data-dir>/metrics [samples]

Prints, summed over the blocks: each section's stored (on disk) and raw
bytes; then the value streams by series kind (histogram buckets, _sum,
_count, other counters, gauges) in raw bytes and bits per sample, with how
many chunks are based on their neighbour; files other than blocks (WAL,
catalog). Needs the zstd command for the series section.
"""
import collections
import os
import struct
import subprocess
import sys


def varint(buf, pos):
    shift = result = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7


def sections(data):
    footer_offset, footer_len = struct.unpack_from("<QI", data, len(data) - 32)
    pos, out = footer_offset, {}
    count, pos = varint(data, pos)
    for _ in range(count):
        n, pos = varint(data, pos)
        name = data[pos:pos + n].decode()
        pos += n
        offset, pos = varint(data, pos)
        stored, pos = varint(data, pos)
        raw, pos = varint(data, pos)
        codec = data[pos]
        pos += 5  # codec, crc
        out[name] = (offset, stored, raw, codec)
    return out, footer_len + 32 + 8


def section_bytes(data, sec):
    offset, stored, _, codec = sec
    body = data[offset:offset + stored]
    if codec == 1:
        body = subprocess.run(["zstd", "-d", "-c"], input=body, capture_output=True,
                              check=True).stdout
    return body


def strings(buf):
    n, pos = varint(buf, 0)
    lens = []
    for _ in range(n):
        l, pos = varint(buf, pos)
        lens.append(l)
    out = []
    for l in lens:
        out.append(buf[pos:pos + l].decode())
        pos += l
    return out


def kind(name):
    for suffix, k in (("_bucket", "histogram _bucket"), ("_sum", "histogram/summary _sum"),
                      ("_count", "histogram/summary _count"), ("_total", "counter _total")):
        if name.endswith(suffix):
            return k
    return "gauge, info, other"


def main():
    root = sys.argv[1]
    samples = float(sys.argv[2]) if len(sys.argv) > 2 else 0
    by_section = collections.Counter()
    raw_section = collections.Counter()
    kinds = collections.defaultdict(lambda: [0, 0, 0, 0, 0])  # series, samples, bytes, chunks, based
    other = collections.Counter()
    for dirpath, _, files in os.walk(root):
        for f in files:
            path = os.path.join(dirpath, f)
            data = open(path, "rb").read()
            if not data.startswith(b"QRTBLOCK"):
                other[os.path.relpath(path, root).split("/")[0]] += len(data)
                continue
            secs, framing = sections(data)
            by_section["(header, footer, trailer)"] += framing
            for name, sec in secs.items():
                key = "values.N" if name.startswith("values.") else name
                by_section[key] += sec[1]
                raw_section[key] += sec[2]
            if "series" not in secs:
                continue
            symbols = strings(section_bytes(data, secs["symbols"]))
            buf = section_bytes(data, secs["series"])
            n, pos = varint(buf, 0)
            for _ in range(n):
                nl, pos = varint(buf, pos)
                name = ""
                for _ in range(nl):
                    a, pos = varint(buf, pos)
                    b, pos = varint(buf, pos)
                    if symbols[a] == "__name__":
                        name = symbols[b]
                _, pos = varint(buf, pos)  # page
                nc, pos = varint(buf, pos)
                k = kinds[kind(name)]
                k[0] += 1
                for _ in range(nc):
                    for _ in range(2):
                        _, pos = varint(buf, pos)
                    s, pos = varint(buf, pos)
                    _, pos = varint(buf, pos)
                    lb, pos = varint(buf, pos)
                    k[1] += s
                    k[2] += lb >> 1
                    k[3] += 1
                    k[4] += lb & 1
    total = sum(by_section.values()) + sum(other.values())
    print("%-28s %12s %12s %9s" % ("section (all blocks)", "stored B", "raw B", "B/sample"))
    for name, b in sorted(by_section.items(), key=lambda kv: -kv[1]):
        print("%-28s %12d %12d %9.3f" % (name, b, raw_section.get(name, b),
                                         b / samples if samples else 0))
    for name, b in sorted(other.items()):
        print("%-28s %12d %12s %9.3f" % ("file: " + name, b, "", b / samples if samples else 0))
    print("%-28s %12d %12s %9.3f" % ("total", total, "", total / samples if samples else 0))
    print("\n%-28s %8s %10s %12s %9s %8s" % ("value streams by kind", "series", "samples",
                                            "raw B", "bits/smp", "based"))
    for name, (ns, sm, b, ch, based) in sorted(kinds.items()):
        print("%-28s %8d %10d %12d %9.2f %7.0f%%" % (name, ns, sm, b, 8.0 * b / max(sm, 1),
                                                     100.0 * based / max(ch, 1)))


if __name__ == "__main__":
    main()
