// SPDX-License-Identifier: GPL-2.0-only
/*
 * metrics_http.c - a minimal HTTP/1.0 responder for Prometheus scrapes.
 * One request per connection (Connection: close), bounded and deadlined
 * by reqsrv; no keep-alive, no chunking: scrapers need nothing more.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "metrics_http.h"
#include "reqsrv.h"

struct metrics_http {
	struct reqsrv *rs;
	metrics_render_fn render;
	void *ctx;
};

static size_t http_complete(const char *req, size_t len)
{
	const char *end = memmem(req, len, "\r\n\r\n", 4);

	if (end)
		return (size_t)(end - req) + 4;
	end = memmem(req, len, "\n\n", 2);	/* lenient: bare LF clients */
	return end ? (size_t)(end - req) + 2 : 0;
}

static void http_status(struct reqsrv_reply *r, const char *status, const char *body)
{
	reqsrv_printf(r, "HTTP/1.0 %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
		      "Connection: close\r\n\r\n%s", status, strlen(body), body);
}

static void http_handle(void *ctx, int role, char *req, size_t len, struct reqsrv_reply *r)
{
	struct metrics_http *m = ctx;
	struct metric_sink *s = NULL;
	const char *text;
	size_t tlen = 0;
	bool head = !strncmp(req, "HEAD ", 5);

	(void)role;

	if (strncmp(req, "GET ", 4) && !head) {
		http_status(r, "405 Method Not Allowed", "only GET /metrics\n");
		return;
	}
	{
		const char *path = req + (head ? 5 : 4);

		if (strncmp(path, "/metrics", 8) || (path[8] != ' ' && path[8] != '?')) {
			http_status(r, "404 Not Found", "try /metrics\n");
			return;
		}
	}
	if (metric_sink_new(METRIC_PROM, REQSRV_REPLY_MAX - 4096, &s)) {
		http_status(r, "500 Internal Server Error", "out of memory\n");
		return;
	}
	m->render(m->ctx, s);
	text = metric_sink_finish(s, &tlen);
	if (!text) {
		http_status(r, "500 Internal Server Error", "metrics too large\n");
	} else {
		reqsrv_printf(r, "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
			      "Content-Length: %zu\r\nConnection: close\r\n\r\n", tlen);
		if (!head)
			reqsrv_append(r, text, tlen);
	}
	metric_sink_free(s);
}

static const struct reqsrv_ops http_ops = {
	.complete = http_complete,
	.handle = http_handle,
	.refusal = "HTTP/1.0 503 Service Unavailable\r\nConnection: close\r\n\r\n",
	.name = "metrics listener",
	.req_max = REQSRV_REQ_MAX,
	.timeout_ms = 5000,
};

int metrics_http_start(struct loop *l, const struct conf_addr *addr, metrics_render_fn render,
		       void *ctx, struct metrics_http **out)
{
	struct metrics_http *m = calloc(1, sizeof(*m));
	int fd, one = 1, err;

	if (!m)
		return -ENOMEM;
	m->render = render;
	m->ctx = ctx;
	fd = socket(addr->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		goto fail;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&addr->ss, addr->len) < 0 || listen(fd, 64) < 0) {
		err = -errno;
		pr_err("metrics listener %s: %s", addr->text, strerror(errno));
		goto fail;
	}
	err = reqsrv_start(l, fd, &http_ops, m, &m->rs);
	if (err)
		goto fail;
	*out = m;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	free(m);
	return err;
}

void metrics_http_stats(const struct metrics_http *m, struct reqsrv_stats *out)
{
	reqsrv_get_stats(m ? m->rs : NULL, out);
}

void metrics_http_free(struct metrics_http *m)
{
	if (!m)
		return;
	reqsrv_free(m->rs);
	free(m);
}
