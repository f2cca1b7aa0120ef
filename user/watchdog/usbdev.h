/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * usbdev.h - from a network interface name to the USB device behind it,
 * and the USBDEVFS_RESET of exactly that device.
 *
 * The mapping walks sysfs only: SYSFS/class/net/IFACE/device is resolved
 * (realpath) to the device the netdev hangs off - for a USB NIC that is a
 * USB *interface* directory such as .../usb2/2-1/2-1.4/2-1.4:1.0 - and
 * then upwards to the nearest directory holding idVendor: that is the
 * USB device (hubs are further up and never reached). Its busnum and
 * devnum name the node DEV/bus/usb/BBB/DDD. The device directory's name
 * ("2-1.4", bus 2, root port 1, hub port 4) is the device's place in the
 * USB topology: stable across a reset and distinct for two identical
 * adapters, so it is how the watchdog recognises "the same adapter".
 *
 * Nothing here searches by USB id: the device reset is always the one
 * the interface's own sysfs path leads to. The roots are parameters so
 * tests can build fake trees (this kernel has no USB subsystem).
 */
#ifndef EDGESTEER_USBDEV_H
#define EDGESTEER_USBDEV_H

#include <limits.h>
#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

#define USBDEV_ERR_MAX 512

struct usbdev {
	char ifname[IFNAMSIZ];
	char usb_path[PATH_MAX];	/* sysfs directory of the USB device */
	char port[64];			/* its basename: "2-1.4", the topology path */
	uint16_t vendor, product;	/* idVendor, idProduct */
	unsigned busnum, devnum;
	char node[PATH_MAX];		/* DEV/bus/usb/BBB/DDD */
};

/*
 * Map `ifname` to its USB device. Returns 0, or -errno with a message in
 * err naming the interface and the path:
 *   -ENODEV  no such interface / not a USB interface (PCI, virtual)
 *   -ENOENT  dangling device link or vanished sysfs entry
 *   -EACCES  sysfs not readable
 *   -EINVAL  a USB device directory with a missing or bad attribute
 */
int usbdev_find(const char *sysfs_root, const char *dev_root, const char *ifname,
		struct usbdev *out, char *err, size_t errlen);

/*
 * open(node, O_WRONLY) + ioctl(USBDEVFS_RESET). Returns 0 or -errno with a
 * message naming interface and node (ENOENT: node missing; EACCES/EPERM:
 * permission; ENOTTY: not a USB device node; ENODEV: device gone).
 */
int usbdev_reset(const struct usbdev *u, char *err, size_t errlen);

/* The interface (under SYSFS/class/net) whose USB device sits at `port`;
 * 0 and its name, or -ENOENT. Finds an adapter that came back renamed. */
int usbdev_iface_by_port(const char *sysfs_root, const char *port, char *ifname, size_t len);

#endif
