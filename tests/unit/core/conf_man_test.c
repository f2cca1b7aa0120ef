// SPDX-License-Identifier: GPL-2.0-only
/*
 * edgesteer.conf(5) and the example configuration against the parser:
 * the built page renders without a groff warning, it documents exactly
 * the keys the parser accepts in each section (none missing, none that
 * the parser refuses), and examples/edgesteer.conf mentions every key.
 *
 * "The keys the parser accepts" are read from the parser itself: the
 * error for an unknown key lists the section's keys, and each listed key
 * is then given to the parser to see that it is not unknown.
 */
#include "harness.h"

#include "core/conf.h"

#define SET_MAX 16384

static const char *build_dir(void)
{
	return getenv("EDGESTEER_BUILD") ? getenv("EDGESTEER_BUILD") : "build";
}

static const char *src_dir(void)
{
	return getenv("EDGESTEER_SRC") ? getenv("EDGESTEER_SRC") : ".";
}

/* The header line of section s, with a name when it needs one. */
static void header(const struct conf_section_def *s, char *buf, size_t len)
{
	snprintf(buf, len, "[%s%s]\n", s->name, s->arg ? " x" : "");
}

/* Parse `text`; the error output in a static buffer. */
static const char *parse_errors(const char *text)
{
	static char errbuf[16384];
	struct conf *c = NULL;
	FILE *f = fmemopen(errbuf, sizeof(errbuf) - 1, "w");

	memset(errbuf, 0, sizeof(errbuf));
	conf_load_string("t.conf", text, &c, f);
	fclose(f);
	conf_free(c);
	return errbuf;
}

/* Add "\nSECTION/KEY\n" to a set kept as one string. */
static void set_add(char *set, const char *sec, const char *key)
{
	size_t n = strlen(set);

	snprintf(set + n, SET_MAX - n, "%s/%s\n", sec, key);
}

static bool set_has(const char *set, const char *sec, const char *key)
{
	char want[160];

	snprintf(want, sizeof(want), "\n%s/%s\n", sec, key);
	return strstr(set, want) != NULL;
}

/* Every "SECTION/KEY" of `a` is in `b`; logs the ones that are not. */
static int set_missing(const char *a, const char *b, const char *what)
{
	char line[160];
	const char *q = a + 1;
	int missing = 0;

	while (*q) {
		const char *nl = strchr(q, '\n');
		size_t n = (size_t)(nl - q);

		snprintf(line, sizeof(line), "\n%.*s\n", (int)n, q);
		if (!strstr(b, line)) {
			TH_LOG("%.*s: %s", (int)n, q, what);
			missing++;
		}
		q = nl + 1;
	}
	return missing;
}

/* The keys the parser accepts, per section, as a set. */
static void parser_keys(char *set)
{
	strcpy(set, "\n");
	for (int s = 0; s < conf_n_sections; s++) {
		char text[256], hdr[64], *save = NULL;
		const char *err, *list;
		char words[2048];

		header(&conf_sections[s], hdr, sizeof(hdr));
		snprintf(text, sizeof(text), "%sno_such_key_at_all = 1\n", hdr);
		err = parse_errors(text);
		list = strstr(err, "allowed here: ");
		if (!list) {
			TH_LOG("[%s]: no list of allowed keys in: %s", conf_sections[s].name, err);
			continue;
		}
		/* the list ends at the line or at a hint in parentheses */
		snprintf(words, sizeof(words), "%.*s", (int)strcspn(list + 14, "\n("), list + 14);
		for (char *w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
			/* and the parser takes it as a key (the value may be bad) */
			snprintf(text, sizeof(text), "%s%s = ?\n", hdr, w);
			if (strstr(parse_errors(text), "unknown key"))
				TH_LOG("[%s] %s: listed as allowed but refused as unknown", conf_sections[s].name, w);
			else
				set_add(set, conf_sections[s].name, w);
		}
	}
}

/* Sections and keys of the page as rendered: "   [name ...]" headings
 * and "       key = VALUE" tags, in the SECTIONS AND KEYS part only. */
