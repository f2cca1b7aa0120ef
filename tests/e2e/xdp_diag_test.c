// SPDX-License-Identifier: GPL-2.0-only
/*
 * Diagnostics end to end: `edgesteer trace` and the top talkers.
 * Namespaces A (client, 10.201.x.1 /
 * fd00:20x::1) and G (gateway) joined by a veth, the XDP program attached
 * on G's end with `edgesteer attach`, real traffic from A (logger(1) over
 * UDP for syslog, socat TCP sessions for the proxy class, ping for
 * `other`) while `edgesteer trace --pcap` runs in G. The pcapng file must
 * open with `tcpdump -r` and hold exactly the frames the filter names
 * (count, addresses, ports), each with its verdict in the packet comment.
 * Three senders at different rates: `stats --talkers` ranks them, the
 * metrics count each one exactly.
 *
 * Names carry the PID; ports are in 21000-21999.
 */
#include "harness.h"

#include <net/if.h>
#include <signal.h>
#include <sys/wait.h>

#include "edgesteer_abi.h"

#define SYSLOG_PORT 21514
#define PROXY_PORT 21443

FIXTURE(trace) {
	char a[48], g[48];
	char va[IFNAMSIZ], vg[IFNAMSIZ];
	char dir[96], conf[160], pin[96];
	const char *bin;
};

FIXTURE_SETUP(trace)
{
	int pid = getpid();

	self->bin = getenv("EDGESTEER") ? getenv("EDGESTEER") : "build/edgesteer";
	snprintf(self->a, sizeof(self->a), "es-trace-%d-a", pid);
	snprintf(self->g, sizeof(self->g), "es-trace-%d-g", pid);
	snprintf(self->va, sizeof(self->va), "estra%d", pid);
	snprintf(self->vg, sizeof(self->vg), "estrg%d", pid);
	snprintf(self->dir, sizeof(self->dir), "/tmp/es-trace-e2e-%d", pid);
	snprintf(self->conf, sizeof(self->conf), "%s/edgesteer.conf", self->dir);
	snprintf(self->pin, sizeof(self->pin), "/sys/fs/bpf/es-test-trace-%d", pid);
	th_sh("ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null; rm -rf %s", self->a, self->g,
	      self->dir);
	if (th_sh("mkdir -p %s && ip netns add %s && ip netns add %s && "
		  "ip -n %s link add %s type veth peer name %s netns %s && "
		  "ip -n %s link set lo up && ip -n %s link set lo up && "
		  "ip -n %s addr add 10.202.0.1/24 dev %s && ip -n %s addr add fd00:202::1/64 dev %s nodad && "
		  "ip -n %s addr add 10.202.0.2/24 dev %s && ip -n %s addr add fd00:202::2/64 dev %s nodad && "
		  "ip -n %s link set %s up && ip -n %s link set %s up",
		  self->dir, self->a, self->g, self->a, self->va, self->vg, self->g, self->a, self->g,
		  self->a, self->va, self->a, self->va, self->g, self->vg, self->g, self->vg,
		  self->a, self->va, self->g, self->vg))
		SKIP(return, "cannot create namespaces and a veth pair (not root?)");
	if (access(self->bin, X_OK))
		SKIP(return, "%s not built", self->bin);
	if (th_sh("command -v tcpdump >/dev/null"))
		SKIP(return, "tcpdump not installed (scripts/deps.sh)");
}

FIXTURE_TEARDOWN(trace)
{
	th_sh("[ -f %s/pids ] && kill $(cat %s/pids) 2>/dev/null; "
	      "nsenter --net=/run/netns/%s %s detach -p %s >/dev/null 2>&1; "
	      "ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null; rm -rf %s %s",
	      self->dir, self->dir, self->g, self->bin, self->pin, self->a, self->g, self->dir, self->pin);
}

