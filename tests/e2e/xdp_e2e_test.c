// SPDX-License-Identifier: GPL-2.0-only
/*
 * The XDP data plane end to end: two network namespaces joined by a veth
 * pair, A (client, 10.201.0.1 / fd00:201::1) and G (gateway, 10.201.0.2 /
 * fd00:201::2). `edgesteer attach` puts the program on G's veth; real
 * traffic goes from A to G: logger(1) over UDP for syslog, socat TCP
 * sessions for the proxy class, ping for `other`. The expected counts
 * come from A's own kernel counters (Tcp OutSegs + RetransSegs, Udp and
 * Udp6 OutDatagrams in A's namespace, where nothing else runs), and
 * `edgesteer stats --json` must show exactly those, per class and verdict.
 *
 * A tun device in G covers an interface without an Ethernet header: the
 * test writes IP packets to it as a VPN daemon would, and the kernel
 * receives them on the tun (where XDP sees the IP header first).
 *
 * Every test uses its own namespaces, veth names and pin path (PID in the
 * name) and removes them in teardown; ports are in 20000-20999.
 */
#include "harness.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "bpf/frames.h"
#include "xdp/bpfctl.h"
#include "core/conf.h"
#include "edgesteer_abi.h"
#include "core/log.h"

#define SYSLOG_PORT 20514
#define PROXY_PORT 20443

FIXTURE(xdp) {
	char a[48], g[48];		/* namespaces */
	char va[IFNAMSIZ], vg[IFNAMSIZ];	/* veth ends */
	char tun[IFNAMSIZ];
	char dir[96];			/* scratch: configs, listener output */
	char conf[128];
	char pin[96];
	const char *bin;
	long st[ES_CLASS_MAX][ES_VERDICT_MAX];	/* last stats read */
};

FIXTURE_SETUP(xdp)
{
	int pid = getpid();

	self->bin = getenv("EDGESTEER") ? getenv("EDGESTEER") : "build/edgesteer";
	snprintf(self->a, sizeof(self->a), "es-xdp-%d-a", pid);
	snprintf(self->g, sizeof(self->g), "es-xdp-%d-g", pid);
	snprintf(self->va, sizeof(self->va), "esxa%d", pid);
	snprintf(self->vg, sizeof(self->vg), "esxg%d", pid);
	snprintf(self->tun, sizeof(self->tun), "esxt%d", pid);
	snprintf(self->dir, sizeof(self->dir), "/tmp/es-xdp-e2e-%d", pid);
	snprintf(self->conf, sizeof(self->conf), "%s/edgesteer.conf", self->dir);
	snprintf(self->pin, sizeof(self->pin), "/sys/fs/bpf/es-test-xdp-%d", pid);
	th_sh("ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null; rm -rf %s; "
	      "%s detach -p %s >/dev/null 2>&1", self->a, self->g, self->dir, self->bin, self->pin);
	if (th_sh("mkdir -p %s && ip netns add %s && ip netns add %s && "
		  "ip -n %s link add %s type veth peer name %s netns %s && "
		  "ip -n %s link set lo up && ip -n %s link set lo up && "
		  "ip -n %s addr add 10.201.0.1/24 dev %s && ip -n %s addr add fd00:201::1/64 dev %s nodad && "
		  "ip -n %s addr add 10.201.0.2/24 dev %s && ip -n %s addr add fd00:201::2/64 dev %s nodad && "
		  "ip -n %s link set %s up && ip -n %s link set %s up",
		  self->dir, self->a, self->g, self->a, self->va, self->vg, self->g,
		  self->a, self->g,
		  self->a, self->va, self->a, self->va,
		  self->g, self->vg, self->g, self->vg,
		  self->a, self->va, self->g, self->vg))
		SKIP(return, "cannot create namespaces and a veth pair (not root?)");
	if (access(self->bin, X_OK))
		SKIP(return, "%s not built", self->bin);
}

FIXTURE_TEARDOWN(xdp)
{
	th_sh("[ -f %s/pids ] && kill $(cat %s/pids) 2>/dev/null; "
	      "nsenter --net=/run/netns/%s %s detach -p %s >/dev/null 2>&1; "
	      "ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null; rm -rf %s %s",
	      self->dir, self->dir, self->g, self->bin, self->pin, self->a, self->g, self->dir, self->pin);
}

