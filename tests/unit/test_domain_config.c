/*
 * Host unit tests of hypervisor/domain/config.c: the module string grammar
 * "PATH [dom.OPTION ...] [ARGS]" of include/domain/config.h. Each case states the
 * expected fields; bad options are refused with -EINVAL and a reason.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdbool.h>
#include <string.h>
#include <cmocka.h>

#include <domain/config.h>
#include <errno.h>

static struct domain_config parse_ok(const char *s)
{
    struct domain_config c;
    const char *why = "unset";
    int rc = domain_config_parse(s, &c, &why);
    if (rc)
        fail_msg("'%s' refused: %s", s, why ? why : "(null)");
    assert_null(why);
    return c;
}

static void parse_bad(const char *s, const char *reason_part)
{
    struct domain_config c;
    const char *why = NULL;
    assert_int_equal(domain_config_parse(s, &c, &why), -EINVAL);
    assert_non_null(why);
    if (!strstr(why, reason_part))
        fail_msg("'%s': reason '%s' lacks '%s'", s, why, reason_part);
}

static void path_only(void **state)
{
    struct domain_config c = parse_ok("build/tests/hello.elf");
    assert_string_equal(c.name, "hello.elf");
    assert_int_equal(c.mem_mib, 0);
    assert_false(c.control);
    assert_string_equal(c.args, "");
}

static void path_and_args(void **state)
{
    struct domain_config c = parse_ok("/k/guest.elf  first second dom.mem=4");
    assert_string_equal(c.name, "guest.elf");
    assert_int_equal(c.mem_mib, 0);          /* options end at the first other word */
    assert_string_equal(c.args, "first second dom.mem=4");
}

static void all_options(void **state)
{
    struct domain_config c = parse_ok("a/b/k.elf dom.mem=64 dom.control dom.name=ctl x=1");
    assert_false(c.trap);
    assert_true(parse_ok("k dom.trap").trap);
    assert_true(parse_ok("rd.cpio dom.initrd").initrd);
    assert_false(parse_ok("k dom.trap").initrd);
    parse_bad("k dom.trapped", "unknown domain option");
    assert_string_equal(c.name, "ctl");
    assert_int_equal(c.mem_mib, 64);
    assert_true(c.control);
    assert_string_equal(c.args, "x=1");
}

static void limits(void **state)
{
    assert_int_equal(parse_ok("k dom.mem=65536").mem_mib, 65536);
    assert_int_equal(parse_ok("k dom.mem=1").mem_mib, 1);
    parse_bad("k dom.mem=65537", "1 to 65536");
    parse_bad("k dom.mem=0", "1 to 65536");
    parse_bad("k dom.mem=", "1 to 65536");
    parse_bad("k dom.mem=12M", "1 to 65536");
    parse_bad("k dom.mem=99999999999999999999999", "1 to 65536");
}

static void bad_words(void **state)
{
    parse_bad("k dom.controller", "unknown domain option");
    parse_bad("k dom.name=", "unknown domain option");
    parse_bad("k dom.cpus=2", "unknown domain option");
    parse_bad("", "empty");
    parse_bad("   ", "empty");
}

static void long_names_are_cut(void **state)
{
    struct domain_config c = parse_ok("dir/a-very-long-kernel-file-name-indeed-0123456789.elf");
    assert_int_equal(strlen(c.name), DOMAIN_NAME_MAX - 1);
    assert_memory_equal(c.name, "a-very-long-kernel-file-name-in", DOMAIN_NAME_MAX - 1);
    /* A path ending in '/' keeps the whole path as its name. */
    assert_string_equal(parse_ok("dir/").name, "dir/");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(path_only),     cmocka_unit_test(path_and_args),
        cmocka_unit_test(all_options),   cmocka_unit_test(limits),
        cmocka_unit_test(bad_words),     cmocka_unit_test(long_names_are_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
