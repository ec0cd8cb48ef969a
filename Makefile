# Parapet top-level Makefile.
#
#   make          check/install host packages, build the hypervisor, the test guests and
#                 guest-port (build/guest-port/kernel.elf for Xen PV, kernel.bin for multiboot)
#   make run      build, then boot Parapet in QEMU with the default guest (tests/hello)
#   make test     build, then run every test: host unit tests, one guest per behaviour,
#                 end-to-end boots; ends with "N passed, N failed"
#   make debug    boot paused with a gdb stub and a ready gdbinit (build/gdbinit)
#   make check-abi  regenerate docs/abi/table.md and check the ABI table against the code
#   make test-xen   run the same test guests on Debian's Xen 4.17 (the ABI reference)
#   make bench    instructions per operation: native, pv, trap and Xen 4.17, and Linux
#                 kernel start to /init natively, on Parapet and on Xen (build/bench/)
#   make linux    Debian's Linux kernel (vmlinux) and a busybox initramfs in
#                 build/linux-cache/, downloaded once (issue #5; docs/linux-pv.md)
#
# Objects are listed in the Kbuild files of each directory (obj-y += ...). Everything is
# built out of tree, in $(BUILD).

BUILD    ?= build
CC       ?= gcc
LD       ?= ld
OBJCOPY  ?= objcopy
NM       ?= nm
PYTHON   ?= python3
V        ?= 0
Q        := $(if $(filter 1,$(V)),,@)

all: deps hypervisor guests guest-port check-abi

# Keep intermediate objects of chained rules (guests, unit tests) between builds.
.SECONDARY:

# ---- host packages ---------------------------------------------------------------------
.PHONY: deps
deps:
	$(Q)scripts/deps.sh

# The Xen public headers, and nothing else of /usr/include, are visible to freestanding
# code through this directory.
XEN_INC := $(BUILD)/include
$(XEN_INC)/xen/xen.h: | deps
	$(Q)mkdir -p $(XEN_INC) && ln -sfn /usr/include/xen $(XEN_INC)/xen

# ---- flags -----------------------------------------------------------------------------
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wcast-align -Wpointer-arith -Wundef -Wvla -Wno-unused-parameter
FREESTANDING := -std=gnu11 -O2 -g -ffreestanding -fno-builtin -nostdinc \
        -isystem $(shell $(CC) -print-file-name=include) -fno-stack-protector \
        -fno-asynchronous-unwind-tables -fno-omit-frame-pointer -mno-red-zone \
        -mgeneral-regs-only -fno-strict-aliasing -I$(XEN_INC) -Ihypercall-abi

HV_CFLAGS := $(FREESTANDING) $(WARN) -fpie -DHV_HOST -Ihypervisor/include
HV_ASFLAGS := -D__ASSEMBLY__ -DHV_HOST -Ihypervisor/include -Ihypercall-abi

GUEST_CFLAGS := $(FREESTANDING) $(WARN) -fno-pic -mcmodel=small -Itests/lib
GUEST_ASFLAGS := -D__ASSEMBLY__ -Itests/lib -Ihypercall-abi -I$(XEN_INC)

# pvops sees the hypercall ABI and its own headers; guest-port sees pvops and the
# freestanding lib.h of tests/lib (printf.c and string.c are shared, not copied).
PVOPS_CFLAGS := $(FREESTANDING) $(WARN) -fno-pic -mcmodel=small -Ipvops/include
PORT_CFLAGS := $(PVOPS_CFLAGS) -Iguest-port/include -Itests/lib -Ixenstored
PORT_ASFLAGS := -D__ASSEMBLY__ -Ipvops/include -Iguest-port/include -Ihypercall-abi -I$(XEN_INC)
# User programs of guest-port: position-independent code, linked in the user region.
USER_CFLAGS := $(FREESTANDING) $(WARN) -fpie -Iguest-port/include -Iguest-port/user -Itests/lib

HOST_CFLAGS := -std=gnu11 -O1 -g $(WARN) -Wno-missing-prototypes -DHV_HOST_TEST \
        -Ihypervisor/include -Ihypercall-abi -I$(XEN_INC) \
        -fsanitize=address,undefined -fno-sanitize-recover=all