static void write_conf(struct th_fixture_xdp *self, const char *ifaces, const char *extra)
{
	FILE *f = fopen(self->conf, "w");

	ASSERT_TRUE(f != NULL);
	fprintf(f, "[global]\npin_path = %s\n\n[xdp]\ninterfaces = %s\nsyslog_ports = %d\n"
		"proxy_ports = %d\n%s\n", self->pin, ifaces, SYSLOG_PORT, PROXY_PORT, extra);
	fclose(f);
}

/* `edgesteer CMD -c CONF` inside the gateway namespace. */
static int es_g(struct th_fixture_xdp *self, const char *cmd)
{
	return th_sh("nsenter --net=/run/netns/%s %s %s -c %s", self->g, self->bin, cmd, self->conf);
}

/* Read `stats --json` for iface into self->st; 0 when the iface is there. */
static int read_stats(struct th_fixture_xdp *self, const char *iface)
{
	char out[2048], *p;
	int c, v, n = 0;

	memset(self->st, 0, sizeof(self->st));
	if (th_sh_out(out, sizeof(out),
		      "nsenter --net=/run/netns/%s %s stats --json -c %s | python3 -c '"
		      "import json,sys\n"
		      "d=json.load(sys.stdin)\n"
		      "for m in d[\"metrics\"]:\n"
		      "  l=m[\"labels\"]\n"
		      "  if m[\"name\"]==\"edgesteer_xdp_packets_total\" and l[\"iface\"]==sys.argv[1]:\n"
		      "    print(l[\"class\"],l[\"verdict\"],m[\"value\"])\n' %s",
		      self->g, self->bin, self->conf, iface))
		return -1;
	for (p = strtok(out, "\n"); p; p = strtok(NULL, "\n")) {
		char cls[16], verdict[32];
		long val;

		if (sscanf(p, "%15s %31s %ld", cls, verdict, &val) != 3)
			continue;
		for (c = 0; c < ES_CLASS_MAX; c++)
			for (v = 0; v < ES_VERDICT_MAX; v++)
				if (!strcmp(cls, bpfctl_class_name(c)) && !strcmp(verdict, bpfctl_verdict_name(v))) {
					self->st[c][v] = val;
					n++;
				}
	}
	return n == ES_CLASS_MAX * ES_VERDICT_MAX ? 0 : -1;
}

/* Packets A has sent: TCP segments (with retransmissions), UDP datagrams (v4 + v6). */
static void sent_by_a(struct th_fixture_xdp *self, long *tcp, long *udp)
{
	char out[128];

	ASSERT_EQ(th_sh_out(out, sizeof(out),
			    "ip netns exec %s python3 -c '"
			    "def snmp(k):\n"
			    "  L=[l.split() for l in open(\"/proc/net/snmp\") if l.startswith(k+\":\")]\n"
			    "  return dict(zip(L[0][1:],map(int,L[1][1:])))\n"
			    "t=snmp(\"Tcp\"); u=snmp(\"Udp\")\n"
			    "u6=dict((l.split()[0],int(l.split()[1])) for l in open(\"/proc/net/snmp6\"))\n"
			    "print(t[\"OutSegs\"]+t[\"RetransSegs\"], u[\"OutDatagrams\"]+u6[\"Udp6OutDatagrams\"])'",
			    self->a), 0);
	ASSERT_EQ(sscanf(out, "%ld %ld", tcp, udp), 2);
}

/* sent_by_a() once A's stack has gone quiet: the same counts 300 ms
 * apart (delayed ACKs, the ACK of the last FIN), at most 5 s. A fixed
 * sleep could snapshot before a late ACK, which XDP then counts too. */
static void sent_by_a_settled(struct th_fixture_xdp *self, long *tcp, long *udp)
{
	double end = th_now() + 5;
	long t, u;

	sent_by_a(self, &t, &u);
	do {
		usleep(300000);
		sent_by_a(self, tcp, udp);
		if (*tcp == t && *udp == u)
			return;
		t = *tcp;
		u = *udp;
	} while (th_now() < end);
}

/* Poll stats until (cls, verdict) reaches want (the veth delivers
 * asynchronously), then require it to be exactly want. */
