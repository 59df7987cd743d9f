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

# ---- device binaries (static, musl) -------------------------------------------------------------
# Two programs from the floors (docs/architecture.md): `keel`, PID 1 (init/ over update/ runtime/
# format/ lib/), and `keel-cmd`, the commands (cmd/ over the same floors), which `keel VERB` execs
# when it is not PID 1. Each is linked from the objects of its floors with LTO and gc-sections:
# what a program does not call is not in it. `make size` checks each against its budget.
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
# -fno-unwind-tables too: aarch64 gcc emits .eh_frame even with -fno-asynchronous-unwind-tables
# (16.6 KB of the PID-1 binary); nothing in keel unwinds.
DEV_OPT := -Os -flto
DEV_CFLAGS := -std=gnu11 $(DEV_OPT) $(WARN) -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables \
	-fno-unwind-tables -MMD -MP -I. -I$(DEPS)/include -I$(DEPS)/khdr -D_GNU_SOURCE
# aarch64 links align segments to 64 KiB by default, padding the file by up to that much; 16 KiB
# still loads on 4 KiB and 16 KiB page kernels (Debian's arm64, the Raspberry Pi 5's), not on 64 KiB.
LDFLAGS_aarch64 := -Wl,-z,max-page-size=16384
# norelro: in a static non-PIE musl program nothing applies PT_GNU_RELRO (no dynamic linker runs),
# so the segment only cost its page alignment: 8.6 KB of padding on aarch64.
DEV_LDFLAGS := $(DEV_OPT) -flto=auto -static -Wl,--gc-sections -Wl,-z,norelro $(LDFLAGS_$(ARCH))
DEV_LIBS := -L$(DEPS)/lib -lbearssl

