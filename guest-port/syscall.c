/*
 * The system calls (uapi.h). They run with interrupts on, on the caller's kernel stack,
 * and reach user memory only through copy_in/copy_out, which check that every page is
 * a user page of the caller mapped with the rights needed (never a kernel address).
 */
#include "sched.h"

#define WRITE_MAX 512

/* Copy between user and kernel, page by page through the direct map. */
static int copy_user(void *kbuf, unsigned long uaddr, size_t len, bool to_user)
{
    while (len) {
        size_t in_page = PAGE_SIZE - (uaddr & (PAGE_SIZE - 1)), n = len < in_page ? len : in_page;
        unsigned long pfn = mm_user_frame(current->mm, uaddr, to_user);
        uint8_t *k;

        if (!pfn && proc_heap_fault(uaddr))     /* a heap page never touched yet */
            pfn = mm_user_frame(current->mm, uaddr, to_user);

        if (!pfn)
            return -EFAULT;
        k = (uint8_t *)pfn_to_virt(pfn) + (uaddr & (PAGE_SIZE - 1));
        if (to_user)
            memcpy(k, kbuf, n);
        else
            memcpy(kbuf, k, n);
        kbuf = (uint8_t *)kbuf + n;
        uaddr += n;
        len -= n;
    }
    return 0;
}

static long sys_write(unsigned long fd, unsigned long buf, unsigned long len)
{
    char k[WRITE_MAX];

    if (fd != 1 && fd != 2)
        return -EINVAL;
    if (len > WRITE_MAX)
        len = WRITE_MAX;                /* one console write: whole lines stay whole */
    if (copy_user(k, buf, len, false))
        return -EFAULT;
    pv_ops.console.write(k, len);
    return (long)len;
}

static long sys_spawn(unsigned long name)
{
    char k[16];
    size_t i;

    for (i = 0; i < sizeof(k); i++) {
        if (copy_user(&k[i], name + i, 1, false))
            return -EFAULT;
        if (!k[i])
            return proc_spawn(k);
    }
    return -ENOENT;
}

static long sys_bench_counters(unsigned long out)
{
    struct pv_counters c;
    struct bench_counters u;
    long rc = pv_ops.hv.counters(&c);

    if (rc)
        return rc;
    u = (struct bench_counters){ c.hypercalls, c.emulations, c.exceptions, c.upcalls,
                                 c.switches };
    return copy_user(&u, out, sizeof(u), true);
}

static long sys_bench_report(unsigned long in)
{
    struct bench_report r;

    if (copy_user(&r, in, sizeof(r), false))
        return -EFAULT;
    return bench_user_report(&r);
}

static long sys_wait(unsigned long pid, unsigned long status_ptr)
{
    int status, rc = task_wait((int)pid, &status);

    if (rc > 0 && status_ptr && copy_user(&status, status_ptr, sizeof(status), true))
        return -EFAULT;
    return rc;
}

void syscall_dispatch(struct pv_regs *r)
{
    long rc;

    pv_ops.cpu.irq_enable();
    switch (r->rax) {
    case SYS_write:  rc = sys_write(r->rdi, r->rsi, r->rdx); break;
    case SYS_exit:   task_exit((int)r->rdi);
    case SYS_spawn:  rc = sys_spawn(r->rdi); break;
    case SYS_wait:   rc = sys_wait(r->rdi, r->rsi); break;
    case SYS_getpid: rc = current->pid; break;
    case SYS_yield:  yield(); rc = 0; break;
    case SYS_time:   rc = (long)pv_ops.time.now_ns(); break;
    case SYS_brk:    rc = proc_brk(r->rdi); break;
    case SYS_bench_counters: rc = sys_bench_counters(r->rdi); break;
    case SYS_bench_report:   rc = sys_bench_report(r->rdi); break;
    case SYS_pvtest: rc = pvtest_active ? pvtest_syscall(r) : -ENOSYS; break;
    default:         rc = -ENOSYS; break;
    }
    r->rax = (uint64_t)rc;
    pv_ops.cpu.irq_disable();
}
