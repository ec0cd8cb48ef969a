/*
 * hv_exit: stop the machine with a status the launcher can read (include/shutdown.h).
 */
#include "console.h"
#include "shutdown.h"
#include "x86.h"

void hv_exit(unsigned status)
{
    printk("exit status %u\n", status);
    outl(0xf4, status);
    halt_forever();
}