# A floor's sources; the mains belong to their programs, not to a floor.
MAINS := init/main.c cmd/main.c helpers/keel-fetch.c helpers/keel-logd.c helpers/keel-dhcp.c
floor_srcs = $(filter-out $(MAINS),$(sort $(wildcard $(1)/*.c)))
dev_objs = $(patsubst %.c,$(OUT)/obj/%.o,$(foreach f,$(1),$(call floor_srcs,$(f))))
# Generated at build time by tools/seccomp-gen for each arch: the default profile's BPF program
# (runtime/) and the syscall name table (format/).
GEN_OBJS := $(OUT)/obj/gen/seccomp_profile.o $(OUT)/obj/gen/syscall_names.o $(OUT)/obj/gen/syscall_abis.o
# libc/: musl pieces replaced in every device program (vfprintf without float formatting).
LIBC_OBJS := $(OUT)/obj/libc/vfprintf.o
KEEL_OBJS := $(OUT)/obj/init/main.o $(call dev_objs,init update runtime format lib) $(GEN_OBJS)
KEEL_CMD_OBJS := $(OUT)/obj/cmd/main.o $(call dev_objs,cmd update runtime format lib) $(GEN_OBJS)
# Helpers (helpers/): small programs PID 1 starts as isolated processes, each its own budget.
# The registry fetcher: TLS, HTTP and JSON live here, never in keel or keel-cmd.
KEEL_FETCH_OBJS := $(OUT)/obj/helpers/keel-fetch.o $(call dev_objs,helpers format lib) $(OUT)/obj/gen/syscall_names.o
# The log writer: its own files, the sandbox and the TLS client.
KEEL_LOGD_OBJS := $(OUT)/obj/helpers/keel-logd.o $(patsubst %.c,$(OUT)/obj/%.o,$(wildcard helpers/logd_*.c) \
	helpers/sandbox.c helpers/tls.c) $(call dev_objs,lib)
# keel-dhcp: the DHCP client of an uplink (helpers/), libc only: it parses what the network sends.
KEEL_DHCP_OBJS := $(OUT)/obj/helpers/keel-dhcp.o $(OUT)/obj/helpers/dhcp_msg.o
DEVICE_PROGS := keel keel-cmd keel-fetch keel-logd keel-dhcp
# Stripped size budgets, bytes, the same on both arches (docs/architecture.md, "Size plan").
BUDGET_keel := 262144
BUDGET_keel-cmd := 524288
BUDGET_keel-fetch := 262144
BUDGET_keel-logd := 131072
BUDGET_keel-dhcp := 98304
# The device clock never starts before the commit this tree was built from (lib/version.h):
# only lib/version.c uses it, rebuilt when the commit changes.
BUILD_TIME := $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
BUILD_TIME_STAMP := $(B)/build-time
$(shell mkdir -p $(B) && (echo $(BUILD_TIME) | cmp -s - $(BUILD_TIME_STAMP) || echo $(BUILD_TIME) > $(BUILD_TIME_STAMP)))
SECCOMP_GEN := $(B)/host/seccomp-gen

# ---- host tools (glibc, may use host libraries) -----------------------------------------------
HOST_CC := gcc
HOST_CFLAGS := -std=gnu11 -O2 -g $(WARN) -MMD -MP -I. -D_GNU_SOURCE
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

.PHONY: all help deps host device size man completion install check check-unit check-host check-host-v2 check-qemu qemu-prereqs fuzz powercut \
	bench image demo layers clean distclean fmt install-deps
.DEFAULT_GOAL := all

all: device host

help:
	@echo "make [ARCH=x86_64|aarch64]   device binaries build/ARCH/{keel,keel-cmd,keel-logd} and host tools build/host/{keelc,keel-pack}"
	@echo "make check                   all tests (check-unit check-host check-host-v2 check-qemu); ends with 'N passed, N failed'"
	@echo "make fuzz [FUZZ_SECONDS=60]  run every libFuzzer target"
	@echo "make image BOARD=qemu-x86_64 CONFIG=configs/demo.conf   device image into build/images/BOARD/"
	@echo "make demo                    boot the demo appliance in QEMU"
	@echo "make bench                   side-by-side benchmarks (bench/*)"
	@echo "make size                    stripped size of every device binary per arch, against its budget"
	@echo "make powercut [COUNT=10] [SEED=1]   kill QEMU at random during keel update --from, check every boot"
	@echo "make install [DESTDIR=] [PREFIX=/usr/local] [DEVICE_BINDIR=]   host tools, device binaries, man pages, completion"

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

# One usage text per command (docs/usage/*.txt, docs/usage/README.md): compiled into its --help,
# put into its man page (make man) and read by the bash completion's generator.
USAGE_TXT := $(wildcard docs/usage/*.txt)
USAGE_INCS := $(patsubst docs/usage/%.txt,$(B)/gen/usage/%.inc,$(USAGE_TXT))
$(B)/gen/usage/%.inc: docs/usage/%.txt scripts/gen-usage
	@mkdir -p $(dir $@)
	@scripts/gen-usage $< $@

device: $(addprefix $(OUT)/,$(DEVICE_PROGS))
$(OUT)/obj/%.o: %.c $(DEPS)/.built | $(USAGE_INCS)
	@mkdir -p $(dir $@)
	$(DEV_CC) $(DEV_CFLAGS) -c $< -o $@

# Build tool: runtime/seccomp_profile.def -> BPF, and libseccomp's syscall names, as C for each
# device arch. A static musl program linked with libseccomp built from Debian's source
# (build/deps/x86_64), run on the host.
$(SECCOMP_GEN): tools/seccomp-gen/seccomp-gen.c runtime/seccomp_profile.def $(B)/deps/x86_64/.built
	@mkdir -p $(dir $@)
	musl-gcc -std=gnu11 -O2 $(WARN) -D_GNU_SOURCE -static -I$(B)/deps/x86_64/include -I$(B)/deps/x86_64/khdr \
		-o $@ $< -L$(B)/deps/x86_64/lib -lseccomp

$(B)/deps/x86_64/.built: scripts/build-deps.sh | $(B)/.deps-installed
	@scripts/build-deps.sh x86_64

$(B)/%/gen/seccomp_profile.c: $(SECCOMP_GEN)
	@mkdir -p $(dir $@)
	$(SECCOMP_GEN) $* profile > $@.tmp && mv $@.tmp $@
$(B)/%/gen/syscall_names.c: $(SECCOMP_GEN)
	@mkdir -p $(dir $@)
	$(SECCOMP_GEN) $* names > $@.tmp && mv $@.tmp $@
$(B)/%/gen/syscall_abis.c: $(SECCOMP_GEN)
	@mkdir -p $(dir $@)
	$(SECCOMP_GEN) $* abis > $@.tmp && mv $@.tmp $@

$(OUT)/obj/gen/%.o: $(OUT)/gen/%.c $(DEPS)/.built
	@mkdir -p $(dir $@)
	$(DEV_CC) $(DEV_CFLAGS) -c $< -o $@

$(OUT)/keel.unstripped: $(KEEL_OBJS) $(LIBC_OBJS)
	$(DEV_CC) $(DEV_LDFLAGS) -o $@ $^ $(DEV_LIBS)
$(OUT)/keel-cmd.unstripped: $(KEEL_CMD_OBJS) $(LIBC_OBJS)
	$(DEV_CC) $(DEV_LDFLAGS) -o $@ $^ $(DEV_LIBS)
$(OUT)/keel-fetch.unstripped: $(KEEL_FETCH_OBJS) $(LIBC_OBJS)
	$(DEV_CC) $(DEV_LDFLAGS) -o $@ $^ $(DEV_LIBS)
$(OUT)/keel-logd.unstripped: $(KEEL_LOGD_OBJS) $(LIBC_OBJS)
	$(DEV_CC) $(DEV_LDFLAGS) -o $@ $^ $(DEV_LIBS)
$(OUT)/keel-dhcp.unstripped: $(KEEL_DHCP_OBJS) $(LIBC_OBJS)
	$(DEV_CC) $(DEV_LDFLAGS) -o $@ $^
$(OUT)/obj/lib/version.o $(HOST)/plain/obj/lib/version.o $(HOST)/san/obj/lib/version.o $(HOST)/fuzz/obj/lib/version.o: $(BUILD_TIME_STAMP)
$(OUT)/obj/lib/version.o: DEV_CFLAGS += -DKEEL_BUILD_TIME=$(BUILD_TIME)
$(HOST)/plain/obj/lib/version.o: CFLAGS_plain += -DKEEL_BUILD_TIME=$(BUILD_TIME)
$(HOST)/san/obj/lib/version.o: CFLAGS_san += -DKEEL_BUILD_TIME=$(BUILD_TIME)
$(HOST)/fuzz/obj/lib/version.o: CFLAGS_fuzz += -DKEEL_BUILD_TIME=$(BUILD_TIME)

$(OUT)/%: $(OUT)/%.unstripped
	$(DEV_STRIP) -o $@ $<

-include $(wildcard $(OUT)/obj/*/*.d $(OUT)/obj/gen/*.d)

host: $(HOST)/keelc $(HOST)/keel-pack $(SECCOMP_GEN)

# ---- host builds of the floors ------------------------------------------------------------------
# Each floor (and each tool without its main) is a static archive in three builds: plain (the host
# tools), san (ASan/UBSan: unit tests and build/host/asan/{keel,keel-cmd}) and fuzz (clang, for the
# libFuzzer targets). Tests and fuzzers link archives; none includes a .c.
HOST_FLOORS := lib format runtime update init cmd helpers keelc keel-pack
srcs_lib := $(call floor_srcs,lib)
srcs_format := $(call floor_srcs,format)
srcs_runtime := $(call floor_srcs,runtime)
srcs_update := $(call floor_srcs,update)
srcs_init := $(call floor_srcs,init)
srcs_cmd := $(call floor_srcs,cmd)
srcs_helpers := $(call floor_srcs,helpers)
srcs_keelc := $(filter-out tools/keelc/keelc.c,$(sort $(wildcard tools/keelc/*.c)))
srcs_keel-pack := $(filter-out tools/keel-pack/keel-pack.c,$(sort $(wildcard tools/keel-pack/*.c)))
# keelc checks `syscall =` names against every device arch's names: the x86_64 table, which lists
# both arches' names, compiled for any host.
gen_format := gen/syscall_names gen/syscall_abis
gen_runtime := gen/seccomp_profile
HOST_GEN_ARCH_syscall_names := x86_64
HOST_GEN_ARCH_seccomp_profile := $(HOST_ARCH)

CC_plain := $(HOST_CC)
CFLAGS_plain := $(HOST_CFLAGS)
CC_san := $(HOST_CC)
CFLAGS_san := $(HOST_CFLAGS) $(SAN)
CC_fuzz := clang
CFLAGS_fuzz := -std=gnu11 -O1 -g $(WARN) -MMD -MP -I. -D_GNU_SOURCE -fsanitize=fuzzer-no-link,address,undefined

define host_variant
$(HOST)/$(1)/obj/%.o: %.c | $(B)/.deps-installed $(USAGE_INCS)
	@mkdir -p $$(dir $$@)
	$$(CC_$(1)) $$(CFLAGS_$(1)) -c $$< -o $$@
$(HOST)/$(1)/obj/gen/%.o: $(B)/x86_64/gen/%.c | $(B)/.deps-installed
	@mkdir -p $$(dir $$@)
	$$(CC_$(1)) $$(CFLAGS_$(1)) -DSECCOMP_PROFILE_ANY_ARCH -c $$< -o $$@
$(foreach f,$(HOST_FLOORS),$(eval $(call host_archive,$(1),$(f))))
-include $$(wildcard $(HOST)/$(1)/obj/*/*.d $(HOST)/$(1)/obj/*/*/*.d $(HOST)/$(1)/obj/gen/*.d)
endef
define host_archive
$(HOST)/$(1)/libkeel-$(2).a: $(patsubst %.c,$(HOST)/$(1)/obj/%.o,$(srcs_$(2))) $(foreach g,$(gen_$(2)),$(HOST)/$(1)/obj/$(g).o)
	@rm -f $$@
	ar rcs $$@ $$^
endef
$(foreach v,plain san fuzz,$(eval $(call host_variant,$(v))))
# The floors in link order, top first (a tool's archive before format and lib).
host_libs = $(foreach f,$(2),$(HOST)/$(1)/libkeel-$(f).a)
ALL_FLOORS := cmd init update helpers runtime keelc keel-pack format lib

$(HOST)/keelc: tools/keelc/keelc.c $(call host_libs,plain,keelc format lib) $(B)/gen/usage/keelc.inc
	$(HOST_CC) $(HOST_CFLAGS) -o $@ $(filter %.c %.a,$^) -lbearssl
$(HOST)/keel-pack: tools/keel-pack/keel-pack.c $(call host_libs,plain,keel-pack format lib) $(B)/gen/usage/keel-pack.inc
	$(HOST_CC) $(HOST_CFLAGS) -o $@ $(filter %.c %.a,$^) -lbearssl -ljansson -lcurl

# Both device programs built for the host with glibc under ASan/UBSan: proves they build clean with
# sanitizers, and `keel check`/`keel run`/`keel update` run under them in the unit and host tests.
# build/host/keel-asan is a link to asan/keel, which finds asan/keel-cmd beside it.
$(HOST)/asan/keel: init/main.c $(call host_libs,san,init update runtime format lib)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(SAN) -o $@ $^ -lbearssl
$(HOST)/asan/keel-cmd: cmd/main.c $(call host_libs,san,cmd update runtime format lib) $(B)/gen/usage/keel.inc
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(SAN) -o $@ $(filter %.c %.a,$^) -lbearssl
$(HOST)/asan/keel-dhcp: helpers/keel-dhcp.c $(call host_libs,san,helpers)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(SAN) -o $@ $^
$(HOST)/keel-asan: $(HOST)/asan/keel $(HOST)/asan/keel-cmd $(HOST)/asan/keel-dhcp
	ln -sf asan/keel $@
# keelc under ASan/UBSan: the unit tests feed it malformed texts.
$(HOST)/asan/keelc: tools/keelc/keelc.c $(call host_libs,san,keelc format lib) $(B)/gen/usage/keelc.inc
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(SAN) -o $@ $(filter %.c %.a,$^) -lbearssl

# Every device program of each arch against its budget; fails when one is over.
size:
	@rc=0; for a in x86_64 aarch64; do $(MAKE) --no-print-directory ARCH=$$a device >/dev/null || exit 1; \
	  for pb in $(foreach p,$(DEVICE_PROGS),$(p):$(BUDGET_$(p))); do p=$${pb%%:*} b=$${pb#*:}; \
	    s=$$(stat -c %s $(B)/$$a/$$p); printf '%-8s %-10s %8d bytes stripped (budget %d, %d left)\n' $$a $$p $$s $$b $$((b - s)); \
	    [ $$s -le $$b ] || { echo "size: $(B)/$$a/$$p is over its budget" >&2; rc=1; }; done; done; exit $$rc

# ---- man pages, completion, install ---------------------------------------------------------------
# Man pages from docs/*.N.md with go-md2man (scripts/gen-man puts each command's usage text in);
# the bash completion from the usage texts (scripts/gen-completion). `make install` puts the host
# tools in PREFIX/bin, the device programs of ARCH in DEVICE_BINDIR (default PREFIX/lib/keel/ARCH:
# on a device they belong in /bin, where PID 1 looks for keel-cmd and keel-logd, so a device root
# is `make install DESTDIR=ROOT PREFIX=/usr DEVICE_BINDIR=/bin`), man pages and the completion.
PREFIX ?= /usr/local
DEVICE_BINDIR ?= $(PREFIX)/lib/keel/$(ARCH)
MAN_SRCS := $(wildcard docs/*.[1-8].md)
MAN_PAGES := $(patsubst docs/%.md,$(B)/man/%,$(MAN_SRCS))
$(B)/man/%: docs/%.md scripts/gen-man $(USAGE_TXT) | $(B)/.deps-installed
	@mkdir -p $(dir $@)
	scripts/gen-man $< $@
man: $(MAN_PAGES)
$(B)/completion/keel: scripts/gen-completion $(USAGE_TXT)
	@mkdir -p $(dir $@)
	scripts/gen-completion docs/usage > $@.tmp && bash -n $@.tmp && mv $@.tmp $@
completion: $(B)/completion/keel

install: all man completion
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(DEVICE_BINDIR) $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 0755 $(HOST)/keelc $(HOST)/keel-pack $(DESTDIR)$(PREFIX)/bin/
	install -m 0755 $(addprefix $(OUT)/,$(DEVICE_PROGS)) $(DESTDIR)$(DEVICE_BINDIR)/
	for m in $(MAN_PAGES); do s=$${m##*.}; install -d $(DESTDIR)$(PREFIX)/share/man/man$$s && \
	  install -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man$$s/ || exit 1; done
	install -m 0644 $(B)/completion/keel $(DESTDIR)$(PREFIX)/share/bash-completion/completions/keel
	for c in keelc keel-pack; do ln -sf keel $(DESTDIR)$(PREFIX)/share/bash-completion/completions/$$c; done

# ---- tests --------------------------------------------------------------------------------------
# Each test prints "PASS name" / "FAIL name: why" lines; tests/lib/run-suite collects them into
# build/tests/<suite>.log and tests/lib/summary prints the closing "N passed, N failed".
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(HOST)/tests/%,$(UNIT_SRCS))
$(HOST)/tests/%: tests/unit/%.c $(call host_libs,san,$(ALL_FLOORS)) | $(B)/.deps-installed
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(SAN) -o $@ $< -Wl,--start-group $(call host_libs,san,$(ALL_FLOORS)) -Wl,--end-group \
		-lbearssl -ljansson -lcurl
# The device programs' vfprintf (libc/) under another name, beside the host libc's it is checked against.
$(HOST)/tests/test_vfprintf: tests/unit/test_vfprintf.c libc/vfprintf.c | $(B)/.deps-installed
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(SAN) -Dvfprintf=keel_vfprintf -o $@ $^
-include $(wildcard $(HOST)/tests/*.d $(HOST)/fuzz/*.d)

check:
	@rm -rf $(B)/tests && mkdir -p $(B)/tests
	@rc=0; for t in check-unit check-host check-host-v2 check-qemu; do $(MAKE) --no-print-directory $$t || rc=1; done; \
	  tests/lib/summary $(B)/tests || rc=1; exit $$rc

check-unit: all $(UNIT_BINS) $(HOST)/keel-asan $(HOST)/asan/keelc man completion
	@tests/lib/run-suite unit $(UNIT_BINS) $(sort $(wildcard tests/unit/*.test))

check-host: all
	@tests/lib/run-suite host $(sort $(wildcard tests/host/*.test))

# The host suite again with cgroup2 mounted at /sys/fs/cgroup, as on a pure cgroup v2 machine (the
# common case; this build host is a v1/v2 hybrid), in a mount namespace of its own.
check-host-v2: all
	@tests/lib/pure-v2 tests/lib/run-suite host-v2 $(sort $(wildcard tests/host/*.test))

check-qemu: qemu-prereqs
	@tests/lib/run-suite qemu $(sort $(wildcard tests/qemu/*.test))

# What the QEMU tests download (both boards' kernels, the arm64 busybox and layers) and build for
# the second arch, done first: some tests run QEMU inside a network namespace of their own.
qemu-prereqs: all
	@$(MAKE) --no-print-directory ARCH=aarch64 device
	@for b in board/qemu-*/; do $${b}fetch-kernel >/dev/null || exit 1; done
	@for a in x86_64 aarch64; do scripts/make-layers.sh $$a >/dev/null || exit 1; done

# The power-cut harness: COUNT random cuts during a registry pull and apply (tests/powercut/run);
# make check runs a short one (tests/qemu/42-powercut.test).
COUNT ?= 10
SEED ?= 1
powercut: qemu-prereqs
	@tests/powercut/run $(COUNT) $(SEED)

# ---- fuzzing ------------------------------------------------------------------------------------
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(HOST)/fuzz/%,$(FUZZ_SRCS))
FUZZ_FLOORS := cmd update init runtime helpers keelc format lib
$(HOST)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(call host_libs,fuzz,$(FUZZ_FLOORS)) | $(B)/.deps-installed
	@mkdir -p $(dir $@)
	clang $(CFLAGS_fuzz) -fsanitize=fuzzer -o $@ $< -Wl,--start-group $(call host_libs,fuzz,$(FUZZ_FLOORS)) \
		-Wl,--end-group -lbearssl

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
	@$(MAKE) --no-print-directory image CONFIG=$(CONFIG)
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
	clang-format -i $(wildcard lib/*.[ch] format/*.[ch] runtime/*.[ch] update/*.[ch] init/*.[ch] cmd/*.[ch] \
		helpers/*.[ch] tools/*/*.[ch]) $(UNIT_SRCS) $(FUZZ_SRCS)

clean:
	rm -rf $(B)/x86_64 $(B)/aarch64 $(B)/host $(B)/tests $(B)/images

distclean:
	rm -rf $(B)
