/*
 * The tick: VIRQ_TIMER bound to a port (natively PIC line 0), a one-shot timer set
 * again at every event for the next multiple of TICK_NS, and a request to reschedule
 * at each tick. An early event (the PIT's one shot reaches 55 ms at most) just sets
 * the timer again. The self-test (pvtest.c) borrows the port and the one-shot timer for
 * a while: timer_use_port(-1), then the port back and timer_resume().
 */
#include "sched.h"

volatile unsigned long timer_ticks;
static long timer_port = -1;
static uint64_t next_tick;

void timer_init(void)
{
    pv_ops.time.init();
    pv_ops.evtchn.init();
    timer_port = pv_ops.evtchn.bind_virq(PV_VIRQ_TIMER);
    if (timer_port < 0)
        panic("cannot bind the timer: %ld", timer_port);
    pv_ops.evtchn.unmask((unsigned int)timer_port);
    next_tick = pv_ops.time.now_ns() + TICK_NS;
    pv_ops.time.set_timer(next_tick);
}

bool timer_event(unsigned int port)
{
    uint64_t now;

    if ((long)port != timer_port)
        return false;
    now = pv_ops.time.now_ns();
    if (now >= next_tick) {
        timer_ticks++;
        need_resched = true;
        while (next_tick <= now)
            next_tick += TICK_NS;
    }
    pv_ops.time.set_timer(next_tick);
    return true;
}

long timer_port_in_use(void)
{
    return timer_port;
}

void timer_use_port(long port)
{
    timer_port = port;
}

/* The next tick from now, after a clock restarted or the one-shot was used elsewhere. */
void timer_resume(void)
{
    next_tick = pv_ops.time.now_ns() + TICK_NS;
    pv_ops.time.set_timer(next_tick);
}
