#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# demo.sh [DURATION] - the whole system on a topology of its own.
#
#   client ns  10.77.1.2 --veth-- 10.77.1.1  gateway ns (edgesteer, XDP on gw-c)
#   up1 ns     10.77.2.2 --veth-- 10.77.2.1  nginx TLS, app.demo.test
#   up2 ns     10.77.3.2 --veth-- 10.77.3.1  nginx TLS, *.demo.org
#   coll ns    10.77.4.2 --veth-- 10.77.4.1  rsyslog, RFC 5425 over TLS
#
# The client fetches https://app.demo.test/ and https://www.demo.org/
# through the gateway's SNI proxy and sends syslog over UDP to the
# gateway, which forwards it to the collector over TLS. `edgesteer top`
# shows the rates live, refreshed every second. Without DURATION it runs until Ctrl-C; with
# DURATION=N it runs N seconds, then checks that traffic flowed end to end
# (both upstreams answered through the proxy, the collector received the
# messages, XDP counted both classes) and exits 0 only then.
# Everything it creates is removed on exit, also on Ctrl-C or failure.
set -u

duration=${1:-${DURATION:-}}
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) bin="$BUILD/edgesteer" ;; *) bin="$top/$BUILD/edgesteer" ;; esac
tag="esdemo$$"
work=$(mktemp -d /tmp/edgesteer-demo.XXXXXX)
pids=()

ns() { echo "${tag}-$1"; }
inns() { local n=$1; shift; ip netns exec "$(ns "$n")" "$@"; }
say() { printf '\033[1m== %s\033[0m\n' "$*"; }

