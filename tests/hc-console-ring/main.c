/*
 * hc-console-ring: the console ring of start_info, drained by the hypervisor.
 *
 * Checks: start_info names a console ring frame of ours and a console port, which
 * EVTCHNOP_status shows as interdomain (Parapet: to domain 0, port 0); the ring starts
 * empty; after text + EVTCHNOP_send on the console port, out_cons has caught up with
 * out_prod and the console port is pending (raised back); the same for a line that wraps
 * around the end of out[], for a write of exactly sizeof(out) bytes (32 lines of 64), for
 * a send with nothing in the ring (0, nothing to drain), and for text written with no
 * send followed by SCHEDOP_yield. Last, a line and a partial line are left in the ring
 * with no send and no yield, and the guest powers off at once.
 * How: we are the producer (tests/lib/cons_ring.h) with upcalls masked, and read the
 * pending bit of the console port from shared_info.
 * Cannot detect: whether the text reached the serial line, exactly once and in order,
 * with the "(d1) " prefix, and whether the text left in the ring at power-off is printed:
 * tests/e2e/console-ring.sh reads the log for those lines ("ring: ...").
 */
#include "test.h"
#include "cons_ring.h"
#include <xen/errno.h>

const char test_title[] = "hc-console-ring: the console ring and its event channel";

static volatile struct xencons_interface *ring;
static evtchn_port_t port;

static void put_str(const char *s)
{
    cons_ring_put(ring, s, (uint32_t)strlen(s));
}

/* out_cons has caught up and the console port was raised back; clears the pending bit. */
static void expect_drained(const char *what)
{
    uint32_t cons = ring->out_cons, prod = ring->out_prod;

    if (cons != prod)
        test_failure("%s: out_cons 0x%x, out_prod 0x%x: not drained", what, cons, prod);
    if (!evtchn_clear_pending(port))
        test_failure("%s: the console port %u was not raised back", what, port);
    events_clear_all();
}

static void send(const char *what)
{
    long rc = evtchn_send(port);

    if (rc)
        test_failure("%s: EVTCHNOP_send(console port %u) returned %ld", what, port, rc);
}

static void test_port(void)
{
    struct evtchn_status st;
    long rc;

    if (start_info->flags & SIF_INITDOMAIN) {
        test_skip("the initial domain has no console ring");
        return;
    }
    ring = cons_ring();
    port = start_info->console.domU.evtchn;
    printk("  console ring mfn 0x%lx at %p, port %u\n",
           (unsigned long)start_info->console.domU.mfn, (void *)ring, port);
    if (!ring)
        test_failure("console.domU.mfn 0x%lx is not one of our frames",
                     (unsigned long)start_info->console.domU.mfn);
    if (port == 0 || port >= NR_EVTCHN_PORTS_2L) {
        test_failure("console.domU.evtchn is %u", port);
        ring = NULL;
    }
    if (!ring)
        return;
    rc = evtchn_status(port, &st);
    if (rc || st.status != EVTCHNSTAT_interdomain)
        test_failure("status of the console port: rc %ld, status %u, expected interdomain",
                     rc, st.status);
    else
        printk("  status: interdomain to d%u port %u, vcpu %u\n", st.u.interdomain.dom,
               st.u.interdomain.port, st.vcpu);
    if (ring->out_cons != 0 || ring->out_prod != 0 || ring->in_cons != 0 ||
        ring->in_prod != 0)
        test_failure("the ring does not start empty (out %u..%u, in %u..%u)",
                     ring->out_cons, ring->out_prod, ring->in_cons, ring->in_prod);
    events_clear_all();
}

static void test_lines(void)
{
    put_str("ring: line one\n");
    put_str("ring: line two, then a CR LF\r\n");
    send("two lines");
    expect_drained("two lines");
}

static void test_empty_send(void)
{
    send("an empty ring");
    expect_drained("an empty ring");
}

/* Fill to 20 bytes before the end of out[], then a line across the end. */
static void test_wrap(void)
{
    static char pad[CONS_OUT_SIZE];
    uint32_t off = ring->out_prod & (CONS_OUT_SIZE - 1);
    uint32_t n = (CONS_OUT_SIZE - 20 - off) & (CONS_OUT_SIZE - 1);
    const char *line = "ring: this line wraps around the end of out[]\n";

    if (n) {                                /* a padding line of n bytes */
        memset(pad, '.', n);                /* lines of 64 bytes, the last shorter */
        for (uint32_t i = 63; i < n; i += 64)
            pad[i] = '\n';
        memcpy(pad, "ring: pad ", n < 10 ? n : 10);
        pad[n - 1] = '\n';
        cons_ring_put(ring, pad, n);
        send("the padding line");
        expect_drained("the padding line");
    }
    printk("  wrap at out_prod 0x%x (index %u)\n", ring->out_prod,
           ring->out_prod & (CONS_OUT_SIZE - 1));
    put_str(line);
    send("the wrapping line");
    expect_drained("the wrapping line");
}

/* Exactly sizeof(out) bytes in one go: 32 lines of 64 bytes. */
static void test_full(void)
{
    char line[65];

    for (unsigned int i = 0; i < CONS_OUT_SIZE / 64; i++) {
        snprintf(line, sizeof(line), "ring: full %02u %-49s\n", i, "abcdefghijklmnopqrstuvwxyz");
        if (strlen(line) != 64 || line[63] != '\n') {
            test_error("line %u is %u bytes, not 64", i, (unsigned int)strlen(line));
            return;
        }
        cons_ring_put(ring, line, 64);
    }
    if (ring->out_prod - ring->out_cons != CONS_OUT_SIZE)
        test_error("the ring holds %u bytes, not %u", ring->out_prod - ring->out_cons,
                   CONS_OUT_SIZE);
    send("a full ring");
    expect_drained("a full ring");
}

static void test_yield(void)
{
    long rc;

    put_str("ring: written with no send, drained by SCHEDOP_yield\n");
    rc = HYPERVISOR_sched_op(SCHEDOP_yield, 0);
    if (rc)
        test_failure("SCHEDOP_yield returned %ld", rc);
    expect_drained("yield");

    rc = HYPERVISOR_sched_op(SCHEDOP_yield, 0);     /* nothing to drain: no event */
    if (evtchn_is_pending(port))
        test_failure("a yield with an empty ring raised the console port");
    events_clear_all();
}

/* Left in the ring: only the backend's drain at domain end can print these. */
static void test_last_words(void)
{
    put_str("ring: last line, printed with no send just before poweroff\n");
    put_str("ring: a partial line at poweroff");
}

static const struct {
    const char *name;
    void (*fn)(void);
} cases[] = {
    { "the console port and ring", test_port },
    { "two lines, then send", test_lines },
    { "send with an empty ring", test_empty_send },
    { "a line wrapping around the end of out[]", test_wrap },
    { "exactly sizeof(out) bytes", test_full },
    { "no send, then SCHEDOP_yield", test_yield },
    { "text left in the ring at poweroff", test_last_words },
};

void test_main(void)
{
    for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
        printk("Test: %s\n", cases[i].name);
        cases[i].fn();
        if (!ring)
            break;                  /* no ring: nothing else can run */
    }
}
