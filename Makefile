# dibs: top-level build and test entry points.
#
#   make                 build the kernel modules for every installed kernel
#                        (scripts/kernels.sh) and the userspace parts
#   make check           install what is missing, build, run every test: host
#                        unit tests, the VM suites on every kernel, the harness
#                        self-test; ends with one line "N passed, N failed"
#   make check-debug     only the debug kernel's VM suites (tests/vm/debug/
#                        suites, or SUITES=...) on the debug kernel (KASAN,
#                        kmemleak, lockdep, KUnit; built from Debian's
#                        linux-source-6.12 and cached, tests/vm/debug-kernel.sh)
#   make demo            boot the newest kernel in a VM, load the modules and
#                        show what exists (tests/vm/demo.sh)
#   make bench           the benchmarks (bench/) on the newest kernel in a VM:
#                        bench/results.json, bench/results.png; then in two
#                        guests on one ivshmem fabric: bench/results-pair.json
#   make deps            install build and test dependencies (Debian packages)
#   make clean           remove build/ and the userspace build outputs
#
# Variables:
#   KERNELS="<abi> ..."           limit the kernels (default: all installed)
#   SUITES="tests/foo.bats ..."   limit the VM suites (default: tests/*.bats);
#                                 also skips the harness self-test unless
#                                 SELFTEST=1
#   SELFTEST=0|1                  run the harness self-test in make check
#   DEBUG_KERNEL=0                leave the debug kernel out of make check
#   WERROR=1                      warnings are errors in the userspace build
#                                 (make check and check-debug set it)
#
# Kernel modules are built out of tree per kernel under build/<abi>/ (see
# scripts/build-modules.sh; the test harness adds tests/kmod/'s with
# tests/vm/build-modules.sh); nothing is built inside kernel/ or tests/kmod/.

SHELL := /bin/bash
VM := tests/vm

# Userspace parts, in build order (dibsctl links against libdibsnl). Each is
# built only once it has a Makefile.
USERSPACE_DIRS := libdibsnl dibsctl ivshmem-server dibsblk tests/tools bench

export KERNELS SUITES SELFTEST DEBUG_KERNEL

.PHONY: all modules userspace check check-debug deps demo bench clean help

all: modules userspace

# Installed kernels are discovered when the recipe runs, so that a `make
# check` that installs them first builds for them too.
modules:
	@kernels="$(KERNELS)"; [ -n "$$kernels" ] || kernels=$$(scripts/kernels.sh); \
	if [ -z "$$kernels" ]; then \
		echo "no kernel with headers, vmlinuz and modules found: run 'make deps'" >&2; \
		exit 1; \
	fi; \
	for abi in $$kernels; do scripts/build-modules.sh "$$abi" || exit 1; done

userspace:
	@for d in $(USERSPACE_DIRS); do \
		if [ -f "$$d/Makefile" ]; then $(MAKE) -C "$$d" || exit 1; fi; \
	done

deps:
	@$(VM)/install-deps.sh

# check.sh builds and tests, counting a failed build as a failure, so that
# the run always ends with its verdict line. The project's own checks build
# with -Werror (WERROR=1, passed on to every userspace Makefile); a plain
# `make` does not.
check check-debug: export WERROR = 1

check: deps
	@$(VM)/check.sh

check-debug: deps
	@KERNELS=debug HOST_TESTS=0 SELFTEST=0 $(VM)/check.sh

# Both run on the newest kernel, after building for it.
NEWEST_RUN_demo := $(VM)/run.sh --demo
NEWEST_RUN_bench := bench/run.sh

demo bench: deps
	@abi=$$(scripts/kernels.sh --newest); \
	if [ -z "$$abi" ]; then echo "no kernel found" >&2; exit 1; fi; \
	$(VM)/build-modules.sh "$$abi" && \
	$(MAKE) --no-print-directory userspace && \
	$(NEWEST_RUN_$@) "$$abi"

clean:
	rm -rf build
	@for d in $(USERSPACE_DIRS) tests/unit; do \
		if [ -f "$$d/Makefile" ]; then $(MAKE) -C "$$d" clean || exit 1; fi; \
	done

