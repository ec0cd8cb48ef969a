/*
 * Tasks and the preemptive round-robin scheduler. One run queue (FIFO) of runnable
 * tasks; the running task is not on it; the idle task runs when it is empty and halts
 * with interrupts on (pv_ops.cpu.safe_halt: hlt natively, SCHEDOP_block on xen). The
 * timer tick (timer.c) sets need_resched, and the return path of every event and
 * syscall (traps.c) calls preempt(): a task that does not yield still loses the CPU
 * after one 10 ms slice. A switch changes the address space (mm_switch), the stack
 * user-mode entries land on (pv_ops.cpu.load_kernel_stack) and the kernel stack
 * (switch_to). Everything that touches the queue runs with interrupts off.
 */
#include "sched.h"

static struct task tasks[MAX_TASKS];
static struct task *queue_head, *queue_tail, *idle_task;
static int next_pid;

struct task *current;
bool need_resched;
bool exit_reports = true;

static void enqueue(struct task *t)
{
    t->state = TASK_RUNNABLE;
    t->next = NULL;
    if (queue_tail)
        queue_tail->next = t;
    else
        queue_head = t;
    queue_tail = t;
}

static struct task *dequeue(void)
{
    struct task *t = queue_head;

    if (t) {
        queue_head = t->next;
        if (!queue_head)
            queue_tail = NULL;
    }
    return t;
}

unsigned long task_kstack_top(const struct task *t)
{
    if (t == &tasks[0])
        return (unsigned long)boot_stack_top;
    return (unsigned long)pfn_to_virt(t->kstack) + KSTACK_PAGES * PAGE_SIZE;
}

/* Interrupts off. Pick the next task and switch to it; returns when this one runs
 * again (or at once if it is still the best choice). */
void schedule(void)
{
    struct task *prev = current, *next;

    if (prev->state == TASK_RUNNING) {
        if (prev == idle_task)
            prev->state = TASK_RUNNABLE;
        else
            enqueue(prev);
    }
    next = dequeue();
    if (!next)
        next = idle_task;
    next->state = TASK_RUNNING;
    need_resched = false;
    if (next == prev)
        return;
    mm_switch(prev->mm, next->mm);
    pv_ops.cpu.load_kernel_stack(task_kstack_top(next));
    current = next;
    switch_to(&prev->ksp, next->ksp);
}

/* Interrupts off: give the CPU away if the tick asked for it. */
void preempt(void)
{
    if (!need_resched)
        return;
    if (queue_head)
        current->preemptions++;
    schedule();
}

void yield(void)
{
    unsigned long flags = pv_ops.cpu.irq_save();

    schedule();
    pv_ops.cpu.irq_restore(flags);
}

/* Interrupts off. Sleep until wakeup(chan). */
void sleep_on(const void *chan)
{
    current->state = TASK_BLOCKED;
    current->wait_on = chan;
    schedule();
}

void wakeup(const void *chan)
{
    unsigned long flags = pv_ops.cpu.irq_save();
    unsigned int i;

    for (i = 0; i < MAX_TASKS; i++)
        if (tasks[i].state == TASK_BLOCKED && tasks[i].wait_on == chan)
            enqueue(&tasks[i]);
    pv_ops.cpu.irq_restore(flags);
}

/* A task slot with a kernel stack whose first switch_to lands in task_trampoline. */
struct task *task_alloc(const char *name)
{
    unsigned long flags = pv_ops.cpu.irq_save();
    struct task *t = NULL;
    uint64_t *top;
    unsigned int i;

    for (i = 1; i < MAX_TASKS && !t; i++)
        if (tasks[i].state == TASK_FREE)
            t = &tasks[i];
    if (!t) {
        pv_ops.cpu.irq_restore(flags);
        return NULL;
    }
    memset(t, 0, sizeof(*t));
    t->state = TASK_NEW;
    t->pid = next_pid++;
    pv_ops.cpu.irq_restore(flags);

