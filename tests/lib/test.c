/*
 * Test outcome bookkeeping and the final report. Each test_* call prints its reason at
 * once and keeps it (up to MAX_REASONS) for a recap just before the result line, so the
 * last lines of a log say why a test failed. The result line is the contract with
 * tests/run-tests.sh: "Test result: SUCCESS|SKIP|ERROR|FAILURE", printed exactly once.
 */
#include "test.h"

#define MAX_REASONS 6
#define REASON_LEN  160

static enum test_status status = TEST_SUCCESS;
static char reasons[MAX_REASONS][REASON_LEN];
static unsigned int nr_reasons, nr_dropped;

static const char *const status_names[] = {
    [TEST_SUCCESS] = "SUCCESS",
    [TEST_SKIP] = "SKIP",
    [TEST_ERROR] = "ERROR",
    [TEST_FAILURE] = "FAILURE",
};

static void record(enum test_status s, const char *label, const char *fmt, va_list ap)
{
    char msg[REASON_LEN];

    vsnprintf(msg, sizeof(msg), fmt, ap);
    printk("%s: %s\n", label, msg);
    if (nr_reasons < MAX_REASONS)
        snprintf(reasons[nr_reasons++], REASON_LEN, "%s: %s", label, msg);
    else
        nr_dropped++;
    if (s > status)
        status = s;
}

void test_success(void)
{
    /* Nothing to record: SUCCESS is the least severe outcome. */
}

#define DEFINE_RECORDER(fn, st, label)                                              \
    void fn(const char *fmt, ...)                                                   \
    {                                                                               \
        va_list ap;                                                                 \
        va_start(ap, fmt);                                                          \
        record(st, label, fmt, ap);                                                 \
        va_end(ap);                                                                 \
    }

DEFINE_RECORDER(test_skip, TEST_SKIP, "SKIP")
DEFINE_RECORDER(test_error, TEST_ERROR, "ERROR")
DEFINE_RECORDER(test_failure, TEST_FAILURE, "FAILURE")
DEFINE_RECORDER(test_warning, TEST_SUCCESS, "Warning")

enum test_status test_status(void)
{
    return status;
}

bool expect_exinfo(const char *what, exinfo_t got, exinfo_t want)
{
    char g[24], w[24];

    if (got == want)
        return true;
    test_failure("%s: got %s, expected %s", what, exinfo_str(got, g, sizeof(g)),
                 exinfo_str(want, w, sizeof(w)));
    return false;
}

void test_exit(void)
{
    unsigned int i;

    if (nr_reasons) {
        printk("Recorded (%u):\n", nr_reasons + nr_dropped);
        for (i = 0; i < nr_reasons; i++)
            printk("  %s\n", reasons[i]);
        if (nr_dropped)
            printk("  ... and %u more\n", nr_dropped);
    }
    printk("Test result: %s\n", status_names[status]);
    shutdown(SHUTDOWN_poweroff);
}

void run_subtests(const struct subtest *table, unsigned int n)
{
    for (unsigned int i = 0; i < n; i++) {
        printk("Test: %s\n", table[i].name);
        table[i].fn();
    }
}
