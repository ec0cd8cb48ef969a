/*
 * Host unit tests of hypervisor/emul/decode.c. Each case is an instruction assembled by
 * hand (GNU as syntax in the comment; bytes cross-checked with objdump) with the
 * fields and length the decoder must find, and effective addresses computed by hand.
 * Cannot detect: an encoding misread identically here and in the decoder.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdbool.h>
#include <string.h>
#include <cmocka.h>

#include <emul/decode.h>
#include <errno.h>

#define DECODE_OK(bytes, insn) do {                                              \
        static const uint8_t b_[] = bytes;                                       \
        assert_int_equal(x86_decode(b_, sizeof(b_), &(insn)), 0);                \
        assert_int_equal((insn).len, sizeof(b_));                                \
    } while (0)
#define B(...) { __VA_ARGS__ }

static const uint64_t gpr[16] = {
    0x1000, 0x2000, 0x3000, 0x4000, 0x5000, 0x6000, 0x7000, 0x8000,
    0x9000, 0xa000, 0xb000, 0xc000, 0xd000, 0xe000, 0xf000, 0x10000,
};

static void movs_into_memory(void **state)
{
    struct x86_insn i;
    DECODE_OK(B(0x48, 0x89, 0x07), i);                     /* mov %rax,(%rdi) */
    assert_int_equal(i.op, 0x89);
    assert_false(i.two_byte);
    assert_int_equal(i.opsize, 8);
    assert_int_equal(i.mod, 0);
    assert_int_equal(i.reg, 0);
    assert_int_equal(i.rm, 7);
    assert_int_equal(x86_effective_address(&i, gpr, 0, 0), 0x8000);

    DECODE_OK(B(0x4c, 0x89, 0x44, 0x24, 0x08), i);         /* mov %r8,0x8(%rsp) */
    assert_int_equal(i.reg, 8);
    assert_true(i.has_sib);
    assert_int_equal(i.base, 4);
    assert_int_equal(i.index, 4);
    assert_int_equal(x86_effective_address(&i, gpr, 0, 0), 0x5008);

    DECODE_OK(B(0x49, 0x89, 0x45, 0x00), i);                /* mov %rax,0x0(%r13) */
    assert_int_equal(i.rm, 13);
    assert_int_equal(x86_effective_address(&i, gpr, 0, 0), 0xe000);

    DECODE_OK(B(0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0xff), i);  /* movq $-1,(%rax) */
    assert_int_equal(i.imm_len, 4);
    assert_true(i.imm == UINT64_MAX);

    DECODE_OK(B(0x66, 0xc7, 0x00, 0x34, 0x12), i);          /* movw $0x1234,(%rax) */
    assert_int_equal(i.opsize, 2);
    assert_int_equal(i.imm, 0x1234);

    DECODE_OK(B(0x89, 0x38), i);                            /* mov %edi,(%rax) */
    assert_int_equal(i.opsize, 4);
    assert_int_equal(i.reg, 7);
}

static void atomics(void **state)
{
    struct x86_insn i;
    DECODE_OK(B(0xf0, 0x48, 0x0f, 0xb1, 0x16), i);          /* lock cmpxchg %rdx,(%rsi) */
    assert_true(i.lock);
    assert_true(i.two_byte);
    assert_int_equal(i.op, 0xb1);
    assert_int_equal(i.reg, 2);
    assert_int_equal(i.rm, 6);
    DECODE_OK(B(0x48, 0x87, 0x0a), i);                      /* xchg %rcx,(%rdx) */
    assert_int_equal(i.op, 0x87);
    assert_int_equal(i.reg, 1);
    assert_int_equal(i.rm, 2);
}

