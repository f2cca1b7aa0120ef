#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Capture the first bytes a real TLS client sends (its ClientHello) into a
# seed file for tests/fuzz/corpus/sni/. A listener on 127.0.0.1:PORT keeps
# whatever arrives within a second of the connection and never answers.
#   tests/fuzz/capture_hello.sh OUT PORT CLIENT-COMMAND...
# e.g.
#   tests/fuzz/capture_hello.sh openssl_tls13_sni.bin 21001 \
#       openssl s_client -connect 127.0.0.1:21001 -servername app.example.com
#   tests/fuzz/capture_hello.sh curl_sni.bin 21001 \
#       curl -sk --resolve api.example.com:21001:127.0.0.1 https://api.example.com:21001/
# After adding a seed, give it an expectation in tests/unit/proxy/sni_test.c.
set -eu
out=$1 port=$2
shift 2
python3 - "$out" "$port" <<'PY' &
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[2])))
s.listen(1)
s.settimeout(10)
c, _ = s.accept()
c.settimeout(1.0)
data = b""
try:
    while True:
        d = c.recv(65536)
        if not d:
            break
        data += d
except socket.timeout:
    pass
open(sys.argv[1], "wb").write(data)
PY
listener=$!
sleep 0.3
timeout 3 "$@" </dev/null >/dev/null 2>&1 || true
wait "$listener"
echo "$out: $(stat -c %s "$out") bytes"
