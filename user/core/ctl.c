// SPDX-License-Identifier: GPL-2.0-only
/*
 * ctl.c - the control socket (server on the loop, client for the CLI).
 *
 * The server is created under umask 077 so there is no window in which
 * the socket is reachable by others; then it is opened up to the
 * configured group only, and so is its directory when it was made for
 * the socket (group search bit), which is otherwise where group members
 * meet EACCES.
 *
 * Two roles, decided once per connection from the peer's credentials
 * (SO_PEERCRED, SO_PEERGROUPS: what the kernel recorded at connect, not
 * what /proc says later): root and the daemon's own uid may run every
 * command; members of control_group only the read-only ones the daemon
 * names (status, stats, metrics). Each connection: read one bounded request line
 * under a deadline, run the handler, write the reply as the socket
 * allows, close. Requests are small and rare; the handler runs inline.
 */
#include <errno.h>
#include <grp.h>
#include <ini.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf.h"
#include "ctl.h"
#include "log.h"

struct ctl_server {
	struct reqsrv *rs;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	gid_t gid;
	bool has_group;
	char group[64];
	const char *const *read_cmds;	/* what CTL_ROLE_READ may run */
	struct log_limit ll_denied;
	ctl_handler handler;
	void *ctx;
};

static size_t ctl_complete(const char *req, size_t len)
{
	const char *nl = memchr(req, '\n', len);

	return nl ? (size_t)(nl - req) + 1 : 0;
}

static bool read_only_cmd(const struct ctl_server *s, const char *cmd)
{
	for (const char *const *c = s->read_cmds; c && *c; c++)
		if (!strcmp(*c, cmd))
			return true;
	return false;
}

static void refuse_role(const struct ctl_server *s, const char *cmd, struct reqsrv_reply *out)
{
	reqsrv_printf(out, "error: '%s' refused: members of control_group '%s' have the read-only "
		      "role (", cmd, s->group);
	for (const char *const *c = s->read_cmds; c && *c; c++)
		reqsrv_printf(out, "%s%s", c == s->read_cmds ? "" : ", ", *c);
	reqsrv_printf(out, "); '%s' needs root or the daemon's user (uid %u)\n", cmd,
		      (unsigned)geteuid());
}

/* "COMMAND [ARG]\n" -> handler -> "ok\nBODY" or "error: TEXT\n" */
static void ctl_handle(void *ctx, int role, char *req, size_t len, struct reqsrv_reply *out)
{
	struct ctl_server *s = ctx;
	struct ctl_reply r = { 0 };
	char *cmd = req, *arg, *nl;

	nl = memchr(cmd, '\n', len);
	if (nl)
		*nl = 0;
	while (*cmd == ' ')
		cmd++;
	arg = strchr(cmd, ' ');
	if (arg) {
		*arg++ = 0;
		while (*arg == ' ')
			arg++;
	} else {
		arg = cmd + strlen(cmd);
	}
	if (role != CTL_ROLE_ADMIN && !read_only_cmd(s, cmd)) {
		pr_notice("control socket: '%s' from a control_group member refused (read-only role)", cmd);
		refuse_role(s, cmd, out);
		return;
	}
	s->handler(s->ctx, cmd, arg, &r);
	if (r.error) {
		reqsrv_printf(out, "error: %s%s", r.body.len ? r.body.buf : "failed",
			      r.body.len && r.body.buf[r.body.len - 1] == '\n' ? "" : "\n");
	} else if (reqsrv_printf(out, "ok\n") || (r.body.len && reqsrv_append(out, r.body.buf, r.body.len))) {
		free(out->buf);
		memset(out, 0, sizeof(*out));
		reqsrv_printf(out, "error: reply larger than %u bytes\n", REQSRV_REPLY_MAX);
	}
	free(r.body.buf);
}

/* Is gid among the peer's groups as the kernel saw them at connect()? */
static bool peer_in_group(int fd, gid_t gid)
{
	socklen_t len = 64 * sizeof(gid_t);
	gid_t *groups = malloc(len), *more;
	bool found = false;
	int rc;

	if (!groups)
		return false;
	rc = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len);
	if (rc < 0 && errno == ERANGE && (more = realloc(groups, len))) {
		/* len now says how much the peer's list needs */
		groups = more;
		rc = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len);
	}
	if (rc < 0)
		len = 0;	/* unknown groups: no membership */
	for (size_t i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == gid)
			found = true;
	free(groups);
	return found;
}

