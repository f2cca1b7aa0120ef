// SPDX-License-Identifier: GPL-2.0-only
/*
 * metrics.c - render samples as Prometheus text, JSON or a table.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

struct metric_sink {
	enum metric_format fmt;
	char *buf;
	size_t len, cap, max;
	uint64_t dropped;
	bool truncated;
	unsigned nsamples;
	char last_name[128];
};

int metric_sink_new(enum metric_format fmt, size_t max, struct metric_sink **out)
{
	struct metric_sink *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->fmt = fmt;
	s->max = max;
	*out = s;
	if (fmt == METRIC_JSON) {
		s->buf = strdup("{\"metrics\":[");
		if (!s->buf) {
			free(s);
			return -ENOMEM;
		}
		s->len = strlen(s->buf);
		s->cap = s->len + 1;
	}
	return 0;
}

void metric_sink_free(struct metric_sink *s)
{
	if (!s)
		return;
	free(s->buf);
	free(s);
}

uint64_t metric_sink_dropped(const struct metric_sink *s)
{
	return s->dropped;
}

/* Append formatted text; all or nothing, so no half-written sample. */
static int sink_printf(struct metric_sink *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int sink_printf(struct metric_sink *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = s->cap - s->len;

		va_start(ap, fmt);
		n = vsnprintf(s->buf ? s->buf + s->len : NULL, s->buf ? room : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return -EINVAL;
		if ((size_t)n < room) {
			s->len += (size_t)n;
			return 0;
		}
		if (s->len + (size_t)n + 1 > s->max)
			return -ENOSPC;
		size_t cap = s->cap ? s->cap * 2 : 4096;
		while (cap < s->len + (size_t)n + 1)
			cap *= 2;
		if (cap > s->max)
			cap = s->max;
		char *b = realloc(s->buf, cap);
		if (!b)
			return -ENOMEM;
		if (!s->buf)
			b[0] = 0;
		s->buf = b;
		s->cap = cap;
	}
}

/* Escape for both Prometheus label values and JSON strings. */
static void escape(const char *in, char *out, size_t outlen)
{
	size_t o = 0;

	for (; *in && o + 7 < outlen; in++) {
		unsigned char c = (unsigned char)*in;

		if (c == '\\' || c == '"') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else if (c < 0x20) {
			o += (size_t)snprintf(out + o, outlen - o, "\\u%04x", c);
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = 0;
}

void metric(struct metric_sink *s, enum metric_type type, const char *name,
	    const char *help, uint64_t value, ...)
{
	const char *keys[METRIC_MAX_LABELS], *vals[METRIC_MAX_LABELS];
	char esc[METRIC_MAX_LABELS][256];
	size_t mark = s->len;
	int n = 0, i, err = 0;
	va_list ap;

	va_start(ap, value);
	while (n < METRIC_MAX_LABELS) {
		const char *k = va_arg(ap, const char *);

		if (!k)
			break;
		keys[n] = k;
		vals[n] = va_arg(ap, const char *);
		if (!vals[n])
			vals[n] = "";
		escape(vals[n], esc[n], sizeof(esc[n]));
		n++;
	}
	va_end(ap);

	switch (s->fmt) {
	case METRIC_PROM:
		if (strcmp(s->last_name, name)) {
			err = sink_printf(s, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
					  type == METRIC_COUNTER ? "counter" : "gauge");
			snprintf(s->last_name, sizeof(s->last_name), "%s", name);
		}
		err = err ?: sink_printf(s, "%s", name);
		for (i = 0; i < n && !err; i++)
			err = sink_printf(s, "%s%s=\"%s\"", i ? "," : "{", keys[i], esc[i]);
		err = err ?: sink_printf(s, "%s %llu\n", n ? "}" : "", (unsigned long long)value);
		break;
	case METRIC_JSON:
		err = sink_printf(s, "%s{\"name\":\"%s\",\"labels\":{", s->nsamples ? "," : "", name);
		for (i = 0; i < n && !err; i++)
			err = sink_printf(s, "%s\"%s\":\"%s\"", i ? "," : "", keys[i], esc[i]);
		err = err ?: sink_printf(s, "},\"value\":%llu}", (unsigned long long)value);
		break;
	case METRIC_TABLE:
		if (strcmp(s->last_name, name)) {
			err = sink_printf(s, "%s%s  (%s)\n", s->nsamples ? "\n" : "", name, help);
			snprintf(s->last_name, sizeof(s->last_name), "%s", name);
		}
		err = err ?: sink_printf(s, "  ");
		for (i = 0; i < n && !err; i++)
			err = sink_printf(s, "%s=%-12s ", keys[i], vals[i]);
		err = err ?: sink_printf(s, "%20llu\n", (unsigned long long)value);
		break;
	}
	if (err) {
		/* roll back the partial sample and count it */
		s->len = mark;
		if (s->buf)
			s->buf[mark] = 0;
		s->dropped++;
		return;
	}
	s->nsamples++;
}

const char *metric_sink_finish(struct metric_sink *s, size_t *len)
{
	if (s->fmt == METRIC_JSON && sink_printf(s, "],\"dropped\":%llu}\n",
						 (unsigned long long)s->dropped))
		return NULL;
	if (!s->buf && sink_printf(s, "%s", ""))
		return NULL;
	if (len)
		*len = s->len;
	return s->buf;
}
