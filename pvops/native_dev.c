/*
 * The devices of the native backend, driven directly: COM1 (16550, polled) as the
 * console, the TSC calibrated against PIT channel 2 as the clock, PIT channel 0 in
 * one-shot mode on IRQ 0 as the timer, the 8259 PICs as "event channels" (a port is a
 * PIC line, VIRQ_TIMER is line 0), the CMOS clock for the wall clock and QEMU's
 * isa-debug-exit port to power off. There are no grant tables on the bare machine.
 */
#include "internal.h"

#define COM1            0x3f8
#define PIT_HZ          1193182u
#define PIT_CH0         0x40
#define PIT_CH2         0x42
#define PIT_CMD         0x43
#define PIT_GATE        0x61
#define PIC1_CMD        0x20
#define PIC1_DATA       0x21
#define PIC2_CMD        0xa0
#define PIC2_DATA       0xa1
#define PIC_EOI         0x20
#define CMOS_INDEX      0x70
#define CMOS_DATA       0x71
#define DEBUG_EXIT_PORT 0xf4
#define ENODEV          19
#define ENOENT          2

/* ---- console: COM1 ------------------------------------------------------------------ */

void native_console_init(void)
{
    native_outb(COM1 + 1, 0x00);        /* no UART interrupts: we poll */
    native_outb(COM1 + 3, 0x80);        /* DLAB: divisor follows */
    native_outb(COM1 + 0, 0x01);        /* 115200 baud */
    native_outb(COM1 + 1, 0x00);
    native_outb(COM1 + 3, 0x03);        /* 8 bits, no parity, one stop bit */
    native_outb(COM1 + 2, 0xc7);        /* FIFOs on and cleared */
    native_outb(COM1 + 4, 0x03);        /* DTR, RTS */
}

static void serial_put(char c)
{
    while (!(native_inb(COM1 + 5) & 0x20))  /* transmitter holding register empty */
        __asm__ volatile("pause");
    native_outb(COM1, (uint8_t)c);
}

void native_console_write(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\n')
            serial_put('\r');
        serial_put(s[i]);
    }
}

long native_console_read(char *buf, size_t len)
{
    size_t n = 0;

    while (n < len && (native_inb(COM1 + 5) & 0x01))
        buf[n++] = (char)native_inb(COM1);
    return (long)n;
}

/* ---- time: TSC for the clock, PIT channel 0 for the timer ---------------------------- */

static uint64_t tsc_at_boot, tsc_khz;
static uint64_t ns_per_tsc_32;          /* nanoseconds per TSC tick, 32.32 fixed point */

static uint64_t rdtsc(void)
{
    uint32_t lo, hi;

    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
    return (uint64_t)hi << 32 | lo;
}

/* Channel 2's count (latched), with the TSC read just before and just after: the
 * read took place somewhere in [*before, *after]. */
static uint16_t pit_count(uint64_t *before, uint64_t *after)
{
    uint16_t c;

    *before = rdtsc();
    native_outb(PIT_CMD, 0x80);         /* latch channel 2 */
    c = native_inb(PIT_CH2);
    c = (uint16_t)(c | native_inb(PIT_CH2) << 8);
    *after = rdtsc();
    return c;
}

/* The tightest of five reads: *at is its middle. A read the CPU was delayed in (an
 * emulated CPU descheduled by a busy host) is wide and loses. */
static uint16_t pit_count_tight(uint64_t *at)
{
    uint64_t before, after, width = ~0ULL;
    uint16_t c, best = 0;
    unsigned int i;

    *at = 0;
    for (i = 0; i < 5; i++) {
        c = pit_count(&before, &after);
        if (after - before < width) {
            width = after - before;
            best = c;
            *at = before + width / 2;
        }
    }
    return best;
}

/* TSC ticks per ms against PIT channel 2 counting down from 0xffff (mode 0, gate on,
 * speaker off): two tight reads 20 ms apart. Only the reads' own widths (microseconds)
 * are error, not a delay between them; a delay past the 55 ms wrap is caught by the
 * caller. *start: the TSC at the first read. */
