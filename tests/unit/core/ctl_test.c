// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control socket's roles, in-process: a client is admitted by the
 * groups the kernel recorded at connect (SO_PEERGROUPS), also when it is
 * in more groups than a first buffer holds; a control_group member may
 * run the read-only commands only and is told which; a stranger is
 * refused. Clients are forked children with their own credentials.
 */
#include "harness.h"

#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/ctl.h"
#include "core/loop.h"

#define GROUP "adm"	/* exists on Debian; any group does */
#define NOBODY 65534

static const char *const read_cmds[] = { "status", NULL };

static void handler(void *ctx, const char *cmd, const char *arg, struct ctl_reply *r)
{
	(void)ctx;
	(void)arg;
	reqsrv_printf(&r->body, "ran %s\n", cmd);
}

/*
 * Fork a client: in `ngroups` supplementary groups 20000.. plus `gid`
 * last when with_gid, as uid/gid nobody; it sends `cmd` and writes the
 * answer to a pipe. The parent turns the loop until the answer is in.
 */
static int ask(struct loop *l, const char *path, int ngroups, gid_t gid, bool with_gid,
	       const char *cmd, char *out, size_t len)
{
	int p[2], st;
	ssize_t n = 0;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		gid_t groups[128];
		char *body = NULL;
		int i, rc;

		for (i = 0; i < ngroups; i++)
			groups[i] = (gid_t)(20000 + i);
		if (with_gid)
			groups[i++] = gid;
		if (setgroups((size_t)i, groups) || setgid(NOBODY) || setuid(NOBODY))
			_exit(2);
		rc = ctl_call_buf(path, cmd, &body);
		dprintf(p[1], "%d %s", rc, body ? body : "");
		_exit(0);
	}
	close(p[1]);
	for (int i = 0; i < 200; i++) {
		ssize_t r;

		loop_run_once(l, 10);
		if (waitpid(pid, &st, WNOHANG) == pid) {
			while ((r = read(p[0], out + n, len - 1 - (size_t)n)) > 0)
				n += r;
			break;
		}
	}
	out[n] = 0;
	close(p[0]);
	return 0;
}

TEST(members_by_so_peergroups_read_only_role)
{
	struct group *g = getgrnam(GROUP);
	struct ctl_server *s;
	char dir[64], path[96], out[1024];
	struct loop *l;
	struct stat st;

	if (!g)
		SKIP(return, "no group " GROUP);
	if (geteuid())
		SKIP(return, "needs root to give clients other credentials");
	snprintf(dir, sizeof(dir), "/tmp/es-ctl-test-%d", getpid());
	snprintf(path, sizeof(path), "%s/run/ctl.sock", dir);
	th_sh("rm -rf %s; mkdir -p %s && chmod 755 %s", dir, dir, dir);
	ASSERT_EQ(loop_new(&l), 0);
	ASSERT_EQ(ctl_server_start(l, path, GROUP, read_cmds, handler, NULL, &s), 0);
	/* the socket's directory, made by the server, is open to the group */
	snprintf(out, sizeof(out), "%s/run", dir);
	ASSERT_EQ(stat(out, &st), 0);
	EXPECT_EQ(st.st_gid, g->gr_gid);
	EXPECT_TRUE(st.st_mode & 0010);
	EXPECT_FALSE(st.st_mode & 0007);
	/* a member with the group 71st of 71: past a 64-entry first buffer */
	ASSERT_EQ(ask(l, path, 70, g->gr_gid, true, "status", out, sizeof(out)), 0);
	TH_LOG("member, status: %s", out);
	EXPECT_STREQ(out, "0 ran status\n");
	ASSERT_EQ(ask(l, path, 70, g->gr_gid, true, "reload", out, sizeof(out)), 0);
	TH_LOG("member, reload: %s", out);
	EXPECT_TRUE(strstr(out, "'reload' refused: members of control_group 'adm' have the "
			    "read-only role (status)") != NULL);
	/* the same 70 groups without it: the file modes keep it out... */
	ASSERT_EQ(ask(l, path, 70, g->gr_gid, false, "status", out, sizeof(out)), 0);
	TH_LOG("stranger, status: %s", out);
	EXPECT_STREQ(out, "-13 ");	/* EACCES at connect() */
	/* ...and with them opened up, the credentials check does */
	th_sh("chmod o+x %s/run && chmod 666 %s", dir, path);
	ASSERT_EQ(ask(l, path, 70, g->gr_gid, false, "status", out, sizeof(out)), 0);
	TH_LOG("stranger, socket opened up: %s", out);
	EXPECT_TRUE(strstr(out, "permission denied") != NULL);
	ctl_server_free(s);
	loop_free(l);
	th_sh("rm -rf %s", dir);
}

/*
 * Only a directory made for the socket is given to the group: one that
 * existed (it could be /run, /tmp or /root) keeps its owner group and
 * mode, unless systemd made it for us ($RUNTIME_DIRECTORY).
 */
TEST(existing_directory_is_left_alone_unless_systemd_made_it)
{
	struct group *g = getgrnam(GROUP);
	struct ctl_server *s;
	char dir[64], path[96];
	struct loop *l;
	struct stat st;

	if (!g)
		SKIP(return, "no group " GROUP);
	snprintf(dir, sizeof(dir), "/tmp/es-ctl-test-%d", getpid());
	snprintf(path, sizeof(path), "%s/ctl.sock", dir);
	th_sh("rm -rf %s; mkdir -p %s && chmod 1777 %s", dir, dir, dir);
	ASSERT_EQ(loop_new(&l), 0);
	ASSERT_EQ(ctl_server_start(l, path, GROUP, read_cmds, handler, NULL, &s), 0);
	ASSERT_EQ(stat(dir, &st), 0);
	EXPECT_EQ(st.st_mode & 07777, 01777);
	EXPECT_NE(st.st_gid, g->gr_gid);
	ctl_server_free(s);
	/* systemd's RuntimeDirectory= for us: ours to open to the group */
	th_sh("chmod 0700 %s", dir);
	setenv("RUNTIME_DIRECTORY", dir, 1);
	ASSERT_EQ(ctl_server_start(l, path, GROUP, read_cmds, handler, NULL, &s), 0);
	ASSERT_EQ(stat(dir, &st), 0);
	EXPECT_EQ(st.st_mode & 07777, 0710);
	EXPECT_EQ(st.st_gid, g->gr_gid);
	ctl_server_free(s);
	unsetenv("RUNTIME_DIRECTORY");
	loop_free(l);
	th_sh("rm -rf %s", dir);
}

TEST_HARNESS_MAIN
