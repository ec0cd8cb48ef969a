/*
 * hello: greets, grows its heap with brk and checks what it wrote there, and yields
 * between a few timestamped lines.
 */
#include "ulib.h"

#define GROW (3 * 4096 + 100)

int main(void)
{
    unsigned char *start = brk(0), *end;
    unsigned long sum = 0, i;
    int round;

    printf("hello: pid %d says hello from user mode\n", getpid());
    end = brk(start + GROW);
    if (end != start + GROW) {
        printf("hello: brk gave %p, expected %p\n", (void *)end, (void *)(start + GROW));
        return 2;
    }
    for (i = 0; i < GROW; i++)
        start[i] = (unsigned char)i;
    for (i = 0; i < GROW; i++)
        sum += start[i];
    printf("hello: heap of %d bytes at %p holds what was written (sum %lu)\n", GROW,
           (void *)start, sum);
    for (round = 1; round <= 3; round++) {
        printf("hello: round %d at %lu us\n", round, time_ns() / 1000);
        yield();
    }
    return 0;
}
