# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
#   make               build ./shmtrace (installs missing Debian packages)
#   sudo make run      build and trace every shmget on the system
#   sudo make test     build and run the whole test suite
#   make check         the tests that need neither root nor BPF, in seconds
#   make STATIC=1      a static binary, to copy onto another host
#   make vmlinux       regenerate vmlinux/vmlinux.h from this kernel's BTF

OUTPUT := .output
CLANG ?= clang
LLVM_STRIP ?= llvm-strip
BPFTOOL ?= bpftool
CC ?= gcc
ARCH := x86
PREFIX ?= /usr/local
VERSION := 0.1

# Debian packages: to build, and additionally to run the tests.
BUILD_PKGS := clang llvm libbpf-dev libelf-dev zlib1g-dev bpftool make pkg-config
TEST_PKGS := gcc-multilib libc6-dev-i386 jq libzstd-dev busybox-static qemu-system-x86 \
	libclang-rt-14-dev man-db util-linux podman runc
TEST_PKGS += prometheus curl python3 python3-yaml iproute2

CFLAGS := -g -O2 -Wall -Wextra -DSHMTRACE_VERSION='"$(VERSION)"'
# A program's context argument is fixed by its hook, used or not.
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Wextra -Wno-unused-parameter
INCLUDES := -I$(OUTPUT) -Iinclude -Isrc
LIBS := -lbpf -lelf -lz

# Each build flavour keeps its objects apart.
BUILD := $(OUTPUT)/obj
BIN ?= shmtrace
ifeq ($(STATIC),1)
BUILD := $(OUTPUT)/static
LDFLAGS += -static
LIBS += -lzstd
endif
ifeq ($(SANITIZE),1)
BUILD := $(OUTPUT)/san
CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif

# The tests' builds: a new compiler's new warning must not stop a user's.
ifeq ($(WERROR),1)
BUILD := $(BUILD)-werror
CFLAGS += -Werror
endif

