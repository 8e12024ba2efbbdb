# The sk_lookup series: build, boot and test it.
# Every step is a script under scripts/ or vm/; this file names them.
# Works from any directory: make -C /path/to/checkout TARGET.
#
#   make demo       boot the patched kernel and show sk_lookup steering
#   make check      build everything, run every test in the VM (CI runs this)
#   make deps       install the Debian packages (scripts/install-deps), once
#   make worktree   create .work/linux: Debian source + base/ + patches/
#   make export     turn .work/linux's commits since `base` into patches/
#   make kernel     build .work/linux          -> .work/build/linux
#   make ref-kernel build the unmodified tree  -> .work/build/ref
#   make base-kernel build the stripped base (tag `base`) -> .work/build/base
#   make bench      benchmark base, ours and ref in the VM (bench/run; FLAVOR=distro
#                   for the headline figures)
#   make bpftool    build the tree's bpftool  -> .work/build/bpftool
#   make selftests  build test_progs for our tree (and the reference tests)
#   make deb        Debian packages of the patched kernel -> .work/build/deb
#                   (DEB_CONFIG=/boot/config-... builds from that config)
#   make series-check  build every patch of the series on its own, checkpatch
#   make selftests-full  the tree's whole BPF selftests on ours and ref (hours)
#   make vmtest     write .work/vmtest.toml for danobi/vmtest (absolute paths)
#
# FLAVOR=distro|debug builds and tests that flavour of the kernel
# (config/FLAVOR.config on top of config/sk_lookup.config): kernel, ref-kernel,
# base-kernel, selftests, check. vm/kernel names the build directories.
SHELL := /bin/bash
# Paths relative to this Makefile, whatever directory make was started from.
TOP := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
W := $(TOP)/.work
LINUX := $(W)/linux
BUILD := $(W)/build
FLAVOR ?=
FL := $(if $(FLAVOR),-$(FLAVOR))
OURS := $(shell $(TOP)/vm/kernel ours$(FL) --build-dir)

# prog_tests run by `make check`: our sk_lookup tests and the sk-related
# neighbours the series must not break (netns links, sockmap, reuseport), and
# the verifier's sockmap-mutation cases (sk_lookup is among them). The rest of
# the verifier tests depend on the kernel config (the @unpriv cases expect
# CPU mitigations, for one): they run in `make selftests-full`, which builds
# the kernel with the selftests' own config.
BASE_TESTS := flow_dissector_reattach sockmap_basic select_reuseport assign_reuse netns_cookie \
	verifier_sockmap_mutate
SERIES_TESTS := 'sk_lookup*'
# The unmodified Debian tree's own sk_lookup tests, run against our kernel
# once the tree has the series.
REF_TESTS := sk_lookup

.PHONY: all deps demo check worktree export kernel ref-kernel base-kernel bpftool selftests bench \
	series-check selftests-full vmtest deb clean
all: kernel selftests

# Installed again only when the list of packages changed.
$(W)/deps.stamp: $(TOP)/scripts/install-deps
	$(TOP)/scripts/install-deps
	mkdir -p $(W) && touch $@
deps: $(W)/deps.stamp

$(LINUX)/Makefile: | $(W)/deps.stamp
	$(TOP)/scripts/worktree
worktree: $(LINUX)/Makefile

export:
	$(TOP)/scripts/export-patches

kernel: $(LINUX)/Makefile
	$(TOP)/scripts/build-kernel $(LINUX) $(OURS) $(FLAVOR)

ref-kernel: $(LINUX)/Makefile
	$(TOP)/scripts/build-kernel $(W)/src/ref $(shell $(TOP)/vm/kernel ref$(FL) --build-dir) $(FLAVOR)

# The stripped base: the work tree's tag `base`, exported to .work/src/base
# (again whenever the tag moved, e.g. after base/ changed).
base-kernel: $(LINUX)/Makefile
	c=$$(git -C $(LINUX) rev-parse base); \
	if [ "$$(cat $(W)/src/base/.commit 2>/dev/null)" != "$$c" ]; then \
		rm -rf $(W)/src/base && mkdir -p $(W)/src/base && \
		git -C $(LINUX) archive base | tar -x -C $(W)/src/base && \
		echo "$$c" >$(W)/src/base/.commit; \
	fi
	$(TOP)/scripts/build-kernel $(W)/src/base $(shell $(TOP)/vm/kernel base$(FL) --build-dir) $(FLAVOR)

# The tree's bpftool (for its feature probe and link listing tests).
bpftool: $(LINUX)/Makefile
	mkdir -p $(BUILD)/bpftool
	$(MAKE) -s -C $(LINUX)/tools/bpf/bpftool OUTPUT=$(abspath $(BUILD))/bpftool/ \
		CLANG=clang-19 LLVM_STRIP=llvm-strip-19 -j$$(($$(nproc) + 1))

# Built against the vmlinux of the kernel they will run on (its BTF).
# The reference tree's own sk_lookup tests only when the work tree carries
# the series (a work tree at `base` has no sk_lookup to test).
selftests: kernel bpftool
	$(TOP)/scripts/build-selftests $(LINUX) $(OURS)/vmlinux $(BUILD)/selftests$(FL) \
		$(BASE_TESTS) $(SERIES_TESTS)
	if grep -q BPF_PROG_TYPE_SK_LOOKUP $(LINUX)/include/uapi/linux/bpf.h; then \
		$(TOP)/scripts/build-selftests $(W)/src/ref $(OURS)/vmlinux \
			$(BUILD)/ref-selftests$(FL) $(REF_TESTS); \
	else rm -rf $(BUILD)/ref-selftests$(FL); fi

# (the demo's program too: tests/check-bpftool-sk-lookup steers with it;
# and the packages, which tests/deb installs and boots)
check: kernel selftests $(if $(FLAVOR),,deb)
	$(MAKE) -s -C $(TOP)/demo
	$(TOP)/tests/fuzz-uapi --build
	FLAVOR=$(FLAVOR) $(TOP)/scripts/check

bench: kernel ref-kernel base-kernel
	FLAVOR=$(FLAVOR) $(TOP)/bench/run

demo: kernel bpftool
	$(TOP)/demo/run

deb: $(LINUX)/Makefile
	$(TOP)/scripts/build-deb $(DEB_CONFIG)

series-check: $(LINUX)/Makefile
	SELFTESTS="$(BASE_TESTS) $(subst ',,$(SERIES_TESTS))" $(TOP)/scripts/series-check

selftests-full: $(LINUX)/Makefile bpftool
	$(TOP)/scripts/selftests-full

vmtest: kernel selftests
	$(TOP)/scripts/vmtest-config >$(W)/vmtest.toml
	@echo "wrote $(W)/vmtest.toml: run vmtest in $(W)"

clean:
	rm -rf $(BUILD)
