/*
 * init: the first user program. Starts hello, count and probe, waits for all three, and
 * exits 0 only if each ended with the status it should have (probe is killed by the
 * page fault of its read of kernel memory: -15). The kernel powers the machine off with
 * init's status.
 */
#include "ulib.h"

static const struct {
    const char *name;
    int status;                 /* what it must exit with */
} children[] = {
    { "hello", 0 },
    { "count", 0 },
    { "probe", -15 },
};

#define NR_CHILDREN (sizeof(children) / sizeof(children[0]))

int main(void)
{
    int pids[NR_CHILDREN], status, pid, bad = 0;
    unsigned int i, j;

    printf("init: pid %d, starting %s, %s and %s\n", getpid(), children[0].name,
           children[1].name, children[2].name);
    for (i = 0; i < NR_CHILDREN; i++) {
        pids[i] = spawn(children[i].name);
        if (pids[i] < 0) {
            printf("init: cannot start %s: error %d\n", children[i].name, pids[i]);
            return 1;
        }
    }
    for (j = 0; j < NR_CHILDREN; j++) {
        pid = wait(-1, &status);
        for (i = 0; i < NR_CHILDREN && pids[i] != pid; i++)
            ;
        if (i == NR_CHILDREN) {
            printf("init: wait gave %d, not a child of mine\n", pid);
            return 1;
        }
        printf("init: %s (pid %d) exited with status %d\n", children[i].name, pid, status);
        bad += status != children[i].status;
    }
    if (wait(-1, &status) >= 0) {
        printf("init: one child too many?\n");
        return 1;
    }
    printf("init: %s\n", bad ? "a child failed" : "all children done");
    return bad ? 1 : 0;
}
