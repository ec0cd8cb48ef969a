/*
 * A domain's console as the hypervisor serves it: the "(dN) " line buffer that both
 * console_io and the console ring print through (hypervisor/core/hc_console.c), and the
 * backend of the console ring page of start_info (hypervisor/core/console_ring.c).
 *
 * The ring (struct xencons_interface, xen/io/console.h) is a page of the domain's own
 * memory: out[2048] guest -> hypervisor, in[1024] hypervisor -> guest, free-running u32
 * indices masked by the ring size. The builder connects a console event channel to the
 * backend (evtchn_bind_xen, consumer CONSOLE_RING_CONSUMER; EVTCHNOP_status shows it as
 * interdomain to domain 0, port 0: "no real port, the peer is the hypervisor") and puts
 * its port in start_info.console.domU.evtchn.
 *
 * The backend drains out[] (out_cons..out_prod) to the serial console when the guest
 * sends on the console port, when it yields (SCHEDOP_yield) and when it ends, so output
 * is never lost. After a send or yield that consumed anything it raises the console port
 * back to the guest. Input (in[]) is not served: in_prod never moves.
 *
 * The ring is guest memory the guest writes concurrently, never trusted: out_prod and
 * out_cons are each read once; a gap above sizeof(out) (out_prod far ahead, out_cons
 * beyond out_prod) is a hostile ring: logged once per domain, out_cons resynced to
 * out_prod, nothing printed. Every read is masked into out[]. One drain prints at most
 * sizeof(out) bytes (A7). The ring frame is only served while the domain owns it and it
 * is not a page table or descriptor table: out_cons is written by the backend, and a
 * write into a validated table would bypass validation.
 */
#ifndef HV_CONSOLE_RING_H
#define HV_CONSOLE_RING_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

struct domain;

/* ---- the "(dN) " line buffer (hc_console.c) ---------------------------------------- */

/* Append guest text to d's line buffer: '\r' is dropped, each completed line (or a full
 * buffer) goes to the serial console with d's prefix. */
void console_put_text(struct domain *d, const char *s, size_t n);
/* Print d's pending partial line (the domain ends). */
void console_flush(struct domain *d);

/* ---- the console ring backend (console_ring.c) ------------------------------------- */

#define CONSOLE_RING_CONSUMER 1u        /* evtchn_bind_xen consumer id of the console */
#define CONSOLE_RING_SHOWN_DOM 0u       /* EVTCHNOP_status: interdomain to (0, 0) */
#define CONSOLE_RING_SHOWN_PORT 0u

/* Serve the ring in frame ring_mfn for d (whose event channels are initialised): bind
 * the console port, returned in *port. -ENOSPC no backend slot or port, -EINVAL. */
int console_ring_init(struct domain *d, uint64_t ring_mfn, uint32_t *port);

/* EVTCHNOP_send on d's console port 'port': drain, then raise the port back. */
void console_ring_notify(struct domain *d, uint32_t port);

/* SCHEDOP_yield: drain; raise the console port back if anything was consumed. */
void console_ring_yield(struct domain *d);

/* The domain ends (before console_flush and before its event channels are destroyed):
 * drain what is left, raise nothing, forget the ring. */
void console_ring_end(struct domain *d);

#endif
