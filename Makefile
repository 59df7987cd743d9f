# keel: PID-1 init and container runtime for embedded Linux appliances.
# `make` builds the device binary for ARCH (x86_64 or aarch64) and the host tools; `make help` lists targets.

ARCH ?= x86_64
BOARD ?= qemu-x86_64
CONFIG ?= configs/demo.conf
FUZZ_SECONDS ?= 60

B := build
DEPS := $(B)/deps/$(ARCH)
OUT := $(B)/$(ARCH)
HOST := $(B)/host
HOST_ARCH := $(shell uname -m)

# ---- device binary (static, musl) -----------------------------------------------------------
CC_x86_64 := musl-gcc
CC_aarch64 := aarch64-linux-musl-gcc
STRIP_x86_64 := strip
STRIP_aarch64 := aarch64-linux-gnu-strip
DEV_CC := $(CC_$(ARCH))
DEV_STRIP := $(STRIP_$(ARCH))
ifeq ($(DEV_CC),)
$(error ARCH must be x86_64 or aarch64, got '$(ARCH)')
endif

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-missing-field-initializers
# No unwind tables: nothing in keel unwinds (no C++, no backtrace), and aarch64's gcc emits
# .eh_frame by default even with -fno-asynchronous-unwind-tables (16.6 KB of the binary).
DEV_CFLAGS := -std=gnu11 -Os $(WARN) -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -fno-unwind-tables \
	-I. -I$(DEPS)/include -I$(DEPS)/khdr -D_GNU_SOURCE
# aarch64 links align segments to 64 KiB by default, padding the file by up to that much; 16 KiB
# still loads on 4 KiB and 16 KiB page kernels (Debian's arm64, the Raspberry Pi 5's), not on 64 KiB.
LDFLAGS_aarch64 := -Wl,-z,max-page-size=16384
# norelro: in a static non-PIE musl program nothing applies PT_GNU_RELRO (no dynamic linker runs),
# so the segment only cost its page alignment: 8.6 KB of padding on aarch64.
DEV_LDFLAGS := -static -Wl,--gc-sections -Wl,-z,norelro $(LDFLAGS_$(ARCH))
DEV_LIBS := -L$(DEPS)/lib -lbearssl