static void setup_gateway(struct th_metadata *_metadata, struct th_fixture_trace *self, const char *extra)
{
	FILE *f = fopen(self->conf, "w");

	ASSERT_TRUE(f != NULL);
	fprintf(f, "[global]\npin_path = %s\n\n[xdp]\ninterfaces = %s\nmode = generic\n"
		"syslog_ports = %d\nproxy_ports = %d\n%s\n", self->pin, self->vg, SYSLOG_PORT,
		PROXY_PORT, extra);
	fclose(f);
	ASSERT_EQ(th_sh("nsenter --net=/run/netns/%s %s attach -c %s >/dev/null 2>&1", self->g, self->bin,
			self->conf), 0);
	ASSERT_EQ(th_sh("ip netns exec %s socat TCP6-LISTEN:%d,ipv6only=0,reuseaddr,fork EXEC:cat "
			">/dev/null 2>&1 & echo $! >> %s/pids", self->g, PROXY_PORT, self->dir), 0);
	ASSERT_EQ(th_wait_sh(10000, "ip netns exec %s ss -Htln 'sport = :%d' | grep -q LISTEN", self->g,
			     PROXY_PORT), 0);
}

/* Start `edgesteer trace ARGS --pcap DIR/NAME.pcapng` in G; wait until
 * its filter is in place. Returns its PID. */
static pid_t start_trace(struct th_metadata *_metadata, struct th_fixture_trace *self, const char *name,
			 const char *args)
{
	char out[32];

	ASSERT_EQ(th_sh_out(out, sizeof(out),
			    "nsenter --net=/run/netns/%s %s trace -c %s %s --seconds 60 --pcap %s/%s.pcapng "
			    ">%s/%s.txt 2>%s/%s.err & echo $!; echo $! >> %s/pids",
			    self->g, self->bin, self->conf, args, self->dir, name, self->dir, name, self->dir,
			    name, self->dir), 0);
	ASSERT_EQ(th_wait_sh(10000, "grep -q tracing %s/%s.err", self->dir, name), 0);
	return (pid_t)strtol(out, NULL, 10);
}

/* SIGINT the trace and wait (bounded) for it to write its summary. */
static void stop_trace(struct th_metadata *_metadata, struct th_fixture_trace *self, const char *name,
		       pid_t pid)
{
	ASSERT_GT(pid, 0);
	kill(pid, SIGINT);
	ASSERT_EQ(th_wait_sh(10000, "grep -q 'frames recorded' %s/%s.err", self->dir, name), 0);
	ASSERT_EQ(th_wait_sh(5000, "! kill -0 %d 2>/dev/null", (int)pid), 0);
}

/* Frames of class `cls` seen by XDP so far (from stats --json). */
static long class_pass(struct th_fixture_trace *self, const char *cls)
{
	char out[64];

	if (th_sh_out(out, sizeof(out),
		      "nsenter --net=/run/netns/%s %s stats --json -c %s | python3 -c '"
		      "import json,sys\n"
		      "d=json.load(sys.stdin)\n"
		      "print(sum(m[\"value\"] for m in d[\"metrics\"] if m[\"name\"]==\"edgesteer_xdp_packets_total\""
		      " and m[\"labels\"][\"class\"]==sys.argv[1] and m[\"labels\"][\"verdict\"]==\"pass\"))' %s",
		      self->g, self->bin, self->conf, cls))
		return -1;
	return strtol(out, NULL, 10);
}

static void wait_class(struct th_fixture_trace *self, const char *cls, long want)
{
	double end = th_now() + 5;

	while (class_pass(self, cls) < want && th_now() < end)
		usleep(50000);
}

static void traffic(struct th_metadata *_metadata, struct th_fixture_trace *self, int v4_syslog,
		    int v6_syslog, int tcp_sessions)
{
	int i;

	for (i = 0; i < v4_syslog; i++)
		ASSERT_EQ(th_sh("ip netns exec %s logger --server 10.202.0.2 --port %d --udp -t es-trace "
				"'message %d'", self->a, SYSLOG_PORT, i), 0);
	for (i = 0; i < v6_syslog; i++)
		ASSERT_EQ(th_sh("ip netns exec %s logger --server fd00:202::2 --port %d --udp -t es-trace "
				"'message %d'", self->a, SYSLOG_PORT, i), 0);
	for (i = 0; i < tcp_sessions; i++)
		ASSERT_EQ(th_sh("echo hello | ip netns exec %s timeout 5 socat -T2 - "
				"TCP:10.202.0.2:%d,connect-timeout=2 >/dev/null 2>&1", self->a, PROXY_PORT), 0);
	ASSERT_EQ(th_sh("ip netns exec %s ping -q -c 2 -i 0.2 10.202.0.2 >/dev/null", self->a), 0);
}

