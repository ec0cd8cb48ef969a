/*
 * nop: does nothing and exits 0; what the benchmark's spawn_exit spawns and waits for.
 */
#include "ulib.h"

int main(void)
{
    return 0;
}
