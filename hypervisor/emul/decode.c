/*
 * The decoder of include/emul/decode.h. Opcode table: which opcodes are known, whether
 * a ModRM byte follows, and the immediate's size. Only what the hypervisor emulates is
 * in it.
 */
#include <emul/decode.h>
#include <errno.h>
#include <stddef.h>

enum { NONE = 0, MODRM = 1, IMM8 = 2, IMMZ = 4 /* 16 or 32 by operand size */ };

/* One-byte opcodes; 0 = unknown (so a known opcode has at least the KNOWN bit). */
#define KNOWN 8
static uint8_t one_byte(uint8_t op)
{
    switch (op) {
    case 0x87: case 0x89: case 0x8b:            /* xchg, mov r->m, mov m->r */
    case 0x09: case 0x21:                       /* or r->r/m, and r->r/m */
        return KNOWN | MODRM;
    case 0x80: case 0x83:                       /* group 1, imm8 (83: sign-extended) */
        return KNOWN | MODRM | IMM8;
    case 0x81:                                  /* group 1, imm16/32 */
        return KNOWN | MODRM | IMMZ;
    case 0xc7:                                  /* mov imm -> r/m (/0) */
        return KNOWN | MODRM | IMMZ;
    case 0xe4: case 0xe5: case 0xe6: case 0xe7: /* in/out with an imm8 port */
    case 0xcd:                                  /* int imm8 */
        return KNOWN | IMM8;
    case 0xec: case 0xed: case 0xee: case 0xef: /* in/out with dx */
    case 0xf4: case 0xfa: case 0xfb:            /* hlt, cli, sti */
    case 0x9c: case 0x9d:                       /* pushf, popf */
    case 0xcf:                                  /* iret */
        return KNOWN;
    }
    return 0;
}

static uint8_t two_byte(uint8_t op)
{
    switch (op) {
    case 0x00: case 0x01:                       /* group 6 (lldt, ltr), group 7 */
    case 0x20: case 0x22:                       /* mov from/to crN */
    case 0xb1:                                  /* cmpxchg */
    case 0xab: case 0xb3:                       /* bts, btr r -> r/m */
        return KNOWN | MODRM;
    case 0xba:                                  /* group 8: bt/bts/btr/btc imm8 */
        return KNOWN | MODRM | IMM8;
    case 0x05: case 0x06: case 0x07: case 0x09: /* syscall, clts, sysret, wbinvd */
    case 0x0b: case 0x30: case 0x32: case 0xa2: /* ud2, wrmsr, rdmsr, cpuid */
    case 0x31:                                  /* rdtsc */
        return KNOWN;
    }
    return 0;
}

static int64_t sext(uint64_t v, unsigned bytes)
{
    unsigned shift = 64 - bytes * 8;
    return (int64_t)(v << shift) >> shift;
}

int x86_decode(const uint8_t *buf, unsigned n, struct x86_insn *out)
{
    struct x86_insn i = { 0 };
    unsigned p = 0;
    if (n > X86_MAX_INSN)
        n = X86_MAX_INSN;

    for (;; p++) {                              /* legacy prefixes, any order */
        if (p >= n)
            return -EINVAL;
        switch (buf[p]) {
        case 0x66: i.opsize16 = true; continue;
        case 0x67: i.addr32 = true; continue;
        case 0xf0: i.lock = true; continue;
        case 0xf2: i.repne = true; continue;
        case 0xf3: i.rep = true; continue;
        case 0x26: i.seg = SEG_ES; continue;
        case 0x2e: i.seg = SEG_CS; continue;
        case 0x36: i.seg = SEG_SS; continue;
        case 0x3e: i.seg = SEG_DS; continue;
        case 0x64: i.seg = SEG_FS; continue;
        case 0x65: i.seg = SEG_GS; continue;
        }
        break;
    }
    if ((buf[p] & 0xf0) == 0x40)                /* REX: must come right before the opcode */
        i.rex = buf[p++];
    if (p >= n)
        return -EINVAL;
    uint8_t kind;
    if (buf[p] == 0x0f) {
        if (++p >= n)
            return -EINVAL;
        i.two_byte = true;
        i.op = buf[p++];
        kind = two_byte(i.op);
    } else {
        i.op = buf[p++];
        kind = one_byte(i.op);
    }
    if (!kind)
        return -EOPNOTSUPP;
    i.opsize = (i.rex & 8) ? 8 : i.opsize16 ? 2 : 4;

    if (kind & MODRM) {
        if (p >= n)
            return -EINVAL;
        uint8_t m = buf[p++];
        i.has_modrm = true;
        i.mod = m >> 6;
        i.reg = ((m >> 3) & 7) | ((i.rex & 4) ? 8 : 0);
        i.rm = (m & 7) | ((i.rex & 1) ? 8 : 0);
        unsigned disp_len = 0;
        if (i.mod != 3) {
            if ((m & 7) == 4) {                 /* SIB */
                if (p >= n)
                    return -EINVAL;
                uint8_t s = buf[p++];
                i.has_sib = true;
                i.scale = (uint8_t)(1u << (s >> 6));
                i.index = ((s >> 3) & 7) | ((i.rex & 2) ? 8 : 0);
                i.base = (s & 7) | ((i.rex & 1) ? 8 : 0);
                if (i.mod == 0 && (s & 7) == 5)
                    disp_len = 4;               /* no base, disp32 */
            } else if (i.mod == 0 && (m & 7) == 5) {
                i.rip_relative = true;
                disp_len = 4;
            }
            if (i.mod == 1)
                disp_len = 1;
            else if (i.mod == 2)
                disp_len = 4;
        }
        if (p + disp_len > n)
            return -EINVAL;
        uint64_t d = 0;
        for (unsigned b = 0; b < disp_len; b++)
            d |= (uint64_t)buf[p + b] << (8 * b);
        i.disp = (int32_t)(disp_len ? sext(d, disp_len) : 0);
        p += disp_len;
    }
    if (kind & (IMM8 | IMMZ)) {
        i.imm_len = (kind & IMM8) ? 1 : (i.opsize == 2 ? 2 : 4);
        if (p + i.imm_len > n)
            return -EINVAL;
        uint64_t v = 0;
        for (unsigned b = 0; b < i.imm_len; b++)
            v |= (uint64_t)buf[p + b] << (8 * b);
        /* imm8 (in/out/int ports and vectors, group 1/8 operands) is kept unsigned:
         * the user of an 83 opcode sign-extends it; a wider immediate is sign-extended
         * to the operand size here. */
        i.imm = (kind & IMM8) ? v : (uint64_t)sext(v, i.imm_len);
        p += i.imm_len;
    }
    i.len = (uint8_t)p;
    *out = i;
    return 0;
}

uint64_t x86_effective_address(const struct x86_insn *i, const uint64_t gpr[16],
                               uint64_t rip_next, uint64_t seg_base)
{
    uint64_t ea;
    if (i->rip_relative) {
        ea = rip_next + (uint64_t)(int64_t)i->disp;
    } else if (i->has_sib) {
        bool no_base = i->mod == 0 && (i->base & 7) == 5;
        ea = (no_base ? 0 : gpr[i->base]) + (uint64_t)(int64_t)i->disp;
        if (i->index != 4)
            ea += gpr[i->index] * i->scale;
    } else {
        ea = gpr[i->rm] + (uint64_t)(int64_t)i->disp;
    }
    if (i->addr32)
        ea &= 0xffffffffULL;
    return ea + seg_base;
}