/* `tcpdump -r FILE -nn` line count matching an extended regex, -1 if
 * tcpdump cannot read the file. */
static long tcpdump_count(struct th_fixture_trace *self, const char *name, const char *grep)
{
	char out[32];

	if (th_sh("tcpdump -r %s/%s.pcapng -nn >%s/%s.dump 2>%s/%s.dump.err", self->dir, name, self->dir,
		  name, self->dir, name))
		return -1;
	if (th_sh_out(out, sizeof(out), "grep -cE '%s' %s/%s.dump || true", grep, self->dir, name))
		return -1;
	return strtol(out, NULL, 10);
}

static long file_lines(struct th_fixture_trace *self, const char *name)
{
	char out[32];

	if (th_sh_out(out, sizeof(out), "wc -l < %s/%s.dump", self->dir, name))
		return -1;
	return strtol(out, NULL, 10);
}

/*
 * Syslog from A's IPv4 address only: the IPv4 datagrams, not the IPv6
 * ones, the TCP sessions or the pings; every frame has its verdict in
 * its packet comment, and the text summary has one line per frame.
 */
TEST_F(trace, syslog_from_one_source_exactly)
{
	pid_t pid;
	long dump_all, matched;

	setup_gateway(_metadata, self, "");
	pid = start_trace(_metadata, self, "t1", "--class syslog --src 10.202.0.1/32 --rate 1000");
	traffic(_metadata, self, 6, 3, 2);
	wait_class(self, "syslog", 9);
	stop_trace(_metadata, self, "t1", pid);

	matched = tcpdump_count(self, "t1", "IP 10\\.202\\.0\\.1\\.[0-9]+ > 10\\.202\\.0\\.2\\.21514: (SYSLOG|UDP)");
	dump_all = file_lines(self, "t1");
	th_sh("head -3 %s/t1.dump >&2; cat %s/t1.err >&2", self->dir, self->dir);
	EXPECT_EQ(matched, 6);
	EXPECT_EQ(dump_all, 6);
	/* the verdict of each frame, in its pcapng packet comment */
	EXPECT_EQ(th_sh("test $(grep -ac 'verdict=pass class=syslog reason=none iface=%s' %s/t1.pcapng) -ge 1",
			self->vg, self->dir), 0);
	EXPECT_EQ(th_sh("test $(grep -ao 'verdict=pass class=syslog' %s/t1.pcapng | wc -l) -eq 6", self->dir), 0);
	/* and the text summaries */
	EXPECT_EQ(th_sh("test $(grep -c 'syslog pass .*10.202.0.1:[0-9]* > 10.202.0.2:21514 udp' %s/t1.txt) -eq 6",
			self->dir), 0);
}

/*
 * The proxy class dropped by policy, IPv4 and IPv6 together: every TCP
 * segment A sent to the proxy port and nothing else, each marked
 * drop-policy; --count stops the trace by itself.
 */
TEST_F(trace, proxy_drops_with_count)
{
	pid_t pid;
	long n;

	setup_gateway(_metadata, self, "deny_proxy = 10.202.0.0/24\n");
	pid = start_trace(_metadata, self, "t2", "--class proxy --verdict drop-policy --count 3 --snap 64");
	/* connect attempts: SYNs that the program drops (the client
	 * retries after 1 s, so each attempt sends two) */
	for (int i = 0; i < 2; i++)
		th_sh("ip netns exec %s timeout 5 socat -T1 - TCP:10.202.0.2:%d,connect-timeout=2 </dev/null "
		      ">/dev/null 2>&1", self->a, PROXY_PORT);
	traffic(_metadata, self, 2, 0, 0);
	ASSERT_EQ(th_wait_sh(10000, "grep -q 'frames recorded' %s/t2.err", self->dir), 0);
	(void)pid;
	n = tcpdump_count(self, "t2", "IP 10\\.202\\.0\\.1\\.[0-9]+ > 10\\.202\\.0\\.2\\.21443: Flags \\[S\\]");
	th_sh("cat %s/t2.dump %s/t2.err >&2", self->dir, self->dir);
	EXPECT_EQ(n, 3);
	EXPECT_EQ(file_lines(self, "t2"), 3);
	EXPECT_EQ(th_sh("test $(grep -ao 'verdict=drop-policy class=proxy' %s/t2.pcapng | wc -l) -eq 3",
			self->dir), 0);
}