static void expect_count(struct th_fixture_xdp *self, const char *iface, int cls, int verdict, long want)
{
	double end = th_now() + 3;

	do {
		ASSERT_EQ(read_stats(self, iface), 0);
		if (self->st[cls][verdict] >= want)
			break;
		usleep(50000);
	} while (th_now() < end);
	if (self->st[cls][verdict] != want)
		TH_LOG("%s/%s: %ld, want %ld", bpfctl_class_name(cls), bpfctl_verdict_name(verdict),
		       self->st[cls][verdict], want);
	EXPECT_EQ(self->st[cls][verdict], want);
}

static void send_syslog(struct th_fixture_xdp *self, const char *dst, int n)
{
	int i;

	for (i = 0; i < n; i++)
		ASSERT_EQ(th_sh("ip netns exec %s logger --server %s --port %d --udp -t es-xdp-e2e 'message %d'",
				self->a, dst, SYSLOG_PORT, i), 0);
}

/* A TCP echo server in G on PROXY_PORT (both families). */
static void start_echo(struct th_fixture_xdp *self)
{
	ASSERT_EQ(th_sh("ip netns exec %s socat TCP6-LISTEN:%d,ipv6only=0,reuseaddr,fork EXEC:cat "
			">/dev/null 2>&1 & echo $! >> %s/pids", self->g, PROXY_PORT, self->dir), 0);
	ASSERT_EQ(th_wait_sh(10000, "ip netns exec %s ss -Htln 'sport = :%d' | grep -q LISTEN",
			     self->g, PROXY_PORT), 0);
}

/* One TCP session from A: connect, send a line, read the echo, close. */
static int tcp_session(struct th_fixture_xdp *self, const char *dst)
{
	return th_sh("echo hello | ip netns exec %s timeout 5 socat -T2 - TCP:%s:%d,connect-timeout=2 "
		     ">/dev/null 2>&1", self->a, dst, PROXY_PORT);
}

static uint32_t prog_id(struct th_fixture_xdp *self, const char *ns, const char *iface)
{
	char out[64];

	if (th_sh_out(out, sizeof(out), "ip -n %s -d link show dev %s | grep -o 'prog/xdp id [0-9]*' | "
		      "grep -o '[0-9]*$'", ns, iface))
		return 0;
	return (uint32_t)strtoul(out, NULL, 10);
}

