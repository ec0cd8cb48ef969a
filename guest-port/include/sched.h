/*
 * Tasks and the scheduler (sched.c): every thread of control is a task with its own
 * kernel stack; a process is a task with a user address space (proc.c). Round robin
 * over one run queue, preemptive on the timer tick; everything here runs with
 * interrupts off (pv_ops.cpu.irq_save) where it touches the queue.
 */
#ifndef GUEST_PORT_SCHED_H
#define GUEST_PORT_SCHED_H

#include "mm.h"

#define MAX_TASKS 32

enum task_state { TASK_FREE, TASK_NEW, TASK_RUNNABLE, TASK_RUNNING, TASK_BLOCKED,
                  TASK_ZOMBIE, TASK_REAPING };

struct task {
    uint64_t ksp;                   /* saved by switch_to while not running */
    unsigned long kstack;           /* first pfn of KSTACK_PAGES */
    enum task_state state;
    int pid;
    char name[16];
    struct task *parent;
    struct task *next;              /* run queue link */
    const void *wait_on;            /* while TASK_BLOCKED */
    int exit_status;
    unsigned long preemptions;      /* times the timer took the CPU away */
    struct mm *mm;                  /* &kernel_mm for kernel threads */
    /* kernel threads */
    void (*fn)(void *arg);
    void *arg;
    /* processes */
    struct mm user_mm;
    unsigned long entry, brk_start, brk;
};

extern struct task *current;
extern bool need_resched;
extern bool exit_reports;           /* print a line when a process exits (not in bench) */

void sched_init(void);
struct task *task_alloc(const char *name);
void task_start(struct task *t);
struct task *kthread_create(const char *name, void (*fn)(void *), void *arg);
void schedule(void);
void preempt(void);
void yield(void);
void sleep_on(const void *chan);
void wakeup(const void *chan);
void task_exit(int status) __noreturn;
int task_wait(int pid, int *status);
unsigned long task_kstack_top(const struct task *t);

/* arch/switch.S */
void switch_to(uint64_t *prev_ksp, uint64_t next_ksp);
void task_trampoline(void);
/* sched.c, first code of every new task (from task_trampoline) */
void task_first_run(void) __noreturn;

/* proc.c */
int proc_spawn(const char *program);
long proc_brk(unsigned long end);
bool proc_heap_fault(unsigned long va);
void proc_release(struct task *t);

#endif
