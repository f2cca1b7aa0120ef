/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sd_notify.h - the systemd service notification protocol without
 * libsystemd: one datagram of "KEY=VALUE\n" lines to $NOTIFY_SOCKET.
 */
#ifndef EDGESTEER_SD_NOTIFY_H
#define EDGESTEER_SD_NOTIFY_H

#include <stdint.h>

/* Longest message sd_notify_printf() formats; longer ones are refused. */
#define SD_NOTIFY_MAX 1024

/*
 * Send `state` (e.g. "READY=1\nSTATUS=Running") to $NOTIFY_SOCKET.
 * Returns 1 when sent, 0 when not started by systemd (no NOTIFY_SOCKET),
 * -errno on failure (-EINVAL for an address that is neither a path nor
 * abstract, -ENAMETOOLONG when it does not fit a sockaddr_un).
 */
int sd_notify_state(const char *state);
int sd_notify_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The same, to an explicit address ("/path" or "@abstract"). */
int sd_notify_to(const char *addr, const char *state);

/*
 * Whether systemd expects WATCHDOG=1 pings from this process: 1 and the
 * interval in *usec when $WATCHDOG_USEC is set and $WATCHDOG_PID (when
 * set) is our PID, 0 when not, -EINVAL when either variable is malformed.
 */
int sd_notify_watchdog_usec(uint64_t *usec);

/* CLOCK_MONOTONIC in microseconds, for "RELOADING=1\nMONOTONIC_USEC=". */
uint64_t sd_notify_monotonic_usec(void);

#endif