static int peer_role(void *ctx, int fd)
{
	struct ctl_server *s = ctx;
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return -errno;
	if (cr.uid == 0 || cr.uid == geteuid())
		return CTL_ROLE_ADMIN;
	if (s->has_group && (cr.gid == s->gid || peer_in_group(fd, s->gid)))
		return CTL_ROLE_READ;
	log_limited(&s->ll_denied, LOG_WARNING, "control socket: uid %u (pid %d) is neither root, "
		    "the daemon's user nor in control_group%s%s; refused", (unsigned)cr.uid, (int)cr.pid,
		    s->has_group ? " " : "", s->group);
	return -EACCES;
}

static const struct reqsrv_ops ctl_ops = {
	.complete = ctl_complete,
	.handle = ctl_handle,
	.allow = peer_role,
	.refusal = "error: too many control clients at once; try again\n",
	.denied = "error: permission denied: the control socket is for root, the daemon's user "
		  "and members of [global] control_group\n",
	.name = "control socket",
	.req_max = CTL_REQ_MAX,
	.timeout_ms = CTL_TIMEOUT_MS,
};

/* 1 when the socket's directory was made here, 0 when it existed. */
static int make_parent_dir(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = 0;
	if (mkdir(dir, 0750) == 0)
		return 1;
	return errno == EEXIST ? 0 : -errno;
}

/* Is dir one of the directories systemd made for us (RuntimeDirectory=,
 * listed in $RUNTIME_DIRECTORY, colon-separated)? */
static bool systemd_runtime_dir(const char *dir)
{
	const char *list = getenv("RUNTIME_DIRECTORY");
	size_t n = strlen(dir);

	for (const char *p = list; p && *p; p = strchr(p, ':') ? strchr(p, ':') + 1 : NULL)
		if (!strncmp(p, dir, n) && (p[n] == ':' || !p[n]))
			return true;
	return false;
}

/*
 * Group members must be able to search the socket's directory. A
 * directory made for the socket (above, or by systemd's
 * RuntimeDirectory=) gets the group and its search bit, nothing for
 * others; any other directory is left alone - it may be /run, /tmp or
 * /root, owned by us or not - and we only say when it is in the way.
 */
static int open_dir_to_group(const char *path, gid_t gid, const char *group, bool made)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = 0;
	else
		*slash = 0;
	if (stat(dir, &st) < 0)
		return -errno;
	if (st.st_uid == geteuid() && (made || systemd_runtime_dir(dir))) {
		if (st.st_gid != gid && chown(dir, (uid_t)-1, gid) < 0) {
			pr_err("control socket directory %s: cannot give it to group '%s': %s (the daemon's "
			       "user must be in that group, or start with CAP_CHOWN)", dir, group,
			       strerror(errno));
			return -errno;
		}
		/* search for the group, nothing for others */
		if (chmod(dir, (st.st_mode & 0750) | 0010) < 0)
			return -errno;
		return 0;
	}
	if (!(st.st_mode & 0001) && !(st.st_gid == gid && (st.st_mode & 0010)))
		pr_warn("control socket directory %s (mode %03o, group %u) is not searchable by group "
			"'%s': its members will get EACCES; give the group search permission (g+x)",
			dir, (unsigned)(st.st_mode & 0777), (unsigned)st.st_gid, group);
	return 0;
}

int ctl_server_start(struct loop *l, const char *path, const char *group,
		     const char *const *read_cmds, ctl_handler h, void *ctx, struct ctl_server **out)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct ctl_server *s;
	mode_t old_umask;
	int fd = -1, err, made;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		pr_err("control socket %s: path longer than %zu bytes", path, sizeof(sun.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->handler = h;
	s->ctx = ctx;
	s->read_cmds = read_cmds;
	snprintf(s->path, sizeof(s->path), "%s", path);
	if (group && *group) {
		struct group *g = getgrnam(group);

		if (!g) {
			pr_err("control socket %s: no group '%s'", path, group);
			err = -ENOENT;
			goto fail;
		}
		s->gid = g->gr_gid;
		s->has_group = true;
		snprintf(s->group, sizeof(s->group), "%s", group);
	}
	made = make_parent_dir(path);
	if (made < 0) {
		err = made;
		pr_err("control socket %s: cannot create its directory: %s", path, strerror(-err));
		goto fail;
	}
	if (s->has_group && (err = open_dir_to_group(path, s->gid, group, made)))
		goto fail;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		goto fail;
	}
	strcpy(sun.sun_path, path);
	/* A stale socket from a crashed run: replace it only if nobody answers. */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		pr_err("control socket %s: another edgesteer is running there; stop it or set "
		       "[global] control_socket", path);
		err = -EADDRINUSE;
		goto fail;
	}
	close(fd);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		goto fail;
	}
	unlink(path);
	old_umask = umask(077);
	err = bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ? -errno : 0;
	umask(old_umask);
	if (err) {
		pr_err("control socket %s: bind: %s", path, strerror(-err));
		goto fail;
	}
	if (chmod(path, 0600) < 0 ||
	    (s->has_group && (chown(path, (uid_t)-1, s->gid) < 0 || chmod(path, 0660) < 0))) {
		err = -errno;
		pr_err("control socket %s: cannot give group '%s' access: %s", path, group, strerror(errno));
		goto fail_unlink;
	}
	if (listen(fd, 16) < 0) {
		err = -errno;
		goto fail_unlink;
	}
	err = reqsrv_start(l, fd, &ctl_ops, s, &s->rs);
	if (err)
		goto fail_unlink;
	*out = s;
	return 0;
