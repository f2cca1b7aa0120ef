// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of missing_pri (pri_fix.c) over lines as real devices send
 * them: those with a PRI pass validation unchanged; those without get
 * "<13>", and a TIMESTAMP and HOSTNAME only when they start without a
 * timestamp (RFC 3164 4.3.3).
 */
#include "harness.h"

#include "syslog/pri_fix.h"
#include "syslog/syslog_msg.h"

struct dcase {
	const char *what;
	const char *in;
	const char *out;	/* NULL: valid as it is; "" + ts: see below */
	bool add_ts;		/* relay time and host inserted */
};

static const struct dcase dcases[] = {
	{ "Cisco IOS", "<189>123: *Mar  1 00:00:00.123: %SYS-5-CONFIG_I: Configured from console by vty0 "
	  "(10.0.0.1)", NULL, false },
	{ "Cisco IOS with timestamp", "<189>Nov 25 12:00:00.123: %LINK-3-UPDOWN: Interface Gi0/1, changed state "
	  "to up", NULL, false },
	{ "Cisco ASA", "<166>%ASA-6-302013: Built outbound TCP connection 1 for outside:192.0.2.1/443 "
	  "(192.0.2.1/443) to inside:10.0.0.2/51000 (10.0.0.2/51000)", NULL, false },
	{ "Cisco ASA with timestamp", "<166>Nov 25 2026 12:00:00: %ASA-6-302014: Teardown TCP connection 1", NULL,
	  false },
	{ "FortiGate", "<189>date=2026-11-25 time=12:00:00 devname=\"FGT60F\" devid=\"FGT60FTK0000\" "
	  "logid=\"0000000013\" type=\"traffic\" subtype=\"forward\" level=\"notice\" srcip=10.0.0.2", NULL, false },
	{ "MikroTik", "<30>system,info,account user admin logged in from 10.0.0.5 via ssh", NULL, false },
	{ "MikroTik with header", "<30>Nov 25 12:00:00 MikroTik system,info user admin logged in", NULL, false },
	{ "busybox", "<13>Nov 25 12:00:00 root: hello from busybox", NULL, false },
	{ "RFC 5424 BOM and SD", "<165>1 2026-11-25T12:00:00.003Z host app 1 ID47 [exampleSDID@32473 iut=\"3\"] "
	  "\xef\xbb\xbf" "An application event", NULL, false },
	{ "ISO timestamp", "<13>2026-11-25T12:00:00+01:00 host app: text", NULL, false },
	{ "no PRI, RFC 3164 header", "Oct 11 22:14:15 host app: text", "<13>Oct 11 22:14:15 host app: text",
	  false },
	{ "no PRI, day padded", "Oct  1 02:04:05 host app: text", "<13>Oct  1 02:04:05 host app: text", false },
	{ "no PRI, fractions", "Oct 11 22:14:15.123 host app: x", "<13>Oct 11 22:14:15.123 host app: x", false },
	{ "no PRI, ISO", "2026-11-25T12:00:00.123456+01:00 fw01 kernel: x",
	  "<13>2026-11-25T12:00:00.123456+01:00 fw01 kernel: x", false },
	{ "no PRI, ISO with space", "2026-11-25 12:00:00 fw01 x", "<13>2026-11-25 12:00:00 fw01 x", false },
	{ "no PRI, no header", "link down on port 3", "link down on port 3", true },
	{ "bad PRI", "<999>x", "<999>x", true },
	{ "month lookalike", "Octopus 11 22:14:15 x", "Octopus 11 22:14:15 x", true },
};

TEST(device_lines)
{
	time_t now = 1764072000;	/* fixed: the inserted time is checked */
	struct tm tm;
	char ts[40];
	size_t i;

	localtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%b %e %H:%M:%S ", &tm);
	for (i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
		const struct dcase *c = &dcases[i];
		size_t len = strlen(c->in), n;
		uint8_t out[512];
		char want[512];
		int v = syslog_msg_parse((const uint8_t *)c->in, len, NULL);

		if (!c->out) {
			if (v != SYSLOG_OK)
				TH_LOG("%s: %s", c->what, syslog_verdict_str(v));
			EXPECT_EQ(v, SYSLOG_OK);
			continue;
		}
		EXPECT_EQ(v, SYSLOG_BAD_PRI);
		n = syslog_add_pri((const uint8_t *)c->in, len, "192.0.2.7", now, out, sizeof(out));
		if (c->add_ts)
			snprintf(want, sizeof(want), "<13>%s192.0.2.7 %s", ts, c->out);
		else
			snprintf(want, sizeof(want), "%s", c->out);
		if (n != strlen(want) || memcmp(out, want, n))
			TH_LOG("%s: got '%.*s', want '%s'", c->what, (int)n, out, want);
		EXPECT_EQ(n, strlen(want));
		EXPECT_MEMEQ(out, want, strlen(want));
		/* and the result is a valid message */
		EXPECT_EQ(syslog_msg_parse(out, n, NULL), SYSLOG_OK);
	}
}

TEST(small_output_buffer_refused)
{
	uint8_t out[32];

	EXPECT_EQ(syslog_add_pri((const uint8_t *)"x", 1, "::1", 0, out, sizeof(out)), 0);
}

TEST_HARNESS_MAIN