static int page_keys(char *set, const char *page)
{
	char cmd[1024], line[4096], sec[64] = "";
	bool in = false;
	int nsec = 0;
	FILE *p;

	strcpy(set, "\n");
	/* no hyphenation and long lines: every tag stays on one line, whole */
	snprintf(cmd, sizeof(cmd), "groff -man -Tascii -rHY=0 -rLL=250n -P-cbou %s 2>/dev/null", page);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p)) {
		char key[64];

		if (line[0] != ' ' && line[0] != '\n')
			in = !strncmp(line, "SECTIONS AND KEYS", 17);
		else if (in && sscanf(line, "   [%63[a-z]", sec) == 1)
			nsec++;
		else if (in && sec[0] && !strncmp(line, "       ", 7) && line[7] != ' ' &&
			 sscanf(line + 7, "%63[a-z0-9_] =", key) == 1 && strstr(line, " = "))
			set_add(set, sec, key);
	}
	return pclose(p) ? -1 : nsec;
}

TEST(page_renders_without_warnings)
{
	char page[512], out[4096];

	snprintf(page, sizeof(page), "%s/man/edgesteer.conf.5", build_dir());
	ASSERT_EQ(access(page, R_OK), 0);	/* built by `make man` (part of `make tests`) */
	/* -ww: every warning troff knows; -z: format only, no output */
	EXPECT_EQ(th_sh_out(out, sizeof(out), "groff -man -ww -z -Tutf8 %s 2>&1", page), 0);
	EXPECT_STREQ(out, "");
	/* and man(1) shows it as a page, with its name */
	EXPECT_EQ(th_sh_out(out, sizeof(out), "MANWIDTH=80 man -l %s 2>&1 | head -n 8", page), 0);
	EXPECT_TRUE(strstr(out, "edgesteer.conf - configuration file") != NULL);
}

TEST(page_documents_exactly_the_keys_the_parser_accepts)
{
	static char parsed[SET_MAX], paged[SET_MAX];
	char page[512];
	int nsec;

	snprintf(page, sizeof(page), "%s/man/edgesteer.conf.5", build_dir());
	ASSERT_EQ(access(page, R_OK), 0);
	if (th_private_netns())	/* keys that resolve names: no DNS from a unit test */
		TH_LOG("no private network namespace: host names go to the system resolver");
	parser_keys(parsed);
	nsec = page_keys(paged, page);
	EXPECT_EQ(nsec, conf_n_sections);
	/* sanity: the sets are not empty by some parsing accident */
	EXPECT_TRUE(set_has(parsed, "proxy", "route"));
	EXPECT_TRUE(set_has(paged, "watchdog", "usb_ids"));
	EXPECT_EQ(set_missing(parsed, paged, "accepted by the parser, missing from edgesteer.conf(5)"), 0);
	EXPECT_EQ(set_missing(paged, parsed, "in edgesteer.conf(5), not accepted by the parser"), 0);
}

/* Keys of the example per section kind, commented-out ones included:
 * "key = ...", "; key = ...", "# key = ...". */
static void example_keys(char *set, const char *path)
{
	char line[512], sec[64] = "";
	FILE *f = fopen(path, "re");

	strcpy(set, "\n");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		const char *q = line;
		char key[64];

		if (sscanf(line, "[%63[a-z]", sec) == 1)
			continue;
		if (*q == ';' || *q == '#')
			q++;
		while (*q == ' ')
			q++;
		/* "key = value" as the file writes keys; not "option=value" prose */
		if (sec[0] && sscanf(q, "%63[a-z0-9_]", key) == 1 && !strncmp(q + strlen(key), " = ", 3))
			set_add(set, sec, key);
	}
	fclose(f);
}

TEST(example_config_mentions_every_key_and_no_other)
{
	static char parsed[SET_MAX], example[SET_MAX];
	char path[512];

	snprintf(path, sizeof(path), "%s/examples/edgesteer.conf", src_dir());
	ASSERT_EQ(access(path, R_OK), 0);
	if (th_private_netns())
		TH_LOG("no private network namespace: host names go to the system resolver");
	parser_keys(parsed);
	example_keys(example, path);
	EXPECT_TRUE(set_has(example, "xdp", "interfaces"));
	EXPECT_EQ(set_missing(parsed, example, "accepted by the parser, not in examples/edgesteer.conf"), 0);
	EXPECT_EQ(set_missing(example, parsed, "in examples/edgesteer.conf, not accepted by the parser"), 0);
}

TEST_HARNESS_MAIN