static void every_class(struct th_metadata *_metadata, struct th_fixture_xdp *self, const char *mode)
{
	long tcp0, udp0, tcp1, udp1;
	char extra[64], out[4096];
	uint32_t id, id2;

	snprintf(extra, sizeof(extra), "mode = %s", mode);
	write_conf(self, self->vg, extra);
	ASSERT_EQ(es_g(self, "attach"), 0);
	id = prog_id(self, self->g, self->vg);
	ASSERT_NE(id, 0);
	ASSERT_EQ(th_sh("ip -n %s -d link show dev %s | grep -q '%s'", self->g, self->vg,
			!strcmp(mode, "generic") ? "xdpgeneric" : "xdp "), 0);
	ASSERT_EQ(th_sh("test -e %s/es_stats -a -e %s/link_%s", self->pin, self->pin, self->vg), 0);
	start_echo(self);
	ASSERT_EQ(read_stats(self, self->vg), 0);
	sent_by_a(self, &tcp0, &udp0);

	send_syslog(self, "10.201.0.2", 5);
	send_syslog(self, "fd00:201::2", 4);
	ASSERT_EQ(tcp_session(self, "10.201.0.2"), 0);
	ASSERT_EQ(tcp_session(self, "[fd00:201::2]"), 0);
	ASSERT_EQ(th_sh("ip netns exec %s ping -q -c 3 -i 0.2 10.201.0.2 >/dev/null", self->a), 0);
	sent_by_a_settled(self, &tcp1, &udp1);
	TH_LOG("%s: A sent %ld UDP datagrams and %ld TCP segments", mode, udp1 - udp0, tcp1 - tcp0);
	EXPECT_EQ(udp1 - udp0, 9);
	EXPECT_GE(tcp1 - tcp0, 10);	/* two sessions: handshake, data, echo, close */

	expect_count(self, self->vg, ES_CLASS_SYSLOG, ES_V_PASS, udp1 - udp0);
	expect_count(self, self->vg, ES_CLASS_PROXY, ES_V_PASS, tcp1 - tcp0);
	EXPECT_GE(self->st[ES_CLASS_OTHER][ES_V_PASS], 3);	/* pings, plus ARP/ND */
	for (int c = 0; c < ES_CLASS_MAX; c++)
		for (int v = 1; v < ES_VERDICT_MAX; v++)
			EXPECT_EQ(self->st[c][v], 0);

	/* the human table names the interface and the mode */
	ASSERT_EQ(th_sh_out(out, sizeof(out), "nsenter --net=/run/netns/%s %s stats -c %s", self->g,
			    self->bin, self->conf), 0);
	EXPECT_TRUE(strstr(out, self->vg) != NULL);
	EXPECT_TRUE(strstr(out, mode) != NULL);
	EXPECT_TRUE(strstr(out, "drop-ratelimit") != NULL);
	/* bpftool prints named fields from BTF */
	ASSERT_EQ(th_sh("bpftool map dump pinned %s/es_ifaces | grep -q '\"name\": \"%s\"'",
			self->pin, self->vg), 0);
	ASSERT_EQ(th_sh("bpftool map dump pinned %s/es_stats | grep -q '\"later_fragments\"'", self->pin), 0);

	/* pins of maps an older version had (now part of es_tables) go at
	 * the next start; the global-variable maps are pinned by name */
	ASSERT_EQ(th_sh("bpftool map create %s/es_rl4 type array key 4 value 16 entries 1 name es_rl4 && "
			"bpftool map create %s/es_dir4_l1 type array key 4 value 8 entries 1 name es_dir4_l1",
			self->pin, self->pin), 0);

	/* a controller restart: maps reused, program replaced atomically,
	 * counters continue */
	ASSERT_EQ(es_g(self, "attach"), 0);
	EXPECT_NE(th_sh("test -e %s/es_rl4 -o -e %s/es_dir4_l1", self->pin, self->pin), 0);
	EXPECT_EQ(th_sh("test -e %s/es_tables -a -e %s/es_config -a -e %s/es_trace", self->pin, self->pin,
			self->pin), 0);
	id2 = prog_id(self, self->g, self->vg);
	EXPECT_NE(id2, 0);
	EXPECT_NE(id2, id);
	ASSERT_EQ(read_stats(self, self->vg), 0);
	EXPECT_EQ(self->st[ES_CLASS_SYSLOG][ES_V_PASS], udp1 - udp0);
	send_syslog(self, "10.201.0.2", 2);
	expect_count(self, self->vg, ES_CLASS_SYSLOG, ES_V_PASS, udp1 - udp0 + 2);

	/* detach: no program, no pin */
	ASSERT_EQ(es_g(self, "detach"), 0);
	EXPECT_EQ(prog_id(self, self->g, self->vg), 0);
	EXPECT_NE(th_sh("test -e %s", self->pin), 0);
	EXPECT_EQ(th_wait_sh(3000, "! bpftool prog show id %u >/dev/null 2>&1", id2), 0);
	EXPECT_EQ(th_wait_sh(3000, "! bpftool prog show id %u >/dev/null 2>&1", id), 0);
	/* and detaching again is harmless */
	EXPECT_EQ(es_g(self, "detach"), 0);
}

TEST_F_TIMEOUT(xdp, native_counts_every_class, 60)
{
	every_class(_metadata, self, "native");
}

TEST_F_TIMEOUT(xdp, generic_counts_every_class, 60)
{
	every_class(_metadata, self, "generic");
}

