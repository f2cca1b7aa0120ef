// SPDX-License-Identifier: GPL-2.0-only
/*
 * usbdev mapping and reset on fake sysfs and /dev trees built here: the
 * kernel of the test machine has no USB subsystem, and a real gateway's
 * tree is exactly directories, attribute files and symlinks.
 */
#include "harness.h"

#include <sys/stat.h>

#include "watchdog/usbdev.h"

#define PCI "devices/pci0000:00/0000:00:14.0"

FIXTURE(tree) {
	char root[128];
	char sys[160];
	char dev[160];
};

/* A USB device directory with its attributes. */
static void mk_usbdev(const char *sys, const char *path, const char *vid, const char *pid,
		      int bus, int dev)
{
	th_sh("mkdir -p '%s/%s' && cd '%s/%s' && printf '%%s\\n' %s > idVendor && "
	      "printf '%%s\\n' %s > idProduct && echo %d > busnum && echo %d > devnum && "
	      "ln -sfn ../../../../bus/usb subsystem",
	      sys, path, sys, path, vid, pid, bus, dev);
}

/* A netdev under the device directory `devdir`, linked from class/net. */
static void mk_netdev(const char *sys, const char *devdir, const char *ifname)
{
	th_sh("mkdir -p '%s/%s/net/%s' '%s/class/net' && ln -sfn ../../../%s '%s/%s/net/%s/device' && "
	      "ln -sfn ../../%s/net/%s '%s/class/net/%s'",
	      sys, devdir, ifname, sys, strrchr(devdir, '/') + 1, sys, devdir, ifname,
	      devdir, ifname, sys, ifname);
}

/* USB interface 1.0 of device `path` carrying netdev `ifname`. */
static void mk_usbnic(const char *sys, const char *path, const char *vid, const char *pid,
		      int bus, int dev, const char *ifname)
{
	char intf[256];

	mk_usbdev(sys, path, vid, pid, bus, dev);
	snprintf(intf, sizeof(intf), "%s/%s:1.0", path, strrchr(path, '/') + 1);
	th_sh("mkdir -p '%s/%s' && echo 00 > '%s/%s/bInterfaceNumber'", sys, intf, sys, intf);
	mk_netdev(sys, intf, ifname);
}

FIXTURE_SETUP(tree)
{
	snprintf(self->root, sizeof(self->root), "/tmp/es-watchdog-usb-%d", getpid());
	snprintf(self->sys, sizeof(self->sys), "%s/sys", self->root);
	snprintf(self->dev, sizeof(self->dev), "%s/dev", self->root);
	th_sh("rm -rf '%s'; mkdir -p '%s/bus/usb/002' '%s/bus/pci'", self->root, self->dev, self->sys);
	/* the root hub of bus 2 */
	mk_usbdev(self->sys, PCI "/usb2", "1d6b", "0003", 2, 1);
	/* an AX88179 directly on root port 1 */
	mk_usbnic(self->sys, PCI "/usb2/2-1", "0b95", "1790", 2, 3, "eth1");
	/* a hub on port 2; an AX88179 behind it; a second hub; an AX88179 behind both */
	mk_usbdev(self->sys, PCI "/usb2/2-2", "05e3", "0610", 2, 4);
	mk_usbnic(self->sys, PCI "/usb2/2-2/2-2.1", "0b95", "1790", 2, 5, "eth2");
	mk_usbdev(self->sys, PCI "/usb2/2-2/2-2.4", "05e3", "0610", 2, 6);
	mk_usbnic(self->sys, PCI "/usb2/2-2/2-2.4/2-2.4.3", "0b95", "1790", 2, 7, "eth3");
	/* a Realtek RTL8153 on the first hub */
	mk_usbnic(self->sys, PCI "/usb2/2-2/2-2.2", "0bda", "8153", 2, 8, "eth4");
	/* an AX88179 whose devnum file is missing */
	mk_usbnic(self->sys, PCI "/usb2/2-3", "0b95", "1790", 2, 9, "eth5");
	th_sh("rm '%s/" PCI "/usb2/2-3/devnum'", self->sys);
	/* a PCI NIC */
	th_sh("mkdir -p '%s/devices/pci0000:00/0000:03:00.0' && echo 0x8086 > "
	      "'%s/devices/pci0000:00/0000:03:00.0/vendor' && ln -sfn ../../../bus/pci "
	      "'%s/devices/pci0000:00/0000:03:00.0/subsystem'", self->sys, self->sys, self->sys);
	mk_netdev(self->sys, "devices/pci0000:00/0000:03:00.0", "enp3s0");
	/* a netdev whose device link dangles (device unplugged mid-walk) */
	th_sh("mkdir -p '%s/class/net/eth6' && ln -sfn ../../../" PCI "/usb2/2-5/2-5:1.0 "
	      "'%s/class/net/eth6/device'", self->sys, self->sys);
	/* a virtual interface: no device link at all */
	th_sh("mkdir -p '%s/class/net/veth0'", self->sys);
	/* device nodes: 002/003 exists (a regular file here), 002/005 does not */
	th_sh("touch '%s/bus/usb/002/003' '%s/bus/usb/002/007'", self->dev, self->dev);
}

