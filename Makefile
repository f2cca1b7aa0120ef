# SPDX-License-Identifier: GPL-2.0-only
#
# One non-recursive Makefile; every output lands in $(BUILD).
#   make            BPF objects, skeletons, the edgesteer binary, man pages
#   make man        the man pages, in $(BUILD)/man
#   make test       dependencies, layout check, build, every test and fuzzer
#   make demo       dependencies, build, the demo topology (DURATION=N)
#   make bench      benchmarks against the peers
#   make install    PREFIX=/usr/local DESTDIR=
#   make deb        the Debian package in $(BUILD)/deb (ARCH=arm64 too)
#   make ARCH=arm64 cross-build (CROSS_COMPILE=aarch64-linux-gnu-)
#   make test-arm64 the unit tests of the arm64 build under qemu
#   make V=1        show full commands
#
# Source files are picked up by wildcard: a new user/*/*.c joins the
# library (user/cli/*.c the binary's front end only),
# a new tests/unit/*/*.c or tests/{bpf,e2e}/*.c becomes a test binary, a new
# tests/fuzz/*.c a libFuzzer target. Nothing here needs editing for that.

# Target architecture, in Debian's names. A foreign one cross-builds into
# build/ARCH with Debian's cross toolchain and multiarch libraries
# (scripts/deps.sh --arm64); the BPF object is built once, in build/, and
# shared, since BPF bytecode does not depend on the host.
HOST_ARCH := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
ARCH     ?= $(HOST_ARCH)
ifneq ($(ARCH),$(HOST_ARCH))
CROSS_COMPILE ?= $(shell dpkg-architecture -a$(ARCH) -qDEB_HOST_GNU_TYPE 2>/dev/null)-
BUILD    ?= build/$(ARCH)
BPFBUILD ?= build
endif
ifneq ($(CROSS_COMPILE),)
CC       := $(CROSS_COMPILE)gcc
AR       := $(CROSS_COMPILE)ar
endif
BUILD    ?= build
BPFBUILD ?= $(BUILD)
CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool
PREFIX   ?= /usr/local
DESTDIR  ?=
SBINDIR  ?= $(PREFIX)/sbin
SYSCONFDIR ?= /etc
UNITDIR  ?= /lib/systemd/system
DURATION ?=
FUZZ_SECONDS ?= 10

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

MULTIARCH := $(shell gcc -print-multiarch 2>/dev/null)
BPF_ARCH  := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

# The version has one home, debian/changelog's first line.
VERSION  := $(shell sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog)
# BearSSL has no run-time version call: name the -dev package built against.
BEARSSL_VERSION := $(shell dpkg-query -W -f='$${Version}' libbearssl-dev:$(ARCH) 2>/dev/null)

WARN     := -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wno-unused-parameter
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 $(WARN) -D_GNU_SOURCE -Iinclude -iquote user -I$(BPFBUILD)/skel -MMD -MP
LDLIBS   := -lbpf -lelf -lz -lbearssl -lhogweed -lnettle -lgmp -linih -lm -lresolv

BPF_CFLAGS := -target bpf -O2 -g -Wall -Werror -Iinclude -Ibpf \
	      -I/usr/include/$(MULTIARCH) -D__TARGET_ARCH_$(BPF_ARCH)

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BPFBUILD)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(BPFBUILD)/skel/%.skel.h,$(BPF_SRCS))

