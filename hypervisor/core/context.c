/*
 * Saving and loading the parts of a vCPU's processor state that its register frame
 * does not hold (include/context.h). Selector loads can fault on a descriptor the
 * guest has since changed: the fixup leaves the null selector, as Xen does.
 */
#include "context.h"
#include "lib.h"
#include "x86.h"

/* Load sel into segment register seg; on a fault load the null selector instead.
 * Evaluates to the selector that ended up loaded. */
#define LOAD_SEG_OR_NULL(seg, sel) ({                                          \
        uint16_t sel_ = (sel);                                                 \
        bool faulted_ = false;                                                 \
        __asm__ volatile("1: mov %w1, %%" #seg "\n"                            \
                         "2:\n"                                                \
                         ".pushsection .fixup_text, \"ax\"\n"                  \
                         "3: movb $1, %0\n"                                    \
                         "   jmp 2b\n"                                         \
                         ".popsection\n"                                       \
                         ".pushsection .extable, \"a\"\n"                      \
                         ".balign 8\n"                                         \
                         ".quad 1b, 3b\n"                                      \
                         ".popsection"                                         \
                         : "+r"(faulted_) : "r"(sel_));                        \
        if (faulted_) {                                                        \
            __asm__ volatile("mov %w0, %%" #seg :: "r"(0));                    \
            sel_ = 0;                                                          \
        }                                                                      \
        sel_; })

#define READ_SEG(seg) ({ uint16_t s_; __asm__ volatile("mov %%" #seg ", %w0" : "=r"(s_)); s_; })

uint64_t context_load_gs_selector(uint16_t sel, uint16_t *loaded)
{
    uint64_t ours = rdmsr(MSR_GS_BASE);
    *loaded = LOAD_SEG_OR_NULL(gs, sel);
    uint64_t base = rdmsr(MSR_GS_BASE);
    wrmsr(MSR_GS_BASE, ours);
    return base;
}

/* The FPU/SSE state a vCPU starts with: an FXSAVE image with every register zero, FCW
 * 0x37f and MXCSR 0x1f80. fninit alone marks the x87 registers empty but leaves their
 * contents readable by FXSAVE; loading a whole image leaves nothing behind (A10). */
static const uint8_t clean_fpu_image[512] __attribute__((aligned(16))) = {
    [0] = 0x7f, [1] = 0x03,      /* FCW 0x037f */
    [24] = 0x80, [25] = 0x1f,    /* MXCSR 0x1f80 */
};

void context_init(struct vcpu *v)
{
    debugregs_init(v);
    memcpy(v->fpu, clean_fpu_image, sizeof(v->fpu));
    v->sel_ds = v->sel_es = v->sel_fs = v->sel_gs = 0;
    v->fs_base = v->gs_base_kernel = v->gs_base_user = 0;
}

void context_save(struct vcpu *v)
{
    v->sel_ds = READ_SEG(ds);
    v->sel_es = READ_SEG(es);
    v->sel_fs = READ_SEG(fs);
    v->sel_gs = READ_SEG(gs);
    v->fs_base = rdmsr(MSR_FS_BASE);
    /* The guest's active GS base sits in KERNEL_GS_BASE while we run (swapgs). */
    if (v->kernel_mode)
        v->gs_base_kernel = rdmsr(MSR_KERNEL_GS_BASE);
    else
        v->gs_base_user = rdmsr(MSR_KERNEL_GS_BASE);
    __asm__ volatile("clts; fxsave64 %0" : "=m"(*(uint8_t (*)[512])v->fpu) :: "memory");
}

void context_load(struct vcpu *v)
{
    desc_load_guest_gdt(v);              /* selectors below may name its descriptors */
    vcpu_load_cr3(v);
    v->sel_ds = LOAD_SEG_OR_NULL(ds, v->sel_ds);
    v->sel_es = LOAD_SEG_OR_NULL(es, v->sel_es);
    v->sel_fs = LOAD_SEG_OR_NULL(fs, v->sel_fs);
    uint16_t gs;
    context_load_gs_selector(v->sel_gs, &gs);
    v->sel_gs = gs;
    /* The bases come after the selectors, whose loads overwrite them. */
    wrmsr(MSR_FS_BASE, v->fs_base);
    wrmsr(MSR_KERNEL_GS_BASE, v->kernel_mode ? v->gs_base_kernel : v->gs_base_user);
    __asm__ volatile("clts; fxrstor64 %0" :: "m"(*(const uint8_t (*)[512])v->fpu) : "memory");
    if (v->fpu_ts)
        write_cr0(read_cr0() | X86_CR0_TS);
    debugregs_load(v);
}
