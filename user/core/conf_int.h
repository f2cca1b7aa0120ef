/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * conf_int.h - between the parser engine (conf.c) and the key tables
 * (conf_keys.c); nothing outside user/core/ includes it.
 */
#ifndef EDGESTEER_CONF_INT_H
#define EDGESTEER_CONF_INT_H

#include <stdbool.h>
#include <stdio.h>

#include "conf.h"

/* conf_sections[] is indexed by these. */
enum conf_section_id {
	CONF_SEC_GLOBAL,
	CONF_SEC_XDP,
	CONF_SEC_PROXY,
	CONF_SEC_SYSLOG,
	CONF_SEC_FORWARD,
	CONF_SEC_WATCHDOG,
	CONF_SEC_COUNT
};

#define CONF_KEY_LINES_MAX   512
#define CONF_KEY_LINE_SECTION 80
#define CONF_KEY_LINE_KEY     32

/* The once-per-section check keeps one bit per key. */
#define CONF_MAX_KEYS 64

struct conf_parser {
	struct conf *c;
	const char *file;
	FILE *errf;
	int nerr;
	/* reader state */
	FILE *fp;
	const char *str;
	size_t pos;
	int line;
	int section_line;
	int xdp_line, syslog_line;	/* header lines, for validate() */
	/* current section; sec == NULL: none or a bad one (already reported) */
	char section[128];
	bool in_section;		/* a header was seen */
	const struct conf_section_def *sec;
	void *cur;			/* its struct */
	unsigned long long seen;	/* bit i: key i of sec was given */
	int seen_line[CONF_MAX_KEYS];	/* where */
	bool no_files;			/* CONF_NO_FILES: certificate/CA files not checked */
	/* Where each key was last written, so that the checks made after
	 * the whole file is read (validate) still point at the key's line;
	 * bounded: a key beyond the table falls back to its section's line. */
	struct conf_key_line {
		char section[CONF_KEY_LINE_SECTION];
		char key[CONF_KEY_LINE_KEY];
		int line;
	} key_lines[CONF_KEY_LINES_MAX];
	int n_key_lines;
	bool validating;		/* in validate(): lines come from key_lines */
	int at_line;			/* validate(): the next error's line (0: look it up) */
};

/* "FILE:LINE: [SECTION] KEY: message"; key NULL: the section's line. */
void conf_error(struct conf_parser *p, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Setters shared by the custom key callbacks; each reports its own error. */
void conf_set_path(struct conf_parser *p, const char *key, const char *val, char *dst, size_t len);
/* Pick one of `words` (NULL-terminated): *dst = index, or an error and -1. */
int conf_set_enum(struct conf_parser *p, const char *key, const char *val, const char *const *words);
bool conf_addr_is_loopback(const struct conf_addr *a);

/* Split a value into whitespace-separated words. */
#define CONF_FOR_EACH_WORD(val, w, buf) \
	for (char buf[1024], *w##_save = NULL, *w = (snprintf(buf, sizeof(buf), "%s", val), strtok_r(buf, " \t", &w##_save)); \
	     w; w = strtok_r(NULL, " \t", &w##_save))

#endif
