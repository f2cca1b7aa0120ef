# SPDX-License-Identifier: GPL-2.0-only
#
# One non-recursive Makefile; every output lands in $(BUILD).
#   make            BPF objects, skeletons, the edgesteer binary
#   make test       dependencies, layout check, build, every test and fuzzer
#   make demo       dependencies, build, the demo topology (DURATION=N)
#   make bench      benchmarks against the peers
#   make install    PREFIX=/usr/local DESTDIR=
#   make V=1        show full commands
#
# Source files are picked up by wildcard: a new user/*/*.c joins the
# library (user/cli/*.c the binary's front end only),
# a new tests/unit/*/*.c or tests/{bpf,e2e}/*.c becomes a test binary, a new
# tests/fuzz/*.c a libFuzzer target. Nothing here needs editing for that.

BUILD    ?= build
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

MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
BPF_ARCH  := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

WARN     := -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wno-unused-parameter
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 $(WARN) -D_GNU_SOURCE -Iinclude -iquote user -I$(BUILD)/skel -MMD -MP
LDLIBS   := -lbpf -lelf -lz -lbearssl -linih -lm

BPF_CFLAGS := -target bpf -O2 -g -Wall -Werror -Iinclude -Ibpf \
	      -I/usr/include/$(MULTIARCH) -D__TARGET_ARCH_$(BPF_ARCH)

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(BUILD)/skel/%.skel.h,$(BPF_SRCS))

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
FUZZ_CFLAGS := -O1 -g -std=gnu11 -D_GNU_SOURCE -Iinclude -iquote user -I$(BUILD)/skel \
	       -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
	       -fno-omit-frame-pointer -MMD -MP
FUZZ_SRCS := $(wildcard tests/fuzz/*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
FUZZ_OBJS := $(patsubst user/%.c,$(BUILD)/fuzzobj/%.o,$(LIB_SRCS))

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all deps test tests fuzzers demo bench install clean check-clang check-layout

all: $(BIN)

deps:
	$(Q)scripts/deps.sh

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h include/*.h)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/skel/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*) > $@

$(BUILD)/user/%.o: user/%.c | $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(BIN): $(CLI_OBJS) $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

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

tests: $(BIN) $(TEST_BINS) $(BPF_OBJS)
fuzzers: $(FUZZ_BINS)

# The README's test command. Dependencies first, the gcc build, the clang
# build (warnings must be clean under both), then every test binary and
# every fuzzer (FUZZ_SECONDS each), with one grand total at the end.
test: deps
	$(Q)$(MAKE) --no-print-directory check-layout
	$(Q)$(MAKE) --no-print-directory tests fuzzers
	$(Q)$(MAKE) --no-print-directory check-clang
	$(Q)BUILD=$(BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/run.sh $(T)

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) scripts/demo.sh $(DURATION)

bench: deps
	$(Q)$(MAKE) --no-print-directory all $(BPF_OBJS)
	$(Q)BUILD=$(BUILD) scripts/bench/run.sh

# The include graph between user/ folders: the layers of the README's map,
# no cycle, no other folder's *_int.h.
check-layout:
	$(Q)scripts/check-layout.py

# Warnings must be clean under clang too.
check-clang:
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/clang CC=clang all tests

install: $(BIN)
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)install -D -m 0755 $(BIN) $(DESTDIR)$(SBINDIR)/edgesteer
	$(Q)install -D -m 0644 examples/edgesteer.conf $(DESTDIR)$(SYSCONFDIR)/edgesteer/edgesteer.conf.example
	$(Q)sed 's|@SBINDIR@|$(SBINDIR)|g' scripts/edgesteer.service > $(BUILD)/edgesteer.service
	$(Q)install -D -m 0644 $(BUILD)/edgesteer.service $(DESTDIR)$(UNITDIR)/edgesteer.service

clean:
	$(call msg,CLEAN,$(BUILD))
	$(Q)rm -rf $(BUILD)

-include $(wildcard $(BUILD)/user/*/*.d $(BUILD)/tests/*/*.d $(BUILD)/tests/*/*/*.d $(BUILD)/fuzzobj/*/*.d $(BUILD)/fuzz/*.d)
