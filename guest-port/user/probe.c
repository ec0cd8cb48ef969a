/*
 * probe: reads a kernel address (the kernel image at 1 MiB) from user mode. The read
 * must fault and the kernel must end the process (status -15: killed by vector 14);
 * if it returns, user mode can see the kernel, and probe says so and exits 1.
 */
#include "ulib.h"

#define KERNEL_ADDRESS 0x100000UL

int main(void)
{
    volatile const unsigned long *kernel = (const unsigned long *)KERNEL_ADDRESS;

    printf("probe: pid %d reading kernel memory at %p\n", getpid(), (const void *)kernel);
    printf("probe: read %lx: the kernel is visible from user mode\n", *kernel);
    return 1;
}
