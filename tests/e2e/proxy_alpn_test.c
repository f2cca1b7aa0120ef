// SPDX-License-Identifier: GPL-2.0-only
/*
 * ALPN as a route match, end to end: openssl s_client offers h2, or
 * http/1.1, or nothing, for one server name; the proxy (splice mode, TLS
 * not terminated) sends each to the upstream of the matching route,
 * which the test sees by the listener that accepts the connection.
 */
#include "proxy_util.h"

#define PX	23700
#define UP_PLAIN 23701
#define UP_H2	23702

static const char conf[] =
	"[proxy a]\nlisten = 127.0.0.1:23700\n"
	"route = app.test 127.0.0.1:23701\n"
	"route = app.test 127.0.0.1:23702 alpn=h2\n";

FIXTURE(alpn) {
	pid_t proxy;
};

FIXTURE_SETUP(alpn)
{
	TH_PRIVATE_NETNS();
	self->proxy = pu_proxy(conf, PX, 0, NULL);
	ASSERT_GT(self->proxy, 0);
}

FIXTURE_TEARDOWN(alpn)
{
	pu_kill(self->proxy);
}

/* Which of the two listeners gets the connection of a hello offering
 * `alpn` ("" for none): 0 plain, 1 h2, -1 neither within 10 s. */
static int which(const char *alpn)
{
	int l[2] = { pu_listen("127.0.0.1", UP_PLAIN), pu_listen("127.0.0.1", UP_H2) }, got = -1;
	struct pollfd p[2] = { { .fd = l[0], .events = POLLIN }, { .fd = l[1], .events = POLLIN } };

	if (l[0] < 0 || l[1] < 0)
		goto out;
	th_sh("(echo | timeout 10 openssl s_client -connect 127.0.0.1:%d -servername app.test %s%s "
	      ">/dev/null 2>&1 &)", PX, alpn[0] ? "-alpn " : "", alpn);
	if (poll(p, 2, 10000) > 0)
		got = (p[0].revents & POLLIN) ? 0 : 1;
out:
	if (l[0] >= 0)
		close(l[0]);
	if (l[1] >= 0)
		close(l[1]);
	return got;
}

TEST_F_TIMEOUT(alpn, route_by_offered_protocol, 60)
{
	EXPECT_EQ(which("h2"), 1);
	EXPECT_EQ(which("http/1.1,h2"), 1);
	EXPECT_EQ(which("http/1.1"), 0);
	EXPECT_EQ(which(""), 0);
}

TEST_HARNESS_MAIN
