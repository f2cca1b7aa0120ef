// SPDX-License-Identifier: GPL-2.0-only
/* The syslog relay's reload, in process: what a reload must change on
 * listeners it keeps. UDP on 127.0.0.1:27201 (the review range). */
#include "harness.h"

#include "core/conf.h"
#include "core/loop.h"
#include "core/metrics.h"
#include "syslog/syslog.h"

static long long rcvbuf_of(struct syslog_relay *r)
{
	struct metric_sink *s;
	const char *t, *p;
	long long v = -1;

	if (metric_sink_new(METRIC_PROM, 1 << 20, &s))
		return -1;
	syslog_metrics(r, s);
	t = metric_sink_finish(s, NULL);
	p = t ? strstr(t, "edgesteer_syslog_rcvbuf_bytes{listen=\"127.0.0.1:27201\"} ") : NULL;
	if (p)
		v = atoll(strchr(p, '}') + 2);
	metric_sink_free(s);
	return v;
}

/* rcvbuf applies to a listener the reload keeps, not only to new ones. */
TEST(reload_applies_rcvbuf_to_kept_listener)
{
	struct syslog_relay *r = NULL;
	struct conf *c1, *c2;
	struct loop *l;
	long long before, after;

	if (geteuid())
		SKIP(return, "SO_RCVBUFFORCE needs root");
	/* a loopback of its own: 27201 may be taken by another run */
	TH_PRIVATE_NETNS();
	ASSERT_EQ(conf_load_string("a.conf", "[syslog]\nlisten = 127.0.0.1:27201\nrcvbuf = 1M\n", &c1, stderr), 0);
	ASSERT_EQ(conf_load_string("b.conf", "[syslog]\nlisten = 127.0.0.1:27201\nrcvbuf = 4M\n", &c2, stderr), 0);
	ASSERT_EQ(loop_new(&l), 0);
	ASSERT_EQ(syslog_start(l, c1, &r), 0);
	before = rcvbuf_of(r);
	ASSERT_EQ(syslog_reload(r, c2), 0);
	after = rcvbuf_of(r);
	TH_LOG("rcvbuf %lld -> %lld", before, after);
	EXPECT_EQ(before, 1 << 20);
	EXPECT_EQ(after, 4 << 20);
	syslog_free(r);
	loop_free(l);
	conf_free(c1);
	conf_free(c2);
}

TEST_HARNESS_MAIN