USER_SRCS := $(wildcard user/*/*.c)
CLI_SRCS  := $(wildcard user/cli/*.c)
LIB_SRCS  := $(filter-out $(CLI_SRCS),$(USER_SRCS))
CLI_OBJS  := $(patsubst user/%.c,$(BUILD)/user/%.o,$(CLI_SRCS))
LIB_OBJS  := $(patsubst user/%.c,$(BUILD)/user/%.o,$(LIB_SRCS))
LIB       := $(BUILD)/libedgesteer.a
BIN       := $(BUILD)/edgesteer

TEST_SRCS := $(wildcard tests/unit/*/*.c tests/bpf/*.c tests/e2e/*.c)
TEST_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRCS))

# Fuzzers: clang, libFuzzer, ASan and UBSan; the library is rebuilt with them.
FUZZ_CFLAGS := -O1 -g -std=gnu11 -D_GNU_SOURCE -Iinclude -iquote user -I$(BPFBUILD)/skel \
	       -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
	       -fno-omit-frame-pointer -MMD -MP
FUZZ_SRCS := $(wildcard tests/fuzz/*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
FUZZ_OBJS := $(patsubst user/%.c,$(BUILD)/fuzzobj/%.o,$(LIB_SRCS))

.DELETE_ON_ERROR:
.SECONDARY:
# Man pages. edgesteer(8) is written by hand in docs/; edgesteer.conf(5) is
# the hand-written page with its key reference generated from the parser's
# own tables (scripts/conf-man.c).
MAN_PAGES := $(BUILD)/man/edgesteer.8 $(BUILD)/man/edgesteer.conf.5

.PHONY: all deps test tests fuzzers demo bench install clean check-clang check-layout \
	man deb test-arm64 arm64-unit-tests

all: $(BIN) man

$(BUILD)/man/edgesteer.8: docs/edgesteer.8
	$(call msg,MAN,$@)
	$(Q)install -D -m 0644 $< $@

deps:
	$(Q)scripts/deps.sh

$(BPFBUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h include/*.h)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BPFBUILD)/skel/%.skel.h: $(BPFBUILD)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*) > $@

$(BUILD)/user/%.o: user/%.c | $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# The version has one source, debian/changelog; every object that prints it
# (--version, build_info, stats --json) gets it from here.
$(LIB_OBJS) $(CLI_OBJS): CPPFLAGS += -DEDGESTEER_VERSION='"$(VERSION)"'
$(LIB_OBJS) $(CLI_OBJS): debian/changelog
$(BUILD)/user/cli/main.o: CPPFLAGS += -DBEARSSL_VERSION='"$(or $(BEARSSL_VERSION),unknown)"'

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

$(BIN): $(CLI_OBJS) $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/%.c tests/harness.h $(LIB) | $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Itests -o $@ $< $(LIB) $(LDLIBS) -lpthread

$(BUILD)/fuzzobj/%.o: user/%.c | $(SKELS)
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -c $< -o $@

$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJS)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Itests -o $@ $< $(FUZZ_OBJS) $(LDLIBS)

$(BUILD)/scripts/conf-man: scripts/conf-man.c $(LIB)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LDLIBS)

$(BUILD)/man/edgesteer.conf.5: docs/edgesteer.conf.5.in $(BUILD)/scripts/conf-man
	$(call msg,GEN-MAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BUILD)/scripts/conf-man $< > $@

man: $(MAN_PAGES)

tests: $(BIN) $(TEST_BINS) $(BPF_OBJS) man
fuzzers: $(FUZZ_BINS)

# The README's test command. Dependencies first, the gcc build, then the
# clang build (warnings must be clean under both) beside the arm64 cross
# build and its unit tests under qemu (skipped with T=), then every test
# binary and every fuzzer (FUZZ_SECONDS each, JOBS at a time), with one
# grand total at the end. The builds run one job per CPU unless make was
# given -j, each build's output in one piece. The arm64 packages are
# installed before any build starts (apt may upgrade a host library to
# match), and the arm64 build starts after the gcc build: both use the
# BPF skeleton in $(BUILD)/skel, which only the first may write.
TEST_J = $(if $(findstring -j,$(MAKEFLAGS)),,-j$(shell nproc))
test: deps
	$(Q)$(MAKE) --no-print-directory check-layout
	$(Q)$(if $(T),,scripts/deps.sh --arm64)
	$(Q)$(MAKE) $(TEST_J) --no-print-directory tests fuzzers
	$(Q)$(MAKE) $(TEST_J) -Orecurse --no-print-directory check-clang $(if $(T),,test-arm64)
	$(Q)BUILD=$(BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/run.sh $(T)

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) scripts/demo.sh $(DURATION)

bench: deps
	$(Q)$(MAKE) --no-print-directory all $(BPF_OBJS)
	$(Q)BUILD=$(BUILD) scripts/bench/run.sh

# The include graph between user/ folders: the layers of HACKING.md's map,
# no cycle, no other folder's *_int.h.
check-layout:
	$(Q)scripts/check-layout.py

# Warnings must be clean under clang too.
check-clang:
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/clang CC=clang all tests

# Everything an installed system needs; the Debian package is built from
# this.
DOCDIR     ?= $(PREFIX)/share/doc/edgesteer
MANDIR     ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
BASHCOMP   := $(wildcard contrib/bash-completion/edgesteer)

install: $(BIN) man
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)install -D -m 0755 $(BIN) $(DESTDIR)$(SBINDIR)/edgesteer
	$(Q)install -D -m 0644 examples/edgesteer.conf $(DESTDIR)$(SYSCONFDIR)/edgesteer/edgesteer.conf.example
	$(Q)sed 's|@SBINDIR@|$(SBINDIR)|g' scripts/edgesteer.service > $(BUILD)/edgesteer.service
	$(Q)install -D -m 0644 $(BUILD)/edgesteer.service $(DESTDIR)$(UNITDIR)/edgesteer.service
	$(Q)install -D -m 0644 scripts/edgesteer.tmpfiles $(DESTDIR)$(TMPFILESDIR)/edgesteer.conf
	$(Q)for m in $(MAN_PAGES); do \
		install -D -m 0644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/} || exit 1; done
	$(Q)$(if $(BASHCOMP),install -D -m 0644 $(BASHCOMP) $(DESTDIR)$(BASHCOMPDIR)/edgesteer)

# The Debian package, built from a copy of the tree so that neither
# debian/ nor the parent directory collects build products:
# $(BUILD)/deb/edgesteer_VERSION_ARCH.deb.
DEB_SRC = $(BUILD)/deb/src/edgesteer-$(VERSION)
deb:
	$(call msg,DEB,$(BUILD)/deb/edgesteer_$(VERSION)_$(ARCH).deb)
	$(Q)rm -rf $(BUILD)/deb && mkdir -p $(DEB_SRC)
	$(Q)tar -c --exclude=./build --exclude='./$(BUILD)' --exclude=./.git --exclude=./.ci -f - . | \
		tar -x -C $(DEB_SRC)
	$(Q)cd $(DEB_SRC) && $(if $(CROSS_COMPILE),CC=$(CROSS_COMPILE)gcc DEB_BUILD_OPTIONS=nocheck) \
		dpkg-buildpackage -b -us -uc $(if $(filter-out $(HOST_ARCH),$(ARCH)),-a$(ARCH) -Pcross,) \
		> ../../build.log 2>&1 || { tail -n 40 ../../build.log; exit 1; }
	$(Q)mv $(BUILD)/deb/src/*.deb $(BUILD)/deb/src/*.buildinfo $(BUILD)/deb/src/*.changes $(BUILD)/deb/
	$(Q)mv $(BUILD)/deb/src/*.ddeb $(BUILD)/deb/ 2>/dev/null || true
	$(Q)rm -rf $(BUILD)/deb/src
	$(Q)ls $(BUILD)/deb/*.deb

# The arm64 build's unit tests (pure code, no kernel) under qemu user mode.
test-arm64:
	$(Q)scripts/deps.sh --arm64
	$(Q)$(MAKE) --no-print-directory ARCH=arm64 arm64-unit-tests
ARM64_UNIT_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/*/*.c))
arm64-unit-tests: $(BIN) $(ARM64_UNIT_BINS)
	$(Q)BUILD=$(BUILD) scripts/test-arm64.sh

clean:
	$(call msg,CLEAN,$(BUILD))
	$(Q)rm -rf $(BUILD)

-include $(wildcard $(BUILD)/scripts/*.d $(BUILD)/user/*/*.d $(BUILD)/tests/*/*.d $(BUILD)/tests/*/*/*.d $(BUILD)/fuzzobj/*/*.d $(BUILD)/fuzz/*.d)