help:
	@sed -n '3,/^$$/s/^# \{0,1\}//p' Makefile

# ---- install, uninstall, dkms -------------------------------------------
#
#   make install [DESTDIR=...] [PREFIX=/usr/local] [MULTIARCH=1 | LIBDIR=...]
#                        dibsctl (+ man page, bash completion), libdibsnl
#                        (library, header, pkg-config file),
#                        dibs-ivshmem-server (+ man page), and systemd/:
#                        udev rules, units, the setup script, modules-load.d,
#                        examples /etc/dibs/lo.conf.example and
#                        ivshmem.conf.example (udev and systemd directories
#                        from their pkg-config files)
#   make uninstall [DESTDIR=...] [PREFIX=...]
#                        removes those (not /etc/dibs/*.conf)
#   make dkms [DESTDIR=...]
#                        the kernel sources as a DKMS tree, real files, in
#                        /usr/src/dibs-<version>/; without DESTDIR also
#                        registers it and builds and installs the modules for
#                        DKMS_KERNEL (default: the running kernel) when its
#                        headers are there
#   make dkms-uninstall  dkms remove for every kernel, and the sources

PREFIX		?= /usr/local
INSTALL_DIRS	:= libdibsnl dibsctl ivshmem-server dibsblk systemd
# The project's version, for everything: dibsctl -V, libdibsnl (its .pc
# file and dibsnl_version()), and DKMS (make dkms writes it into dkms.conf).
VERSION		:= $(shell cat VERSION 2>/dev/null)
DKMS_VERSION	:= $(VERSION)
DKMS_SRC	= $(DESTDIR)/usr/src/dibs-$(DKMS_VERSION)
DKMS_KERNEL	?= $(shell uname -r)

.PHONY: install uninstall dkms dkms-uninstall

install:
	@for d in $(INSTALL_DIRS); do \
		$(MAKE) --no-print-directory -C "$$d" install \
			DESTDIR="$(DESTDIR)" PREFIX="$(PREFIX)" || exit 1; \
	done
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then ldconfig; fi

uninstall:
	@for d in $(INSTALL_DIRS); do \
		$(MAKE) --no-print-directory -C "$$d" uninstall \
			DESTDIR="$(DESTDIR)" PREFIX="$(PREFIX)" || exit 1; \
	done

# kernel/include/uapi is a symlink out of kernel/: find -L copies what it
# points to. Only sources are copied, never build outputs.
dkms:
	@[ -n "$(DKMS_VERSION)" ] || { echo "VERSION is missing or empty" >&2; exit 1; }
	rm -rf "$(DKMS_SRC)"
	install -d "$(DKMS_SRC)"
	install -m 0644 kernel/Kbuild kernel/Makefile \
		kernel/*.c kernel/*.h "$(DKMS_SRC)/"
	sed 's/^PACKAGE_VERSION=.*/PACKAGE_VERSION="$(DKMS_VERSION)"/' \
		kernel/dkms.conf >"$(DKMS_SRC)/dkms.conf"
	chmod 0644 "$(DKMS_SRC)/dkms.conf"
	cd kernel && find -L include -name '*.h' | while read -r f; do \
		install -D -m 0644 "$$f" "$(DKMS_SRC)/$$f" || exit 1; done
	@if [ -z "$(DESTDIR)" ]; then \
		dkms status -m dibs -v "$(DKMS_VERSION)" | grep -q . || \
			dkms add -m dibs -v "$(DKMS_VERSION)" || exit 1; \
		if [ -d "/lib/modules/$(DKMS_KERNEL)/build" ]; then \
			dkms install -m dibs -v "$(DKMS_VERSION)" -k "$(DKMS_KERNEL)"; \
		else \
			echo "dkms: no headers for $(DKMS_KERNEL): registered only;" \
			     "dkms install dibs/$(DKMS_VERSION) -k <kernel> builds one"; \
		fi; \
	fi

dkms-uninstall:
	@if dkms status -m dibs -v "$(DKMS_VERSION)" | grep -q .; then \
		dkms remove -m dibs -v "$(DKMS_VERSION)" --all; fi
	rm -rf "/usr/src/dibs-$(DKMS_VERSION)"
