# SPDX-License-Identifier: GPL-2.0-or-later
#
# What the project's userspace Makefiles share (libdibsnl, dibsctl, dibsblk,
# ivshmem-server, bench, tests/tools, tests/unit), so that each fact is
# written once. Each sets TOP, the path to the top of the tree, and
# includes this before its own variables:
#
#   TOP := ..
#   include $(TOP)/scripts/userspace.mk
#
#   VERSION      the project's version ($(TOP)/VERSION): dibsctl -V,
#                dibsnl_version() and the .pc file, the daemons' -V
#   CFLAGS       -O2 -g unless given
#   WARN         -Wall -Wextra, and -Werror only when asked (WERROR=1: the
#                project's make check asks), never for a packager's build
#                with another compiler
#   SAN_FLAGS    ASan and UBSan when SANITIZE is set (the unit tests)
#   DEP_CFLAGS, DEP_LIBS
#                libmnl and libuuid, from pkg-config
#   SYSTEMD_LIBS libsystemd (sd_notify()), for the daemons that tell
#                systemd when they are ready (dibs-blk, dibs-ivshmem-server);
#                a build without it stops and names the package

VERSION		:= $(shell cat $(TOP)/VERSION 2>/dev/null)
ifeq ($(VERSION),)
$(error $(TOP)/VERSION is missing or empty: it holds the project's version)
endif

CFLAGS		?= -O2 -g
WERROR		?= 0
WARN		= -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror)

SANITIZE	?=
ifneq ($(SANITIZE),)
SAN_FLAGS	:= -fsanitize=address,undefined -fno-omit-frame-pointer \
		   -fno-sanitize-recover=all
endif

PKG_CONFIG	?= pkg-config
DEP_CFLAGS	:= $(shell $(PKG_CONFIG) --cflags libmnl uuid)
DEP_LIBS	:= $(shell $(PKG_CONFIG) --libs libmnl uuid)
# Expanded when a link uses it: `make clean` does not need libsystemd.
SYSTEMD_LIBS	= $(or $(shell $(PKG_CONFIG) --libs libsystemd 2>/dev/null),$(error \
		  libsystemd not found by pkg-config: install libsystemd-dev (make deps)))
