/*
 * What the files of pvops share with each other and nobody else: the native
 * instructions other backends reuse, the native devices and descriptor tables, the
 * xen device members that trap.c reuses (xen_fill_devices), the entry stubs of
 * native_entry.S and xen_entry.S, and the per-backend set-up that select.c runs.
 */
#ifndef PVOPS_INTERNAL_H
#define PVOPS_INTERNAL_H

#include "pvops.h"
#include "hypercall-wrappers.h"
#include "native_sel.h"

#define PV_ENOSYS 38                    /* Xen's and Parapet's ENOSYS */

/* The handler every stub calls (set by load_idt). */
extern pv_trap_fn pv_trap_handler;

/* ---- native.c: instructions the xen and trap backends use too ------------------------ */
void native_irq_disable(void);
uint64_t native_read_msr(uint32_t msr);
void native_write_msr(uint32_t msr, uint64_t value);
unsigned long native_read_cr0(void);
unsigned long native_read_cr4(void);
uint8_t native_inb(uint16_t port);
void native_outb(uint16_t port, uint8_t value);
void native_set_entry(pte_t *ptep, pte_t value);
unsigned long native_read_cr3(void);
void native_invlpg(unsigned long va);
void native_null_call(void);

/* ---- native_desc.c: GDT, TSS, IDT and the syscall MSRs ------------------------------- */
void native_tss_descriptor(uint64_t *desc);
void native_lgdt_ltr(const uint64_t *table, unsigned int entries, uint16_t tss_selector);
void native_load_gdt(void);
void native_install_idt(const char *stubs, unsigned int nr, uint16_t cs);
void native_load_idt(pv_trap_fn handler);
void native_syscall_msrs(const char *entry);
void native_syscall_init(void);
void native_load_kernel_stack(unsigned long top);

/* ---- native_dev.c: COM1, PIT and TSC, 8259 PIC, CMOS clock, isa-debug-exit ------------ */
void native_console_init(void);
void native_console_write(const char *s, size_t len);
long native_console_read(char *buf, size_t len);
void native_time_init(void);
uint64_t native_now_ns(void);
void native_set_timer(uint64_t deadline_ns);
uint64_t native_wallclock(void);
uint64_t native_tsc_khz(void);
void native_pic_init(void);
long native_bind_virq(unsigned int virq);
void native_irq_mask(unsigned int line);
void native_irq_unmask(unsigned int line);
long native_no_evtchn(unsigned int port);
long native_no_alloc_unbound(uint16_t remote);
long native_no_bind_interdomain(uint16_t remote, unsigned int port);
void native_irq_dispatch(struct pv_regs *regs, pv_event_fn fn);
long native_no_grants(void);
long native_no_grant_access(uint16_t domid, unsigned long pfn, bool readonly);
long native_no_end_access(unsigned long ref);
long native_no_grant_map(uint16_t domid, unsigned long ref, unsigned long va, bool readonly);
long native_no_grant_unmap(unsigned long handle, unsigned long va);
void native_power_off(int status) PV_NORETURN;

/* ---- native_entry.S ------------------------------------------------------------------- */
extern char native_vector_stubs[];      /* PV_NR_EXCEPTIONS + PV_NR_IRQS, 16 bytes apart */
extern char native_syscall_entry[];
extern unsigned long native_syscall_rsp;    /* kernel stack top for `syscall` */
void native_iret(const struct pv_regs *regs) PV_NORETURN;
void native_sysret(const struct pv_regs *regs) PV_NORETURN;

/* ---- xen.c ------------------------------------------------------------------------------ */
extern struct shared_info *xen_shared_info;
void xen_setup(struct pv_boot *boot);
void xen_remap(unsigned long va, unsigned long mfn, pte_t flags);
void xen_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]);
void xen_set_callback(unsigned int type, const void *entry);
void xen_power_off(int status) PV_NORETURN;
long xen_counters(struct pv_counters *out);
long xen_domain_info(struct pv_domain_info *info);

/* ---- xen_mmu.c --------------------------------------------------------------------------- */
void xen_set_pte(pte_t *ptep, pte_t value);
void xen_set_upper(pte_t *ptep, pte_t value);
unsigned long xen_read_cr3(void);
void xen_write_cr3(unsigned long pfn);
void xen_write_user_cr3(unsigned long pfn);
void xen_flush_tlb(void);
void xen_invlpg(unsigned long va);
void xen_alloc_pt(unsigned long pfn, int level);
void xen_release_pt(unsigned long pfn, int level);
void xen_pin(unsigned long pfn, int level);
void xen_unpin(unsigned long pfn);
void xen_lazy_enter(void);
void xen_lazy_leave(void);

/* ---- xen_dev.c, xen_evtchn.c, xen_grant.c: the devices xen and trap share -------------- */
void xen_fill_devices(struct pv_ops *ops);
void xen_time_init(void);
uint64_t xen_now_ns(void);
void xen_set_timer(uint64_t deadline_ns);
uint64_t xen_wallclock(void);
uint64_t xen_tsc_khz(void);
void xen_console_init(void);
void xen_console_write(const char *s, size_t len);
long xen_console_read(char *buf, size_t len);
void xen_evtchn_init(void);
long xen_bind_virq(unsigned int virq);
void xen_evtchn_mask(unsigned int port);
void xen_evtchn_unmask(unsigned int port);
long xen_evtchn_send(unsigned int port);
long xen_evtchn_close(unsigned int port);
long xen_alloc_unbound(uint16_t remote);
long xen_bind_interdomain(uint16_t remote, unsigned int remote_port);
void xen_evtchn_dispatch(struct pv_regs *regs, pv_event_fn fn);
long xen_grant_init(void);
long xen_grant_access(uint16_t domid, unsigned long pfn, bool readonly);
long xen_end_access(unsigned long ref);
long xen_grant_map(uint16_t domid, unsigned long ref, unsigned long va, bool readonly);
long xen_grant_unmap(unsigned long handle, unsigned long va);

/* ---- xen_entry.S ------------------------------------------------------------------------ */
extern char xen_vector_stubs[];         /* PV_NR_EXCEPTIONS stubs, 16 bytes apart */
extern char xen_event_entry[], xen_failsafe_entry[], xen_syscall_entry[];
extern char trap_syscall_entry[];       /* xen_syscall_entry, leaving by sysretq */
void xen_iret(const struct pv_regs *regs) PV_NORETURN;
void xen_sysret(const struct pv_regs *regs) PV_NORETURN;

#endif
