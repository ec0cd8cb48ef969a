/*
 * Ending the machine: QEMU's isa-debug-exit device (port 0xf4) turns our status V into
 * QEMU's exit status (V << 1) | 1; scripts/parapet gives back V. On hardware without
 * that device the CPU halts.
 */
#ifndef HV_SHUTDOWN_H
#define HV_SHUTDOWN_H

#define EXIT_ALL_POWEROFF 0
#define EXIT_HV_FAILURE   125

void hv_exit(unsigned status) __attribute__((noreturn));

#endif