static uint64_t pit_calibrate(uint64_t *start)
{
    const uint16_t span = (uint16_t)(PIT_HZ / 50);
    uint64_t t1, dummy;
    uint16_t c0, c1;

    native_outb(PIT_GATE, (uint8_t)((native_inb(PIT_GATE) & ~0x02) | 0x01));
    native_outb(PIT_CMD, 0xb0);         /* channel 2, low then high byte, mode 0 */
    native_outb(PIT_CH2, 0xff);
    native_outb(PIT_CH2, 0xff);
    c0 = pit_count_tight(start);
    while ((uint16_t)(c0 - pit_count(&dummy, &dummy)) < span)
        __asm__ volatile("pause");
    c1 = pit_count_tight(&t1);
    if (c0 <= c1)
        return 0;
    return (t1 - *start) * PIT_HZ / ((uint64_t)(c0 - c1) * 1000);
}

/* Calibrations until two in a row agree within 0.2% (at most six): a host that stalls
 * the emulated CPU past the PIT's wrap spoils one, not two alike. */
void native_time_init(void)
{
    uint64_t start, other, khz = pit_calibrate(&start), next;
    unsigned int i;

    for (i = 0; i < 5; i++) {
        next = pit_calibrate(&other);
        if (khz && next * 1000 >= khz * 998 && next * 1000 <= khz * 1002)
            break;
        khz = next;
    }
    if (!khz)
        khz = 1000000;                  /* a PIT that never counted: assume 1 GHz */
    ns_per_tsc_32 = (1000000ULL << 32) / khz;
    tsc_at_boot = start;
    tsc_khz = khz;
}

uint64_t native_tsc_khz(void)
{
    return tsc_khz;
}

uint64_t native_now_ns(void)
{
    return (uint64_t)(((unsigned __int128)(rdtsc() - tsc_at_boot) * ns_per_tsc_32) >> 32);
}

/* Mode 0 counts down once and raises IRQ 0 at zero; 16 bits reach 55 ms at most, so a
 * later deadline fires early and the kernel sets the timer again. The count is rounded
 * up: a timer never fires before its deadline for want of a fraction of a PIT tick. */
void native_set_timer(uint64_t deadline_ns)
{
    uint64_t now = native_now_ns(), ticks = 1;

    if (deadline_ns > now + 60000000ULL)
        ticks = 0xffff;
    else if (deadline_ns > now)
        ticks = ((deadline_ns - now) * PIT_HZ + 999999999ULL) / 1000000000ULL;
    if (ticks < 1)
        ticks = 1;
    if (ticks > 0xffff)
        ticks = 0xffff;
    native_outb(PIT_CMD, 0x30);         /* channel 0, low then high byte, mode 0 */
    native_outb(PIT_CH0, (uint8_t)ticks);
    native_outb(PIT_CH0, (uint8_t)(ticks >> 8));
}

static unsigned int cmos_read(uint8_t reg)
{
    native_outb(CMOS_INDEX, reg);
    return native_inb(CMOS_DATA);
}

static unsigned int from_bcd(unsigned int v, bool bcd)
{
    return bcd ? (v & 0x0f) + (v >> 4) * 10 : v;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian, the civil-from-days inverse). */
static uint64_t days_since_epoch(unsigned int y, unsigned int m, unsigned int d)
{
    unsigned int yy = m <= 2 ? y - 1 : y, era = yy / 400, yoe = yy - era * 400;
    unsigned int doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return (uint64_t)era * 146097 + doe - 719468;
}