FIXTURE_TEARDOWN(tree)
{
	if (self->root[0])
		th_sh("rm -rf '%s'", self->root);
}

static void expect_map(struct th_metadata *_metadata, const char *sys, const char *dev,
		       const char *ifname, const char *port, unsigned vid, unsigned pid, unsigned devnum)
{
	char err[USBDEV_ERR_MAX] = "", node[512];
	struct usbdev u;
	int rc = usbdev_find(sys, dev, ifname, &u, err, sizeof(err));

	if (rc)
		TH_LOG("%s", err);
	ASSERT_EQ(rc, 0);
	EXPECT_STREQ(u.ifname, ifname);
	EXPECT_STREQ(u.port, port);
	EXPECT_EQ(u.vendor, vid);
	EXPECT_EQ(u.product, pid);
	EXPECT_EQ(u.busnum, 2);
	EXPECT_EQ(u.devnum, devnum);
	snprintf(node, sizeof(node), "%s/bus/usb/002/%03u", dev, devnum);
	EXPECT_STREQ(u.node, node);
	EXPECT_TRUE(strstr(u.usb_path, port) != NULL);
}

static void expect_fail(struct th_metadata *_metadata, const char *sys, const char *dev, const char *ifname,
			int want, const char *needle1, const char *needle2)
{
	char err[USBDEV_ERR_MAX] = "";
	struct usbdev u;
	int rc = usbdev_find(sys, dev, ifname, &u, err, sizeof(err));

	TH_LOG("%s -> %d: %s", ifname, rc, err);
	EXPECT_EQ(rc, want);
	EXPECT_TRUE(strstr(err, ifname) != NULL);
	EXPECT_TRUE(strstr(err, needle1) != NULL);
	if (needle2)
		EXPECT_TRUE(strstr(err, needle2) != NULL);
}

TEST_F(tree, ax88179_on_root_port)
{
	expect_map(_metadata, self->sys, self->dev, "eth1", "2-1", 0x0b95, 0x1790, 3);
}

TEST_F(tree, ax88179_behind_one_hub)
{
	expect_map(_metadata, self->sys, self->dev, "eth2", "2-2.1", 0x0b95, 0x1790, 5);
}

TEST_F(tree, ax88179_behind_two_hubs)
{
	expect_map(_metadata, self->sys, self->dev, "eth3", "2-2.4.3", 0x0b95, 0x1790, 7);
}

TEST_F(tree, usb_nic_of_another_id)
{
	expect_map(_metadata, self->sys, self->dev, "eth4", "2-2.2", 0x0bda, 0x8153, 8);
}

/* Three identical adapters: each interface maps to its own node. */
TEST_F(tree, identical_adapters_map_by_path_not_id)
{
	char err[USBDEV_ERR_MAX];
	struct usbdev a, b, c;

	ASSERT_EQ(usbdev_find(self->sys, self->dev, "eth1", &a, err, sizeof(err)), 0);
	ASSERT_EQ(usbdev_find(self->sys, self->dev, "eth2", &b, err, sizeof(err)), 0);
	ASSERT_EQ(usbdev_find(self->sys, self->dev, "eth3", &c, err, sizeof(err)), 0);
	EXPECT_STRNE(a.node, b.node);
	EXPECT_STRNE(b.node, c.node);
	EXPECT_STRNE(a.node, c.node);
}

TEST_F(tree, pci_nic_is_not_usb)
{
	expect_fail(_metadata, self->sys, self->dev, "enp3s0", -ENODEV, "not a USB interface", "'pci'");
}

TEST_F(tree, virtual_nic_is_not_usb)
{
	expect_fail(_metadata, self->sys, self->dev, "veth0", -ENODEV, "not a USB interface", "/class/net/veth0/device");
}

TEST_F(tree, missing_interface)
{
	expect_fail(_metadata, self->sys, self->dev, "nosuch0", -ENODEV, "no such interface", "class/net/nosuch0");
}

TEST_F(tree, missing_devnum)
{
	expect_fail(_metadata, self->sys, self->dev, "eth5", -EINVAL, "has no devnum file", "/usb2/2-3");
}

TEST_F(tree, dangling_link)
{
	expect_fail(_metadata, self->sys, self->dev, "eth6", -ENOENT, "dangles", "2-5:1.0");
}

/* The attribute files vanish between the walk and the reads. */
TEST_F(tree, bad_attribute_is_named)
{
	th_sh("echo zz > '%s/" PCI "/usb2/2-1/busnum'", self->sys);
	expect_fail(_metadata, self->sys, self->dev, "eth1", -EINVAL, "busnum", "'zz'");
}

