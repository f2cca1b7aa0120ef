/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * samples.h - the daemon's Prometheus text read back into samples, for the
 * views the CLI draws itself (the aligned `stats` table, `top`).
 */
#ifndef EDGESTEER_CLI_SAMPLES_H
#define EDGESTEER_CLI_SAMPLES_H

#include <stddef.h>
#include <stdint.h>

#define SAMPLE_MAX_LABELS 4
#define SAMPLES_MAX 100000	/* bound on what one answer may hold */

struct sample {
	const char *name;
	const char *help;		/* "" when the text had none */
	int nl;
	const char *k[SAMPLE_MAX_LABELS], *v[SAMPLE_MAX_LABELS];
	double value;
};

struct samples {
	char *text;			/* owned; the strings above point into it */
	struct sample *v;
	size_t n;
};

/* Parse Prometheus text; takes ownership of `text` (malloc'd). 0 or -errno. */
int samples_parse(char *text, struct samples *out);
void samples_free(struct samples *s);
/* A label's value, or NULL. */
const char *sample_label(const struct sample *s, const char *key);
/* The sample of `prev` with the same name and labels as `s`, or NULL. */
const struct sample *samples_match(const struct samples *prev, const struct sample *s);

/*
 * Where the numbers come from: the daemon over its control socket, or,
 * without one, the XDP counters from the pins under `pin_path`.
 * *daemon_up says which. 0 or -errno (nothing reachable).
 */
int samples_fetch(const char *sock, const char *pin_path, struct samples *out, int *daemon_up);

#endif