TEST_F_TIMEOUT(xdp, deny_and_rate_limit_drop_real_traffic, 60)
{
	long tcp0, udp0, tcp1, udp1;

	write_conf(self, self->vg,
		   "deny_syslog = 10.201.0.1/32\n"
		   "deny_proxy = fd00:201::1/128\n"
		   "syslog_rate_pps = 1\nsyslog_burst = 3\n");
	ASSERT_EQ(es_g(self, "attach"), 0);
	start_echo(self);
	sent_by_a(self, &tcp0, &udp0);

	/* v4 syslog from a denied source: every datagram dropped by policy */
	send_syslog(self, "10.201.0.2", 4);
	expect_count(self, self->vg, ES_CLASS_SYSLOG, ES_V_DROP_POLICY, 4);
	/* v6 syslog: 3 in the burst, the rest over the rate (sent from one
	 * process in a tight loop, so no token can come back in between) */
	ASSERT_EQ(th_sh("ip netns exec %s python3 -c '"
			"import socket\n"
			"s=socket.socket(socket.AF_INET6,socket.SOCK_DGRAM)\n"
			"for i in range(7): s.sendto(b\"<13>1 - h app - - - burst %%d\" %% i,(\"fd00:201::2\",%d))'",
			self->a, SYSLOG_PORT), 0);
	expect_count(self, self->vg, ES_CLASS_SYSLOG, ES_V_PASS, 3);
	expect_count(self, self->vg, ES_CLASS_SYSLOG, ES_V_DROP_RATELIMIT, 4);

	/* v6 TCP from a denied source never connects; v4 does */
	EXPECT_NE(tcp_session(self, "[fd00:201::2]"), 0);
	sent_by_a_settled(self, &tcp1, &udp1);
	EXPECT_EQ(udp1 - udp0, 11);
	EXPECT_GE(tcp1 - tcp0, 1);
	expect_count(self, self->vg, ES_CLASS_PROXY, ES_V_DROP_POLICY, tcp1 - tcp0);
	EXPECT_EQ(self->st[ES_CLASS_PROXY][ES_V_PASS], 0);
	sent_by_a(self, &tcp0, &udp0);
	EXPECT_EQ(tcp_session(self, "10.201.0.2"), 0);
	sent_by_a_settled(self, &tcp1, &udp1);
	expect_count(self, self->vg, ES_CLASS_PROXY, ES_V_PASS, tcp1 - tcp0);
}

/*
 * A SYN flood from one address of A is dropped at the NIC (20 SYNs in a
 * tight loop: exactly the 3 of the burst pass), while a second address
 * of A, with a bucket of its own, connects at once.
 */
TEST_F_TIMEOUT(xdp, proxy_syn_flood_dropped_other_source_connects, 60)
{
	write_conf(self, self->vg, "proxy_syn_rate_pps = 1\nproxy_syn_burst = 3\n");
	ASSERT_EQ(th_sh("ip -n %s addr add 10.201.0.3/24 dev %s", self->a, self->va), 0);
	ASSERT_EQ(es_g(self, "attach"), 0);
	start_echo(self);
	ASSERT_EQ(th_sh("ip netns exec %s python3 -c '"
			"import socket,time\n"
			"ss=[]\n"
			"for i in range(20):\n"
			"  s=socket.socket(); s.setblocking(False); s.bind((\"10.201.0.1\",0))\n"
			"  s.connect_ex((\"10.201.0.2\",%d)); ss.append(s)\n"
			"time.sleep(0.3)'",
			self->a, PROXY_PORT), 0);
	expect_count(self, self->vg, ES_CLASS_PROXY, ES_V_DROP_RATELIMIT, 17);
	EXPECT_EQ(th_sh("echo hello | ip netns exec %s timeout 5 socat -T2 - "
			"TCP:10.201.0.2:%d,bind=10.201.0.3,connect-timeout=2 >/dev/null 2>&1",
			self->a, PROXY_PORT), 0);
	ASSERT_EQ(read_stats(self, self->vg), 0);
	EXPECT_EQ(self->st[ES_CLASS_PROXY][ES_V_DROP_RATELIMIT], 17);
}

/*
 * Live reconfiguration through bpfctl, as the daemon does on reload: the
 * deny rule goes away by a map update, the program stays the same one.
 */
