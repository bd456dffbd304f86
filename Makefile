# SPDX-License-Identifier: LGPL-2.1-or-later
# vgpu-hook — plain GNU make.
#   make                  build the product in the tree (hooks/vgpu-hook, its core, cli/vgpuctl,
#                         keeper/vgpu-keeper); needs only tests/ensure-deps.sh build's packages (no FUSE)
#   make sim              the FUSE simulator tests/sim/vgpu-sim (demo, check and bench build it)
#   make check            install missing packages (root), build with ASan+UBSan in build/san,
#                         run every test tier; ends with "N passed, N failed, N skipped"
#   make demo             install what the demo needs (root), build, the main job on a simulated host
#   make install          PREFIX, DESTDIR, SYSCONFDIR honoured
#   make deb              the Debian package, in build/deb/ (debian/; needs dpkg-dev, debhelper)
#   make rpm              the RPM, in build/rpm/ (rpm/vgpu-hook.spec; needs rpm)
# WERROR=1 adds -Werror (CI sets it). SANITIZE=1 builds with ASan+UBSan. O=DIR builds out of tree.

VERSION     = 0.1.0
PREFIX     ?= /usr/local
LIBEXECDIR ?= $(PREFIX)/libexec/vgpu-hook
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
DATADIR    ?= $(PREFIX)/share
SYSCONFDIR ?= /etc
HOOKDIR    ?= $(SYSCONFDIR)/libvirt/hooks
SBINDIR    ?= $(PREFIX)/sbin
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
# Pacemaker looks for OCF agents under /usr/lib/ocf (its OCF_ROOT), whatever
# PREFIX: a /usr/local install passes OCFDIR=/usr/lib/ocf for it to be seen.
OCFDIR     ?= $(PREFIX)/lib/ocf
DESTDIR    ?=
O          ?= .

CC       ?= cc
CFLAGS   ?= -O2 -g
PKGS      = glib-2.0 libxml-2.0 uuid libpci
WARN      = -Wall -Wextra -Wshadow -Wformat=2 -Wno-unused-parameter
ifeq ($(WERROR),1)
WARN     += -Werror
endif
ifeq ($(SANITIZE),1)
SANFLAGS  = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif
ifeq ($(TESTHOOKS),1)
# Test-only crash points (VGPU_TEST_STOP_AT); never in a production build.
TESTDEF   = -DVGPU_TEST_HOOKS=1
endif

# Asked of pkg-config on first use, not when make reads this file: `make demo`
# installs the packages before the sub-make that compiles reads these
# (lazy(VAR,ARGS) sets VAR once, the first time a recipe expands it).
lazy = $(eval $(1) := $$(shell pkg-config $(2) 2>/dev/null))$($(1))
PKG_CFLAGS  = $(call lazy,PKG_CFLAGS,--cflags $(PKGS))
PKG_LIBS    = $(call lazy,PKG_LIBS,--libs $(PKGS))
VIRT_CFLAGS = $(call lazy,VIRT_CFLAGS,--cflags libvirt)
VIRT_LIBS   = $(call lazy,VIRT_LIBS,--libs libvirt)
FUSE_CFLAGS = $(call lazy,FUSE_CFLAGS,--cflags fuse3)
FUSE_LIBS   = $(call lazy,FUSE_LIBS,--libs fuse3)
# vgpuctl alone: JSON and tables (the hook's cost stays a process start).
CLI_CFLAGS  = $(call lazy,CLI_CFLAGS,--cflags json-glib-1.0 smartcols)
CLI_LIBS    = $(call lazy,CLI_LIBS,--libs json-glib-1.0 smartcols)

ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -fPIC $(WARN) $(CFLAGS) $(SANFLAGS) $(TESTDEF) \
             -DVGPU_LIBEXECDIR='"$(LIBEXECDIR)"' -DVGPU_BINDIR='"$(BINDIR)"' -DVGPU_VERSION='"$(VERSION)"' -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS)

