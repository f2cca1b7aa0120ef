#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Write the crafted part of the seed corpus of tests/fuzz/sni.c.

The real hellos in tests/fuzz/corpus/sni/ (openssl_*, curl_*, bearssl_*)
were captured from the clients themselves with tests/fuzz/capture_hello.sh
(bearssl_* with a ten-line br_ssl_client program); the hellos below have shapes this machine's clients do not send:
GREASE everywhere, an ECH outer hello, a post-quantum-sized key share
(X25519MLKEM768, about 1.7 KB in all) and hellos fragmented over several
TLS records. Deterministic: the same bytes on every run.
Usage: mk_sni_corpus.py DIR
"""
import os
import random
import struct
import sys

rnd = random.Random(3)


def rb(n):
    return bytes(rnd.getrandbits(8) for _ in range(n))


def u16(v):
    return struct.pack('>H', v)


def vec16(b):
    return u16(len(b)) + b


def ext(t, body):
    return u16(t) + vec16(body)


def sni(name):
    n = name.encode()
    return ext(0, vec16(b'\x00' + vec16(n)))


def key_share(shares):
    return ext(0x33, vec16(b''.join(u16(g) + vec16(k) for g, k in shares)))


def client_hello(exts, ciphers=(0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f)):
    cs = b''.join(u16(c) for c in ciphers)
    body = b'\x03\x03' + rb(32) + b'\x20' + rb(32) + vec16(cs) + b'\x01\x00' + vec16(b''.join(exts))
    return b'\x01' + struct.pack('>I', len(body))[1:] + body


def records(hs, frag=16384):
    out = b''
    for i in range(0, len(hs), frag):
        f = hs[i:i + frag]
        out += b'\x16\x03\x01' + vec16(f)
    return out


GREASE = [0x0a0a, 0x1a1a, 0x2a2a, 0x3a3a, 0x4a4a]
common = [
    ext(0x0a, vec16(u16(GREASE[2]) + u16(0x11ec) + u16(0x1d) + u16(0x17))),   # groups
    ext(0x0d, vec16(u16(0x0403) + u16(0x0804) + u16(0x0401))),                # sig algs
    ext(0x2b, bytes([6]) + u16(GREASE[3]) + u16(0x0304) + u16(0x0303)),       # versions
    ext(0x10, vec16(b'\x02h2' + b'\x08http/1.1')),                           # ALPN
]


def main(d):
    os.makedirs(d, exist_ok=True)
    files = {}
    # GREASE in ciphers, extensions, groups, key share
    files['crafted_grease.bin'] = records(client_hello(
        [ext(GREASE[0], b''), sni('grease.example.com')] + common +
        [key_share([(GREASE[2], b'\x00'), (0x1d, rb(32))]), ext(GREASE[1], b'\x00')],
        ciphers=(GREASE[4], 0x1301, 0x1302)))
    # ECH outer hello: the outer SNI is the public name
    ech = b'\x00' + u16(1) + u16(1) + b'\x2a' + vec16(rb(32)) + vec16(rb(239))
    files['crafted_ech_outer.bin'] = records(client_hello(
        [sni('public.example.net')] + common + [key_share([(0x1d, rb(32))]), ext(0xfe0d, ech)]))
    # Post-quantum sized: X25519MLKEM768 share (1216 bytes) + x25519
    pq = client_hello([sni('pq.example.com')] + common +
                      [key_share([(GREASE[2], b'\x00'), (0x11ec, rb(1216)), (0x1d, rb(32))]),
                       ext(0x15, bytes(260))])    # padding, as browsers add
    files['crafted_pq_1700.bin'] = records(pq)
    # the same hello over two records, and over many small ones
    files['crafted_pq_two_records.bin'] = records(pq, frag=(len(pq) + 1) // 2)
    files['crafted_small_records.bin'] = records(
        client_hello([sni('frag.example.com')] + common + [key_share([(0x1d, rb(32))])]), frag=37)
    # no extensions at all, and extensions without server_name
    files['crafted_no_ext.bin'] = records(b'\x01\x00\x00\x29\x03\x03' + rb(32) + b'\x00\x00\x02\x00\x2f\x01\x00')
    files['crafted_trailing_dot_upper.bin'] = records(client_hello([sni('Mixed.Example.COM.')] + common))
    # HTTP heads for the Host parser
    files['http_get.txt'] = b'GET / HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: t\r\nAccept: */*\r\n\r\n'
    files['http_port.txt'] = b'POST /x?y=1 HTTP/1.1\r\nContent-Length: 0\r\nhost:  API.example.com:8080 \r\n\r\n'
    files['http_abs.txt'] = b'GET http://abs.example.com/p HTTP/1.1\r\nHost: other.example.com\r\n\r\n'
    files['http_v6.txt'] = b'GET / HTTP/1.1\nHost: [2001:db8::1]:80\n\n'
    files['http10_nohost.txt'] = b'GET / HTTP/1.0\r\n\r\n'
    for name, data in files.items():
        with open(os.path.join(d, name), 'wb') as f:
            f.write(data)
        print(f'{name}: {len(data)} bytes')


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'tests/fuzz/corpus/sni')
