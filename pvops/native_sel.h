/*
 * The selectors of the native GDT (native_desc.c), for C and assembly. sysret loads
 * user SS from STAR[63:48] + 8 and user CS from + 16, so user data sits right below
 * user code.
 */
#ifndef PVOPS_NATIVE_SEL_H
#define PVOPS_NATIVE_SEL_H

#define NATIVE_KERNEL_CS  0x08
#define NATIVE_KERNEL_DS  0x10
#define NATIVE_USER_DS    0x1b      /* GDT entry 3, RPL 3 */
#define NATIVE_USER_CS    0x23      /* GDT entry 4, RPL 3 */
#define NATIVE_TSS_SEL    0x28      /* entries 5 and 6 */

#endif