# The layers, each seeing only the ones below it: util < model < xml;
# model < allocator/state < allocator/policy < allocator/host; all of them
# < hooks, cli, virt, keeper. A directory gets the include paths of its own
# layer and those below, so an include that goes up or sideways (allocator/
# reaching into xml/, state/ into host/) fails the build instead of growing
# a dependency. allocator/state/ (ledgers, lock, state dir, config, keeper
# status) sees util and model; allocator/policy/ (placement, profiles, MIG:
# pure, no I/O) sees state and, of host/, only the host model and the kind
# table (POLICY_SEES_HOST; the check after each policy/ object reads the
# headers it really included, those it reached through them too);
# allocator/host/ (sysfs paths and reads, the scan, the kinds, PCI names,
# NUMA, the VF choice) sees every allocator layer.
INC_util      = -Iutil
INC_model     = $(INC_util) -Imodel
INC_xml       = $(INC_model) -Ixml
INC_state     = $(INC_model) -Iallocator/state
INC_policy    = $(INC_state) -Iallocator/policy -Iallocator/host
INC_host      = $(INC_policy)
INC_top       = $(INC_host) -Ixml
POLICY_SEES_HOST = host.h device-kind.h
# hooks/, cli/, virt/, keeper/, tests/ and bench/ sit on top and see every layer
# (virt/, cli/ and keeper/ also get -Ivirt and libvirt: they alone link it).
layer_of      = $(if $(filter allocator/%,$(1)),$(word 2,$(subst /, ,$(1))),$(firstword $(subst /, ,$(1))))
layer_inc     = $(or $(INC_$(call layer_of,$(1))),$(INC_top))
# Fails when policy object $(1) (from $(2)) included a host/ header it may not see.
policy_check  = bad=$$(sed 's/[:\\]/ /g' $(1:.o=.d) | tr ' ' '\n' | grep '^allocator/host/' | \
                  grep -vxF $(POLICY_SEES_HOST:%=-e allocator/host/%) | sort -u | tr '\n' ' '); \
                if [ -n "$$bad" ]; then rm -f $(1); \
                    echo "$(2): allocator/policy/ is pure and sees only $(POLICY_SEES_HOST) of allocator/host/, not $$bad" >&2; \
                    exit 1; fi

