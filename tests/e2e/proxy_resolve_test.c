// SPDX-License-Identifier: GPL-2.0-only
/*
 * Upstream host names are resolved off the event loop. The test runs in
 * a network namespace and a mount namespace of its own whose
 * /etc/resolv.conf names 127.0.0.99, where a UDP socket takes queries
 * and never answers (a dead resolver). With a route to a host name
 * waiting on it:
 *  - the proxy starts, and serves its literal-address routes;
 *  - a reload applies at once (names are not resolved while loading);
 *  - a connection to the name route waits at most connect_timeout;
 *  - once the resolver answers (a small DNS responder takes over the
 *    address), the name route works, without a reload.
 */
#include "proxy_http_util.h"

#include <sys/mount.h>

#define PX	23600
#define UP0	23601	/* literal route */
#define UP1	23602	/* behind the name */
#define DNS_IP	"127.0.0.99"

static const int ups[] = { UP0, UP1 };

#define ROUTES "[proxy r]\nlisten = 127.0.0.1:23600\nprotocol = http\nconnect_timeout = 2s\n" \
	"resolve_interval = 1s\nroute = lit.test 127.0.0.1:23601\nroute = name.test up.es-test:23602\n"

FIXTURE(rs) {
	char dir[64], log[96];
	pid_t nginx, proxy, dns;
};

FIXTURE_SETUP(rs)
{
	char path[128];
	FILE *f;

	TH_PRIVATE_NETNS();
	snprintf(self->dir, sizeof(self->dir), "/tmp/es-resolve-%d", (int)getpid());
	th_sh("rm -rf %s", self->dir);
	ASSERT_EQ(th_sh("mkdir -p %s", self->dir), 0);
	snprintf(self->log, sizeof(self->log), "%s/proxy.log", self->dir);
	/* this process and its children see our resolv.conf only */
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		SKIP(return, "no private mount namespace: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/resolv.conf", self->dir);
	f = fopen(path, "w");
	ASSERT_NE(f, NULL);
	fprintf(f, "nameserver %s\noptions timeout:1 attempts:1\n", DNS_IP);
	fclose(f);
	ASSERT_EQ(mount(path, "/etc/resolv.conf", NULL, MS_BIND, NULL), 0);
	self->nginx = hu_nginx(self->dir, ups, 2, false);
	ASSERT_GT(self->nginx, 0);
}

FIXTURE_TEARDOWN(rs)
{
	pu_kill(self->proxy);
	pu_kill(self->nginx);
	if (self->dns > 0) {
		kill(self->dns, SIGKILL);
		waitpid(self->dns, NULL, 0);
	}
	if (self->dir[0])
		th_sh("rm -rf %s", self->dir);
}

static int g_silent = -1;

/* in the proxy's child: the dead resolver's socket is the test's, not
 * the proxy's (it must be free for the responder later) */
static void close_silent(void)
{
	close(g_silent);
}

/* A DNS responder on DNS_IP:53: A queries get 127.0.0.1, others an empty answer. */
static pid_t start_dns(void)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execlp("python3", "python3", "-c",
		       "import socket,struct\n"
		       "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
		       "s.bind(('" DNS_IP "',53))\n"
		       "while True:\n"
		       "  q,a=s.recvfrom(512)\n"
		       "  end=q.index(b'\\0',12)+5\n"
		       "  qt=struct.unpack('>H',q[end-4:end-2])[0]\n"
		       "  ans=b'\\xc0\\x0c\\x00\\x01\\x00\\x01\\x00\\x00\\x00\\x3c\\x00\\x04\\x7f\\x00\\x00\\x01' if qt==1 else b''\n"
		       "  s.sendto(q[:2]+b'\\x81\\x80'+struct.pack('>HHHH',1,1 if ans else 0,0,0)+q[12:end]+ans,a)\n",
		       (char *)NULL);
		_exit(127);
	}
	return pid;
}

TEST_F_TIMEOUT(rs, dead_resolver_stalls_nothing_and_the_name_comes_alive, 120)
{
	struct sockaddr_storage ss;
	socklen_t len = (socklen_t)pu_addr(DNS_IP, 53, &ss);
	char page[128];
	int waiting, ok = 0;

	/* the dead resolver: takes datagrams, never answers (the body's
	 * own socket: the fixture's process must not hold the port) */
	g_silent = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_GE(g_silent, 0);
	ASSERT_EQ(bind(g_silent, (struct sockaddr *)&ss, len), 0);
	pu_reload_conf = ROUTES "route = lit2.test 127.0.0.1:23601\n";
	pu_child_init = close_silent;
	self->proxy = pu_proxy(ROUTES, PX, 0, self->log);
	ASSERT_GT(self->proxy, 0);
	/* a connection for the name: it waits for the (dead) resolver */
	waiting = hu_connect_from(NULL, PX);
	ASSERT_GE(waiting, 0);
	ASSERT_EQ(hu_send_get(waiting, NULL, 0, "name.test", false), 0);
	/* meanwhile the loop serves literal routes... */
	ASSERT_EQ(hu_get(NULL, PX, NULL, 0, "lit.test", page, sizeof(page)), 0);
	EXPECT_STREQ(page, "up=0\n");
	/* ...and applies a reload */
	kill(self->proxy, SIGHUP);
	for (int i = 0; i < 100 && !ok; i++) {
		ok = hu_get(NULL, PX, NULL, 0, "lit2.test", page, sizeof(page)) == 0 && hu_up(page) == 0;
		if (!ok)
			usleep(20000);
	}
	EXPECT_TRUE(ok);
	/* the waiting connection is closed once connect_timeout is over */
	EXPECT_NE(hu_read_body(waiting, page, sizeof(page)), 0);
	close(waiting);
	EXPECT_EQ(th_sh("grep -q 'name=name.test.*reason=connect_' %s", self->log), 0);

	/* the resolver comes back: the name route starts working */
	close(g_silent);
	self->dns = start_dns();
	ASSERT_GT(self->dns, 0);
	ok = 0;
	for (int i = 0; i < 60 && !ok; i++) {
		ok = hu_get(NULL, PX, NULL, 0, "name.test", page, sizeof(page)) == 0 && hu_up(page) == 1;
		if (!ok)
			usleep(250000);
	}
	if (!ok)
		th_sh("grep -v info: %s | tail -n 15 | sed 's/^/# /'", self->log);
	EXPECT_TRUE(ok);
	EXPECT_EQ(th_sh("grep -q 'up.es-test:%d resolved to 1 address' %s", UP1, self->log), 0);
}

TEST_HARNESS_MAIN
