/*
 * A small x86-64 instruction decoder for the instructions the hypervisor emulates: the
 * privileged ones a deprivileged kernel executes (trap-and-emulate), the page-table
 * writes that fault on a read-only mapping (mov, xchg, cmpxchg), and port I/O. It reads
 * prefixes, REX, a one- or two-byte (0F) opcode, ModRM, SIB, displacement and
 * immediate, and says how long the instruction is; anything outside its table is
 * refused (-EOPNOTSUPP) rather than guessed. Pure logic: hypervisor/emul/decode.c,
 * tested by tests/unit/test_decode.c.
 */
#ifndef HV_EMUL_DECODE_H
#define HV_EMUL_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#define X86_MAX_INSN 15

enum x86_seg { SEG_NONE, SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS };

struct x86_insn {
    uint8_t len;          /* bytes, prefixes included */
    bool two_byte;        /* opcode is 0F op */
    uint8_t op;           /* the opcode byte (after 0F when two_byte) */
    bool opsize16;        /* 66 */
    bool addr32;          /* 67 */
    bool lock, rep, repne;
    enum x86_seg seg;     /* segment override */
    uint8_t rex;          /* 0 or 0x40..0x4F */
    bool has_modrm;
    uint8_t mod, reg, rm; /* reg and rm include REX.R / REX.B (0..15) */
    bool has_sib;
    uint8_t scale, index, base;  /* index/base include REX.X / REX.B; index 4 = none */
    int32_t disp;
    bool rip_relative;
    uint8_t imm_len;
    uint64_t imm;         /* sign-extended as the instruction defines */
    uint8_t opsize;       /* operand size in bytes: 2, 4 or 8 (REX.W) */
};

/* Decode the instruction at buf (n bytes readable). 0, -EINVAL (truncated or more than
 * 15 bytes), -EOPNOTSUPP (an opcode outside the table). */
int x86_decode(const uint8_t *buf, unsigned n, struct x86_insn *out);

/* The effective address of a memory operand (mod != 3): gpr[] in the encoding's order
 * (rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8..r15); rip_next = address of the next
 * instruction; seg_base = the FS or GS base when overridden, else 0. */
uint64_t x86_effective_address(const struct x86_insn *i, const uint64_t gpr[16],
                               uint64_t rip_next, uint64_t seg_base);

#endif
