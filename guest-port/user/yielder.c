/*
 * yielder: the benchmark's ctx_switch partner. Yields CTX_SWITCH_ROUNDS + 1 times (one
 * for bench's warm-up yield) plus some slack, then exits 0.
 */
#include "ulib.h"
#include "bench.h"

int main(void)
{
    int i;

    for (i = 0; i < CTX_SWITCH_ROUNDS + 1 + CTX_SWITCH_SLACK; i++)
        yield();
    return 0;
}