TEST_F_TIMEOUT(xdp, live_update_without_reattach, 60)
{
	struct bpfctl *b = NULL;
	struct conf *c = NULL;
	char nspath[96];
	uint32_t id;
	long other;
	int fd;

	write_conf(self, self->vg, "deny_syslog = 10.201.0.0/24\n");
	ASSERT_EQ(conf_load(self->conf, &c, NULL), 0);
	/* run bpfctl inside the gateway namespace, as the daemon would */
	snprintf(nspath, sizeof(nspath), "/run/netns/%s", self->g);
	fd = open(nspath, O_RDONLY);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(setns(fd, CLONE_NEWNET), 0);
	close(fd);
	log_set_level(LOG_WARNING);
	ASSERT_EQ(bpfctl_open(c, &b), 0);
	ASSERT_EQ(bpfctl_attached(b), 1);
	id = prog_id(self, self->g, self->vg);
	ASSERT_NE(id, 0);
	send_syslog(self, "10.201.0.2", 3);
	expect_count(self, self->vg, ES_CLASS_SYSLOG, ES_V_DROP_POLICY, 3);
	conf_free(c);

	write_conf(self, self->vg, "");
	ASSERT_EQ(conf_load(self->conf, &c, NULL), 0);
	ASSERT_EQ(bpfctl_apply(b, c), 0);
	EXPECT_EQ(prog_id(self, self->g, self->vg), id);
	send_syslog(self, "10.201.0.2", 2);
	expect_count(self, self->vg, ES_CLASS_SYSLOG, ES_V_PASS, 2);
	EXPECT_EQ(self->st[ES_CLASS_SYSLOG][ES_V_DROP_POLICY], 3);
	/* a port change, live as well */
	conf_free(c);
	write_conf(self, self->vg, "");
	ASSERT_EQ(th_sh("sed -i 's/^syslog_ports = .*/syslog_ports = 20515/' %s", self->conf), 0);
	ASSERT_EQ(conf_load(self->conf, &c, NULL), 0);
	ASSERT_EQ(bpfctl_apply(b, c), 0);
	ASSERT_EQ(read_stats(self, self->vg), 0);
	other = self->st[ES_CLASS_OTHER][ES_V_PASS];
	send_syslog(self, "10.201.0.2", 1);	/* to 20514: now other */
	usleep(200000);
	ASSERT_EQ(read_stats(self, self->vg), 0);
	EXPECT_GE(self->st[ES_CLASS_OTHER][ES_V_PASS], other + 1);	/* ARP may add more */
	EXPECT_EQ(self->st[ES_CLASS_SYSLOG][ES_V_PASS], 2);
	EXPECT_EQ(prog_id(self, self->g, self->vg), id);

	/* fail-static: closing without detach leaves the program counting */
	bpfctl_close(b, false);
	EXPECT_EQ(prog_id(self, self->g, self->vg), id);
	/* on_exit = detach: closing removes it */
	ASSERT_EQ(bpfctl_open(c, &b), 0);
	bpfctl_close(b, true);
	EXPECT_EQ(prog_id(self, self->g, self->vg), 0);
	EXPECT_NE(th_sh("test -e %s", self->pin), 0);
	conf_free(c);
}

TEST_F_TIMEOUT(xdp, steering_delivers_through_cpumap, 60)
{
	char out[64];
	long n = 0;

	write_conf(self, self->vg, sysconf(_SC_NPROCESSORS_ONLN) > 1 ? "steer_syslog = cpus 0-1\n"
								       : "steer_syslog = cpu 0\n");
	ASSERT_EQ(es_g(self, "attach"), 0);
	/* A veth sender leaves UDP checksums to "hardware" (CHECKSUM_PARTIAL);
	 * a redirected frame loses that skb state and would fail the
	 * checksum in G. Real NICs put complete checksums on the wire. */
	ASSERT_EQ(th_sh("ip netns exec %s ethtool -K %s tx off >/dev/null", self->a, self->va), 0);
	/* a UDP receiver in G counts what reaches the socket */
	ASSERT_EQ(th_sh("ip netns exec %s python3 -c '"
			"import socket\n"
			"s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
			"s.bind((\"10.201.0.2\",%d)); n=0\n"
			"while True:\n"
			"  s.recv(65535); n+=1\n"
			"  open(\"%s/recv.tmp\",\"w\").write(str(n))\n"
			"  __import__(\"os\").rename(\"%s/recv.tmp\",\"%s/recv\")\n"
			"' >/dev/null 2>&1 & echo $! >> %s/pids",
			self->g, SYSLOG_PORT, self->dir, self->dir, self->dir, self->dir), 0);
	ASSERT_EQ(th_wait_sh(10000, "ip netns exec %s ss -Huln 'sport = :%d' | grep -q %d",
			     self->g, SYSLOG_PORT, SYSLOG_PORT), 0);
	send_syslog(self, "10.201.0.2", 6);
	expect_count(self, self->vg, ES_CLASS_SYSLOG, ES_V_STEER, 6);
	EXPECT_EQ(self->st[ES_CLASS_SYSLOG][ES_V_PASS], 0);
	EXPECT_EQ(th_wait_sh(3000, "test \"$(cat %s/recv 2>/dev/null)\" = 6", self->dir), 0);
	th_sh_out(out, sizeof(out), "cat %s/recv 2>/dev/null", self->dir);
	n = strtol(out, NULL, 10);
	EXPECT_EQ(n, 6);
}

