/*
 * The Xen ELF note as a gas macro, for the head.S of every PV guest kernel (tests/lib,
 * guest-port): owner "Xen", a type from xen/elfnote.h, then a NUL-terminated string
 * (kind str) or an 8-byte value (kind int). Assembly only.
 */
#ifndef PARAPET_XEN_ELFNOTE_H
#define PARAPET_XEN_ELFNOTE_H

#include <xen/elfnote.h>

.macro xen_note type, kind, value
    .pushsection .note.Xen, "a", @note
    .balign 4
    .long 2f - 1f           /* namesz */
    .long 4f - 3f           /* descsz */
    .long \type
1:  .asciz "Xen"
2:  .balign 4
3:  .ifc \kind, str
    .asciz "\value"
    .else
    .quad \value
    .endif
4:  .balign 4
    .popsection
.endm

#endif
