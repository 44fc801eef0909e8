# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
#   make               build ./shmtrace (says what is missing, installs nothing)
#   sudo make deps     install the Debian packages the build needs
#   sudo make run      install, build and trace every shmget on the system
#   sudo make test     install, build and run the whole test suite
#   make check         the tests that need neither root nor BPF, in seconds
#   make STATIC=1      a static binary, to copy onto another host
#   make ARCH=arm64    cross-build ./shmtrace-arm64 (STATIC=1 too)
#   sudo make deb      the Debian package, into .output/deb/ (ARCH=arm64 too)
#   sudo make release  static binaries, packages, source tarball, SHA256SUMS
#   make vmlinux       regenerate vmlinux/<arch>/vmlinux.h from this kernel's BTF

# The architecture built for, by libbpf-tools' names (vmlinux/<arch>/):
# this machine's unless ARCH=arm64 (or x86) asks to cross-build.
HOST_ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
ARCH ?= $(HOST_ARCH)
# Debian's names for it: dpkg's architecture, the GNU triplet.
DEB_ARCH_x86 := amd64
DEB_ARCH_arm64 := arm64
GNU_TYPE_x86 := x86_64-linux-gnu
GNU_TYPE_arm64 := aarch64-linux-gnu
ifeq ($(DEB_ARCH_$(ARCH)),)
$(error ARCH=$(ARCH) is not one shmtrace knows: x86 or arm64)
endif

CLANG ?= clang
LLVM_STRIP ?= llvm-strip
# Debian keeps it in /usr/sbin, which is not on a user's PATH.
BPFTOOL ?= $(or $(shell command -v bpftool 2>/dev/null),/usr/sbin/bpftool)
PREFIX ?= /usr/local
VERSION := 0.1
# The commit built, for --version: a `git archive` tarball has it in
# dist/commit (export-subst), a clone from git; "-dirty" if files differ.
COMMIT := $(or $(shell sed -n 's/^\([0-9a-f]\{12\}\).*/\1/p' dist/commit 2>/dev/null),$(shell \
	git rev-parse --short=12 HEAD 2>/dev/null)$(shell git status --porcelain \
	--untracked-files=no 2>/dev/null | grep -q . && echo -dirty),unknown)

# Debian packages: to build, and additionally to run the tests, whose
# QEMU guests are x86_64 and arm64 ones, with 32-bit programs in each.
BUILD_PKGS := clang llvm libbpf-dev libelf-dev zlib1g-dev bpftool make pkg-config
# What a plain make looks for: libraries by pkg-config, tools by name.
BUILD_LIBS := libbpf libelf zlib
TEST_PKGS := jq libzstd-dev busybox-static libclang-rt-14-dev man-db util-linux podman runc \
	qemu-system-x86 gcc-i686-linux-gnu \
	qemu-system-arm gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf \
	$(addsuffix :arm64,libbpf-dev libelf-dev zlib1g-dev libzstd-dev)
TEST_PKGS += prometheus curl python3 python3-yaml iproute2 postgresql-15 debhelper dpkg-dev lintian mmdebstrap
GUEST_ARCHES := x86 arm64
# The compat ABI's compiler, for the 32-bit workload.
CC32_x86 = i686-linux-gnu-gcc
CC32_arm64 = arm-linux-gnueabihf-gcc

ifeq ($(ARCH),$(HOST_ARCH))
OUTPUT ?= .output
CC ?= gcc
BIN ?= shmtrace
BUILD_PKGS += gcc
PKG_CONFIG := pkg-config
# The unit tests and the hooks check run here, under the sanitizers.
CHECK_LDFLAGS = $(SAN_FLAGS)
else
# A cross build keeps its products apart; the target's libraries come from
# Debian's multiarch packages.
OUTPUT ?= .output/$(ARCH)
CC := $(GNU_TYPE_$(ARCH))-gcc
BIN ?= shmtrace-$(ARCH)
BUILD_PKGS += gcc-$(subst _,-,$(GNU_TYPE_$(ARCH))) $(addsuffix :$(DEB_ARCH_$(ARCH)),libbpf-dev libelf-dev zlib1g-dev libzstd-dev)
BUILD_LIBS += libzstd
PKG_CONFIG := PKG_CONFIG_LIBDIR=/usr/lib/$(GNU_TYPE_$(ARCH))/pkgconfig:/usr/share/pkgconfig pkg-config
# ... and in a QEMU guest of that architecture: static.
CHECK_LDFLAGS = -static -lzstd
endif