fail_unlink:
	unlink(path);
fail:
	if (fd >= 0)
		close(fd);
	free(s);
	return err;
}

void ctl_server_stats(const struct ctl_server *s, struct reqsrv_stats *out)
{
	reqsrv_get_stats(s ? s->rs : NULL, out);
}

void ctl_server_free(struct ctl_server *s)
{
	if (!s)
		return;
	reqsrv_free(s->rs);
	unlink(s->path);
	free(s);
}

/* ---- client ------------------------------------------------------------ */

static int ctl_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 30 };	/* reload may take a while */
	int fd, err;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int ctl_call_buf(const char *path, const char *req, char **body)
{
	struct reqsrv_reply r = { 0 };
	char line[CTL_REQ_MAX + 2], buf[65536];
	int fd, n;

	*body = NULL;
	n = snprintf(line, sizeof(line), "%s\n", req);
	if (n < 0 || (size_t)n > CTL_REQ_MAX)
		return -E2BIG;
	fd = ctl_connect(path);
	if (fd < 0)
		return fd;
	/* A refused client is answered and closed at once: a failed send
	 * still leaves that answer to read. */
	(void)!send(fd, line, (size_t)n, MSG_NOSIGNAL);
	for (;;) {
		ssize_t got = recv(fd, buf, sizeof(buf), 0);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			n = -errno;
			close(fd);
			free(r.buf);
			return n;
		}
		if (!got)
			break;
		if (reqsrv_append(&r, buf, (size_t)got)) {
			close(fd);
			free(r.buf);
			return -E2BIG;
		}
	}
	close(fd);
	if (!r.len) {
		free(r.buf);
		return -ECONNRESET;
	}
	if (!strncmp(r.buf, "ok\n", 3)) {
		memmove(r.buf, r.buf + 3, r.len - 3 + 1);
		*body = r.buf;
		return 0;
	}
	/* "error: TEXT...": keep every line of TEXT, minus the last newline */
	if (r.len && r.buf[r.len - 1] == '\n')
		r.buf[--r.len] = 0;
	*body = r.buf;
	return 1;
}

int ctl_call(const char *path, const char *req, FILE *out)
{
	char *body = NULL;
	int rc = ctl_call_buf(path, req, &body);

	if (rc == 0)
		fputs(body, out);
	else if (rc == 1)
		fprintf(stderr, "edgesteer: %s\n", body);
	free(body);
	return rc;
}

struct global_lookup {
	const char *key;
	char *buf;
	size_t len;
	bool found;
};

static int on_global_key(void *user, const char *section, const char *name, const char *value)
{
	struct global_lookup *g = user;

	if (!strcmp(section, "global") && !strcmp(name, g->key)) {
		snprintf(g->buf, g->len, "%s", value);
		g->found = true;
	}
	return 1;
}

/* A light read of one [global] key: a config with errors elsewhere must
 * not keep the CLI from reaching the daemon or the pins. */
const char *ctl_global_key(const char *conf_path, const char *key, const char *def,
			   char *buf, size_t len)
{
	struct global_lookup g = { .key = key, .buf = buf, .len = len };

	if (conf_path && ini_parse(conf_path, on_global_key, &g) >= 0 && g.found)
		return buf;
	snprintf(buf, len, "%s", def);
	return buf;
}

const char *ctl_socket_path(const char *conf_path, const char *sock_opt, char *buf, size_t len)
{
	if (sock_opt) {
		snprintf(buf, len, "%s", sock_opt);
		return buf;
	}
	return ctl_global_key(conf_path, "control_socket", "/run/edgesteer/control.sock", buf, len);
}
