// SPDX-License-Identifier: GPL-2.0-only
/*
 * conf-man - build-time helper: writes edgesteer.conf(5) to stdout from
 * the hand-written page (argv[1]) with the line "@KEYS@" replaced by the
 * key reference generated from the parser's own tables, so the page
 * cannot drift from what `edgesteer check` accepts.
 *
 *   conf-man docs/edgesteer.conf.5.in > build/man/edgesteer.conf.5
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/conf.h"

int main(int argc, char **argv)
{
	char line[4096];
	int keys = 0;
	FILE *in;

	if (argc != 2) {
		fprintf(stderr, "usage: conf-man TEMPLATE > PAGE\n");
		return 2;
	}
	in = fopen(argv[1], "re");
	if (!in) {
		fprintf(stderr, "conf-man: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof(line), in)) {
		if (strcmp(line, "@KEYS@\n")) {
			fputs(line, stdout);
			continue;
		}
		if (conf_keys_man(stdout)) {
			fprintf(stderr, "conf-man: cannot write the page: %s\n", strerror(errno));
			fclose(in);
			return 1;
		}
		keys++;
	}
	fclose(in);
	if (keys != 1) {
		fprintf(stderr, "conf-man: %s: needs exactly one line \"@KEYS@\" (found %d)\n", argv[1], keys);
		return 1;
	}
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "conf-man: cannot write the page\n");
		return 1;
	}
	return 0;
}
