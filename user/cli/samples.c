// SPDX-License-Identifier: GPL-2.0-only
/*
 * samples.c - read Prometheus text (what core/metrics.c writes) back into
 * samples: `name{k="v",...} value` lines, `# HELP` lines for the text.
 * Label values are unescaped in place (\\, \", \n).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctl.h"
#include "core/metrics.h"
#include "core/reqsrv.h"
#include "samples.h"
#include "xdp/bpfctl.h"

static int push(struct samples *s, size_t *cap, const struct sample *x)
{
	if (s->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 256;
		struct sample *v;

		if (ncap > SAMPLES_MAX)
			return -E2BIG;
		v = realloc(s->v, ncap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->v = v;
		*cap = ncap;
	}
	s->v[s->n++] = *x;
	return 0;
}

/* One sample line, NUL-terminated, modified in place. */
static int parse_line(char *l, const char *help, struct sample *x)
{
	char *p = l, *end;

	memset(x, 0, sizeof(*x));
	x->name = p;
	x->help = help;
	p += strcspn(p, "{ ");
	if (*p == '{') {
		*p++ = 0;
		while (*p && *p != '}') {
			char *o;

			if (x->nl == SAMPLE_MAX_LABELS)
				return -EINVAL;
			x->k[x->nl] = p;
			p = strchr(p, '=');
			if (!p || p[1] != '"')
				return -EINVAL;
			*p = 0;
			p += 2;
			x->v[x->nl] = o = p;
			while (*p && *p != '"') {
				if (*p == '\\' && p[1]) {
					p++;
					*o++ = *p == 'n' ? '\n' : *p;
					p++;
				} else {
					*o++ = *p++;
				}
			}
			if (*p != '"')
				return -EINVAL;
			p++;
			*o = 0;
			x->nl++;
			if (*p == ',')
				p++;
		}
		if (*p != '}')
			return -EINVAL;
		*p++ = 0;
	} else if (*p) {
		*p++ = 0;
	}
	x->value = strtod(p, &end);
	return end == p ? -EINVAL : 0;
}

int samples_parse(char *text, struct samples *out)
{
	const char *help = "";
	size_t cap = 0;
	char *line, *save = NULL;
	int err = 0;

	memset(out, 0, sizeof(*out));
	out->text = text;
	for (line = strtok_r(text, "\n", &save); line && !err; line = strtok_r(NULL, "\n", &save)) {
		struct sample x;

		if (!strncmp(line, "# HELP ", 7)) {
			char *h = strchr(line + 7, ' ');

			help = h ? h + 1 : "";
			continue;
		}
		if (line[0] == '#' || !line[0])
			continue;
		if (parse_line(line, help, &x))
			continue;	/* not ours to judge; skip what we cannot read */
		err = push(out, &cap, &x);
	}
	if (err)
		samples_free(out);
	return err;
}

void samples_free(struct samples *s)
{
	free(s->text);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

const char *sample_label(const struct sample *s, const char *key)
{
	for (int i = 0; i < s->nl; i++)
		if (!strcmp(s->k[i], key))
			return s->v[i];
	return NULL;
}

const struct sample *samples_match(const struct samples *prev, const struct sample *s)
{
	for (size_t i = 0; i < prev->n; i++) {
		const struct sample *p = &prev->v[i];
		int j;

		if (p->nl != s->nl || strcmp(p->name, s->name))
			continue;
		for (j = 0; j < s->nl; j++)
			if (strcmp(p->k[j], s->k[j]) || strcmp(p->v[j], s->v[j]))
				break;
		if (j == s->nl)
			return p;
	}
	return NULL;
}

int samples_fetch(const char *sock, const char *pin_path, struct samples *out, int *daemon_up)
{
	struct metric_sink *sink = NULL;
	char *body = NULL;
	const char *text;
	int rc;

	rc = ctl_call_buf(sock, "metrics", &body);
	if (rc == 0) {
		*daemon_up = 1;
		return samples_parse(body, out);
	}
	free(body);
	if (rc > 0)
		return -EIO;	/* the daemon answered with an error */
	*daemon_up = 0;
	rc = metric_sink_new(METRIC_PROM, REQSRV_REPLY_MAX, &sink);
	if (rc)
		return rc;
	rc = bpfctl_metrics(pin_path, sink);
	text = metric_sink_finish(sink, NULL);
	if (!rc && text) {
		body = strdup(text);
		rc = body ? samples_parse(body, out) : -ENOMEM;
	} else if (!rc) {
		rc = -ENOSPC;
	}
	metric_sink_free(sink);
	return rc;
}
