/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * proxy_http_util.h - plain-HTTP helpers of the balancing, health,
 * PROXY-in and client-limit end-to-end tests: nginx upstreams that name
 * themselves in their page, and a client that may bind a source address
 * and send bytes (a PROXY header) before its request.
 */
#ifndef EDGESTEER_PROXY_HTTP_UTIL_H
#define EDGESTEER_PROXY_HTTP_UTIL_H

#include "proxy_util.h"

/* nginx with one plain-HTTP server per port ports[i], page "up=i\n"
 * (with `pp`: the PROXY header's address, "up=i pp=ADDR\n"). */
static inline pid_t hu_nginx(const char *dir, const int *ports, int n, bool pp)
{
	char servers[4096];
	size_t len = 0;

	servers[0] = 0;
	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(servers + len, sizeof(servers) - len,
			" server { listen 127.0.0.1:%d%s; keepalive_timeout 60s;"
			" location / { return 200 \"up=%d%s\\n\"; } }\n",
			ports[i], pp ? " proxy_protocol" : "", i, pp ? " pp=$proxy_protocol_addr" : "");
	return pu_nginx(dir, servers, ports[n - 1]);
}

/* Connect to 127.0.0.1:port from `src` (NULL: any); -errno on failure. */
static inline int hu_connect_from(const char *src, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = (socklen_t)pu_addr("127.0.0.1", port, &ss);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), err;

	if (fd < 0)
		return -errno;
	if (src) {
		struct sockaddr_storage b;
		socklen_t bl = (socklen_t)pu_addr(src, 0, &b);

		if (bind(fd, (struct sockaddr *)&b, bl) < 0)
			goto fail;
	}
	pu_timeout(fd, 10000);
	if (connect(fd, (struct sockaddr *)&ss, len) < 0)
		goto fail;
	return fd;
fail:
	err = -errno;
	close(fd);
	return err;
}

/* Send `pre` (may be NULL) and a GET for `host`; keep-alive or close. */
static inline int hu_send_get(int fd, const void *pre, size_t pre_len, const char *host, bool keep)
{
	char req[256];
	int n = snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: %s\r\nConnection: %s\r\n\r\n", host,
			 keep ? "keep-alive" : "close");

	if (pre && pre_len && pu_write_all(fd, pre, pre_len))
		return -EIO;
	return pu_write_all(fd, req, (size_t)n);
}

/* Read one response; its body (after the head) into out. 0, or -errno
 * (-ECONNRESET: closed before a whole response came). */
static inline int hu_read_body(int fd, char *out, size_t len)
{
	char buf[2048];
	size_t got = 0;
	char *body;

	out[0] = 0;
	while (got < sizeof(buf) - 1) {
		ssize_t n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
		buf[got] = 0;
		body = strstr(buf, "\r\n\r\n");
		/* our pages are one short line: the response is complete at its \n */
		if (body && strchr(body + 4, '\n'))
			break;
	}
	buf[got] = 0;
	body = strstr(buf, "\r\n\r\n");
	if (!body || !strchr(body + 4, '\n'))
		return -ECONNRESET;
	snprintf(out, len, "%s", body + 4);
	return 0;
}

/* One request on a fresh connection from `src`: the page, 0 or -errno. */
static inline int hu_get(const char *src, int port, const void *pre, size_t pre_len, const char *host,
			 char *out, size_t len)
{
	int fd = hu_connect_from(src, port), rc;

	if (fd < 0)
		return fd;
	rc = hu_send_get(fd, pre, pre_len, host, false);
	if (!rc)
		rc = hu_read_body(fd, out, len);
	close(fd);
	return rc;
}

/* The index N of a page "up=N...", or -1. */
static inline int hu_up(const char *page)
{
	return strncmp(page, "up=", 3) ? -1 : atoi(page + 3);
}

#endif
