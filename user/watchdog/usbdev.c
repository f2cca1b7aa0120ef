// SPDX-License-Identifier: GPL-2.0-only
/*
 * usbdev.c - sysfs walk from a netdev to its USB device; USBDEVFS_RESET.
 * See usbdev.h for the walk. Every failure says which interface, which
 * path and what to check, because the person reading it is usually
 * looking at a gateway that has just lost its uplink.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/usbdevice_fs.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "usbdev.h"

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* Read a short sysfs attribute (bounded, trailing newline stripped). */
static int read_attr(const char *dir, const char *name, char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd, rc = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		rc = -errno;
	else {
		buf[n] = 0;
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
			buf[--n] = 0;
	}
	close(fd);
	return rc;
}

static bool has_file(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return false;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The bus a sysfs device sits on, from its `subsystem` link ("pci"...). */
static void bus_of(const char *dir, char *bus, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(bus, len, "unknown");
	if ((size_t)snprintf(path, sizeof(path), "%s/subsystem", dir) >= sizeof(path))
		return;
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return;
	target[n] = 0;
	if ((size_t)snprintf(bus, len, "%s", strrchr(target, '/') ? strrchr(target, '/') + 1 : target) >= len)
		snprintf(bus, len, "unknown");
}

static int parse_num(const char *s, int base, unsigned long max, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, base);
	if (errno || end == s || *end || v > max)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

/* Read one attribute of the USB device directory into a number. */
static int usb_attr(const char *ifname, const char *dir, const char *name, int base, unsigned long max,
		    unsigned *out, char *err, size_t errlen)
{
	char buf[32];
	struct stat st;
	int rc = read_attr(dir, name, buf, sizeof(buf));

	if (rc == -ENOENT && stat(dir, &st) < 0)
		return fail(err, errlen, -ENOENT, "%s: USB device %s vanished while it was being read "
			    "(unplugged or re-enumerating); retry", ifname, dir);
	if (rc == -ENOENT)
		return fail(err, errlen, -EINVAL, "%s: USB device %s has no %s file; cannot name its "
			    "device node", ifname, dir, name);
	if (rc == -EACCES || rc == -EPERM)
		return fail(err, errlen, rc, "%s: cannot read %s/%s: %s; run as root", ifname, dir, name,
			    strerror(-rc));
	if (rc)
		return fail(err, errlen, rc, "%s: cannot read %s/%s: %s", ifname, dir, name, strerror(-rc));
	if (parse_num(buf, base, max, out))
		return fail(err, errlen, -EINVAL, "%s: %s/%s holds '%s', not a %s number", ifname, dir, name,
			    buf, base == 16 ? "hex" : "decimal");
	return 0;
}

int usbdev_find(const char *sysfs_root, const char *dev_root, const char *ifname,
		struct usbdev *out, char *err, size_t errlen)
{
	char root[PATH_MAX], netdir[PATH_MAX], link[PATH_MAX], dir[PATH_MAX], target[PATH_MAX], bus[32];
	struct stat st;
	unsigned vid, pid;
	size_t rootlen;
	ssize_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	if (strlen(ifname) >= sizeof(out->ifname) || strchr(ifname, '/') || !ifname[0])
		return fail(err, errlen, -EINVAL, "'%s' is not an interface name", ifname);
	snprintf(out->ifname, sizeof(out->ifname), "%s", ifname);
	if (!realpath(sysfs_root, root))
		return fail(err, errlen, -errno, "%s: sysfs root %s: %s", ifname, sysfs_root, strerror(errno));
	rootlen = strlen(root);
	if ((size_t)snprintf(netdir, sizeof(netdir), "%s/class/net/%s", root, ifname) >= sizeof(netdir))
		return fail(err, errlen, -ENAMETOOLONG, "%s: sysfs root %s is too long", ifname, root);
	if (lstat(netdir, &st) < 0) {
		rc = -errno;
		if (rc == -ENOENT)
			return fail(err, errlen, -ENODEV, "%s: no such interface (%s does not exist)", ifname, netdir);
		return fail(err, errlen, rc, "%s: %s: %s", ifname, netdir, strerror(-rc));
	}
	if ((size_t)snprintf(link, sizeof(link), "%s/device", netdir) >= sizeof(link))
		return fail(err, errlen, -ENAMETOOLONG, "%s: sysfs root %s is too long", ifname, root);
	if (lstat(link, &st) < 0) {
		rc = -errno;
		if (rc == -ENOENT)
			return fail(err, errlen, -ENODEV, "%s: not a USB interface: %s does not exist "
				    "(a virtual interface: veth, bridge, tun, ...)", ifname, link);
		return fail(err, errlen, rc, "%s: %s: %s", ifname, link, strerror(-rc));
	}
	if (!realpath(link, dir)) {
		rc = -errno;
		n = readlink(link, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = 0;
		if (rc == -ENOENT)
			return fail(err, errlen, -ENOENT, "%s: device link %s -> %s dangles: the device "
				    "vanished (unplugged or being reset); retry when it is back", ifname, link, target);
		return fail(err, errlen, rc, "%s: cannot resolve %s -> %s: %s", ifname, link, target,
			    strerror(-rc));
	}
	bus_of(dir, bus, sizeof(bus));
	/* Up from the interface's device to the nearest dir with idVendor. */
	for (;;) {
		char *slash;

		if (strncmp(dir, root, rootlen) || (dir[rootlen] && dir[rootlen] != '/'))
			return fail(err, errlen, -ENODEV, "%s: device link %s leads outside %s", ifname, link, root);
		if (has_file(dir, "idVendor"))
			break;
		slash = strrchr(dir, '/');
		if (!slash || (size_t)(slash - dir) < rootlen || strlen(dir) <= rootlen) {
			char dev[PATH_MAX];

			if (!realpath(link, dev))
				snprintf(dev, sizeof(dev), "%s", link);
			return fail(err, errlen, -ENODEV, "%s: not a USB interface: its device %s is on bus "
				    "'%s' and has no USB device above it", ifname, dev, bus);
		}
		*slash = 0;
	}
	snprintf(out->usb_path, sizeof(out->usb_path), "%s", dir);
	snprintf(out->port, sizeof(out->port), "%s", strrchr(dir, '/') + 1);
	if ((rc = usb_attr(ifname, dir, "idVendor", 16, 0xffff, &vid, err, errlen)) ||
	    (rc = usb_attr(ifname, dir, "idProduct", 16, 0xffff, &pid, err, errlen)) ||
	    (rc = usb_attr(ifname, dir, "busnum", 10, 999, &out->busnum, err, errlen)) ||
	    (rc = usb_attr(ifname, dir, "devnum", 10, 999, &out->devnum, err, errlen)))
		return rc;
	out->vendor = (uint16_t)vid;
	out->product = (uint16_t)pid;
	if ((size_t)snprintf(out->node, sizeof(out->node), "%s/bus/usb/%03u/%03u", dev_root, out->busnum,
			     out->devnum) >= sizeof(out->node))
		return fail(err, errlen, -ENAMETOOLONG, "%s: dev_root %s is too long", ifname, dev_root);
	return 0;
}

int usbdev_reset(const struct usbdev *u, char *err, size_t errlen)
{
	struct stat st;
	int fd, rc = 0;

	/* O_NONBLOCK: a FIFO or a stuck node under a wrong dev_root must not
	 * block the loop; usbfs ignores the flag for the ioctl */
	fd = open(u->node, O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		if (rc == -ENOENT)
			return fail(err, errlen, rc, "%s: USB device node %s (%04x:%04x at %s) does not exist: "
				    "the device vanished or was re-enumerated, or devtmpfs is not at that root",
				    u->ifname, u->node, u->vendor, u->product, u->port);
		if (rc == -EACCES || rc == -EPERM || rc == -EROFS)
			return fail(err, errlen, rc, "%s: cannot open USB device node %s for writing: %s; "
				    "run as root or grant write access to the node", u->ifname, u->node,
				    strerror(-rc));
		return fail(err, errlen, rc, "%s: open %s: %s", u->ifname, u->node, strerror(-rc));
	}
	if (ioctl(fd, USBDEVFS_RESET, 0) < 0) {
		rc = -errno;
		if (rc == -ENOTTY)
			fail(err, errlen, rc, "%s: %s is not a USB device node (%s; USBDEVFS_RESET: %s); "
			     "check dev_root", u->ifname, u->node,
			     fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? "a regular file" : "wrong file type",
			     strerror(ENOTTY));
		else if (rc == -ENODEV)
			fail(err, errlen, rc, "%s: USB device %s (%s) disappeared during the reset", u->ifname,
			     u->node, u->port);
		else
			fail(err, errlen, rc, "%s: USBDEVFS_RESET on %s: %s", u->ifname, u->node, strerror(-rc));
	}
	close(fd);
	return rc;
}

int usbdev_iface_by_port(const char *sysfs_root, const char *port, char *ifname, size_t len)
{
	char dirpath[PATH_MAX], err[USBDEV_ERR_MAX];
	struct usbdev u;
	struct dirent *de;
	DIR *d;
	int rc = -ENOENT;

	snprintf(dirpath, sizeof(dirpath), "%s/class/net", sysfs_root);
	d = opendir(dirpath);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (usbdev_find(sysfs_root, "/dev", de->d_name, &u, err, sizeof(err)))
			continue;
		if (!strcmp(u.port, port)) {
			snprintf(ifname, len, "%s", de->d_name);
			rc = 0;
			break;
		}
	}
	closedir(d);
	return rc;
}