# No build path in what is built: two builds of a commit are the same bytes.
CFLAGS := -g -O2 -Wall -Wextra -DSHMTRACE_VERSION='"$(VERSION)"' -ffile-prefix-map=$(CURDIR)=.
# A program's context argument is fixed by its hook, used or not.
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Wextra -Wno-unused-parameter \
	-ffile-prefix-map=$(CURDIR)=.
INCLUDES := -I$(OUTPUT) -Iinclude -Isrc
LIBS := -lbpf -lelf -lz
# The package links libbpf statically, as Debian's libbpf-tools does.
ifeq ($(LIBBPF_STATIC),1)
LIBS := -Wl,-Bstatic -lbpf -Wl,-Bdynamic -lelf -lz
endif
# The distribution's flags (dpkg-buildflags: hardening), after ours.
CFLAGS += $(EXTRA_CFLAGS)
LDFLAGS += $(EXTRA_LDFLAGS)

# Each build flavour keeps its objects apart.
BUILD := $(OUTPUT)/obj
ifeq ($(STATIC),1)
BUILD := $(OUTPUT)/static
LDFLAGS += -static
LIBS += -lzstd
BUILD_LIBS += libzstd
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

.PHONY: all clean install run test check vmtest bench vmlinux deps test-deps build-check guests guest-bins deb release FORCE
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
		for a in $$(echo "$$missing" | grep -o ':[a-z0-9]*' | tr -d : | sort -u); do \
			dpkg --print-foreign-architectures | grep -qx "$$a" || dpkg --add-architecture "$$a" || exit 1; \
		done; \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
	fi
endef

$(DEPS_STAMP): | $(OUTPUT)
	$(call ensure_pkgs,$(BUILD_PKGS))
	@touch $@

deps: $(DEPS_STAMP)

# Before building: what is missing, and how to get it; installs nothing.
build-check:
	@missing=""; \
	for lib in $(sort $(BUILD_LIBS)); do \
		$(PKG_CONFIG) --exists $$lib 2>/dev/null || missing="$$missing $$lib"; \
	done; \
	for tool in $(CLANG) $(LLVM_STRIP) $(BPFTOOL) $(CC) pkg-config; do \
		command -v $$tool >/dev/null 2>&1 || missing="$$missing $$tool"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "shmtrace: cannot build, missing:$$missing; 'sudo make deps$(if $(filter-out $(HOST_ARCH),$(ARCH)), ARCH=$(ARCH))' installs them (Debian: $(BUILD_PKGS))" >&2; \
		exit 1; \
	fi

test-deps: $(DEPS_STAMP)
	$(call ensure_pkgs,$(TEST_PKGS))

$(OUTPUT) $(BUILD):
	@mkdir -p $@