# ---- Kbuild lists ----------------------------------------------------------------------
# Read dir/Kbuild and prefix its entries with the directory.
define read-kbuild
$(eval obj-y :=)$(eval pure-y :=)$(eval lib-y :=)$(eval tests-y :=)$(eval unit-y :=)$(eval e2e-y :=)$(eval ulib-y :=)$(eval user-y :=)$(eval include $(1)/Kbuild)
$(eval $(2)-obj := $(addprefix $(BUILD)/$(1)/,$(obj-y)))
$(eval $(2)-pure := $(addprefix $(1)/,$(pure-y)))
$(eval $(2)-lib := $(addprefix $(BUILD)/$(1)/,$(lib-y)))
$(eval $(2)-tests := $(tests-y))
$(eval $(2)-unit := $(unit-y))
$(eval $(2)-e2e := $(addprefix $(1)/e2e/,$(addsuffix .sh,$(e2e-y))))
$(eval $(2)-ulib := $(addprefix $(BUILD)/$(1)/,$(ulib-y)))
$(eval $(2)-user := $(user-y))
endef
$(call read-kbuild,hypervisor,hv)
$(call read-kbuild,tests,tst)
$(call read-kbuild,pvops,pv)
$(call read-kbuild,guest-port,gp)
$(call read-kbuild,xenstored,xs)

# ---- hypervisor ------------------------------------------------------------------------
HV_LDS := hypervisor/arch/x86_64/hypervisor.lds

$(BUILD)/hypervisor/%.o: hypervisor/%.c $(XEN_INC)/xen/xen.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HV_CFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/hypervisor/%.o: hypervisor/%.S $(XEN_INC)/xen/xen.h $(BUILD)/hypervisor/asm-offsets.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HV_ASFLAGS) -I$(BUILD)/hypervisor -I$(XEN_INC) -MMD -MP -c $< -o $@

# Structure offsets for the entry assembly, generated from C (never literals).
$(BUILD)/hypervisor/asm-offsets.h: hypervisor/arch/x86_64/asm-offsets.c $(XEN_INC)/xen/xen.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HV_CFLAGS) -S $< -o $(BUILD)/hypervisor/asm-offsets.s
	$(Q)scripts/gen-asm-offsets.sh $(BUILD)/hypervisor/asm-offsets.s > $@

# Two-pass link: the second pass embeds a symbol table (placed after .text and
# .rodata, so text addresses do not move) for the fault report's backtrace.
$(BUILD)/hypervisor/parapet-pass1.elf: $(hv-obj) $(HV_LDS) $(BUILD)/hypervisor/symtab-empty.o
	$(Q)$(LD) -m elf_x86_64 -nostdlib -static -z max-page-size=4096 -z noexecstack \
	    -T $(HV_LDS) -o $@ $(hv-obj) $(BUILD)/hypervisor/symtab-empty.o
$(BUILD)/hypervisor/symtab-empty.S: scripts/gen-symtab.sh
	@mkdir -p $(dir $@)
	$(Q)scripts/gen-symtab.sh /dev/null > $@
$(BUILD)/hypervisor/symtab.S: $(BUILD)/hypervisor/parapet-pass1.elf
	$(Q)$(NM) -n $< | scripts/gen-symtab.sh - > $@
$(BUILD)/hypervisor/symtab%.o: $(BUILD)/hypervisor/symtab%.S
	$(Q)$(CC) -c $< -o $@
$(BUILD)/hypervisor/parapet.elf: $(hv-obj) $(HV_LDS) $(BUILD)/hypervisor/symtab.o
	$(Q)$(LD) -m elf_x86_64 -nostdlib -static -z max-page-size=4096 -z noexecstack \
	    -T $(HV_LDS) -o $@ $(hv-obj) $(BUILD)/hypervisor/symtab.o
	$(Q)scripts/check-symtab-stable.sh $(BUILD)/hypervisor/parapet-pass1.elf $@
# What QEMU's -kernel loads: the flat image, found through the multiboot header's
# address fields (see docs/decisions.md). The ELF above is for gdb and symbols.
$(BUILD)/parapet.bin: $(BUILD)/hypervisor/parapet.elf
	$(Q)$(OBJCOPY) -O binary $< $@
	@echo "  BUILT   $@"

.PHONY: hypervisor
hypervisor: deps $(BUILD)/parapet.bin