cleanup() {
	trap - EXIT INT TERM
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for f in "$work"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
	sleep 0.3
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	for n in client gw up1 up2 coll; do ip netns del "$(ns $n)" 2>/dev/null; done
	rm -rf "/sys/fs/bpf/$tag" "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "demo: $*" >&2; [ -f "$work/edgesteer.log" ] && tail -n 20 "$work/edgesteer.log" >&2; exit 1; }

[ -x "$bin" ] || die "$bin not built; run 'make demo'"
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf

say "topology (namespaces $tag-*)"
for n in client gw up1 up2 coll; do ip netns add "$(ns $n)" || die "ip netns add"; inns $n ip link set lo up; done
link() { # peer-ns peer-if gw-if subnet
	ip link add "$3" netns "$(ns gw)" type veth peer name "$2" netns "$(ns "$1")" || die "veth $3"
	inns gw ip addr add "10.77.$4.1/24" dev "$3"
	inns "$1" ip addr add "10.77.$4.2/24" dev "$2"
	inns gw ip link set "$3" up
	inns "$1" ip link set "$2" up
	# no default route: every peer only talks to the gateway on its link,
	# and a resolver lookup fails at once instead of timing out (rsyslog
	# looks up its own name at start)
}
link client eth0 gw-c 1
link up1 eth0 gw-u1 2
link up2 eth0 gw-u2 3
link coll eth0 gw-l 4

say "certificates"
"$top/scripts/mkcerts.sh" "$work/up1" app.demo.test >/dev/null || die "mkcerts"
"$top/scripts/mkcerts.sh" "$work/up2" www.demo.org '*.demo.org' >/dev/null || die "mkcerts"
"$top/scripts/mkcerts.sh" "$work/coll" collector.demo.test >/dev/null || die "mkcerts"

say "nginx TLS upstreams"
nginx_up() { # ns addr dir page
	mkdir -p "$work/$1-tmp"
	cat > "$work/$1-nginx.conf" <<-EOF
	worker_processes 1;
	pid $work/$1-nginx.pid;
	error_log $work/$1-nginx.err;
	events { worker_connections 256; }
	http {
	    access_log off;
	    client_body_temp_path $work/$1-tmp/body;
	    proxy_temp_path $work/$1-tmp/proxy;
	    fastcgi_temp_path $work/$1-tmp/fcgi;
	    uwsgi_temp_path $work/$1-tmp/uwsgi;
	    scgi_temp_path $work/$1-tmp/scgi;
	    server {
	        listen $2:443 ssl;
	        ssl_certificate $3/server.crt;
	        ssl_certificate_key $3/server.key;
	        location / { default_type text/plain; return 200 "$4\n"; }
	    }
	}
	EOF
	inns "$1" nginx -c "$work/$1-nginx.conf" || die "nginx in $1"
}
nginx_up up1 10.77.2.2 "$work/up1" "hello from upstream 1 (app.demo.test)"
nginx_up up2 10.77.3.2 "$work/up2" "hello from upstream 2 (*.demo.org)"

say "rsyslog collector (TLS, RFC 5425)"
mkdir -p "$work/coll/spool"
cat > "$work/rsyslog.conf" <<EOF
global(workDirectory="$work/coll/spool"
       DefaultNetstreamDriver="ossl"
       DefaultNetstreamDriverCAFile="$work/coll/ca.crt"
       DefaultNetstreamDriverCertFile="$work/coll/server.crt"
       DefaultNetstreamDriverKeyFile="$work/coll/server.key")
module(load="imtcp" StreamDriver.Name="ossl" StreamDriver.Mode="1" StreamDriver.AuthMode="anon")
input(type="imtcp" port="6514" address="10.77.4.2")
action(type="omfile" file="$work/coll/received.log" template="RSYSLOG_FileFormat")
EOF
inns coll rsyslogd -n -f "$work/rsyslog.conf" -i "$work/rsyslog.pid" 2>"$work/rsyslog.err" &
pids+=($!)
# rsyslog accepts TCP before its TLS worker runs; wait for a real handshake
for _ in $(seq 50); do
	inns coll timeout 1 openssl s_client -connect 10.77.4.2:6514 -CAfile "$work/coll/ca.crt" \
		</dev/null >/dev/null 2>&1 && break
	sleep 0.1
done

say "edgesteer on the gateway"
cat > "$work/edgesteer.conf" <<EOF
[global]
control_socket = $work/control.sock
pin_path = /sys/fs/bpf/$tag
metrics_listen = 127.0.0.1:9464

[xdp]
interfaces = gw-c
mode = auto
syslog_ports = 514
proxy_ports = 443
syslog_rate_pps = 1000
syslog_burst = 2000
deny_proxy = 192.0.2.0/24
on_exit = detach

[proxy web]
listen = 10.77.1.1:443
protocol = tls
route = app.demo.test 10.77.2.2:443
route = *.demo.org 10.77.3.2:443
hello_timeout = 5s

[syslog]
listen = 10.77.1.1:514
max_message = 8192

[forward central]
collector = 10.77.4.2:6514
ca = $work/coll/ca.crt
server_name = collector.demo.test
spool_dir = $work/spool
EOF
mkdir -p "$work/spool"
"$bin" check -c "$work/edgesteer.conf" || die "demo config does not validate"
# nsenter --net, not `ip netns exec`: the latter remounts /sys, which hides
# the host's bpffs where the maps are pinned.
nsenter --net="/run/netns/$(ns gw)" "$bin" run ${DEMO_VERBOSE:+-v} -c "$work/edgesteer.conf" 2>"$work/edgesteer.log" &
pids+=($!)
# Start-up verifies two XDP programs (about a second idle, several on a
# loaded machine); wait up to 30 s.
for _ in $(seq 300); do
	"$bin" status -s "$work/control.sock" >/dev/null 2>&1 && break
	sleep 0.1
done
"$bin" status -s "$work/control.sock" || die "edgesteer did not come up"

fetch() { # name expected-text
	inns client curl -sS --max-time 3 --cacert "$2" --resolve "$1:443:10.77.1.1" "https://$1/"
}

# Traffic in the background, once a second: both names through the proxy,
# five syslog messages. Its counts go to files for the check at the end.
traffic() {
	local ok1=0 ok2=0 sent=0
	while :; do
		fetch app.demo.test "$work/up1/ca.crt" 2>/dev/null | grep -q "upstream 1" && ok1=$((ok1 + 1))
		fetch www.demo.org "$work/up2/ca.crt" 2>/dev/null | grep -q "upstream 2" && ok2=$((ok2 + 1))
		for _ in 1 2 3 4 5; do
			sent=$((sent + 1))
			inns client logger --server 10.77.1.1 --port 514 --udp --rfc5424 -t demo "demo message $sent"
		done
		echo "$ok1 $ok2 $sent" > "$work/traffic.tmp" && mv "$work/traffic.tmp" "$work/traffic"
		sleep 1
	done
}
say "traffic: HTTPS through the SNI proxy, syslog over UDP${duration:+ for ${duration}s}"
traffic &
tpid=$!
pids+=($tpid)
# The live view: rates per interface, route, listener and collector.
# Without DURATION it runs until 'q' or Ctrl-C.
"$bin" top -s "$work/control.sock" -d 1 ${duration:+-n "$duration"}
kill "$tpid" 2>/dev/null
wait "$tpid" 2>/dev/null
read -r ok1 ok2 sent < "$work/traffic" 2>/dev/null || { ok1=0 ok2=0 sent=0; }

say "checking that traffic flowed end to end"
# let the forwarder deliver the last messages: up to 10 s on a busy machine
for _ in $(seq 20); do
	got=$(grep -c 'demo message' "$work/coll/received.log" 2>/dev/null || echo 0)
	[ "$got" -lt "$sent" ] || break
	sleep 0.5
done
json=$("$bin" stats --json -s "$work/control.sock")
xdp_count() { # class
	python3 -c 'import json,sys
d=json.load(sys.stdin)
print(sum(m["value"] for m in d["metrics"] if m["name"]=="edgesteer_xdp_packets_total"
          and m["labels"].get("class")==sys.argv[1] and m["labels"].get("verdict")=="pass"))' "$1" <<<"$json"
}
xs=$(xdp_count syslog) xp=$(xdp_count proxy)
echo "upstream1 answers: $ok1, upstream2 answers: $ok2, syslog sent: $sent, collector received: $got"
echo "XDP passed: syslog $xs packets, proxy $xp packets"
fail=0
[ "$ok1" -gt 0 ] || { echo "FAIL: no answer from upstream 1 through the proxy"; fail=1; }
[ "$ok2" -gt 0 ] || { echo "FAIL: no answer from upstream 2 through the proxy"; fail=1; }
[ "$got" -eq "$sent" ] || { echo "FAIL: collector received $got of $sent messages"; fail=1; }
[ "$xs" -ge "$sent" ] || { echo "FAIL: XDP counted $xs syslog packets for $sent sent"; fail=1; }
[ "$xp" -gt 0 ] || { echo "FAIL: XDP counted no proxy packets"; fail=1; }
if [ $fail = 0 ]; then
	say "demo OK: traffic flowed end to end"
else
	"$bin" stats -s "$work/control.sock" | grep -A2 -E 'syslog_forward_(up|sent|failures)'
	tail -n 20 "$work/edgesteer.log" "$work/rsyslog.err"
fi
exit $fail
