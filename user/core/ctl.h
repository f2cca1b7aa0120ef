/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl.h - the Unix control socket: server side on the loop, client side
 * for the CLI.
 *
 * Protocol: the client sends one request line (at most CTL_REQ_MAX bytes,
 * "COMMAND [ARG]\n"); the server answers with a status line, "ok" or
 * "error: TEXT", then a body, and closes. Every connection has a deadline;
 * replies are bounded by CTL_REPLY_MAX.
 */
#ifndef EDGESTEER_CTL_H
#define EDGESTEER_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "loop.h"
#include "reqsrv.h"

#define CTL_REQ_MAX    512
#define CTL_TIMEOUT_MS 5000

struct ctl_server;

/* Who is asking, from the peer's credentials at connect(). */
enum ctl_role {
	CTL_ROLE_ADMIN = 0,	/* root or the daemon's own uid: every command */
	CTL_ROLE_READ = 1,	/* a member of control_group: read_cmds only */
};

struct ctl_reply {
	struct reqsrv_reply body;	/* fill with reqsrv_printf/append */
	int error;	/* non-zero: the status line is "error: " + the body */
};

/* Handle one request; `arg` is "" when absent. Fill r; r->error = 1 for a
 * failed command. */
typedef void (*ctl_handler)(void *ctx, const char *cmd, const char *arg, struct ctl_reply *r);

/*
 * Create the socket at `path` (its directory made 0750 if missing), mode
 * 0600, or 0660 and group `group` when group is not empty; then that
 * directory, when it was made for the socket (here, or by systemd's
 * RuntimeDirectory=), gets the group and its search bit. A
 * client must also pass a credentials check: root or our own uid
 * (CTL_ROLE_ADMIN), or a member of group (CTL_ROLE_READ), who may run
 * only the commands in read_cmds (NULL-terminated); others are answered
 * with an error naming the command and the role.
 */
int ctl_server_start(struct loop *l, const char *path, const char *group,
		     const char *const *read_cmds, ctl_handler h, void *ctx, struct ctl_server **out);
/* Evictions, refusals and timeouts of the socket's clients. */
void ctl_server_stats(const struct ctl_server *s, struct reqsrv_stats *out);
void ctl_server_free(struct ctl_server *s);

/*
 * Client: send `req`, write the body to `out`. Returns 0 when the daemon
 * said ok, 1 when it answered an error (printed to stderr), or -errno when
 * it could not be reached (nothing printed).
 */
int ctl_call(const char *path, const char *req, FILE *out);
/* Same, but returns the body in *body (malloc'd, NUL-terminated). */
int ctl_call_buf(const char *path, const char *req, char **body);

/* One [global] key by a light read of the file, or `def`. */
const char *ctl_global_key(const char *conf_path, const char *key, const char *def,
			   char *buf, size_t len);

/* The control socket path for the CLI: -s wins, then -c FILE's [global],
 * then the default. */
const char *ctl_socket_path(const char *conf_path, const char *sock_opt, char *buf, size_t len);

#endif
