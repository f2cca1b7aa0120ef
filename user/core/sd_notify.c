// SPDX-License-Identifier: GPL-2.0-only
/*
 * sd_notify.c - systemd's readiness protocol, spoken directly.
 *
 * systemd documents the protocol as a stable interface and invites small
 * daemons to implement it themselves (sd_notify(3), "Notes"): the service
 * manager passes an AF_UNIX datagram socket in $NOTIFY_SOCKET, either a
 * file system path ("/run/systemd/notify") or an abstract name written
 * with a leading '@'; the daemon sends one datagram of newline-separated
 * KEY=VALUE assignments (READY=1, RELOADING=1, STOPPING=1, STATUS=...,
 * WATCHDOG=1, MAINPID=...). Doing it here keeps libsystemd, and the
 * compression and crypto libraries it pulls in, out of a process that
 * holds CAP_BPF and CAP_SYS_ADMIN.
 *
 * The watchdog interval comes from $WATCHDOG_USEC; $WATCHDOG_PID, when
 * set, names the process it is meant for (a child that inherited the
 * environment must not ping on its parent's behalf).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "sd_notify.h"

/* Fill *sun from "/path" or "@abstract"; returns the address length. */
static int notify_addr(const char *addr, struct sockaddr_un *sun, socklen_t *len)
{
	size_t n = strlen(addr);

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (n < 2 || (addr[0] != '/' && addr[0] != '@'))
		return -EINVAL;	/* also "vsock:...", which we do not speak */
	if (n >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	memcpy(sun->sun_path, addr, n);
	if (addr[0] == '@') {
		/* An abstract name is exactly its bytes: no trailing NUL. */
		sun->sun_path[0] = '\0';
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else {
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	}
	return 0;
}

int sd_notify_to(const char *addr, const char *state)
{
	struct sockaddr_un sun;
	socklen_t len = 0;
	size_t n = strlen(state);
	ssize_t w;
	int fd, rc;

	rc = notify_addr(addr, &sun, &len);
	if (rc)
		return rc;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A datagram is sent whole or not at all; the socket's buffer is
	 * systemd's, so a full one (EAGAIN) is reported, never waited on. */
	w = sendto(fd, state, n, MSG_NOSIGNAL | MSG_DONTWAIT, (struct sockaddr *)&sun, len);
	rc = w < 0 ? -errno : (size_t)w == n ? 1 : -EMSGSIZE;
	close(fd);
	return rc;
}

int sd_notify_state(const char *state)
{
	const char *addr = getenv("NOTIFY_SOCKET");

	if (!addr || !*addr)
		return 0;
	return sd_notify_to(addr, state);
}

int sd_notify_printf(const char *fmt, ...)
{
	char buf[SD_NOTIFY_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	/* A truncated STATUS would still parse but say something else. */
	if ((size_t)n >= sizeof(buf))
		return -EMSGSIZE;
	return sd_notify_state(buf);
}

/* Strict decimal: digits only, no sign, no overflow. */
static int parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

int sd_notify_watchdog_usec(uint64_t *usec)
{
	const char *us = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	uint64_t v, p;

	*usec = 0;
	if (!us)
		return 0;
	if (parse_u64(us, &v) || v == 0)
		return -EINVAL;
	if (pid) {
		if (parse_u64(pid, &p) || p == 0)
			return -EINVAL;
		if (p != (uint64_t)getpid())
			return 0;
	}
	*usec = v;
	return 1;
}

uint64_t sd_notify_monotonic_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