/*
 * `stats --rules` and the rule metrics: the deny prefix that dropped A's
 * SYNs and the allow prefix that passed its syslog, each with the frames
 * it decided; a rule nothing matched shows 0.
 */
TEST_F(trace, rule_hits_from_the_cli)
{
	char out[256];
	long syn, hits;

	setup_gateway(_metadata, self, "deny_proxy = 10.202.0.0/24\nallow_syslog = 10.202.0.0/24 fd00:202::/64\n"
		      "deny_syslog = 198.51.100.0/24\n");
	traffic(_metadata, self, 4, 2, 0);
	th_sh("ip netns exec %s timeout 5 socat -T1 - TCP:10.202.0.2:%d,connect-timeout=2 </dev/null "
	      ">/dev/null 2>&1", self->a, PROXY_PORT);
	wait_class(self, "syslog", 6);
	ASSERT_EQ(th_sh("nsenter --net=/run/netns/%s %s stats --rules -c %s >%s/rules.txt", self->g, self->bin,
			self->conf, self->dir), 0);
	th_sh("cat %s/rules.txt >&2", self->dir);
	ASSERT_EQ(th_sh_out(out, sizeof(out), "awk '$1==\"syslog\" && $2==\"allow\" && $3==\"10.202.0.0/24\" "
			    "{print $4}' %s/rules.txt", self->dir), 0);
	EXPECT_EQ(strtol(out, NULL, 10), 4);
	ASSERT_EQ(th_sh_out(out, sizeof(out), "awk '$1==\"syslog\" && $2==\"allow\" && $3==\"fd00:202::/64\" "
			    "{print $4}' %s/rules.txt", self->dir), 0);
	EXPECT_EQ(strtol(out, NULL, 10), 2);
	ASSERT_EQ(th_sh_out(out, sizeof(out), "awk '$1==\"syslog\" && $2==\"deny\" {print $4}' %s/rules.txt",
			    self->dir), 0);
	EXPECT_EQ(strtol(out, NULL, 10), 0);
	ASSERT_EQ(th_sh_out(out, sizeof(out), "awk '$1==\"proxy\" && $2==\"deny\" {print $4}' %s/rules.txt",
			    self->dir), 0);
	syn = strtol(out, NULL, 10);
	EXPECT_GE(syn, 2);	/* the SYN and its retransmission */
	/* the same count as a metric, labelled by the prefix */
	ASSERT_EQ(th_sh_out(out, sizeof(out),
			    "nsenter --net=/run/netns/%s %s stats --json -c %s | python3 -c '"
			    "import json,sys\n"
			    "d=json.load(sys.stdin)\n"
			    "print(sum(m[\"value\"] for m in d[\"metrics\"] if m[\"name\"]==\"edgesteer_xdp_rule_hits_total\""
			    " and m[\"labels\"]==dict(**{\"class\":\"proxy\",\"list\":\"deny\",\"prefix\":\"10.202.0.0/24\"})))'",
			    self->g, self->bin, self->conf), 0);
	hits = strtol(out, NULL, 10);
	EXPECT_EQ(hits, syn);
}

/*
 * Three syslog senders in A (three addresses) at 300, 60 and 8 frames
 * per second for 3 s: `stats --talkers`, taken while they send, ranks
 * them by rate; with talkers_sample = 1 the metrics count each one's
 * frames exactly.
 */
