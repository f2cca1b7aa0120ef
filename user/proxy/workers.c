// SPDX-License-Identifier: GPL-2.0-only
/*
 * workers.c - the proxy's event loops in threads ([global] workers).
 *
 * Each worker is a thread running its own loop (struct loop) with its own
 * proxy_set: listeners (SO_REUSEPORT sockets on the same addresses, the
 * kernel spreads new connections), connections, pipe pool and counters.
 * What a section's fronts share across workers lives in struct
 * front_shared (proxy_int.h) under its own lock.
 *
 * Everything else the main thread does to a worker - apply a config,
 * read its counters, stop its listeners - it does while the worker is
 * parked: the main thread writes each worker's eventfd and waits until
 * every one of them sits blocked inside its eventfd callback. A parked
 * worker is between two callbacks of its loop, so its state is
 * consistent and nothing of it moves: the main thread may then call
 * into the worker's proxy_set and loop as if it were the worker (epoll
 * itself is thread-safe; loop_fd_del() blanks the events still pending
 * in the parked worker's batch). Parking takes as long as the slowest
 * worker's current callback, and happens on start, reload, metrics,
 * stats and SIGTERM only.
 *
 * A poke (another worker closed a connection while this one has a
 * listener paused at a shared limit) is a flag and the same eventfd.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/log.h"
#include "proxy_int.h"

static void on_wake(struct loop_fd *h, uint32_t ev)
{
	struct worker *w = container_of(h, struct worker, eh);
	struct workers *ws = w->ws;
	uint64_t v;

	(void)ev;
	(void)!read(h->fd, &v, sizeof(v));
	pthread_mutex_lock(&ws->mu);
	if (ws->park) {
		ws->parked++;
		pthread_cond_broadcast(&ws->cv);
		while (ws->park)
			pthread_cond_wait(&ws->cv, &ws->mu);
		ws->parked--;
	}
	if (ws->quit)
		loop_stop(w->loop);
	pthread_mutex_unlock(&ws->mu);
	if (atomic_exchange(&w->poked, false) && ws->poked)
		ws->poked(w->set);
}

static void wake(struct worker *w)
{
	uint64_t one = 1;

	/* the counter saturates at 2^64-2: a write never blocks in practice */
	(void)!write(w->eh.fd, &one, sizeof(one));
}

int workers_new(int n, void (*poked)(struct proxy_set *s), struct workers **out)
{
	struct workers *ws = calloc(1, sizeof(*ws));
	int err = -ENOMEM;

	if (!ws)
		return -ENOMEM;
	ws->w = calloc((size_t)n, sizeof(*ws->w));
	if (!ws->w)
		goto fail;
	ws->poked = poked;
	if (pthread_mutex_init(&ws->mu, NULL))
		goto fail_w;
	if (pthread_cond_init(&ws->cv, NULL)) {
		pthread_mutex_destroy(&ws->mu);
		goto fail_w;
	}
	for (int i = 0; i < n; i++) {
		struct worker *w = &ws->w[i];
		int fd;

		w->ws = ws;
		w->idx = i;
		w->eh.fd = -1;
		atomic_init(&w->poked, false);
		ws->n++;
		err = loop_new(&w->loop);
		if (err)
			goto fail_all;
		/* close() alone does not end an epoll registration while a
		 * posix_spawn child of another thread holds a copy of the fd */
		loop_set_threaded(w->loop);
		fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (fd < 0) {
			err = -errno;
			goto fail_all;
		}
		err = loop_fd_add(w->loop, &w->eh, fd, EPOLLIN, on_wake);
		if (err) {
			close(fd);
			goto fail_all;
		}
	}
	*out = ws;
	return 0;
fail_all:
	pr_err("proxy: cannot set up worker %d: %s", ws->n - 1, strerror(-err));
	workers_free(ws);
	return err;
fail_w:
	free(ws->w);
fail:
	free(ws);
	return err;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int err = loop_run(w->loop);

	if (err)
		pr_err("proxy: worker %d: event loop: %s", w->idx, strerror(-err));
	return NULL;
}

int workers_run(struct workers *ws)
{
	sigset_t all, old;
	int err = 0;

	/* signals are the main loop's (signalfd): none may land in a worker */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (int i = 0; i < ws->n; i++) {
		err = -pthread_create(&ws->w[i].th, NULL, worker_main, &ws->w[i]);
		if (err) {
			pr_err("proxy: cannot start worker %d: %s", i, strerror(-err));
			break;
		}
		ws->w[i].running = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err;
}

static int running(const struct workers *ws)
{
	int n = 0;

	for (int i = 0; i < ws->n; i++)
		n += ws->w[i].running;
	return n;
}

/* Sets a request every worker reads under ws->mu (park, quit) and wakes
 * the running ones so that they see it. */
static void tell_all(struct workers *ws, bool *flag)
{
	pthread_mutex_lock(&ws->mu);
	*flag = true;
	pthread_mutex_unlock(&ws->mu);
	for (int i = 0; i < ws->n; i++)
		if (ws->w[i].running)
			wake(&ws->w[i]);
}

void workers_park(struct workers *ws)
{
	int n = running(ws);

	tell_all(ws, &ws->park);
	pthread_mutex_lock(&ws->mu);
	while (ws->parked < n)
		pthread_cond_wait(&ws->cv, &ws->mu);
	pthread_mutex_unlock(&ws->mu);
}

void workers_release(struct workers *ws)
{
	pthread_mutex_lock(&ws->mu);
	ws->park = false;
	pthread_cond_broadcast(&ws->cv);
	pthread_mutex_unlock(&ws->mu);
}

void workers_poke(struct workers *ws, int idx)
{
	struct worker *w = &ws->w[idx];

	if (!atomic_exchange(&w->poked, true))
		wake(w);
}

void workers_stop(struct workers *ws)
{
	if (!ws)
		return;
	tell_all(ws, &ws->quit);
	for (int i = 0; i < ws->n; i++)
		if (ws->w[i].running) {
			pthread_join(ws->w[i].th, NULL);
			ws->w[i].running = false;
		}
}

void workers_free(struct workers *ws)
{
	if (!ws)
		return;
	workers_stop(ws);
	for (int i = 0; i < ws->n; i++) {
		struct worker *w = &ws->w[i];

		if (w->eh.fd >= 0) {
			int fd = w->eh.fd;

			loop_fd_del(w->loop, &w->eh);
			close(fd);
		}
		loop_free(w->loop);
	}
	pthread_cond_destroy(&ws->cv);
	pthread_mutex_destroy(&ws->mu);
	free(ws->w);
	free(ws);
}