static void system_instructions(void **state)
{
    struct x86_insn i;
    DECODE_OK(B(0x0f, 0x01, 0x38), i);                      /* invlpg (%rax) */
    assert_int_equal(i.reg, 7);
    assert_int_equal(i.mod, 0);
    DECODE_OK(B(0x41, 0x0f, 0x01, 0x3c, 0x24), i);          /* invlpg (%r12) */
    assert_int_equal(x86_effective_address(&i, gpr, 0, 0), 0xd000);
    DECODE_OK(B(0x0f, 0x01, 0x15, 0x10, 0x00, 0x00, 0x00), i);  /* lgdt 0x10(%rip) */
    assert_int_equal(i.reg, 2);
    assert_true(i.rip_relative);
    assert_int_equal(x86_effective_address(&i, gpr, 0x400007, 0), 0x400017);
    DECODE_OK(B(0x0f, 0x22, 0xd8), i);                      /* mov %rax,%cr3 */
    assert_int_equal(i.mod, 3);
    assert_int_equal(i.reg, 3);
    assert_int_equal(i.rm, 0);
    DECODE_OK(B(0x44, 0x0f, 0x22, 0xc0), i);                /* mov %rax,%cr8 */
    assert_int_equal(i.reg, 8);
    DECODE_OK(B(0x0f, 0x00, 0xd8), i);                      /* ltr %ax */
    assert_int_equal(i.reg, 3);
    DECODE_OK(B(0xfa), i);                                  /* cli */
    DECODE_OK(B(0xfb), i);                                  /* sti */
    DECODE_OK(B(0xf4), i);                                  /* hlt */
    DECODE_OK(B(0x0f, 0x06), i);                            /* clts */
    DECODE_OK(B(0x48, 0x0f, 0x07), i);                      /* sysretq */
    assert_int_equal(i.opsize, 8);
    DECODE_OK(B(0xe6, 0x80), i);                            /* out %al,$0x80 */
    assert_int_equal(i.imm, 0x80);
    DECODE_OK(B(0x66, 0xed), i);                            /* in (%dx),%ax */
    assert_int_equal(i.opsize, 2);
}

static void segments_and_sib(void **state)
{
    struct x86_insn i;
    /* mov %gs:0x10,%rax (SIB with no base and no index) */
    DECODE_OK(B(0x65, 0x48, 0x8b, 0x04, 0x25, 0x10, 0x00, 0x00, 0x00), i);
    assert_int_equal(i.seg, SEG_GS);
    assert_int_equal(x86_effective_address(&i, gpr, 0, 0xffff880000000000ULL),
                     0xffff880000000010ULL);
    /* mov 0x1000(,%r12,8),%rax */
    DECODE_OK(B(0x4a, 0x8b, 0x04, 0xe5, 0x00, 0x10, 0x00, 0x00), i);
    assert_int_equal(i.index, 12);
    assert_int_equal(i.scale, 8);
    assert_int_equal(x86_effective_address(&i, gpr, 0, 0), 0x1000 + 0xd000 * 8);
    /* mov %rax,-0x8(%rbp,%rcx,2): negative disp8 */
    DECODE_OK(B(0x48, 0x89, 0x44, 0x4d, 0xf8), i);
    assert_int_equal(i.disp, -8);
    assert_int_equal(x86_effective_address(&i, gpr, 0, 0), 0x6000 + 0x2000 * 2 - 8);
    /* addr32: mov %eax,(%eax) with 67 wraps the address to 32 bits */
    DECODE_OK(B(0x67, 0x89, 0x40, 0xff), i);
    uint64_t big[16] = { 0x1ffffffffULL };
    assert_int_equal(x86_effective_address(&i, big, 0, 0), 0xfffffffeULL);
}

static void refused(void **state)
{
    struct x86_insn i;
    static const uint8_t trunc1[] = { 0x48, 0x89 }, trunc2[] = { 0x0f },
                         trunc3[] = { 0x48, 0xc7, 0x00, 0xff }, nop[] = { 0x90 },
                         vmcall[] = { 0x0f, 0x38, 0x00 };
    uint8_t prefixes[16];
    memset(prefixes, 0x66, sizeof(prefixes));
    assert_int_equal(x86_decode(trunc1, sizeof(trunc1), &i), -EINVAL);
    assert_int_equal(x86_decode(trunc2, sizeof(trunc2), &i), -EINVAL);
    assert_int_equal(x86_decode(trunc3, sizeof(trunc3), &i), -EINVAL);
    assert_int_equal(x86_decode(nop, sizeof(nop), &i), -EOPNOTSUPP);
    assert_int_equal(x86_decode(vmcall, sizeof(vmcall), &i), -EOPNOTSUPP);
    assert_int_equal(x86_decode(prefixes, sizeof(prefixes), &i), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(movs_into_memory), cmocka_unit_test(atomics),
        cmocka_unit_test(system_instructions), cmocka_unit_test(segments_and_sib),
        cmocka_unit_test(refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