DEVICE_DIRS := lib format runtime init
DEVICE_SRCS := $(sort $(foreach d,$(DEVICE_DIRS),$(wildcard $(d)/*.c)))
DEVICE_HDRS := $(foreach d,$(DEVICE_DIRS),$(wildcard $(d)/*.h))
# The default seccomp profile, compiled to BPF at build time for each arch (tools/seccomp-gen).
SECCOMP_GEN := $(B)/host/seccomp-gen
DEVICE_OBJS := $(patsubst %.c,$(OUT)/obj/%.o,$(DEVICE_SRCS)) $(OUT)/obj/gen/seccomp_profile.o

# ---- host tools (glibc, may use host libraries) -----------------------------------------------
HOST_CC := gcc
HOST_CFLAGS := -std=gnu11 -O2 -g $(WARN) -I. -D_GNU_SOURCE
HOST_LIB_SRCS := $(wildcard lib/*.c) $(wildcard format/*.c)
KEELC_SRCS := $(wildcard tools/keelc/*.c)
PACK_SRCS := $(wildcard tools/keel-pack/*.c)
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

.PHONY: all help deps host device size check check-unit check-host check-qemu qemu-prereqs fuzz bench image demo layers \
	clean distclean fmt install-deps
.DEFAULT_GOAL := all

all: device host

help:
	@echo "make [ARCH=x86_64|aarch64]   device binary build/ARCH/keel and host tools build/host/{keelc,keel-pack}"
	@echo "make check                   all tests (check-unit check-host check-qemu); ends with 'N passed, N failed'"
	@echo "make fuzz [FUZZ_SECONDS=60]  run every libFuzzer target"
	@echo "make image BOARD=qemu-x86_64 CONFIG=configs/demo.conf   device image into build/images/BOARD/"
	@echo "make demo                    boot the demo appliance in QEMU"
	@echo "make bench                   side-by-side benchmarks (bench/*)"
	@echo "make size                    stripped size of keel per arch"

# Every target that needs Debian packages goes through the one list in scripts/install-deps.sh.
install-deps:
	@scripts/install-deps.sh

$(B)/.deps-installed: scripts/install-deps.sh
	@scripts/install-deps.sh
	@mkdir -p $(B) && touch $@

deps: $(DEPS)/.built
ifneq ($(ARCH),x86_64)
$(DEPS)/.built: scripts/build-deps.sh | $(B)/.deps-installed
	@scripts/build-deps.sh $(ARCH)
endif

device: $(OUT)/keel
$(OUT)/obj/%.o: %.c $(DEVICE_HDRS) $(DEPS)/.built
	@mkdir -p $(dir $@)
	$(DEV_CC) $(DEV_CFLAGS) -c $< -o $@

# Build tool: runtime/seccomp_profile.def -> BPF + syscall names as C for each device arch. A static
# musl program linked with libseccomp built from Debian's source (build/deps/x86_64), run on the host.
$(SECCOMP_GEN): tools/seccomp-gen/seccomp-gen.c runtime/seccomp_profile.def $(B)/deps/x86_64/.built
	@mkdir -p $(dir $@)
	musl-gcc -std=gnu11 -O2 $(WARN) -D_GNU_SOURCE -static -I$(B)/deps/x86_64/include -I$(B)/deps/x86_64/khdr \
		-o $@ $< -L$(B)/deps/x86_64/lib -lseccomp

$(B)/deps/x86_64/.built: scripts/build-deps.sh | $(B)/.deps-installed
	@scripts/build-deps.sh x86_64

$(B)/%/gen/seccomp_profile.c: $(SECCOMP_GEN)
	@mkdir -p $(dir $@)
	$(SECCOMP_GEN) $* > $@.tmp && mv $@.tmp $@

$(OUT)/obj/gen/seccomp_profile.o: $(OUT)/gen/seccomp_profile.c $(DEVICE_HDRS) $(DEPS)/.built
	@mkdir -p $(dir $@)
	$(DEV_CC) $(DEV_CFLAGS) -c $< -o $@

$(OUT)/keel.unstripped: $(DEVICE_OBJS)
	$(DEV_CC) $(DEV_LDFLAGS) -o $@ $(DEVICE_OBJS) $(DEV_LIBS)

$(OUT)/keel: $(OUT)/keel.unstripped
	$(DEV_STRIP) -o $@ $<

host: $(HOST)/keelc $(HOST)/keel-pack $(SECCOMP_GEN)

# keelc checks `syscall =` names against the device's generated table (every name of both arches)
# with the device's own lookup (runtime/seccomp_names.c).
SYSCALL_TABLE := $(B)/x86_64/gen/seccomp_profile.c
$(HOST)/keelc: $(KEELC_SRCS) $(HOST_LIB_SRCS) $(DEVICE_HDRS) $(wildcard tools/keelc/*.h) $(SYSCALL_TABLE) | $(B)/.deps-installed
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -DSECCOMP_PROFILE_ANY_ARCH -o $@ $(KEELC_SRCS) runtime/seccomp_names.c $(SYSCALL_TABLE) \
		$(HOST_LIB_SRCS) -lbearssl

$(HOST)/keel-pack: $(PACK_SRCS) $(HOST_LIB_SRCS) $(DEVICE_HDRS) $(wildcard tools/keel-pack/*.h) | $(B)/.deps-installed
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ $(PACK_SRCS) $(HOST_LIB_SRCS) -lbearssl -ljansson

# The whole device program built for the host with glibc under ASan/UBSan: proves it builds clean
# with sanitizers and runs `keel check` over malformed configs in the unit tests.
$(HOST)/keel-asan: $(DEVICE_SRCS) $(DEVICE_HDRS) $(B)/$(HOST_ARCH)/gen/seccomp_profile.c | $(B)/.deps-installed
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(SAN) -o $@ $(DEVICE_SRCS) $(B)/$(HOST_ARCH)/gen/seccomp_profile.c -lbearssl

size:
	@for a in x86_64 aarch64; do $(MAKE) --no-print-directory ARCH=$$a device >/dev/null || exit 1; \
	  printf '%-8s %8d bytes stripped (budget 262144)\n' $$a $$(stat -c %s $(B)/$$a/keel); done

# ---- tests --------------------------------------------------------------------------------------
# Each test prints "PASS name" / "FAIL name: why" lines; tests/lib/run-suite collects them into
# build/tests/<suite>.log and tests/lib/summary prints the closing "N passed, N failed".
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(HOST)/tests/%,$(UNIT_SRCS))
TOOL_SRCS := $(wildcard tools/*/*.c tools/*/*.h)
# A unit test may #include a device source (runtime/netlink.c, init/bootchart_svg.c): rebuilt when one changes.
$(HOST)/tests/%: tests/unit/%.c $(HOST_LIB_SRCS) $(DEVICE_SRCS) $(DEVICE_HDRS) $(TOOL_SRCS) $(wildcard tests/unit/*.h) | $(B)/.deps-installed
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(SAN) -o $@ $< $(HOST_LIB_SRCS) -lbearssl

check:
	@rm -rf $(B)/tests && mkdir -p $(B)/tests
	@rc=0; for t in check-unit check-host check-qemu; do $(MAKE) --no-print-directory $$t || rc=1; done; \
	  tests/lib/summary $(B)/tests || rc=1; exit $$rc

check-unit: all $(UNIT_BINS) $(HOST)/keel-asan
	@tests/lib/run-suite unit $(UNIT_BINS) $(sort $(wildcard tests/unit/*.test))

check-host: all
	@tests/lib/run-suite host $(sort $(wildcard tests/host/*.test))

check-qemu: qemu-prereqs
	@tests/lib/run-suite qemu $(sort $(wildcard tests/qemu/*.test))

# What the QEMU tests download (both boards' kernels, the arm64 busybox and layers) and build for
# the second arch, done first: some tests run QEMU inside a network namespace of their own.
qemu-prereqs: all
	@$(MAKE) --no-print-directory ARCH=aarch64 device
	@for b in board/qemu-*/; do $${b}fetch-kernel >/dev/null || exit 1; done
	@for a in x86_64 aarch64; do scripts/make-layers.sh $$a >/dev/null || exit 1; done

# ---- fuzzing ------------------------------------------------------------------------------------
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(HOST)/fuzz/%,$(FUZZ_SRCS))
$(HOST)/fuzz/%: tests/fuzz/%.c $(HOST_LIB_SRCS) $(DEVICE_HDRS) $(TOOL_SRCS) $(SYSCALL_TABLE) | $(B)/.deps-installed
	@mkdir -p $(dir $@)
	clang -std=gnu11 -O1 -g -I. -D_GNU_SOURCE -DSECCOMP_PROFILE_ANY_ARCH -fsanitize=fuzzer,address,undefined -o $@ $< \
		runtime/seccomp_names.c $(SYSCALL_TABLE) $(HOST_LIB_SRCS) -lbearssl

fuzz: $(FUZZ_BINS)
	@for f in $(FUZZ_BINS); do n=$$(basename $$f); corpus=tests/fuzz/corpus/$${n#fuzz_}; \
	  mkdir -p $(B)/fuzz-work/$$n; echo "fuzz: $$n for $(FUZZ_SECONDS)s (corpus $$corpus)"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 $(B)/fuzz-work/$$n $$corpus 2>$(B)/fuzz-work/$$n.log \
	    || { tail -50 $(B)/fuzz-work/$$n.log; exit 1; }; \
	  grep -E 'stat::number_of_executed_units|stat::new_units_added' $(B)/fuzz-work/$$n.log; done

# ---- images, demo, benchmarks --------------------------------------------------------------------
# The example configs' layers (busybox, www) for the board's arch (board/BOARD/arch), packed with
# keel-pack; make-image resolves names with them. ARCH follows the board for image and demo.
BOARD_ARCH = $(shell cat board/$(BOARD)/arch 2>/dev/null || echo x86_64)

layers: host
	@scripts/make-layers.sh $(BOARD_ARCH)

image: all layers
	@$(MAKE) --no-print-directory ARCH=$(BOARD_ARCH) device
	@board/$(BOARD)/make-image $(CONFIG)

# The board boots with a virtio-net uplink on QEMU's user network; the build host's 127.0.0.1:8080
# (DEMO_PORT=N for another) is forwarded to the guest's 8080, which the demo publishes (DNAT) to
# web's port 80.
demo:
	@$(MAKE) --no-print-directory image CONFIG=configs/demo.conf
	@echo
	@echo "keel demo on $(BOARD): this terminal becomes the appliance's serial console (a root shell)."
	@echo "  see it:    curl http://127.0.0.1:$(or $(DEMO_PORT),8080)/    (or a browser on this machine): web's page with PID 1's live service table"
	@echo "  at the console:  keel ctl status    keel ctl logs flaky    keel ctl restart web"
	@echo "                   keel ctl bootchart > /run/keel/status/boot.svg   (the boot chart, then on web's page too)"
	@echo "  quit:      keel ctl poweroff at the console (QEMU exits), or Ctrl-A then X"
	@echo
	@QEMU_NET=user QEMU_HOSTFWD=tcp:127.0.0.1:$(or $(DEMO_PORT),8080)-:8080 board/$(BOARD)/run

bench: all
	@rc=0; for b in $(sort $(wildcard bench/*)); do [ -f $$b ] && [ -x $$b ] || continue; \
	  $$b || { echo "bench: $$b failed" >&2; rc=1; }; done; exit $$rc

fmt:
	clang-format -i $(DEVICE_SRCS) $(DEVICE_HDRS) $(KEELC_SRCS) $(PACK_SRCS) $(UNIT_SRCS) $(FUZZ_SRCS)

clean:
	rm -rf $(B)/x86_64 $(B)/aarch64 $(B)/host $(B)/tests $(B)/images

distclean:
	rm -rf $(B)