LIB_SRCS   := $(wildcard util/*.c model/*.c xml/*.c allocator/*/*.c)
CORE_SRCS  := $(wildcard hooks/hook-*.c)
FRONT_SRCS := hooks/vgpu-hook.c hooks/front-watch.c hooks/front-ledger.c
CLI_SRCS   := $(wildcard cli/*.c)
# virt/: what vgpuctl and vgpu-keeper share (they alone link libvirt).
VIRT_SRCS  := $(wildcard virt/*.c)
KEEPER_SRCS := $(wildcard keeper/*.c)
SIM_SRCS   := $(wildcard tests/sim/*.c)
UNIT_SRCS  := $(wildcard tests/unit/test-*.c)
# What the unit tests share (host-builder.c), linked into each of them.
UNIT_LIB_SRCS := $(filter-out $(UNIT_SRCS),$(wildcard tests/unit/*.c))

LIB        = $(O)/libvgpu.a
CORE       = $(O)/hooks/vgpu-hook-core.so
FRONT      = $(O)/hooks/vgpu-hook
CLI        = $(O)/cli/vgpuctl
KEEPER     = $(O)/keeper/vgpu-keeper
SIM        = $(O)/tests/sim/vgpu-sim
UNIT_BINS  = $(patsubst %.c,$(O)/%,$(UNIT_SRCS))

obj = $(patsubst %.c,$(O)/%.o,$(1))

.PHONY: all sim tests check demo install uninstall clean deps bench stress fuzz FORCE
all: $(FRONT) $(CORE) $(CLI) $(KEEPER)
sim: $(SIM)
tests: all sim $(UNIT_BINS)

# Objects depend on the flags they were built with: switching SANITIZE or
# TESTHOOKS in one O dir rebuilds instead of mixing.
FLAGS_STAMP = $(O)/.flags
$(FLAGS_STAMP): FORCE
	@mkdir -p $(dir $@)
	@echo '$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS)' | cmp -s - $@ || echo '$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS)' > $@
FORCE:

$(O)/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(call layer_inc,$<) $(PKG_CFLAGS) $(if $(filter cli/% virt/% keeper/%,$<),-Ivirt $(VIRT_CFLAGS)) \
	    $(if $(filter cli/%,$<),$(CLI_CFLAGS)) $(if $(filter tests/sim/%,$<),$(FUSE_CFLAGS)) -c -o $@ $<
	@$(if $(filter allocator/policy/%,$<),$(call policy_check,$@,$<))

$(LIB): $(call obj,$(LIB_SRCS))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $(filter %.o,$^)

# The front links only libc: a domain without vGPU metadata must cost about
# a process start. It dlopen()s the core only when metadata is present (or,
# for release and reconnect, the domain has a ledger).
$(FRONT): $(call obj,$(FRONT_SRCS))
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) -ldl

$(CORE): $(call obj,$(CORE_SRCS)) $(LIB)
	$(CC) $(ALL_LDFLAGS) -shared -Wl,--no-undefined -o $@ $(call obj,$(CORE_SRCS)) $(LIB) $(PKG_LIBS)

$(CLI): $(call obj,$(CLI_SRCS) $(VIRT_SRCS)) $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $(call obj,$(CLI_SRCS) $(VIRT_SRCS)) $(LIB) $(PKG_LIBS) $(VIRT_LIBS) $(CLI_LIBS)

$(KEEPER): $(call obj,$(KEEPER_SRCS) $(VIRT_SRCS)) $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $(call obj,$(KEEPER_SRCS) $(VIRT_SRCS)) $(LIB) $(PKG_LIBS) $(VIRT_LIBS)

$(SIM): $(call obj,$(SIM_SRCS))
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(PKG_LIBS) $(FUSE_LIBS) -lpthread

$(O)/tests/unit/%: $(O)/tests/unit/%.o $(call obj,$(UNIT_LIB_SRCS)) $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(call obj,$(UNIT_LIB_SRCS)) $(LIB) $(PKG_LIBS)

# Packages first, then a sub-make that builds: the build never runs in the
# same make that installed its libraries.
deps:
	@tests/ensure-deps.sh build

check:
	@tests/ensure-deps.sh test
	@WERROR=$(WERROR) VGPU_ALLOW_SKIP=$(VGPU_ALLOW_SKIP) tests/run-all.sh

demo:
	@tests/ensure-deps.sh demo
	@$(MAKE) --no-print-directory all sim
	@B=$(abspath $(O)) tests/demo.sh

bench:
	@tests/ensure-deps.sh bench
	@bench/run.sh

.PHONY: bench-keeper
bench-keeper:
	@tests/ensure-deps.sh test
	@bench/keeper.sh

# Decides between qemu.d/ and the monolithic hook (libvirt < 6.5).
LIBVIRT_VERSION ?= $(shell { libvirtd --version || virtqemud --version; } 2>/dev/null | \
                     awk '{ print $$NF; exit }')

install: all
	install -d $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSCONFDIR)/libvirt \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(DATADIR)/bash-completion/completions
	install -m 0755 $(FRONT) $(DESTDIR)$(LIBEXECDIR)/vgpu-hook
	install -m 0644 $(CORE) $(DESTDIR)$(LIBEXECDIR)/vgpu-hook-core.so
	install -m 0755 $(CLI) $(DESTDIR)$(BINDIR)/vgpuctl
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SYSTEMDUNITDIR)
	install -m 0755 $(KEEPER) $(DESTDIR)$(SBINDIR)/vgpu-keeper
	sed 's|@SBINDIR@|$(SBINDIR)|g' keeper/vgpu-keeper.service.in > $(DESTDIR)$(SYSTEMDUNITDIR)/vgpu-keeper.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/vgpu-keeper.service
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/libvirt/vgpu-hook.conf ]; then \
	    echo "kept the existing $(SYSCONFDIR)/libvirt/vgpu-hook.conf"; \
	else install -m 0644 examples/vgpu-hook.conf $(DESTDIR)$(SYSCONFDIR)/libvirt/vgpu-hook.conf; fi
	for m in docs/*.[158]; do install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/; done
	install -m 0644 cli/vgpuctl.bash-completion $(DESTDIR)$(DATADIR)/bash-completion/completions/vgpuctl
	install -d $(DESTDIR)$(OCFDIR)/resource.d/vgpu-hook
	sed 's|/usr/bin/vgpuctl|$(BINDIR)/vgpuctl|g' ocf/vgpu-domain > $(DESTDIR)$(OCFDIR)/resource.d/vgpu-hook/vgpu-domain
	chmod 0755 $(DESTDIR)$(OCFDIR)/resource.d/vgpu-hook/vgpu-domain
	@hooks/install-hook.sh "$(DESTDIR)" $(HOOKDIR) $(LIBEXECDIR) "$(LIBVIRT_VERSION)"

# Built from a copy of the tree (committed and new files) so that the
# package's `make clean` and in-tree objects never meet this tree's builds.
DEB_O ?= build/deb
.PHONY: deb
deb:
	rm -rf $(DEB_O) && mkdir -p $(DEB_O)/src
	{ git ls-files -z -co --exclude-standard 2>/dev/null || \
	    find . -path ./build -prune -o -path ./.git -prune -o -type f -print0; } | \
	    tar --null --ignore-failed-read -cf - -T - | tar -xf - -C $(DEB_O)/src
	cd $(DEB_O)/src && dpkg-buildpackage -us -uc -b -j$$(nproc)
	@ls $(DEB_O)/*.deb

uninstall:
	rm -f $(DESTDIR)$(HOOKDIR)/qemu.d/vgpu-hook $(DESTDIR)$(LIBEXECDIR)/vgpu-hook \
	    $(DESTDIR)$(LIBEXECDIR)/vgpu-hook-core.so $(DESTDIR)$(BINDIR)/vgpuctl \
	    $(DESTDIR)$(DATADIR)/bash-completion/completions/vgpuctl \
	    $(DESTDIR)$(SBINDIR)/vgpu-keeper $(DESTDIR)$(SYSTEMDUNITDIR)/vgpu-keeper.service \
	    $(DESTDIR)$(OCFDIR)/resource.d/vgpu-hook/vgpu-domain
	-rmdir $(DESTDIR)$(OCFDIR)/resource.d/vgpu-hook 2>/dev/null
	@if [ "$$(readlink $(DESTDIR)$(HOOKDIR)/qemu 2>/dev/null)" = "$(LIBEXECDIR)/vgpu-hook" ]; then \
	    rm -f $(DESTDIR)$(HOOKDIR)/qemu; fi
	for m in docs/*.[158]; do rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/}; done
	-rmdir $(DESTDIR)$(LIBEXECDIR) 2>/dev/null
	@echo "kept $(SYSCONFDIR)/libvirt/vgpu-hook.conf"

clean:
	rm -rf build libvgpu.a
	find . -type f \( -name '*.o' -o -name '*.d' \) | grep -v '^./.git' | xargs rm -f
	rm -f hooks/vgpu-hook hooks/vgpu-hook-core.so cli/vgpuctl keeper/vgpu-keeper tests/sim/vgpu-sim \
	    $(patsubst %.c,%,$(UNIT_SRCS))

-include $(shell find $(O) -name '*.d' -type f 2>/dev/null | grep -v '^./.git')

# ---- reliability: `make stress` and `make fuzz` (tests/stress, tests/fuzz) ----
# make stress        the reliability tiers at full size (1,024 starts at 32-way,
#                    crash injection, driver faults, stale state, hostile XML)
# make fuzz          the libFuzzer target for FUZZ_SECONDS (600); FUZZ_MERGE=1
#                    merges new inputs into tests/fuzz/corpus/
# make fuzz-build    only build $(FUZZ_O)/fuzz-xml (clang; needs libclang-rt-14-dev)
FUZZ_O     ?= build/fuzz
FUZZ_CC    ?= clang
FUZZ_SRCS   = $(wildcard util/*.c model/*.c xml/*.c) tests/fuzz/fuzz-xml.c
FUZZ_BIN    = $(FUZZ_O)/fuzz-xml
.PHONY: fuzz-build
fuzz-build: $(FUZZ_BIN)
$(FUZZ_BIN): $(FUZZ_SRCS) $(wildcard util/*.h model/*.h xml/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	    $(INC_xml) $(PKG_CFLAGS) -o $@ $(FUZZ_SRCS) $(PKG_LIBS)
stress:
	@tests/ensure-deps.sh test
	@tests/stress/run-stress.sh
fuzz:
	@tests/ensure-deps.sh test
	@tests/fuzz/run-fuzz.sh
# ---- end reliability ----

# ---- the RPM: `make rpm` (rpm/vgpu-hook.spec; needs rpmbuild) ----
# Built from a tarball of the tree (committed and new files, as `make deb`
# copies them) in $(RPM_O)/{SOURCES,SPECS,RPMS,SRPMS}. On Debian: the
# spec's BuildRequires name RHEL packages that rpm's database never holds
# (--nodeps; an RPM host checks them); Debian's brp-compress runs bash's
# `read -d` under dash and compresses nothing (so bash); and docs go where
# RHEL puts them (/usr/share/doc/NAME, not NAME-VERSION).
RPM_O ?= build/rpm
RPM_ON_DEBIAN = --nodeps --define '__brp_compress bash %{_rpmconfigdir}/brp-compress %{?_prefix}' \
                --define '_docdir_fmt %%{NAME}'
RPMBUILD_FLAGS ?= $(if $(wildcard /etc/debian_version),$(RPM_ON_DEBIAN))
.PHONY: rpm
rpm:
	rm -rf $(RPM_O) && mkdir -p $(RPM_O)/SOURCES $(RPM_O)/SPECS
	{ git ls-files -z -co --exclude-standard 2>/dev/null || \
	    find . -path ./build -prune -o -path ./.git -prune -o -type f -print0; } | \
	    tar --null --ignore-failed-read --transform 's|^\(\./\)\?|vgpu-hook-$(VERSION)/|' \
	        -czf $(RPM_O)/SOURCES/vgpu-hook-$(VERSION).tar.gz -T -
	cp rpm/vgpu-hook.spec $(RPM_O)/SPECS/
	rpmbuild -ba $(RPMBUILD_FLAGS) --define '_topdir $(abspath $(RPM_O))' $(RPM_O)/SPECS/vgpu-hook.spec
	@ls $(RPM_O)/RPMS/*/*.rpm $(RPM_O)/SRPMS/*.rpm