SRCS := $(wildcard src/*.c)
OBJS := $(patsubst src/%.c,$(BUILD)/%.o,$(SRCS))
LIB_OBJS := $(filter-out $(BUILD)/shmtrace.o,$(OBJS))
SKEL := $(OUTPUT)/shmtrace.skel.h
DEPS_STAMP := $(OUTPUT)/deps.stamp

.PHONY: all clean install run test check vmtest bench vmlinux deps test-deps
.DELETE_ON_ERROR:

all: $(BIN)

# Installs what is missing, once; off Debian, names what to install.
define ensure_pkgs
	@missing=""; \
	if command -v dpkg-query >/dev/null 2>&1; then \
		for p in $(1); do \
			dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
		done; \
	fi; \
	if [ -n "$$missing" ]; then \
		if ! command -v apt-get >/dev/null 2>&1; then \
			echo "shmtrace: please install:$$missing (Debian package names)" >&2; exit 1; \
		fi; \
		if [ "$$(id -u)" != 0 ]; then \
			echo "shmtrace: missing packages:$$missing; run as root to install them" >&2; exit 1; \
		fi; \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
	fi
endef

$(DEPS_STAMP): | $(OUTPUT)
	$(call ensure_pkgs,$(BUILD_PKGS))
	@touch $@

deps: $(DEPS_STAMP)

test-deps: $(DEPS_STAMP)
	$(call ensure_pkgs,$(TEST_PKGS))

$(OUTPUT) $(BUILD):
	@mkdir -p $@

$(OUTPUT)/shmtrace.bpf.o: bpf/shmtrace.bpf.c $(wildcard include/*.h include/arch/*.h) vmlinux/vmlinux.h $(DEPS_STAMP) | $(OUTPUT)
	$(CLANG) $(BPF_CFLAGS) -Ivmlinux -Iinclude -c $< -o $@
	$(LLVM_STRIP) -g $@

$(SKEL): $(OUTPUT)/shmtrace.bpf.o
	$(BPFTOOL) gen skeleton $< name shmtrace_bpf > $@

$(BUILD)/%.o: src/%.c $(wildcard src/*.h include/*.h include/arch/*.h) $(SKEL) | $(BUILD)
	$(CC) $(CFLAGS) $(INCLUDES) -c $< -o $@

$(BIN): $(OBJS)
	$(CC) $(CFLAGS) $^ $(LDFLAGS) $(LIBS) -lm -o $@

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/vmlinux.h

run: $(BIN)
	./$(BIN)

# Test programs; the unit tests always run under the sanitizers.
TEST_CFLAGS := -g -O1 -Wall -Wextra -Werror $(INCLUDES)
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# Everything but main and what needs the kernel: the unit tests and fuzzers.
PURE_SRCS := src/btfcache.c src/cli.c src/container.c src/decode.c src/findings.c src/fmt.c src/output.c src/stable.c src/syscalls.c \
	src/segments.c src/summary.c src/metrics.c

$(OUTPUT)/unit: tests/unit.c $(PURE_SRCS) $(wildcard src/*.h) | $(OUTPUT)
	$(CC) $(TEST_CFLAGS) $(SAN_FLAGS) tests/unit.c $(PURE_SRCS) $(LIBS) -lm -o $@

# The BPF object's programs against what attach.c reads from their names.
HOOKS_SRCS := src/attach.c src/btfcache.c src/syscalls.c src/cli.c src/decode.c src/fmt.c src/findings.c src/output.c src/stable.c

$(OUTPUT)/hooks: tests/hooks.c $(HOOKS_SRCS) $(wildcard src/*.h include/*.h include/arch/*.h) $(SKEL) | $(OUTPUT)
	$(CC) $(TEST_CFLAGS) $(SAN_FLAGS) tests/hooks.c $(HOOKS_SRCS) $(LIBS) -lm -o $@

# What shmtrace's 32-bit probe answers; static, for the QEMU guests too.
$(OUTPUT)/compat32-probe: tests/compat32_probe.c src/compat32.c src/compat32.h | $(OUTPUT)
	$(CC) $(TEST_CFLAGS) -static tests/compat32_probe.c src/compat32.c -o $@

$(OUTPUT)/workload: tests/workload.c | $(OUTPUT)
	$(CC) $(TEST_CFLAGS) -pthread $< -o $@

# Static, for the QEMU guests; the 32-bit one for the host's matrix too.
$(OUTPUT)/workload-static: tests/workload.c | $(OUTPUT)
	$(CC) $(TEST_CFLAGS) -static -pthread $< -o $@

$(OUTPUT)/workload32: tests/workload.c | $(OUTPUT)
	$(CC) $(TEST_CFLAGS) -m32 -static -pthread $< -o $@

$(OUTPUT)/behaviour: tests/behaviour.c | $(OUTPUT)
	$(CC) $(TEST_CFLAGS) -pthread $< -o $@

$(OUTPUT)/behaviour-static: tests/behaviour.c | $(OUTPUT)
	$(CC) $(TEST_CFLAGS) -static -pthread $< -o $@

VM_BINS := $(OUTPUT)/behaviour-static $(OUTPUT)/workload-static $(OUTPUT)/workload32 $(OUTPUT)/compat32-probe

CHECK_BINS := $(OUTPUT)/unit $(OUTPUT)/hooks

test: test-deps $(OUTPUT)/workload $(OUTPUT)/behaviour $(VM_BINS)
	$(MAKE) --no-print-directory WERROR=1 $(BIN) $(CHECK_BINS)
	$(MAKE) --no-print-directory WERROR=1 SANITIZE=1 BIN=$(OUTPUT)/shmtrace-san
	$(MAKE) --no-print-directory WERROR=1 STATIC=1 BIN=$(OUTPUT)/shmtrace-static
	tests/run

check: $(DEPS_STAMP)
	$(MAKE) --no-print-directory WERROR=1 $(BIN) $(CHECK_BINS)
	tests/check

# The attach-mode matrix on 5.10, 6.1 and 6.12 under QEMU (also part of test).
vmtest: test-deps $(VM_BINS)
	$(MAKE) --no-print-directory WERROR=1 STATIC=1 BIN=$(OUTPUT)/shmtrace-static
	tests/vm/vmtest.sh

install: $(BIN)
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/sbin/shmtrace
	install -D -m 0644 doc/shmtrace.8 $(DESTDIR)$(PREFIX)/share/man/man8/shmtrace.8
	install -D -m 0644 doc/shmtrace.bash-completion \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/shmtrace

# Side by side with bpftrace, perf trace and strace; not part of test.
bench: $(BIN)
	bench/run

clean:
	rm -rf $(OUTPUT)/obj* $(OUTPUT)/san* $(OUTPUT)/static* $(OUTPUT)/*.o $(OUTPUT)/*.skel.h \
		$(OUTPUT)/unit $(OUTPUT)/hooks $(OUTPUT)/workload $(OUTPUT)/shmtrace-san shmtrace \
		$(OUTPUT)/shmtrace-static $(VM_BINS) $(OUTPUT)/vm

# A FROM-scratch container image of the static binary (dist/Containerfile).
IMAGE_DIR := $(OUTPUT)/image
.PHONY: image
image:
	@mkdir -p $(IMAGE_DIR)
	$(MAKE) --no-print-directory STATIC=1 BIN=$(IMAGE_DIR)/shmtrace
	podman build --quiet -f dist/Containerfile -t localhost/shmtrace:$(VERSION) $(IMAGE_DIR)