uint64_t native_wallclock(void)
{
    unsigned int sec, min, hour, day, mon, year;
    bool bcd;

    while (cmos_read(0x0a) & 0x80)      /* update in progress */
        ;
    bcd = !(cmos_read(0x0b) & 0x04);
    sec = from_bcd(cmos_read(0x00), bcd);
    min = from_bcd(cmos_read(0x02), bcd);
    hour = from_bcd(cmos_read(0x04) & 0x7f, bcd);
    day = from_bcd(cmos_read(0x07), bcd);
    mon = from_bcd(cmos_read(0x08), bcd);
    year = 2000 + from_bcd(cmos_read(0x09), bcd);
    return days_since_epoch(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec;
}

/* ---- "event channels": the 8259 PIC lines --------------------------------------------- */

static uint16_t pic_mask = 0xffff;      /* bit n set: line n masked */

static void pic_write_mask(void)
{
    native_outb(PIC1_DATA, (uint8_t)pic_mask);
    native_outb(PIC2_DATA, (uint8_t)(pic_mask >> 8));
}

/* Remap both PICs to vectors PV_IRQ_BASE.. (ICW1-ICW4), every line masked. */
void native_pic_init(void)
{
    native_outb(PIC1_CMD, 0x11);
    native_outb(PIC2_CMD, 0x11);
    native_outb(PIC1_DATA, PV_IRQ_BASE);
    native_outb(PIC2_DATA, PV_IRQ_BASE + 8);
    native_outb(PIC1_DATA, 0x04);       /* slave on line 2 */
    native_outb(PIC2_DATA, 0x02);
    native_outb(PIC1_DATA, 0x01);       /* 8086 mode */
    native_outb(PIC2_DATA, 0x01);
    pic_mask = 0xffff & ~(1u << 2);     /* the cascade stays open */
    pic_write_mask();
}

long native_bind_virq(unsigned int virq)
{
    return virq == VIRQ_TIMER ? 0 : -ENOENT;   /* IRQ 0: the PIT */
}

void native_irq_mask(unsigned int line)
{
    pic_mask = (uint16_t)(pic_mask | 1u << line);
    pic_write_mask();
}

void native_irq_unmask(unsigned int line)
{
    pic_mask = (uint16_t)(pic_mask & ~(1u << line));
    pic_write_mask();
}

/* An interrupt stub put the line in error_code. End of interrupt first, so the line
 * can fire again even if the handler switches threads. */
void native_irq_dispatch(struct pv_regs *regs, pv_event_fn fn)
{
    unsigned int line = (unsigned int)regs->error_code;

    if (line >= 8)
        native_outb(PIC2_CMD, PIC_EOI);
    native_outb(PIC1_CMD, PIC_EOI);
    fn(line);
}

long native_no_evtchn(unsigned int port)
{
    (void)port;
    return -ENODEV;
}

long native_no_alloc_unbound(uint16_t remote)
{
    (void)remote;
    return -ENODEV;
}

long native_no_bind_interdomain(uint16_t remote, unsigned int port)
{
    (void)remote;
    (void)port;
    return -ENODEV;
}

/* ---- grants: none -------------------------------------------------------------------- */

long native_no_grants(void)
{
    return -ENODEV;
}

long native_no_grant_access(uint16_t domid, unsigned long pfn, bool readonly)
{
    (void)domid;
    (void)pfn;
    (void)readonly;
    return -ENODEV;
}

long native_no_end_access(unsigned long ref)
{
    (void)ref;
    return -ENODEV;
}

long native_no_grant_map(uint16_t domid, unsigned long ref, unsigned long va, bool readonly)
{
    (void)domid;
    (void)ref;
    (void)va;
    (void)readonly;
    return -ENODEV;
}

long native_no_grant_unmap(unsigned long handle, unsigned long va)
{
    (void)handle;
    (void)va;
    return -ENODEV;
}

/* ---- power: QEMU's isa-debug-exit, then halt for good ----------------------------------- */

void native_power_off(int status)
{
    __asm__ volatile("outl %0, %1" : : "a"((uint32_t)status), "Nd"((uint16_t)DEBUG_EXIT_PORT));
    for (;;)
        __asm__ volatile("cli; hlt");
}