    snprintf(t->name, sizeof(t->name), "%s", name);
    t->mm = &kernel_mm;
    t->parent = current;
    t->kstack = frames_alloc(KSTACK_PAGES);
    top = (uint64_t *)task_kstack_top(t);
    top[-1] = (uint64_t)task_trampoline;
    memset(&top[-7], 0, 6 * sizeof(uint64_t));     /* rbp .. r15 */
    t->ksp = (uint64_t)&top[-7];
    return t;
}

void task_start(struct task *t)
{
    unsigned long flags = pv_ops.cpu.irq_save();

    enqueue(t);
    pv_ops.cpu.irq_restore(flags);
}

struct task *kthread_create(const char *name, void (*fn)(void *), void *arg)
{
    struct task *t = task_alloc(name);

    if (!t)
        return NULL;
    t->fn = fn;
    t->arg = arg;
    task_start(t);
    return t;
}

/* From task_trampoline, interrupts off: a process enters user mode, a kernel thread
 * runs its function with interrupts on. */
void task_first_run(void)
{
    struct task *t = current;

    if (t->mm != &kernel_mm)
        pv_ops.cpu.enter_user(t->entry, USER_STACK_TOP);
    pv_ops.cpu.irq_enable();
    t->fn(t->arg);
    task_exit(0);
}

void task_exit(int status)
{
    struct task *t = current;
    unsigned int i;

    if (t->mm != &kernel_mm && exit_reports)
        printk("exit: %s[%d] status %d, preempted %lu times\n", t->name, t->pid, status,
               t->preemptions);
    pv_ops.cpu.irq_disable();
    t->exit_status = status;
    for (i = 0; i < MAX_TASKS; i++)     /* orphans go to task 0 */
        if (tasks[i].parent == t)
            tasks[i].parent = &tasks[0];
    t->state = TASK_ZOMBIE;
    if (t->parent)
        wakeup(t->parent);
    schedule();
    panic("a zombie ran again");
}

/* Reap a child that ended (pid, or any if pid <= 0): its status, and its memory back. */
int task_wait(int pid, int *status)
{
    unsigned long flags = pv_ops.cpu.irq_save();
    struct task *found;
    bool have_child;
    unsigned int i;

    for (;;) {
        found = NULL;
        have_child = false;
        for (i = 0; i < MAX_TASKS; i++) {
            struct task *t = &tasks[i];

            if (t->state == TASK_FREE || t->state == TASK_REAPING || t->parent != current ||
                (pid > 0 && t->pid != pid) || t->state == TASK_NEW)
                continue;
            have_child = true;
            if (t->state == TASK_ZOMBIE) {
                found = t;
                break;
            }
        }
        if (found || !have_child)
            break;
        sleep_on(current);
    }
    if (!found) {
        pv_ops.cpu.irq_restore(flags);
        return -ECHILD;
    }
    found->state = TASK_REAPING;
    pv_ops.cpu.irq_restore(flags);

    if (status)
        *status = found->exit_status;
    pid = found->pid;
    proc_release(found);
    frames_free(found->kstack, KSTACK_PAGES);
    found->state = TASK_FREE;
    return pid;
}

static void idle_loop(void *arg)
{
    (void)arg;
    for (;;) {
        pv_ops.cpu.irq_disable();
        if (queue_head) {
            schedule();
            pv_ops.cpu.irq_enable();
        } else {
            pv_ops.cpu.safe_halt();
        }
    }
}

/* The boot context becomes task 0 ("kmain", pid 0) on the boot stack. */
void sched_init(void)
{
    struct task *t0 = &tasks[0];

    t0->state = TASK_RUNNING;
    t0->pid = next_pid++;
    snprintf(t0->name, sizeof(t0->name), "kmain");
    t0->mm = &kernel_mm;
    current = t0;
    pv_ops.cpu.load_kernel_stack(task_kstack_top(t0));

    idle_task = task_alloc("idle");
    if (!idle_task)
        panic("no task for idle");
    idle_task->fn = idle_loop;
    idle_task->state = TASK_RUNNABLE;   /* never queued: schedule() falls back on it */
    idle_task->pid = 0;                 /* the kernel's own, like kmain: init is pid 1 */
    next_pid = 1;
}