TEST_F(trace, talkers_three_senders)
{
	static const char *const src[3] = { "10.202.0.1", "10.202.0.11", "10.202.0.12" };
	static const int rate[3] = { 300, 60, 8 };
	char out[256];
	long sent[3], got;
	int i;

	setup_gateway(_metadata, self, "talkers_sample = 1");
	ASSERT_EQ(th_sh("ip -n %s addr add 10.202.0.11/24 dev %s && ip -n %s addr add 10.202.0.12/24 dev %s",
			self->a, self->va, self->a, self->va), 0);
	ASSERT_EQ(th_sh("cat > %s/send.py <<'EOF'\n"
			"import socket,sys,time\n"
			"src,rate,dur=sys.argv[1],float(sys.argv[2]),float(sys.argv[3])\n"
			"s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind((src,0))\n"
			"n=0; t0=time.monotonic(); open(sys.argv[4],'w').close()\n"
			"while time.monotonic()-t0<dur:\n"
			"  if n<(time.monotonic()-t0)*rate:\n"
			"    s.sendto(b'<13>talker',('10.202.0.2',%d)); n+=1\n"
			"  else: time.sleep(0.001)\n"
			"print(n)\n"
			"EOF", self->dir, SYSLOG_PORT), 0);
	/* the ranking is read a second after the last sender started: on a
	 * busy machine starting python alone can take a second */
	ASSERT_EQ(th_sh("D=%s; timeout 30 sh -c '"
			"ip netns exec %s python3 $0/send.py %s %d 3 $0/ready0 >$0/sent0 & "
			"ip netns exec %s python3 $0/send.py %s %d 3 $0/ready1 >$0/sent1 & "
			"ip netns exec %s python3 $0/send.py %s %d 3 $0/ready2 >$0/sent2 & "
			"i=0; while [ $i -lt 200 ] && ! [ -e $0/ready0 -a -e $0/ready1 -a -e $0/ready2 ]; do "
			"sleep 0.05; i=$((i+1)); done; "
			"sleep 1; nsenter --net=/run/netns/%s %s stats --talkers -c %s >$0/talkers.txt; wait' $D",
			self->dir, self->a, src[0], rate[0], self->a, src[1], rate[1], self->a, src[2], rate[2],
			self->g, self->bin, self->conf), 0);
	th_sh("cat %s/talkers.txt >&2", self->dir);
	/* the ranking, read while they sent */
	ASSERT_EQ(th_sh_out(out, sizeof(out), "awk '$1==\"syslog\" && $2==\"pass\" {print $3}' %s/talkers.txt | "
			    "head -3 | tr '\\n' ' '", self->dir), 0);
	EXPECT_STREQ(out, "10.202.0.1 10.202.0.11 10.202.0.12 ");
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(th_sh_out(out, sizeof(out), "cat %s/sent%d", self->dir, i), 0);
		sent[i] = strtol(out, NULL, 10);
		ASSERT_GT(sent[i], 0);
	}
	EXPECT_GT(sent[0], sent[1]);
	EXPECT_GT(sent[1], sent[2]);
	/* each sender's frames, exactly, in the metrics (once XDP has seen them all) */
	wait_class(self, "syslog", sent[0] + sent[1] + sent[2]);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(th_sh_out(out, sizeof(out),
				    "nsenter --net=/run/netns/%s %s stats --json -c %s | python3 -c '"
				    "import json,sys\n"
				    "d=json.load(sys.stdin)\n"
				    "print(sum(m[\"value\"] for m in d[\"metrics\"] if m[\"name\"]==\"edgesteer_xdp_talker_packets\""
				    " and m[\"labels\"][\"source\"]==sys.argv[1] and m[\"labels\"][\"class\"]==\"syslog\"))' %s",
				    self->g, self->bin, self->conf, src[i]), 0);
		got = strtol(out, NULL, 10);
		if (got != sent[i])
			TH_LOG("%s: %ld frames counted, %ld sent", src[i], got, sent[i]);
		EXPECT_EQ(got, sent[i]);
	}
}

TEST_HARNESS_MAIN
