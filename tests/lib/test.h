/*
 * The test API: what a test defines (test_title, test_main) and how it reports. The
 * outcome is the most severe one recorded, in XTF's order SUCCESS < SKIP < ERROR <
 * FAILURE; a warning is printed but leaves SUCCESS alone. Recording never ends the
 * test: returning from test_main() (or test_exit()) prints the reasons, exactly one
 * "Test result: X" line, and powers the domain off.
 */
#ifndef PARAPET_TEST_TEST_H
#define PARAPET_TEST_TEST_H

#include "lib.h"
#include "guest.h"
#include "exinfo.h"
#include "events.h"
#include "pvclock.h"

/* Defined by every test. */
extern const char test_title[];
void test_main(void);

enum test_status {
    TEST_SUCCESS,       /* everything checked was right */
    TEST_SKIP,          /* the test could not run here (missing feature) */
    TEST_ERROR,         /* the test itself or its environment misbehaved */
    TEST_FAILURE,       /* the hypervisor did something wrong */
};

void test_success(void);
void test_skip(const char *fmt, ...) __printf(1, 2);
void test_error(const char *fmt, ...) __printf(1, 2);
void test_failure(const char *fmt, ...) __printf(1, 2);
void test_warning(const char *fmt, ...) __printf(1, 2);
enum test_status test_status(void);

/* Report and power off now. start_kernel() calls it when test_main() returns. */
void test_exit(void) __noreturn;

/* A table of subtests: run_subtests prints "Test: <name>" before running each. */
struct subtest {
    const char *name;
    void (*fn)(void);
};
void run_subtests(const struct subtest *table, unsigned int n);
#define RUN_SUBTESTS(table) run_subtests((table), ARRAY_SIZE(table))

/* Record a failure unless got == want; "what" names the check in the message. */
bool expect_exinfo(const char *what, exinfo_t got, exinfo_t want);

#endif