# ---- test guests -----------------------------------------------------------------------
GUEST_LDS := tests/lib/guest.lds
$(BUILD)/tests/%.o: tests/%.c $(XEN_INC)/xen/xen.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(GUEST_CFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/tests/%.o: tests/%.S $(XEN_INC)/xen/xen.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(GUEST_ASFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/tests/%.elf: $(BUILD)/tests/%/main.o $(tst-lib) $(GUEST_LDS)
	$(Q)$(LD) -m elf_x86_64 -nostdlib -static -z max-page-size=4096 -z noexecstack \
	    -T $(GUEST_LDS) -o $@ $(tst-lib) $(BUILD)/tests/$*/main.o

GUEST_ELFS := $(foreach t,$(tst-tests),$(BUILD)/tests/$(t).elf)
.PHONY: guests
guests: deps $(GUEST_ELFS)

# ---- pvops and guest-port ----------------------------------------------------------------
$(BUILD)/pvops/%.o: pvops/%.c $(XEN_INC)/xen/xen.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(PVOPS_CFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/pvops/%.o: pvops/%.S $(XEN_INC)/xen/xen.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(PORT_ASFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/guest-port/%.o: guest-port/%.c $(XEN_INC)/xen/xen.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(PORT_CFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/guest-port/%.o: guest-port/%.S $(XEN_INC)/xen/xen.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(PORT_ASFLAGS) -MMD -MP -c $< -o $@
# The store library, freestanding, linked into guest-port (its string code is tests/lib's).
$(BUILD)/xenstored/%.o: xenstored/%.c $(XEN_INC)/xen/xen.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(PVOPS_CFLAGS) -Itests/lib -MMD -MP -c $< -o $@

# User programs: each user/<name>.c linked alone with ulib and the shared tests/lib code,
# then embedded by user/programs.S (USER_PROGRAMS = the user-y list, comma-separated).
GP_USER := $(BUILD)/guest-port/user
GP_USER_LIB := $(gp-ulib) $(GP_USER)/shared/printf.o $(GP_USER)/shared/string.o
GP_USER_ELFS := $(foreach p,$(gp-user),$(GP_USER)/$(p).elf)
comma := ,
empty :=
space := $(empty) $(empty)
$(GP_USER)/%.o: guest-port/user/%.c $(XEN_INC)/xen/xen.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(USER_CFLAGS) -MMD -MP -c $< -o $@
$(GP_USER)/shared/%.o: tests/lib/%.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(USER_CFLAGS) -MMD -MP -c $< -o $@
$(GP_USER)/%.elf: $(GP_USER)/%.o $(GP_USER_LIB) guest-port/user/user.lds
	$(Q)$(LD) -m elf_x86_64 -nostdlib -static -z max-page-size=4096 -z noexecstack -S \
	    -T guest-port/user/user.lds -o $@ $(GP_USER_LIB) $<
$(GP_USER)/programs.o: guest-port/user/programs.S $(GP_USER_ELFS)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(PORT_ASFLAGS) -DUSER_PROGRAMS=$(subst $(space),$(comma),$(strip $(gp-user))) \
	    -Wa,-I,$(GP_USER) -c $< -o $@

# The kernel: one ELF for Xen PV loaders, and the same bytes flat for QEMU's multiboot
# loader (which refuses ELF64): the header's address fields say where they go.
GP_LDS := guest-port/kernel.lds
GP_SHARED := $(BUILD)/tests/lib/printf.o $(BUILD)/tests/lib/string.o
$(BUILD)/guest-port/kernel.elf: $(gp-obj) $(pv-obj) $(xs-obj) $(GP_SHARED) $(GP_LDS)
	$(Q)$(LD) -m elf_x86_64 -nostdlib -static -z max-page-size=4096 -z noexecstack \
	    -T $(GP_LDS) -o $@ $(gp-obj) $(pv-obj) $(xs-obj) $(GP_SHARED)
$(BUILD)/guest-port/kernel.bin: $(BUILD)/guest-port/kernel.elf
	$(Q)$(OBJCOPY) -O binary $< $@
	@echo "  BUILT   $@"

.PHONY: guest-port
guest-port: deps $(BUILD)/guest-port/kernel.elf $(BUILD)/guest-port/kernel.bin

# ---- host unit tests -------------------------------------------------------------------
$(BUILD)/host/%.o: hypervisor/%.c $(XEN_INC)/xen/xen.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@
HOST_PURE := $(patsubst hypervisor/%,$(BUILD)/host/%,$(hv-pure))
$(BUILD)/unit/%: tests/unit/%.c $(HOST_PURE) $(XEN_INC)/xen/xen.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_CFLAGS) -o $@ $< $(HOST_PURE) -lcmocka
# pvops builds for the host as a whole (its assembly too): test_pvops checks the tables.
HOST_PVOPS := $(patsubst $(BUILD)/pvops/%,$(BUILD)/host/pvops/%,$(pv-obj))
$(BUILD)/host/pvops/%.o: pvops/%.c $(XEN_INC)/xen/xen.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_CFLAGS) -Ipvops/include -MMD -MP -c $< -o $@
$(BUILD)/host/pvops/%.o: pvops/%.S $(XEN_INC)/xen/xen.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(PORT_ASFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/unit/test_pvops: tests/unit/test_pvops.c $(HOST_PVOPS) $(XEN_INC)/xen/xen.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_CFLAGS) -Ipvops/include -o $@ $< $(HOST_PVOPS) -lcmocka
# The store library for the host: the C library's string functions (XS_HOSTED).
HOST_XS := $(patsubst $(BUILD)/xenstored/%,$(BUILD)/host/xenstored/%,$(xs-obj))
$(BUILD)/host/xenstored/%.o: xenstored/%.c $(XEN_INC)/xen/xen.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_CFLAGS) -DXS_HOSTED -MMD -MP -c $< -o $@
$(BUILD)/unit/test_xenstored: tests/unit/test_xenstored.c $(HOST_XS) $(XEN_INC)/xen/xen.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_CFLAGS) -DXS_HOSTED -Ixenstored -o $@ $< $(HOST_XS) -lcmocka
UNIT_BINS := $(foreach t,$(tst-unit),$(BUILD)/unit/$(t))
.PHONY: unit
unit: deps $(UNIT_BINS)

# ---- ABI table -------------------------------------------------------------------------
.PHONY: check-abi
check-abi:
	$(Q)$(PYTHON) scripts/gen-abi.py --check --doc docs/abi/table.md

# ---- running ---------------------------------------------------------------------------
# Debian's Xen 4.17 as the reference implementation of the ABI: the same guests, booted
# as Xen's first domain. Installed on demand; gunzipped for QEMU's multiboot loader.
XEN_IMAGE := $(BUILD)/xen/xen-4.17.elf
$(XEN_IMAGE):
	$(Q)scripts/deps.sh --xen
	@mkdir -p $(dir $@)
	$(Q)zcat /boot/xen-4.17-amd64.gz > $@

.PHONY: test-xen
test-xen: deps guests $(XEN_IMAGE)
	$(Q)tests/run-tests.sh --build $(BUILD) --guests "$(tst-tests)" --xen $(XEN_IMAGE)

# Debian's stock kernel as a PV guest (issue #5): the ELF vmlinux out of Debian's bzImage
# and a busybox initramfs, cached in $(BUILD)/linux-cache (docs/linux-pv.md).
.PHONY: linux
linux:
	$(Q)BUILD=$(BUILD) PYTHON=$(PYTHON) scripts/fetch-linux.sh

.PHONY: run test debug bench
run: all
	$(Q)scripts/parapet run $(BUILD)/tests/hello.elf

test: all unit check-abi
	$(Q)tests/run-tests.sh --build $(BUILD) --unit "$(UNIT_BINS)" --guests "$(tst-tests)" \
	    --e2e "$(tst-e2e)"

debug: all
	$(Q)scripts/parapet debug $(BUILD)/tests/hello.elf

# scripts/bench: guest-port with init=bench natively, as pv and trap guests on Parapet and
# on Xen 4.17 (built on demand; the column is skipped if it cannot be), then Debian's Linux
# natively, on Parapet and on Xen (fetched as by make linux; skipped if it cannot be).
# Options through BENCH_ARGS, e.g. make bench BENCH_ARGS="--only native,pv --no-wall",
# BENCH_ARGS=--no-linux or BENCH_ARGS="--only linux".
bench: all
	$(Q)scripts/bench --build $(BUILD) $(BENCH_ARGS)

.PHONY: clean
clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