$(OUTPUT)/shmtrace.bpf.o: bpf/shmtrace.bpf.c $(wildcard include/*.h include/arch/*.h) vmlinux/$(ARCH)/vmlinux.h | $(OUTPUT) build-check
	$(CLANG) $(BPF_CFLAGS) -Ivmlinux/$(ARCH) -Iinclude -c $< -o $@
	$(LLVM_STRIP) -g $@

$(SKEL): $(OUTPUT)/shmtrace.bpf.o
	$(BPFTOOL) gen skeleton $< name shmtrace_bpf > $@

$(BUILD)/%.o: src/%.c $(wildcard src/*.h include/*.h include/arch/*.h) $(SKEL) | $(BUILD)
	$(CC) $(CFLAGS) $(INCLUDES) -c $< -o $@

# Only cli.o holds the commit; it is rebuilt when the commit changes.
$(BUILD)/cli.o: CFLAGS += -DSHMTRACE_COMMIT='"$(COMMIT)"'
$(BUILD)/cli.o: $(OUTPUT)/commit
$(OUTPUT)/commit: FORCE | $(OUTPUT)
	@echo '$(COMMIT)' | cmp -s - $@ || echo '$(COMMIT)' >$@
FORCE:

$(BIN): $(OBJS)
	$(CC) $(CFLAGS) $^ $(LDFLAGS) $(LIBS) -lm -o $@

# From this kernel's BTF, or from a kernel image of another architecture
# (e.g. make vmlinux ARCH=arm64 VMLINUZ=.output/vm-kernels/6.12-arm64/vmlinuz).
vmlinux:
ifeq ($(VMLINUZ),)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/$(ARCH)/vmlinux.h
else
	vmlinux/btf-from-image.py $(VMLINUZ) $(OUTPUT)/image.btf
	$(BPFTOOL) btf dump file $(OUTPUT)/image.btf format c > vmlinux/$(ARCH)/vmlinux.h
endif

run: deps
	$(MAKE) --no-print-directory $(BIN)
	./$(BIN)

# Test programs; the unit tests always run under the sanitizers.
TEST_CFLAGS := -g -O1 -Wall -Wextra -Werror $(INCLUDES)
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# Everything but main and what needs the kernel: the unit tests and fuzzers.
PURE_SRCS := src/btfcache.c src/cli.c src/container.c src/hashtab.c src/decode.c src/findings.c src/fmt.c src/output.c src/stable.c src/syscalls.c \
	src/segments.c src/mappings.c src/segtable.c src/summary.c src/metrics.c src/httpreq.c src/sandbox.c

# The C checks' one harness (tests/harness.h): the unit tests, hooks, fuzzers.
HARNESS := tests/harness.c tests/harness.h
# One file per module under test, and main.c, which runs their suites.
UNIT_SRCS := $(wildcard tests/unit/*.c)

$(OUTPUT)/unit: $(UNIT_SRCS) tests/unit/unit.h $(HARNESS) $(PURE_SRCS) $(wildcard src/*.h) $(SKEL) | $(OUTPUT)
	$(CC) $(TEST_CFLAGS) -Itests $(UNIT_SRCS) tests/harness.c $(PURE_SRCS) $(LIBS) -lm $(CHECK_LDFLAGS) -o $@

# The BPF object's programs against what attach.c reads from their names.
HOOKS_SRCS := src/attach.c src/kretprobes.c src/btfcache.c src/hashtab.c src/syscalls.c src/cli.c src/decode.c src/fmt.c src/findings.c src/output.c src/stable.c

$(OUTPUT)/hooks: tests/hooks.c $(HARNESS) $(HOOKS_SRCS) $(wildcard src/*.h include/*.h include/arch/*.h) $(SKEL) | $(OUTPUT)
	$(CC) $(TEST_CFLAGS) -Itests tests/hooks.c tests/harness.c $(HOOKS_SRCS) $(LIBS) -lm $(CHECK_LDFLAGS) -o $@

# What shmtrace's 32-bit probe answers; static, for the QEMU guests too.
$(OUTPUT)/compat32-probe: tests/compat32_probe.c src/compat32.c src/compat32.h | $(OUTPUT)
	$(CC) $(TEST_CFLAGS) -static tests/compat32_probe.c src/compat32.c -o $@

$(OUTPUT)/workload: tests/workload.c | $(OUTPUT)
	$(CC) $(TEST_CFLAGS) -pthread $< -o $@

# Static, for the QEMU guests; the 32-bit one for the host's matrix too.
$(OUTPUT)/workload-static: tests/workload.c | $(OUTPUT)
	$(CC) $(TEST_CFLAGS) -static -pthread $< -o $@

$(OUTPUT)/workload32: tests/workload.c | $(OUTPUT)
	$(CC32_$(ARCH)) $(TEST_CFLAGS) -static -pthread $< -o $@

$(OUTPUT)/behaviour: tests/behaviour.c | $(OUTPUT)
	$(CC) $(TEST_CFLAGS) -pthread $< -o $@

$(OUTPUT)/behaviour-static: tests/behaviour.c | $(OUTPUT)
	$(CC) $(TEST_CFLAGS) -static -pthread $< -o $@

VM_BINS := $(OUTPUT)/behaviour-static $(OUTPUT)/workload-static $(OUTPUT)/workload32 $(OUTPUT)/compat32-probe
ifneq ($(ARCH),$(HOST_ARCH))
VM_BINS += $(OUTPUT)/unit $(OUTPUT)/hooks
endif

CHECK_BINS := $(OUTPUT)/unit $(OUTPUT)/hooks

test: test-deps
	$(MAKE) --no-print-directory $(OUTPUT)/workload $(OUTPUT)/behaviour guests
	$(MAKE) --no-print-directory WERROR=1 $(BIN) $(CHECK_BINS)
	$(MAKE) --no-print-directory WERROR=1 SANITIZE=1 BIN=$(OUTPUT)/shmtrace-san
	tests/run

check: deps
	$(MAKE) --no-print-directory WERROR=1 $(BIN) $(CHECK_BINS)
	tests/check

# What the QEMU guests of one architecture run.
guest-bins: $(VM_BINS)
	$(MAKE) --no-print-directory WERROR=1 STATIC=1 BIN=$(OUTPUT)/shmtrace-static

guests:
	for a in $(GUEST_ARCHES); do $(MAKE) --no-print-directory ARCH=$$a guest-bins || exit 1; done

# The attach-mode matrix on x86_64 5.10, 6.1 and 6.12 and arm64 6.1 and
# 6.12 under QEMU (also part of test).
vmtest: test-deps
	$(MAKE) --no-print-directory guests
	tests/vm/vmtest.sh

install: $(BIN)
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/sbin/shmtrace
	install -D -m 0644 doc/shmtrace.8 $(DESTDIR)$(PREFIX)/share/man/man8/shmtrace.8
	install -D -m 0644 doc/shmtrace.bash-completion \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/shmtrace

# The Debian package, as dpkg-buildpackage makes it (debian/rules builds
# in .output/deb-build-<arch>), for ARCH: arm64 is cross-built. The files
# dpkg-buildpackage leaves next to the tree go to .output/deb/.
DEB_ARCH := $(DEB_ARCH_$(ARCH))
DEB_DIR := .output/deb
DEB_FILES := shmtrace_$(VERSION)_$(DEB_ARCH).deb shmtrace-dbgsym_$(VERSION)_$(DEB_ARCH).deb shmtrace_$(VERSION)_$(DEB_ARCH).buildinfo \
	shmtrace_$(VERSION)_$(DEB_ARCH).changes
deb: deps
	$(call ensure_pkgs,debhelper dpkg-dev)
	dpkg-buildpackage -us -uc -b $(if $(filter-out $(HOST_ARCH),$(ARCH)),-a $(DEB_ARCH))
	@mkdir -p $(DEB_DIR)
	mv $(addprefix ../,$(DEB_FILES)) $(DEB_DIR)/

# Everything a release publishes, into one folder: reproducible, since
# nothing built holds a path or a time (SOURCE_DATE_EPOCH: the commit's).
RELEASE_DIR := .output/release/shmtrace-$(VERSION)
REL := .output/release-build
# The static binary for ARCH $(1), named for machine $(2).
release_static = SOURCE_DATE_EPOCH=$$(git log -1 --format=%ct) $(MAKE) --no-print-directory \
	ARCH=$(1) STATIC=1 OUTPUT=$(REL)/$(1) BIN=$(RELEASE_DIR)/shmtrace-$(VERSION)-linux-$(2) \
	$(RELEASE_DIR)/shmtrace-$(VERSION)-linux-$(2)
release:
	@if git status --porcelain --untracked-files=no | grep -q .; then \
		echo "shmtrace: make release: the tree has uncommitted changes; commit them first" >&2; exit 1; fi
	rm -rf $(RELEASE_DIR) $(REL) && mkdir -p $(RELEASE_DIR)
	$(MAKE) --no-print-directory deps
	$(MAKE) --no-print-directory ARCH=arm64 deps
	$(call release_static,x86,x86_64)
	$(call release_static,arm64,arm64)
	$(MAKE) --no-print-directory deb
	$(MAKE) --no-print-directory ARCH=arm64 deb
	cp $(DEB_DIR)/shmtrace_$(VERSION)_amd64.deb $(DEB_DIR)/shmtrace_$(VERSION)_arm64.deb $(RELEASE_DIR)/
	git archive --format=tar.gz --prefix=shmtrace-$(VERSION)/ -o $(RELEASE_DIR)/shmtrace-$(VERSION).tar.gz HEAD
	cd $(RELEASE_DIR) && sha256sum shmtrace-* shmtrace_* >SHA256SUMS
	@echo "release: $(RELEASE_DIR)"; cat $(RELEASE_DIR)/SHA256SUMS

# Side by side with bpftrace, perf trace and strace; not part of test.
bench: $(BIN)
	bench/run

clean:
	rm -rf $(OUTPUT)/obj* $(OUTPUT)/san* $(OUTPUT)/static* $(OUTPUT)/*.o $(OUTPUT)/*.skel.h \
		$(OUTPUT)/unit $(OUTPUT)/hooks $(OUTPUT)/workload $(OUTPUT)/shmtrace-san shmtrace \
		$(OUTPUT)/shmtrace-static $(VM_BINS) $(OUTPUT)/vm $(OUTPUT)/arm64 shmtrace-arm64

# A FROM-scratch container image of the static binary (dist/Containerfile),
# for ARCH: `make image ARCH=arm64` builds the arm64 one on this machine
# (FROM scratch runs nothing, so no emulation is needed).
IMAGE_DIR := $(OUTPUT)/image
IMAGE_TAG := localhost/shmtrace:$(VERSION)$(if $(filter-out $(HOST_ARCH),$(ARCH)),-$(ARCH))
.PHONY: image
image:
	@mkdir -p $(IMAGE_DIR)
	$(MAKE) --no-print-directory STATIC=1 BIN=$(IMAGE_DIR)/shmtrace
	podman build --quiet --arch $(DEB_ARCH_$(ARCH)) -f dist/Containerfile -t $(IMAGE_TAG) $(IMAGE_DIR)