/* An interface without an Ethernet header: a tun device in G. */
TEST_F_TIMEOUT(xdp, tun_device_parsed_from_ip_header, 60)
{
	struct frame_spec specs[] = {
		{ .l3 = 1, .family = 4, .proto = IPPROTO_UDP, .src = "10.202.0.2", .dst = "10.202.0.1",
		  .dport = SYSLOG_PORT, .payload = 40 },
		{ .l3 = 1, .family = 6, .proto = IPPROTO_UDP, .src = "fd00:202::2", .dst = "fd00:202::1",
		  .dport = SYSLOG_PORT, .payload = 40 },
		{ .l3 = 1, .family = 4, .proto = IPPROTO_TCP, .src = "10.202.0.2", .dst = "10.202.0.1",
		  .dport = PROXY_PORT },
		{ .l3 = 1, .family = 4, .proto = IPPROTO_UDP, .src = "10.202.0.2", .dst = "10.202.0.1",
		  .dport = 53 },
	};
	int want[] = { ES_CLASS_SYSLOG, ES_CLASS_SYSLOG, ES_CLASS_PROXY, ES_CLASS_OTHER };
	long count[ES_CLASS_MAX] = { 0 };
	char nspath[96], out[4096], both[2 * IFNAMSIZ + 2];
	struct ifreq ifr;
	uint8_t f[FRAME_MAX];
	size_t i, len;
	int fd, tfd, round;

	snprintf(nspath, sizeof(nspath), "/run/netns/%s", self->g);
	fd = open(nspath, O_RDONLY);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(setns(fd, CLONE_NEWNET), 0);
	close(fd);
	tfd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (tfd < 0)
		SKIP(return, "no /dev/net/tun: %s", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", self->tun);
	ASSERT_EQ(ioctl(tfd, TUNSETIFF, &ifr), 0);
	ASSERT_EQ(th_sh("ip addr add 10.202.0.1/24 dev %s && ip addr add fd00:202::1/64 dev %s nodad && "
			"ip link set %s up", self->tun, self->tun, self->tun), 0);
	/* first on both interfaces, then on the tun only: the next attach
	 * takes the program off the interface the config no longer names */
	snprintf(both, sizeof(both), "%s %s", self->tun, self->vg);
	write_conf(self, both, "");
	ASSERT_EQ(th_sh("%s attach -c %s", self->bin, self->conf), 0);
	ASSERT_NE(prog_id(self, self->g, self->vg), 0);
	write_conf(self, self->tun, "");
	ASSERT_EQ(th_sh("%s attach -c %s", self->bin, self->conf), 0);
	EXPECT_EQ(prog_id(self, self->g, self->vg), 0);
	EXPECT_NE(th_sh("test -e %s/link_%s", self->pin, self->vg), 0);
	ASSERT_NE(prog_id(self, self->g, self->tun), 0);
	ASSERT_EQ(th_sh_out(out, sizeof(out), "%s stats -c %s", self->bin, self->conf), 0);
	EXPECT_TRUE(strstr(out, "IP header") != NULL);

	for (round = 0; round < 3; round++)
		for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
			len = frame_build(&specs[i], f, NULL);
			ASSERT_EQ(write(tfd, f, len), (ssize_t)len);
			count[want[i]]++;
		}
	expect_count(self, self->tun, ES_CLASS_SYSLOG, ES_V_PASS, count[ES_CLASS_SYSLOG]);
	expect_count(self, self->tun, ES_CLASS_PROXY, ES_V_PASS, count[ES_CLASS_PROXY]);
	/* XDP sees only what the tun receives: exactly what was written */
	expect_count(self, self->tun, ES_CLASS_OTHER, ES_V_PASS, count[ES_CLASS_OTHER]);
	/* a truncated packet is malformed on an IP-first device too */
	len = frame_build(&specs[0], f, NULL);
	ASSERT_EQ(write(tfd, f, 24), 24);
	expect_count(self, self->tun, ES_CLASS_OTHER, ES_V_DROP_MALFORMED, 1);

	ASSERT_EQ(th_sh("%s detach -c %s >/dev/null 2>&1", self->bin, self->conf), 0);
	EXPECT_NE(th_sh("ip -d link show dev %s | grep -q prog/xdp", self->tun), 0);
	close(tfd);
}

TEST_HARNESS_MAIN
