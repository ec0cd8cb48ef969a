/*
 * count: counts the primes below 200000 by trial division without ever yielding, so
 * it runs only as long as the timer lets it (the kernel reports how often it was
 * preempted when it exits). There are 17984 of them.
 */
#include "ulib.h"

#define LIMIT 200000

int main(void)
{
    unsigned long n, d, primes = 0, t0 = time_ns();

    printf("count: pid %d counting the primes below %d\n", getpid(), LIMIT);
    for (n = 2; n < LIMIT; n++) {
        for (d = 2; d * d <= n && n % d; d++)
            ;
        primes += d * d > n;
    }
    printf("count: %lu primes below %d (%lu ms)\n", primes, LIMIT,
           (time_ns() - t0) / 1000000);
    return primes == 17984 ? 0 : 1;
}
