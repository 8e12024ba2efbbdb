# The sk_lookup series: build, boot and test it.
# Every step is a script under scripts/ or vm/; this file names them.
#
#   make demo       boot the patched kernel and show sk_lookup steering
#   make check      build everything, run every test in the VM (CI runs this)
#   make worktree   create .work/linux: Debian source + base/ + patches/
#   make export     turn .work/linux's commits since `base` into patches/
#   make kernel     build .work/linux          -> .work/build/linux
#   make ref-kernel build the unmodified tree  -> .work/build/ref
#   make base-kernel build the stripped base (tag `base`) -> .work/build/base
#   make bench      benchmark base, ours and ref in the VM (bench/run, ~10 min)
#   make bpftool    build the tree's bpftool  -> .work/build/bpftool
#   make selftests  build test_progs for our tree (and the reference tests)
#   make series-check  build every patch of the series on its own, checkpatch
SHELL := /bin/bash
W := .work
LINUX := $(W)/linux
BUILD := $(W)/build

# prog_tests run by `make check`: our sk_lookup tests and the sk-related
# neighbours the series must not break (netns links, sockmap, reuseport).
BASE_TESTS := flow_dissector_reattach sockmap_basic select_reuseport assign_reuse netns_cookie
SERIES_TESTS := 'sk_lookup*'
# The unmodified Debian tree's own sk_lookup tests, run against our kernel
# once the tree has the series.
REF_TESTS := sk_lookup

.PHONY: all demo check worktree export kernel ref-kernel base-kernel bpftool selftests bench \
	series-check clean
all: kernel selftests

$(LINUX)/Makefile:
	scripts/worktree
worktree: $(LINUX)/Makefile

export:
	scripts/export-patches

kernel: $(LINUX)/Makefile
	scripts/build-kernel $(LINUX) $(BUILD)/linux

ref-kernel: $(LINUX)/Makefile
	scripts/build-kernel $(W)/src/ref $(BUILD)/ref

# The stripped base: the work tree's tag `base`, exported to .work/src/base
# (again whenever the tag moved, e.g. after base/ changed).
base-kernel: $(LINUX)/Makefile
	c=$$(git -C $(LINUX) rev-parse base); \
	if [ "$$(cat $(W)/src/base/.commit 2>/dev/null)" != "$$c" ]; then \
		rm -rf $(W)/src/base && mkdir -p $(W)/src/base && \
		git -C $(LINUX) archive base | tar -x -C $(W)/src/base && \
		echo "$$c" >$(W)/src/base/.commit; \
	fi
	scripts/build-kernel $(W)/src/base $(BUILD)/base

# The tree's bpftool (for its feature probe and link listing tests).
bpftool: $(LINUX)/Makefile
	mkdir -p $(BUILD)/bpftool
	$(MAKE) -s -C $(LINUX)/tools/bpf/bpftool OUTPUT=$(abspath $(BUILD))/bpftool/ \
		CLANG=clang-19 LLVM_STRIP=llvm-strip-19 -j$$(($$(nproc) + 1))

selftests: kernel bpftool
	scripts/build-selftests $(LINUX) $(BUILD)/linux/vmlinux $(BUILD)/selftests \
		$(BASE_TESTS) $(SERIES_TESTS)
	if grep -q BPF_PROG_TYPE_SK_LOOKUP $(LINUX)/include/uapi/linux/bpf.h; then \
		scripts/build-selftests $(W)/src/ref $(BUILD)/linux/vmlinux \
			$(BUILD)/ref-selftests $(REF_TESTS); \
	else rm -rf $(BUILD)/ref-selftests; fi

check: kernel selftests
	scripts/check

bench: kernel ref-kernel base-kernel
	bench/run

demo: kernel
	demo/run

series-check: $(LINUX)/Makefile
	scripts/series-check

clean:
	rm -rf $(BUILD)