TEST_F(tree, found_again_by_port)
{
	char name[IFNAMSIZ] = "";

	ASSERT_EQ(usbdev_iface_by_port(self->sys, "2-2.4.3", name, sizeof(name)), 0);
	EXPECT_STREQ(name, "eth3");
	/* renamed by udev after a reset: found under its new name */
	th_sh("mv '%s/class/net/eth3' '%s/class/net/wan0'", self->sys, self->sys);
	ASSERT_EQ(usbdev_iface_by_port(self->sys, "2-2.4.3", name, sizeof(name)), 0);
	EXPECT_STREQ(name, "wan0");
	EXPECT_EQ(usbdev_iface_by_port(self->sys, "2-9", name, sizeof(name)), -ENOENT);
}

/* The real open + ioctl: a regular file refuses USBDEVFS_RESET. */
TEST_F(tree, reset_regular_file_is_enotty)
{
	char err[USBDEV_ERR_MAX] = "";
	struct usbdev u;
	int rc;

	ASSERT_EQ(usbdev_find(self->sys, self->dev, "eth1", &u, err, sizeof(err)), 0);
	rc = usbdev_reset(&u, err, sizeof(err));
	TH_LOG("%s", err);
	EXPECT_EQ(rc, -ENOTTY);
	EXPECT_TRUE(strstr(err, "eth1") != NULL);
	EXPECT_TRUE(strstr(err, u.node) != NULL);
	EXPECT_TRUE(strstr(err, "not a USB device node") != NULL);
	EXPECT_TRUE(strstr(err, "regular file") != NULL);
}

TEST_F(tree, reset_missing_node_is_enoent)
{
	char err[USBDEV_ERR_MAX] = "";
	struct usbdev u;
	int rc;

	ASSERT_EQ(usbdev_find(self->sys, self->dev, "eth2", &u, err, sizeof(err)), 0);
	rc = usbdev_reset(&u, err, sizeof(err));
	TH_LOG("%s", err);
	EXPECT_EQ(rc, -ENOENT);
	EXPECT_TRUE(strstr(err, "eth2") != NULL);
	EXPECT_TRUE(strstr(err, u.node) != NULL);
	EXPECT_TRUE(strstr(err, "does not exist") != NULL);
}

/* Not root: opening the node for writing is refused, and said so. */
TEST_F(tree, reset_without_permission)
{
	char err[USBDEV_ERR_MAX] = "";
	struct usbdev u;
	int rc;

	ASSERT_EQ(usbdev_find(self->sys, self->dev, "eth3", &u, err, sizeof(err)), 0);
	th_sh("chmod -R a+rX '%s'; chmod 0644 '%s'", self->root, u.node);
	if (geteuid() == 0 && setresuid(65534, 65534, 65534) != 0)
		SKIP(return, "cannot drop to uid 65534");
	rc = usbdev_reset(&u, err, sizeof(err));
	TH_LOG("%s", err);
	EXPECT_EQ(rc, -EACCES);
	EXPECT_TRUE(strstr(err, "eth3") != NULL);
	EXPECT_TRUE(strstr(err, u.node) != NULL);
	EXPECT_TRUE(strstr(err, "run as root") != NULL);
}

/* `edgesteer usb-reset IFACE`, standalone, on the fake tree. */
TEST_F(tree, usb_reset_command_line)
{
	const char *bin = getenv("EDGESTEER") ? getenv("EDGESTEER") : "build/edgesteer";
	char out[1024], roots[400];

	if (access(bin, X_OK))
		SKIP(return, "%s not built", bin);
	snprintf(roots, sizeof(roots), "--sysfs-root %s --dev-root %s", self->sys, self->dev);
	EXPECT_EQ(th_sh_out(out, sizeof(out), "%s usb-reset %s -n eth3 2>&1", bin, roots), 0);
	TH_LOG("%s", out);
	EXPECT_TRUE(strstr(out, "eth3: USB 0b95:1790 at port 2-2.4.3, bus 002 device 007") != NULL);
	EXPECT_TRUE(strstr(out, "dry run") != NULL);
	/* the real ioctl on a regular file */
	EXPECT_EQ(th_sh_out(out, sizeof(out), "%s usb-reset %s eth1 2>&1", bin, roots), 1);
	EXPECT_TRUE(strstr(out, "not a USB device node") != NULL);
	EXPECT_EQ(th_sh_out(out, sizeof(out), "%s usb-reset %s eth2 2>&1", bin, roots), 1);
	EXPECT_TRUE(strstr(out, "does not exist") != NULL);
	EXPECT_EQ(th_sh_out(out, sizeof(out), "%s usb-reset %s enp3s0 2>&1", bin, roots), 1);
	EXPECT_TRUE(strstr(out, "not a USB interface") != NULL);
	/* roots from the config file's [watchdog IFACE] */
	th_sh("printf '[watchdog eth4]\\nsysfs_root = %s\\ndev_root = %s\\n' > %s/es.conf", self->sys, self->dev,
	      self->root);
	EXPECT_EQ(th_sh_out(out, sizeof(out), "%s usb-reset -c %s/es.conf -n eth4 2>&1", bin, self->root), 0);
	EXPECT_TRUE(strstr(out, "0bda:8153 at port 2-2.2") != NULL);
	EXPECT_EQ(th_sh("%s usb-reset >/dev/null 2>&1", bin), 2);
}

TEST_HARNESS_MAIN
