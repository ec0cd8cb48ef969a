/*
 * What the benchmark's user programs share: bench (the measurements) and yielder (its
 * partner in ctx_switch), which must yield at least as often as bench does.
 */
#ifndef GUEST_PORT_USER_BENCH_H
#define GUEST_PORT_USER_BENCH_H

#define CTX_SWITCH_ROUNDS   1000    /* yield pairs bench measures */
#define CTX_SWITCH_SLACK    16      /* the yielder's extra yields: a preemption between
                                       two of bench's must not leave it alone */

#endif
