# One libbpf-bootstrap style program, shared by demo/ and bench/:
#   $(BPF).bpf.c --clang--> $(BPF).bpf.o --bpftool--> $(BPF).skel.h
#   $(APP).c + $(BPF).skel.h --cc--> $(APP)
# The including Makefile sets SRC (its directory), OUT (where everything
# goes, never the source tree), APP and BPF. Needs clang-19, bpftool and
# libbpf-dev (scripts/install-deps).
CLANG ?= clang-19
BPFTOOL ?= bpftool
CC ?= cc
CFLAGS ?= -g -O2 -Wall -Wextra
# <asm/types.h> for the BPF target comes from the host's multiarch directory.
ARCH_INC := /usr/include/$(shell $(CC) -dumpmachine)

.PHONY: all clean
all: $(OUT)/$(APP)

$(OUT)/$(BPF).bpf.o: $(SRC)/$(BPF).bpf.c | $(OUT)
	$(CLANG) -target bpf -g -O2 -Wall -I$(ARCH_INC) -c $< -o $@

$(OUT)/$(BPF).skel.h: $(OUT)/$(BPF).bpf.o
	$(BPFTOOL) gen skeleton $< name $(BPF)_bpf > $@.tmp && mv $@.tmp $@

$(OUT)/$(APP): $(SRC)/$(APP).c $(OUT)/$(BPF).skel.h
	$(CC) $(CFLAGS) -I$(OUT) $< -o $@ -lbpf

$(OUT):
	mkdir -p $@

clean:
	rm -rf $(OUT)
