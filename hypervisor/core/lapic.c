/*
 * Local APIC (xAPIC mode): mapped uncached in the hypervisor's fixed-mapping area next
 * to the GDT windows, software-enabled with a spurious vector, its timer used in
 * one-shot mode with divider 16. The rate is measured against the calibrated TSC.
 */
#include "config.h"
#include "console.h"
#include "lapic.h"
#include "mm.h"
#include "tsc.h"
#include "x86.h"

#define LAPIC_VIRT (GDT_WINDOW_BASE + 0x100000)   /* same L1 table as the GDT windows */

#define REG_EOI      0x0b0
#define REG_SVR      0x0f0
#define REG_LVT_TMR  0x320
#define REG_TMR_INIT 0x380
#define REG_TMR_CUR  0x390
#define REG_TMR_DIV  0x3e0
#define LVT_MASKED   (1u << 16)

uint64_t lapic_ticks_per_ms;

uint64_t *hv_l1e(uint64_t va);

static volatile uint32_t *reg(unsigned off) { return (volatile uint32_t *)(LAPIC_VIRT + off); }

void lapic_eoi(void) { *reg(REG_EOI) = 0; }

void lapic_init(void)
{
    uint64_t base = rdmsr(MSR_APIC_BASE);
    wrmsr(MSR_APIC_BASE, base | (1 << 11));              /* global enable */
    *hv_l1e(LAPIC_VIRT) = (base & PTE_ADDR_MASK) | _PAGE_PRESENT | _PAGE_RW | _PAGE_PCD |
                          _PAGE_PWT | _PAGE_NX;
    invlpg(LAPIC_VIRT);

    *reg(REG_SVR) = (1u << 8) | LAPIC_SPURIOUS_VECTOR;   /* software enable */
    *reg(REG_TMR_DIV) = 0x3;                              /* divide by 16 */
    *reg(REG_LVT_TMR) = LVT_MASKED | LAPIC_TIMER_VECTOR;

    /* Count down for 10 ms of TSC time with the timer masked. */
    uint64_t wait = tsc_khz * 10, start = rdtsc();
    *reg(REG_TMR_INIT) = 0xffffffff;
    while (rdtsc() - start < wait)
        cpu_relax();
    uint32_t elapsed = 0xffffffff - *reg(REG_TMR_CUR);
    *reg(REG_TMR_INIT) = 0;
    lapic_ticks_per_ms = elapsed / 10;
    if (!lapic_ticks_per_ms)
        lapic_ticks_per_ms = 1;
    *reg(REG_LVT_TMR) = LAPIC_TIMER_VECTOR;               /* one-shot, unmasked */
}

void lapic_timer_oneshot(uint64_t ns)
{
    if (!ns) {
        *reg(REG_TMR_INIT) = 0;
        return;
    }
    uint64_t ticks = ns / 1000000 * lapic_ticks_per_ms +
                     ns % 1000000 * lapic_ticks_per_ms / 1000000;
    if (ticks == 0)
        ticks = 1;
    if (ticks > 0xffffffffULL)
        ticks = 0xffffffffULL;
    *reg(REG_TMR_INIT) = (uint32_t)ticks;
}
