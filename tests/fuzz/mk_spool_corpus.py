#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Write the seed corpus of tests/fuzz/spool.c.

Each seed is [flags][n][n bytes: position file][spool file], the input
format of the fuzzer; the spool format is the one described at the top
of user/syslog/spool.c. Seeds: a good spool with and without a position
file, one with a damaged record in the middle, one with a torn last
record, one with a position file of another spool, one pointing inside a
record, a version-1 spool with its old position file, an empty file and
a file that is no spool at all. Deterministic: the same bytes on every
run. Usage: mk_spool_corpus.py DIR
"""
import os
import struct
import sys
import zlib

FILE_ID = 0x1122334455667788
REC_MAGIC = bytes([0xf3, 0x5d, 0xa7, 0x1c])


def header(fid=FILE_ID, version=2):
    h = b"EDGSPOOL" + struct.pack("<IIQI", version, 32, fid, 0)
    return h + struct.pack("<I", zlib.crc32(h))


def record(seq, payload, fid=FILE_ID):
    body = struct.pack("<IQ", len(payload), seq)
    crc = zlib.crc32(payload, zlib.crc32(body, zlib.crc32(struct.pack("<Q", fid))))
    return REC_MAGIC + body + struct.pack("<I", crc) + payload


def msg(seq):
    return b"<13>1 2026-12-07T06:00:00Z gw app - - - message %d " % seq + b"x" * (seq % 40)


def spool(seqs, fid=FILE_ID):
    recs = [record(q, msg(q), fid) for q in seqs]
    offs, off = [], 0
    for r in recs:
        offs.append(off)
        off += len(r)
    return header(fid) + b"".join(recs), offs


def seed(flags, pos, data):
    return bytes([flags, len(pos)]) + pos + data


def pos_file(off, fid=FILE_ID):
    return b"edgesteer-spool 2 id=%016x pos=%d\n" % (fid, off)


def main(out):
    os.makedirs(out, exist_ok=True)
    good, offs = spool(range(100, 110))
    seeds = {
        "good_no_pos": seed(0, b"", good),
        "good_pos": seed(2, pos_file(offs[4]), good),
        "good_pos_end": seed(2, pos_file(len(good) - 32), good),
        "pos_other_spool": seed(2, pos_file(offs[4], FILE_ID ^ 1), good),
        "pos_inside_record": seed(2, pos_file(offs[4] + 7), good),
        "pos_garbage": seed(2, b"\x00\xffedgesteer-spool 9 id=zz\n", good),
    }
    # a payload byte of the fifth record flipped, and the length of the eighth
    mid = bytearray(good)
    mid[32 + offs[4] + 25] ^= 0x20
    mid[32 + offs[7] + 5] ^= 0x7f
    seeds["damaged_middle"] = seed(2, pos_file(offs[2]), bytes(mid))
    seeds["damaged_middle_repair"] = seed(1, b"", bytes(mid))
    seeds["torn_last"] = seed(0, b"", good[:-9])
    seeds["torn_header_only"] = seed(0, b"", good[:32 + offs[9] + 11])
    # a message that carries a record of its own
    inner = record(7, b"inner", 0)
    carrier = header() + record(1, b"abc" + inner + b"def") + record(2, msg(2))
    seeds["embedded_record"] = seed(0, b"", carrier)
    # version 1: [u32 len][u64 seq][bytes] from offset 0, and a bare offset
    v1, off1, pos1 = b"", 0, 0
    for q in range(50, 56):
        if q == 53:
            pos1 = off1
        r = struct.pack("<IQ", len(msg(q)), q) + msg(q)
        v1 += r
        off1 += len(r)
    seeds["v1_pos"] = seed(2, b"%d\n" % pos1, v1)
    seeds["v1_torn"] = seed(0, b"", v1[:-5])
    seeds["empty"] = seed(0, b"", b"")
    seeds["not_a_spool"] = seed(0, b"", b"root:x:0:0:root:/root:/bin/bash\n" * 4)
    seeds["bad_version"] = seed(0, b"", header(version=3) + good[32:])
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/fuzz/corpus/spool")
