/*
 * User processes: spawn() makes a task with an address space of its own and loads one
 * of the programs embedded in the kernel image (user/programs.S) into it, a static
 * ELF64 executable linked in the user region (user/user.lds); brk() grows its heap,
 * which starts after its last segment. The first return to user mode is
 * pv_ops.cpu.enter_user from the task's first run (sched.c).
 */
#include "sched.h"

#define PT_LOAD         1
#define PF_W            2
#define ELF_MACHINE_X86_64 62
#define USER_HEAP_MAX   (USER_STACK_TOP - (USER_STACK_PAGES + 16) * PAGE_SIZE)

/* The parts of the ELF64 header and program header we read (System V gABI). */
struct elf64_header {
    uint8_t ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

/* programs.S: { name, first byte, end } per embedded program, then a NULL name. */
struct program {
    const char *name;
    const uint8_t *start, *end;
};
extern const struct program programs[];

static const struct program *find_program(const char *name)
{
    const struct program *p;

    for (p = programs; p->name; p++)
        if (!strcmp(p->name, name))
            return p;
    return NULL;
}

/* Map [va, va + memsz) with fresh frames holding the file bytes [off, off + filesz). */
static int load_segment(struct mm *mm, const struct program *prog,
                        const struct elf64_phdr *ph)
{
    unsigned long va, first = ph->vaddr & ~(PAGE_SIZE - 1UL), end = ph->vaddr + ph->memsz;
    int rc = 0;

    if (ph->memsz < ph->filesz || ph->vaddr < USER_BASE || end > USER_HEAP_MAX ||
        end < ph->vaddr || ph->offset + ph->filesz > (unsigned long)(prog->end - prog->start))
        return -EINVAL;
    pv_ops.mmu.lazy_enter();
    for (va = first; va < end && !rc; va += PAGE_SIZE) {
        unsigned long pfn = frame_alloc(), from = va < ph->vaddr ? ph->vaddr : va;
        unsigned long to = va + PAGE_SIZE < ph->vaddr + ph->filesz ? va + PAGE_SIZE
                                                                 : ph->vaddr + ph->filesz;

        if (to > from)
            memcpy((uint8_t *)pfn_to_virt(pfn) + (from - va),
                   prog->start + ph->offset + (from - ph->vaddr), to - from);
        rc = mm_map_user(mm, va, pfn, ph->flags & PF_W);
        if (rc)
            frame_free(pfn);
    }
    pv_ops.mmu.lazy_leave();
    return rc;
}

static int load_program(struct task *t, const struct program *prog)
{
    const struct elf64_header *h = (const void *)prog->start;
    unsigned long end = USER_BASE, va;
    unsigned int i;
    int rc;

    if ((unsigned long)(prog->end - prog->start) < sizeof(*h) ||
        memcmp(h->ident, "\177ELF\2\1", 6) || h->machine != ELF_MACHINE_X86_64 ||
        h->phentsize != sizeof(struct elf64_phdr) ||
        h->phoff + (unsigned long)h->phnum * sizeof(struct elf64_phdr) >
            (unsigned long)(prog->end - prog->start))
        return -EINVAL;
    for (i = 0; i < h->phnum; i++) {
        const struct elf64_phdr *ph = (const struct elf64_phdr *)(prog->start + h->phoff) + i;

        if (ph->type != PT_LOAD || !ph->memsz)
            continue;
        rc = load_segment(&t->user_mm, prog, ph);
        if (rc)
            return rc;
        if (ph->vaddr + ph->memsz > end)
            end = ph->vaddr + ph->memsz;
    }
    pv_ops.mmu.lazy_enter();
    for (va = USER_STACK_TOP - USER_STACK_PAGES * PAGE_SIZE; va < USER_STACK_TOP;
         va += PAGE_SIZE)
        mm_map_user(&t->user_mm, va, frame_alloc(), true);
    pv_ops.mmu.lazy_leave();
    t->entry = h->entry;
    t->brk_start = t->brk = (end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1UL);
    return 0;
}

int proc_spawn(const char *name)
{
    const struct program *prog = find_program(name);
    struct task *t;
    int rc;

    if (!prog)
        return -ENOENT;
    t = task_alloc(name);
    if (!t)
        return -EAGAIN;
    mm_create(&t->user_mm);
    t->mm = &t->user_mm;
    rc = load_program(t, prog);
    if (rc) {
        proc_release(t);
        frames_free(t->kstack, KSTACK_PAGES);
        t->state = TASK_FREE;
        return rc;
    }
    task_start(t);
    return t->pid;
}

/* Move the break to end (0: just ask). Growing maps nothing: a heap page gets its
 * zeroed frame at its first touch (proc_heap_fault); shrinking keeps the pages that
 * were touched (a later brk reuses them). Returns the break, unchanged if end is
 * refused. */
long proc_brk(unsigned long end)
{
    struct task *t = current;

    if (end >= t->brk_start && end <= USER_HEAP_MAX)
        t->brk = end;
    return (long)t->brk;
}

/* A fault at va, an address of the current process: if it is a heap page below the
 * break that has no frame yet, it gets a zeroed one and true is returned (the access
 * is retried); anything else is the caller's to handle. */
bool proc_heap_fault(unsigned long va)
{
    struct task *t = current;

    va &= ~(PAGE_SIZE - 1UL);
    if (t->mm != &t->user_mm || va < t->brk_start || va >= t->brk ||
        mm_user_frame(&t->user_mm, va, false))
        return false;
    return mm_map_user(&t->user_mm, va, frame_alloc(), true) == 0;
}

/* The address space of a task that will not run again. */
void proc_release(struct task *t)
{
    if (t->mm == &t->user_mm)
        mm_destroy(&t->user_mm);
}
