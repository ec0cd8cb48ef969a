/*
 * Host unit tests (cmocka) of the store library, xenstored/: protocol parsing (paths,
 * payloads, error names), permissions (a domain's own subtree, grants, ownership),
 * transactions (snapshots, conflicts, bad ids, quotas), watches (the firing on
 * registration, changes, subtree removal, relative paths, permissions, quotas, the
 * special events), node and value quotas, bounded output, allocation failures (the
 * store unchanged, nothing leaked), and the ring (messages split across the wrap of
 * both queues, indices that do not start at zero, oversized messages, bad indices,
 * reconnection, back-pressure: nothing written beyond what the guest made room for).
 * Local connections stand for domains 0, 1 and 2; ring tests use a page in memory.
 * Cannot detect: what a real guest sees of the barriers (one thread here), and the
 * event-channel plumbing of guest-port (tests/e2e/xenstore.sh).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <cmocka.h>

#include "xenstored.h"
#include <xen/errno.h>

/* ---- the environment: malloc, with failures on demand and a count of what is live ---- */

static long live_allocs;
static long fail_after = -1;          /* allocations left before one fails; -1: never */

void *xs_alloc(size_t size)
{
    void *p;

    if (fail_after == 0)
        return NULL;
    if (fail_after > 0)
        fail_after--;
    p = malloc(size ? size : 1);
    if (p)
        live_allocs++;
    return p;
}

void xs_free(void *p)
{
    if (p) {
        live_allocs--;
        free(p);
    }
}

static unsigned int notifies;
static void *last_cookie;
static int introduced_domid = -1;

static void hook_notify(void *ctx, void *cookie)
{
    (void)ctx;
    notifies++;
    last_cookie = cookie;
}

static int hook_introduce(void *ctx, uint16_t domid, uint64_t mfn, uint32_t port)
{
    (void)ctx;
    (void)mfn;
    (void)port;
    introduced_domid = domid;
    return 0;
}

static const struct xs_hooks hooks = {
    .notify = hook_notify, .introduce = hook_introduce,
};

static struct xs_store *s;
static struct xs_conn *d0, *d1, *d2;
static char rbuf[8192];
static uint32_t rlen;

static int setup(void **state)
{
    (void)state;
    live_allocs = 0;
    fail_after = -1;
    notifies = 0;
    s = xs_store_create(&hooks, NULL);
    assert_non_null(s);
    assert_int_equal(xs_domain_nodes(s, 1, "one", 32768), 0);
    assert_int_equal(xs_domain_nodes(s, 2, "two", 16384), 0);
    d0 = xs_conn_local(s, 0);
    d1 = xs_conn_local(s, 1);
    d2 = xs_conn_local(s, 2);
    assert_non_null(d0);
    assert_non_null(d1);
    assert_non_null(d2);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fail_after = -1;
    xs_store_destroy(s);
    assert_int_equal(live_allocs, 0);
    return 0;
}

/* ---- helpers: a request and its reply ---- */

/* A payload literal with its final NUL ("a\0b" gives "a\0b\0"), and one without (WRITE). */
#define P(lit) lit, (uint32_t)sizeof(lit)
#define W(lit) lit, (uint32_t)(sizeof(lit) - 1)

static uint32_t req(struct xs_conn *c, uint32_t type, uint32_t tx, const char *p, uint32_t len)
{
    return xs_request(s, c, type, tx, p, len, rbuf, sizeof(rbuf), &rlen);
}

static void expect_ok(struct xs_conn *c, uint32_t type, uint32_t tx, const char *p,
                      uint32_t len)
{
    uint32_t t = req(c, type, tx, p, len);

    if (t != type)
        fail_msg("request %u on \"%s\": reply type %u \"%s\"", type, p, t, rbuf);
}

static void expect_err(struct xs_conn *c, uint32_t type, uint32_t tx, const char *p,
                       uint32_t len, const char *err)
{
    uint32_t t = req(c, type, tx, p, len);

    if (t != XS_ERROR || strcmp(rbuf, err))
        fail_msg("request %u on \"%s\": reply type %u \"%s\", expected %s", type, p, t, rbuf,
                 err);
}

static void write_ok(struct xs_conn *c, uint32_t tx, const char *path, const char *value)
{
    char buf[4200];
    size_t pl = strlen(path) + 1, vl = strlen(value);

    memcpy(buf, path, pl);
    memcpy(buf + pl, value, vl);
    expect_ok(c, XS_WRITE, tx, buf, (uint32_t)(pl + vl));
}

static uint32_t write_req(struct xs_conn *c, uint32_t tx, const char *path, const char *value)
{
    char buf[4200];
    size_t pl = strlen(path) + 1, vl = strlen(value);

    memcpy(buf, path, pl);
    memcpy(buf + pl, value, vl);
    return req(c, XS_WRITE, tx, buf, (uint32_t)(pl + vl));
}

static uint32_t read_req(struct xs_conn *c, uint32_t tx, const char *path)
{
    return req(c, XS_READ, tx, path, (uint32_t)strlen(path) + 1);
}

static void read_eq(struct xs_conn *c, uint32_t tx, const char *path, const char *value)
{
    uint32_t t = read_req(c, tx, path);

    if (t != XS_READ || strcmp(rbuf, value))
        fail_msg("read %s: type %u \"%s\", expected \"%s\"", path, t, rbuf, value);
}

static void read_err(struct xs_conn *c, uint32_t tx, const char *path, const char *err)
{
    expect_err(c, XS_READ, tx, path, (uint32_t)strlen(path) + 1, err);
}

static uint32_t start_txn(struct xs_conn *c)
{
    expect_ok(c, XS_TRANSACTION_START, 0, P(""));
    return (uint32_t)strtoul(rbuf, NULL, 10);
}

/* The next queued message of c: its type (XS_INVALID if none), payload in buf. */
static uint32_t next_msg(struct xs_conn *c, char *buf, uint32_t *len)
{
    struct xsd_sockmsg h;

    if (xs_conn_output(c, &h, sizeof(h)) != sizeof(h))
        return XS_INVALID;
    assert_true(h.len <= XENSTORE_PAYLOAD_MAX);
    assert_int_equal(xs_conn_output(c, buf, h.len), h.len);
    buf[h.len] = 0;
    if (len)
        *len = h.len;
    return h.type;
}

/* The next message is a watch event for path with token. */
static void expect_event(struct xs_conn *c, const char *path, const char *token)
{
    char buf[4200];
    uint32_t len, t = next_msg(c, buf, &len);

    if (t != XS_WATCH_EVENT)
        fail_msg("expected an event %s %s, got type %u", path, token, t);
    assert_string_equal(buf, path);
    assert_string_equal(buf + strlen(buf) + 1, token);
    assert_int_equal(len, strlen(path) + strlen(token) + 2);
}

static void expect_no_output(struct xs_conn *c)
{
    char buf[4200];
    uint32_t t = next_msg(c, buf, NULL);

    if (t != XS_INVALID)
        fail_msg("unexpected message type %u \"%s\"", t, buf);
}

/* ---- protocol parsing ---- */

static void test_paths(void **state)
{
    char longpath[3100];

    (void)state;
    write_ok(d0, 0, "/a/b-c/d_e/@f/G9", "v");
    read_eq(d0, 0, "/a/b-c/d_e/@f/G9", "v");
    read_eq(d1, 0, "domid", "1");                    /* relative: below its home */
    read_eq(d1, 0, "/local/domain/1/name", "one");
    expect_err(d0, XS_WRITE, 0, W("\0v"), "EINVAL");                 /* empty path */
    expect_err(d0, XS_WRITE, 0, W("/a//b\0v"), "EINVAL");
    expect_err(d0, XS_WRITE, 0, W("/a/\0v"), "EINVAL");
    expect_err(d0, XS_WRITE, 0, W("/a/b$c\0v"), "EINVAL");
    expect_err(d0, XS_WRITE, 0, W("/a/b c\0v"), "EINVAL");
    expect_err(d0, XS_WRITE, 0, W("/a/b.c\0v"), "EINVAL");
    memset(longpath, 'x', sizeof(longpath));
    longpath[0] = '/';
    longpath[3073] = 0;                                /* 3073 bytes: one too many */
    read_err(d0, 0, longpath, "EINVAL");
    longpath[3072] = 0;
    read_err(d0, 0, longpath, "ENOENT");
    /* 32 components, then 33 */
    strcpy(longpath, "/d");
    for (int i = 1; i < 32; i++)
        strcat(longpath, "/d");
    write_ok(d0, 0, longpath, "deep");
    strcat(longpath, "/d");
    expect_err(d0, XS_MKDIR, 0, longpath, (uint32_t)strlen(longpath) + 1, "EINVAL");
    memset(longpath, 'y', 2049);
    longpath[2049] = 0;                                /* relative, 2049 bytes */
    read_err(d1, 0, longpath, "EINVAL");
}

static void test_payloads(void **state)
{
    static const char value[] = "with\0nul\0inside";

    (void)state;
    expect_err(d0, XS_READ, 0, "/local", 6, "EINVAL");           /* no NUL */
    expect_err(d0, XS_READ, 0, P("/local\0/tool"), "EINVAL");     /* two strings */
    expect_err(d0, XS_READ, 0, "", 0, "EINVAL");
    expect_err(d0, XS_WRITE, 0, "/nonul", 6, "EINVAL");
    expect_err(d0, 99, 0, P("/local"), "EINVAL");                 /* unknown type */
    expect_err(d0, XS_WATCH_EVENT, 0, P("/local\0t"), "EINVAL");  /* ours, not a request */
    expect_err(d0, XS_ERROR, 0, P("EINVAL"), "EINVAL");
    expect_err(d0, XS_WATCH, 0, P("/local"), "EINVAL");           /* no token */
    expect_err(d0, XS_TRANSACTION_END, 0, P("T"), "EINVAL");      /* tx_id 0 */
    /* a value is bytes: NULs survive */
    {
        char buf[64];

        memcpy(buf, "/v", 3);
        memcpy(buf + 3, value, sizeof(value));
        expect_ok(d0, XS_WRITE, 0, buf, 3 + (uint32_t)sizeof(value));
        assert_int_equal(read_req(d0, 0, "/v"), XS_READ);
        assert_int_equal(rlen, sizeof(value));
        assert_memory_equal(rbuf, value, sizeof(value));
    }
    /* a request longer than the protocol allows, given directly */
    {
        struct xsd_sockmsg h = { .type = XS_READ, .req_id = 7, .len = XENSTORE_PAYLOAD_MAX + 1 };
        static char big[XENSTORE_PAYLOAD_MAX + 1];
        char buf[64];

        xs_handle(s, d0, &h, big);
        assert_int_equal(next_msg(d0, buf, NULL), XS_ERROR);
        assert_string_equal(buf, "EINVAL");
    }
    assert_string_equal(xs_errname(XEN_EACCES), "EACCES");
    assert_string_equal(xs_errname(XEN_EAGAIN), "EAGAIN");
    assert_string_equal(xs_errname(XEN_E2BIG), "E2BIG");
    assert_string_equal(xs_errname(12345), "EIO");
}

static void test_basic_ops(void **state)
{
    (void)state;
    write_ok(d0, 0, "/a/b/c", "leaf");               /* parents made, empty */
    read_eq(d0, 0, "/a/b", "");
    expect_ok(d0, XS_DIRECTORY, 0, P("/a"));
    assert_int_equal(rlen, 2);
    assert_string_equal(rbuf, "b");
    expect_ok(d0, XS_MKDIR, 0, P("/a/b/d"));
    expect_ok(d0, XS_MKDIR, 0, P("/a/b/c"));         /* exists: value kept */
    read_eq(d0, 0, "/a/b/c", "leaf");
    expect_ok(d0, XS_DIRECTORY, 0, P("/a/b"));
    assert_int_equal(rlen, 4);
    assert_memory_equal(rbuf, "c\0d\0", 4);
    expect_ok(d0, XS_RM, 0, P("/a/b"));
    read_err(d0, 0, "/a/b/c", "ENOENT");
    expect_ok(d0, XS_RM, 0, P("/a/b"));              /* gone, parent there: fine */
    expect_err(d0, XS_RM, 0, P("/a/x/y"), "ENOENT"); /* parent gone too */
    expect_err(d0, XS_RM, 0, P("/"), "EINVAL");
    expect_ok(d0, XS_GET_DOMAIN_PATH, 0, P("7"));
    assert_string_equal(rbuf, "/local/domain/7");
    expect_err(d0, XS_GET_DOMAIN_PATH, 0, P("x7"), "EINVAL");
    expect_ok(d0, XS_DIRECTORY_PART, 0, P("/local/domain\0" "0"));
    assert_memory_equal(rbuf + strlen(rbuf) + 1, "1\0" "2\0\0", 5);
    expect_err(d0, XS_CONTROL, 0, P("print\0x"), "ENOSYS");
    expect_err(d1, XS_CONTROL, 0, P("print\0x"), "EACCES");
}

/* ---- permissions ---- */

static void test_domain_subtree(void **state)
{
    (void)state;
    read_eq(d1, 0, "domid", "1");
    read_eq(d1, 0, "memory/target", "32768");
    read_eq(d1, 0, "cpu/0/availability", "online");
    expect_ok(d1, XS_GET_PERMS, 0, P("name"));
    assert_memory_equal(rbuf, "n0\0r1\0", 6);
    expect_err(d1, XS_WRITE, 0, W("name\0evil"), "EACCES");        /* read-only to it */
    expect_err(d1, XS_WRITE, 0, W("newdir\0x"), "EACCES");         /* home is dom0's */
    expect_err(d1, XS_RM, 0, P("name"), "EACCES");
    write_ok(d1, 0, "data/x", "mine");
    expect_ok(d1, XS_GET_PERMS, 0, P("data/x"));
    assert_memory_equal(rbuf, "n1\0", 3);
    write_ok(d1, 0, "control/feature-poweroff", "1");
    /* everything else */
    read_err(d1, 0, "/local/domain/2/name", "EACCES");
    read_err(d1, 0, "/local/domain/2/nothing", "EACCES");         /* no existence leak */
    read_err(d1, 0, "/local/domain/9", "EACCES");
    read_err(d1, 0, "/tool", "EACCES");
    expect_err(d1, XS_WRITE, 0, W("/tool/x\0y"), "EACCES");
    expect_err(d1, XS_WRITE, 0, W("/local/domain/2/data/x\0y"), "EACCES");
    expect_err(d1, XS_MKDIR, 0, P("/evil"), "EACCES");
    expect_err(d1, XS_RM, 0, P("/local"), "EACCES");
    expect_err(d1, XS_RM, 0, P("/local/domain/2/data/nothing"), "EACCES");
    expect_err(d1, XS_DIRECTORY, 0, P("/"), "EACCES");
    expect_err(d1, XS_GET_PERMS, 0, P("/local/domain/2"), "EACCES");
    read_err(d2, 0, "/local/domain/1/data/x", "EACCES");
    read_eq(d0, 0, "/local/domain/1/data/x", "mine");                /* dom0 reads all */
    expect_err(d1, XS_INTRODUCE, 0, P("5\0" "1234\0" "3"), "EACCES");
    expect_err(d1, XS_RELEASE, 0, P("2"), "EACCES");
    expect_err(d1, XS_RESUME, 0, P("2"), "EACCES");
}

static void test_grants_and_ownership(void **state)
{
    (void)state;
    write_ok(d1, 0, "data/shared", "hello");
    expect_ok(d1, XS_SET_PERMS, 0, P("data/shared\0n1\0r2"));
    read_eq(d2, 0, "/local/domain/1/data/shared", "hello");
    expect_err(d2, XS_WRITE, 0, W("/local/domain/1/data/shared\0x"), "EACCES");
    expect_err(d2, XS_SET_PERMS, 0, P("/local/domain/1/data/shared\0n2"), "EACCES");
    expect_ok(d1, XS_SET_PERMS, 0, P("data/shared\0r1\0b2"));       /* others r, 2 both */
    write_ok(d2, 0, "/local/domain/1/data/shared", "from two");
    write_ok(d2, 0, "/local/domain/1/data/shared/sub", "made by two");
    expect_ok(d0, XS_GET_PERMS, 0, P("/local/domain/1/data/shared/sub"));
    assert_memory_equal(rbuf, "r2\0", 3);              /* owned by its maker, others r */
    /* an unprivileged owner cannot give a node away; not owner: no change */
    expect_err(d1, XS_SET_PERMS, 0, P("data/shared\0n0"), "EPERM");
    expect_err(d1, XS_SET_PERMS, 0, P("name\0n1"), "EACCES");
    expect_err(d2, XS_SET_PERMS, 0, P("/local/domain/1/data/shared\0r1\0b2"), "EACCES");
    /* dom0 may give a node to anyone */
    expect_ok(d0, XS_SET_PERMS, 0, P("/local/domain/1/data/shared\0n2"));
    write_ok(d2, 0, "/local/domain/1/data/shared", "now mine");
    /* malformed lists */
    expect_err(d1, XS_SET_PERMS, 0, P("data/x\0x1"), "EINVAL");
    expect_err(d1, XS_SET_PERMS, 0, P("data/x\0r"), "EINVAL");
    expect_err(d1, XS_SET_PERMS, 0, P("data/x\0r65536"), "EINVAL");
    expect_err(d1, XS_SET_PERMS, 0, P("data/x\0r1x"), "EINVAL");
    expect_err(d1, XS_SET_PERMS, 0, "data/x\0r1", 9, "EINVAL");    /* not NUL-ended */
    expect_err(d1, XS_SET_PERMS, 0, P("data"), "EINVAL");           /* no list */
    write_ok(d1, 0, "data/x", "v");
    expect_err(d1, XS_SET_PERMS, 0,
               P("data/x\0n1\0r2\0r3\0r4\0r5\0r6\0r7\0r8\0r9\0r10\0r11\0r12\0r13\0r14\0r15\0r16\0r17"),
               "E2BIG");
}

/* ---- transactions ---- */

static void test_txn_commit(void **state)
{
    uint32_t t;

    (void)state;
    write_ok(d1, 0, "data/a", "old");
    t = start_txn(d1);
    assert_true(t != 0);
    write_ok(d1, t, "data/a", "new");
    write_ok(d1, t, "data/b/c", "made");
    read_eq(d1, t, "data/a", "new");                   /* the transaction sees its own */
    read_eq(d1, 0, "data/a", "old");                   /* the store does not, yet */
    read_err(d1, 0, "data/b", "ENOENT");
    expect_ok(d1, XS_TRANSACTION_END, t, P("T"));
    read_eq(d1, 0, "data/a", "new");
    read_eq(d1, 0, "data/b/c", "made");
    /* abandoned */
    t = start_txn(d1);
    write_ok(d1, t, "data/a", "lost");
    expect_ok(d1, XS_RM, t, P("data/b"));
    expect_ok(d1, XS_TRANSACTION_END, t, P("F"));
    read_eq(d1, 0, "data/a", "new");
    read_eq(d1, 0, "data/b/c", "made");
}

static void test_txn_conflicts(void **state)
{
    uint32_t t;

    (void)state;
    write_ok(d1, 0, "data/x", "1");
    /* read in the transaction, changed outside: EAGAIN, nothing applied */
    t = start_txn(d1);
    read_eq(d1, t, "data/x", "1");
    write_ok(d0, 0, "/local/domain/1/data/x", "2");
    write_ok(d1, t, "data/y", "from t");
    expect_err(d1, XS_TRANSACTION_END, t, P("T"), "EAGAIN");
    read_err(d1, 0, "data/y", "ENOENT");
    /* a change elsewhere does not conflict */
    t = start_txn(d1);
    read_eq(d1, t, "data/x", "2");
    write_ok(d1, t, "data/y", "from t");
    write_ok(d2, 0, "data/z", "elsewhere");
    expect_ok(d1, XS_TRANSACTION_END, t, P("T"));
    read_eq(d1, 0, "data/y", "from t");
    /* removed outside */
    t = start_txn(d1);
    read_eq(d1, t, "data/y", "from t");
    expect_ok(d1, XS_RM, 0, P("data/y"));
    expect_err(d1, XS_TRANSACTION_END, t, P("T"), "EAGAIN");
    /* created outside after the transaction saw it missing */
    t = start_txn(d1);
    read_err(d1, t, "data/new", "ENOENT");
    write_ok(d1, 0, "data/new", "outside");
    expect_err(d1, XS_TRANSACTION_END, t, P("T"), "EAGAIN");
    /* a directory listed in it got a new child */
    t = start_txn(d1);
    expect_ok(d1, XS_DIRECTORY, t, P("data"));
    write_ok(d1, 0, "data/another", "");
    write_ok(d1, t, "data/q", "");
    expect_err(d1, XS_TRANSACTION_END, t, P("T"), "EAGAIN");
    /* two transactions writing the same node: the second to end loses */
    {
        uint32_t t1 = start_txn(d1), t2 = start_txn(d1);

        write_ok(d1, t1, "data/x", "t1");
        write_ok(d1, t2, "data/x", "t2");
        expect_ok(d1, XS_TRANSACTION_END, t1, P("T"));
        expect_err(d1, XS_TRANSACTION_END, t2, P("T"), "EAGAIN");
        read_eq(d1, 0, "data/x", "t1");
    }
}

static void test_txn_bad_ids(void **state)
{
    uint32_t t;

    (void)state;
    read_err(d1, 12345, "domid", "EINVAL");
    expect_err(d1, XS_WRITE, 12345, W("data/a\0b"), "EINVAL");
    expect_err(d1, XS_TRANSACTION_END, 12345, P("T"), "EINVAL");
    expect_err(d1, XS_TRANSACTION_END, 0, P("F"), "EINVAL");
    t = start_txn(d1);
    expect_err(d1, XS_TRANSACTION_START, t, P(""), "EBUSY");     /* no nesting */
    expect_err(d1, XS_TRANSACTION_START, t + 1000, P(""), "EINVAL");
    read_err(d2, t, "domid", "EINVAL");                          /* someone else's */
    expect_err(d2, XS_TRANSACTION_END, t, P("T"), "EINVAL");
    expect_err(d1, XS_TRANSACTION_END, t, P("X"), "EINVAL");
    expect_err(d1, XS_TRANSACTION_END, t, P("T\0T"), "EINVAL");
    expect_ok(d1, XS_TRANSACTION_END, t, P("T"));
    expect_err(d1, XS_TRANSACTION_END, t, P("T"), "EINVAL");     /* ended */
    read_err(d1, t, "domid", "EINVAL");
    /* watches ignore tx_id */
    expect_ok(d1, XS_WATCH, 777, P("data\0tok"));
}

static void test_txn_quotas(void **state)
{
    const struct xs_quota *q = xs_default_quota();
    uint32_t ids[64], i, t;
    char path[32];

    (void)state;
    for (i = 0; i < q->transactions; i++)
        ids[i] = start_txn(d1);
    expect_err(d1, XS_TRANSACTION_START, 0, P(""), "ENOSPC");
    start_txn(d2);                                     /* others are not affected */
    for (i = 0; i < q->transactions; i++)
        expect_ok(d1, XS_TRANSACTION_END, ids[i], P("F"));
    t = start_txn(d1);
    for (i = 0; i < q->txn_ops; i++) {
        snprintf(path, sizeof(path), "data/t%u", i);
        write_ok(d1, t, path, "");
    }
    expect_err(d1, XS_WRITE, t, W("data/one-more\0x"), "E2BIG");
    expect_ok(d1, XS_TRANSACTION_END, t, P("T"));
    read_eq(d1, 0, "data/t0", "");
    /* RESET_WATCHES drops transactions too */
    t = start_txn(d1);
    expect_ok(d1, XS_RESET_WATCHES, 0, P(""));
    expect_err(d1, XS_TRANSACTION_END, t, P("T"), "EINVAL");
}

/* ---- watches ---- */

static void test_watch_basics(void **state)
{
    char buf[64];

    (void)state;
    expect_ok(d0, XS_WATCH, 0, P("/w\0tok"));
    expect_event(d0, "/w", "tok");                     /* fires once when set */
    expect_no_output(d0);
    write_ok(d0, 0, "/w/a/b", "1");
    expect_event(d0, "/w/a/b", "tok");
    write_ok(d0, 0, "/wx", "1");                       /* not below /w */
    write_ok(d0, 0, "/", "root");                      /* above it */
    expect_no_output(d0);
    expect_ok(d0, XS_SET_PERMS, 0, P("/w/a\0n0\0r1"));
    expect_event(d0, "/w/a", "tok");
    expect_ok(d0, XS_RM, 0, P("/w/a/b"));
    expect_event(d0, "/w/a/b", "tok");
    expect_ok(d0, XS_RM, 0, P("/w/a/b"));              /* nothing changed: no event */
    expect_no_output(d0);
    /* a watch below a node removed with its subtree */
    expect_ok(d0, XS_WATCH, 0, P("/w/a/deep/er\0tok2"));
    expect_event(d0, "/w/a/deep/er", "tok2");
    expect_ok(d0, XS_RM, 0, P("/w"));
    expect_event(d0, "/w", "tok");
    expect_event(d0, "/w/a/deep/er", "tok2");
    /* unwatch, duplicates */
    expect_err(d0, XS_WATCH, 0, P("/w\0tok"), "EEXIST");
    expect_ok(d0, XS_UNWATCH, 0, P("/w\0tok"));
    expect_err(d0, XS_UNWATCH, 0, P("/w\0tok"), "ENOENT");
    write_ok(d0, 0, "/w", "");
    expect_no_output(d0);
    expect_err(d0, XS_WATCH, 0, P("/bad//path\0t"), "EINVAL");
    expect_err(d0, XS_WATCH, 0, P("@\0t"), "EINVAL");
    (void)buf;
}

static void test_watch_relative_and_perms(void **state)
{
    (void)state;
    expect_ok(d1, XS_WATCH, 0, P("data\0rel"));
    expect_event(d1, "data", "rel");
    write_ok(d0, 0, "/local/domain/1/data/k", "v");
    expect_event(d1, "data/k", "rel");                 /* relative, as registered */
    /* d2 may set a watch on what it cannot read, but hears nothing from it */
    expect_ok(d2, XS_WATCH, 0, P("/local/domain/1/data\0spy"));
    expect_event(d2, "/local/domain/1/data", "spy");
    write_ok(d1, 0, "data/secret", "s");
    expect_event(d1, "data/secret", "rel");
    expect_no_output(d2);
    expect_ok(d1, XS_SET_PERMS, 0, P("data/secret\0n1\0r2"));
    expect_event(d1, "data/secret", "rel");
    expect_event(d2, "/local/domain/1/data/secret", "spy");   /* now readable */
}

static void test_watch_in_transaction(void **state)
{
    uint32_t t;

    (void)state;
    expect_ok(d1, XS_WATCH, 0, P("data\0w"));
    expect_event(d1, "data", "w");
    t = start_txn(d1);
    write_ok(d1, t, "data/a", "1");
    expect_no_output(d1);                              /* not before the commit */
    expect_ok(d1, XS_TRANSACTION_END, t, P("T"));
    expect_event(d1, "data/a", "w");
    t = start_txn(d1);
    write_ok(d1, t, "data/b", "1");
    expect_ok(d1, XS_TRANSACTION_END, t, P("F"));
    expect_no_output(d1);
}

static void test_watch_quota_and_reset(void **state)
{
    const struct xs_quota *q = xs_default_quota();
    char p[64];
    unsigned int i;

    (void)state;
    for (i = 0; i < q->watches; i++) {
        int n = snprintf(p, sizeof(p), "data%c%u", 0, i);

        expect_ok(d1, XS_WATCH, 0, p, (uint32_t)n + 1);
        expect_event(d1, "data", p + 5);
    }
    expect_err(d1, XS_WATCH, 0, P("data\0one-more"), "E2BIG");
    expect_ok(d2, XS_WATCH, 0, P("data\0fine"));          /* another domain's quota */
    expect_ok(d1, XS_RESET_WATCHES, 0, P(""));
    write_ok(d1, 0, "data/x", "");
    expect_no_output(d1);
    expect_ok(d1, XS_WATCH, 0, P("data\0again"));
}

static void test_special_watches(void **state)
{
    static struct xenstore_domain_interface ring5 __attribute__((aligned(4096)));

    (void)state;
    expect_ok(d0, XS_WATCH, 0, P("@introduceDomain\0in"));
    expect_event(d0, "@introduceDomain", "in");
    expect_ok(d2, XS_WATCH, 0, P("@releaseDomain\0out"));
    expect_event(d2, "@releaseDomain", "out");
    expect_ok(d0, XS_WATCH, 0, P("/\0all"));
    expect_event(d0, "/", "all");
    memset(&ring5, 0, sizeof(ring5));
    assert_int_equal(xs_domain_nodes(s, 5, "five", 1024), 0);
    expect_event(d0, "/local/domain/5", "all");
    assert_non_null(xs_introduce(s, 5, &ring5, NULL));
    expect_event(d0, "@introduceDomain", "in");       /* and no "/" event for it */
    expect_no_output(d0);
    expect_ok(d0, XS_IS_DOMAIN_INTRODUCED, 0, P("5"));
    assert_string_equal(rbuf, "T");
    expect_ok(d0, XS_IS_DOMAIN_INTRODUCED, 0, P("6"));
    assert_string_equal(rbuf, "F");
    assert_int_equal(xs_release(s, 5), 0);
    expect_event(d0, "/local/domain/5", "all");
    expect_event(d2, "@releaseDomain", "out");
    read_err(d0, 0, "/local/domain/5", "ENOENT");
    assert_int_equal(xs_release(s, 5), XEN_ENOENT);
}

/* ---- domains ---- */

static void test_introduce_release(void **state)
{
    (void)state;
    expect_ok(d0, XS_INTRODUCE, 0, P("7\0" "4096\0" "3"));
    assert_int_equal(introduced_domid, 7);
    expect_err(d0, XS_INTRODUCE, 0, P("0\0" "4096\0" "3"), "EINVAL");
    expect_err(d0, XS_INTRODUCE, 0, P("32752\0" "4096\0" "3"), "EINVAL");   /* DOMID_SELF */
    expect_err(d0, XS_INTRODUCE, 0, P("7\0" "4096"), "EINVAL");
    expect_err(d0, XS_RELEASE, 0, P("9"), "ENOENT");
    expect_err(d0, XS_RELEASE, 0, P("0"), "EINVAL");
    /* release: the home goes, what it owned elsewhere passes to dom0 */
    write_ok(d0, 0, "/local/domain/0/backend/x", "");
    expect_ok(d0, XS_SET_PERMS, 0, P("/local/domain/0/backend/x\0n0\0b1"));
    write_ok(d1, 0, "/local/domain/0/backend/x/made-by-1", "v");
    expect_ok(d0, XS_GET_PERMS, 0, P("/local/domain/0/backend/x/made-by-1"));
    assert_memory_equal(rbuf, "n1\0", 3);
    expect_ok(d0, XS_RELEASE, 0, P("1"));
    assert_null(xs_conn_find(s, 1));
    d1 = NULL;
    read_err(d0, 0, "/local/domain/1", "ENOENT");
    expect_ok(d0, XS_GET_PERMS, 0, P("/local/domain/0/backend/x/made-by-1"));
    assert_memory_equal(rbuf, "n0\0", 3);
}

/* ---- quotas ---- */

static void test_node_quota(void **state)
{
    const struct xs_quota *q = xs_default_quota();
    struct xs_conn_stats st;
    char path[32], value[4000];
    unsigned int i, made = 0;

    (void)state;
    xs_conn_stats(d1, &st);
    assert_int_equal(st.nodes, 4);                     /* control data device drivers */
    for (i = 0; i < q->nodes + 10; i++) {
        snprintf(path, sizeof(path), "data/n%u", i);
        if (write_req(d1, 0, path, "x") == XS_WRITE)
            made++;
        else
            assert_string_equal(rbuf, "ENOSPC");
    }
    assert_int_equal(made, q->nodes - 4);
    write_ok(d2, 0, "data/fine", "");                  /* another domain's quota */
    expect_err(d1, XS_MKDIR, 0, P("data/more"), "ENOSPC");
    expect_ok(d1, XS_RM, 0, P("data/n0"));
    write_ok(d1, 0, "data/again", "");
    /* a write creating several nodes is refused whole */
    expect_ok(d1, XS_RM, 0, P("data/n1"));
    expect_err(d1, XS_WRITE, 0, W("data/a/b/c\0x"), "ENOSPC");
    read_err(d1, 0, "data/a", "ENOENT");
    xs_conn_stats(d1, &st);
    assert_int_equal(st.nodes, q->nodes - 1);
    /* value size */
    memset(value, 'v', sizeof(value));
    value[q->value_len] = 0;
    write_ok(d1, 0, "data/n2", value);
    value[q->value_len] = 'v';
    value[q->value_len + 1] = 0;
    assert_int_equal(write_req(d1, 0, "data/n2", value), XS_ERROR);
    assert_string_equal(rbuf, "ENOSPC");
    write_ok(d0, 0, "/local/domain/0/big", value);     /* dom0 is not limited */
}

static void test_output_bounded(void **state)
{
    const struct xs_quota *q = xs_default_quota();
    struct xs_conn_stats st;
    char path[32];
    unsigned int i;

    (void)state;
    expect_ok(d1, XS_WATCH, 0, P("data\0w"));
    /* d1 never reads its output: events pile up to the bound, then are dropped */
    for (i = 0; i < 2000; i++) {
        snprintf(path, sizeof(path), "/local/domain/1/data/e%u", i % 100);
        write_ok(d0, 0, path, "x");
        assert_true(xs_conn_pending(d1) <= q->out_bytes);
    }
    xs_conn_stats(d1, &st);
    assert_true(st.dropped > 0);
    assert_true(st.events > 0);
    assert_int_equal(st.events + st.dropped, 2000 + 1);
}

static void test_alloc_failures(void **state)
{
    long k;
    uint32_t t;

    (void)state;
    write_ok(d1, 0, "data/keep", "1");
    for (k = 0; k < 200; k++) {
        fail_after = k;
        t = write_req(d1, 0, "data/a/b/c", "v");
        fail_after = -1;
        if (t == XS_WRITE)
            break;
        assert_int_equal(t, XS_ERROR);
        assert_string_equal(rbuf, "ENOMEM");
        read_err(d1, 0, "data/a", "ENOENT");               /* all or nothing */
        read_eq(d1, 0, "data/keep", "1");
    }
    assert_true(k > 0 && k < 200);
    read_eq(d1, 0, "data/a/b/c", "v");
    for (k = 0; k < 200; k++) {
        fail_after = k;
        t = req(d1, XS_RM, 0, P("data/a"));
        fail_after = -1;
        if (t == XS_RM)
            break;
        read_eq(d1, 0, "data/a/b/c", "v");
    }
    read_err(d1, 0, "data/a", "ENOENT");
}

/* ---- the ring ---- */

static struct xenstore_domain_interface *ring;
static struct xs_conn *rc1;

/* The guest side, as a test: put bytes on the request queue, take replies. */
static void guest_put(const void *p, uint32_t len)
{
    const char *b = p;
    uint32_t i, prod = ring->req_prod;

    assert_true(prod - ring->req_cons + len <= XENSTORE_RING_SIZE);
    for (i = 0; i < len; i++)
        ring->req[MASK_XENSTORE_IDX(prod + i)] = b[i];
    ring->req_prod = prod + len;
}

static void guest_request(uint32_t type, uint32_t id, const char *p, uint32_t len)
{
    struct xsd_sockmsg h = { .type = type, .req_id = id, .len = len };

    guest_put(&h, sizeof(h));
    guest_put(p, len);
}

static uint32_t guest_take(void *p, uint32_t len)
{
    char *b = p;
    uint32_t i, cons = ring->rsp_cons, have = ring->rsp_prod - cons;

    assert_true(have <= XENSTORE_RING_SIZE);
    if (have < len)
        return 0;
    for (i = 0; i < len; i++)
        b[i] = ring->rsp[MASK_XENSTORE_IDX(cons + i)];
    ring->rsp_cons = cons + len;
    return len;
}

/* A whole reply: its header and payload (in rbuf, NUL-terminated); false if none. */
static bool guest_reply(struct xsd_sockmsg *h)
{
    uint32_t cons = ring->rsp_cons;

    if (!guest_take(h, sizeof(*h)))
        return false;
    if (h->len && !guest_take(rbuf, h->len)) {
        ring->rsp_cons = cons;
        return false;
    }
    rbuf[h->len] = 0;
    return true;
}

static void service(void)
{
    while (xs_service(s))
        ;
}

static int ring_setup(void **state)
{
    setup(state);
    ring = aligned_alloc(4096, 4096);
    memset(ring, 0, 4096);
    /* indices need not start at zero: near the 2^32 wrap */
    ring->req_cons = ring->req_prod = 0xfffffe00u;
    ring->rsp_cons = ring->rsp_prod = 0xfffffd00u;
    assert_int_equal(xs_domain_nodes(s, 3, "three", 4096), 0);
    rc1 = xs_introduce(s, 3, ring, (void *)0x33);
    assert_non_null(rc1);
    assert_int_equal(ring->server_features, XENSTORE_SERVER_FEATURE_RECONNECTION |
                                            XENSTORE_SERVER_FEATURE_ERROR);
    return 0;
}

static int ring_teardown(void **state)
{
    teardown(state);
    free(ring);
    return 0;
}

static void test_ring_roundtrip(void **state)
{
    struct xsd_sockmsg h = { .type = XS_READ, .req_id = 42, .len = 6 };
    unsigned int i, n0;

    (void)state;
    /* a request in pieces: nothing until it is whole */
    guest_put(&h, 5);
    notifies = 0;
    service();
    assert_true(ring->rsp_prod == ring->rsp_cons);
    guest_put((char *)&h + 5, sizeof(h) - 5);
    guest_put("dom", 3);
    service();
    assert_true(ring->rsp_prod == ring->rsp_cons);
    guest_put("id", 3);
    service();
    assert_true(notifies > 0);
    assert_ptr_equal(last_cookie, (void *)0x33);
    assert_true(guest_reply(&h));
    assert_int_equal(h.type, XS_READ);
    assert_int_equal(h.req_id, 42);
    assert_string_equal(rbuf, "3");
    assert_int_equal(ring->req_cons, ring->req_prod);
    /* many more, so both queues wrap past 2^32 and the end of the ring, several times */
    for (i = 0; i < 300; i++) {
        char path[40];
        int n = snprintf(path, sizeof(path), "data/k%u", i);

        guest_request(XS_WRITE, 100 + i, path, (uint32_t)n + 1);  /* "data/kN" = "" */
        service();
        assert_true(guest_reply(&h));
        assert_int_equal(h.type, XS_WRITE);
        assert_int_equal(h.req_id, 100 + i);
        assert_string_equal(rbuf, "OK");
    }
    n0 = ring->req_prod;
    assert_true(n0 < 0xfffffe00u);                     /* wrapped */
    read_eq(d0, 0, "/local/domain/3/data/k299", "");
}

static void test_ring_oversized_and_reconnect(void **state)
{
    struct xsd_sockmsg h = { .type = XS_READ, .req_id = 1, .len = XENSTORE_PAYLOAD_MAX + 1 };
    struct xs_conn_stats st;

    (void)state;
    guest_put(&h, sizeof(h));
    service();
    assert_int_equal(ring->error, XENSTORE_ERROR_PROTO);
    assert_false(guest_reply(&h));
    /* stopped: a good request now is not read */
    guest_request(XS_READ, 2, "domid", 6);
    service();
    assert_false(guest_reply(&h));
    /* ... until the guest asks to reconnect */
    ring->connection = XENSTORE_RECONNECT;
    service();
    assert_int_equal(ring->connection, XENSTORE_CONNECTED);
    assert_int_equal(ring->error, XENSTORE_ERROR_NONE);
    assert_int_equal(ring->req_prod, 0);
    assert_int_equal(ring->rsp_prod, 0);
    guest_request(XS_READ, 3, "domid", 6);
    service();
    assert_true(guest_reply(&h));
    assert_int_equal(h.req_id, 3);
    assert_string_equal(rbuf, "3");
    xs_conn_stats(rc1, &st);
    assert_int_equal(st.reconnects, 1);
    /* the store kept serving the others throughout */
    read_eq(d1, 0, "domid", "1");
}

static void test_ring_bad_indices(void **state)
{
    struct xsd_sockmsg h;

    (void)state;
    ring->req_prod = ring->req_cons + XENSTORE_RING_SIZE + 1;     /* more than a ring */
    service();
    assert_int_equal(ring->error, XENSTORE_ERROR_RINGIDX);
    ring->connection = XENSTORE_RECONNECT;
    service();
    assert_int_equal(ring->error, 0);
    /* a consumer index ahead of what we produced */
    guest_request(XS_READ, 5, "domid", 6);
    ring->rsp_cons = ring->rsp_prod + 10;
    service();
    assert_int_equal(ring->error, XENSTORE_ERROR_RINGIDX);
    ring->connection = XENSTORE_RECONNECT;
    service();
    guest_request(XS_READ, 6, "domid", 6);
    service();
    assert_true(guest_reply(&h));
    assert_int_equal(h.req_id, 6);
}

/* The guest sends far more than it reads: the store stops reading it, never writes past
 * the room the guest made, and answers everything, in order, once the guest reads. */
static void test_ring_backpressure(void **state)
{
    struct xsd_sockmsg h;
    unsigned int sent = 0, got = 0, rounds = 0;

    (void)state;
    while (got < 500 && rounds++ < 100000) {
        while (sent < 500 && ring->req_prod - ring->req_cons + 22 <= XENSTORE_RING_SIZE) {
            guest_request(XS_READ, sent, "domid", 6);
            sent++;
        }
        service();
        assert_true(ring->rsp_prod - ring->rsp_cons <= XENSTORE_RING_SIZE);
        assert_true(xs_conn_pending(rc1) <= xs_default_quota()->out_bytes);
        if (rounds % 7)
            continue;                                  /* read only now and then */
        while (guest_reply(&h)) {
            assert_int_equal(h.type, XS_READ);
            assert_int_equal(h.req_id, got);
            got++;
        }
    }
    assert_int_equal(got, 500);
}

/* A guest may write garbage anywhere on the page: the store keeps serving the others. */
static void test_ring_garbage(void **state)
{
    unsigned int i, seed = 1;

    (void)state;
    for (i = 0; i < 2000; i++) {
        seed = seed * 1103515245u + 12345u;
        ((uint32_t *)ring)[(seed >> 8) % (sizeof(*ring) / 4)] = seed;
        service();
        if (ring->error) {
            ring->error = 0;
            ring->connection = XENSTORE_RECONNECT;
        }
    }
    ring->connection = XENSTORE_RECONNECT;
    service();
    read_eq(d1, 0, "domid", "1");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
#define R(f) cmocka_unit_test_setup_teardown(f, ring_setup, ring_teardown)
    const struct CMUnitTest tests[] = {
        T(test_paths),
        T(test_payloads),
        T(test_basic_ops),
        T(test_domain_subtree),
        T(test_grants_and_ownership),
        T(test_txn_commit),
        T(test_txn_conflicts),
        T(test_txn_bad_ids),
        T(test_txn_quotas),
        T(test_watch_basics),
        T(test_watch_relative_and_perms),
        T(test_watch_in_transaction),
        T(test_watch_quota_and_reset),
        T(test_special_watches),
        T(test_introduce_release),
        T(test_node_quota),
        T(test_output_bounded),
        T(test_alloc_failures),
        R(test_ring_roundtrip),
        R(test_ring_oversized_and_reconnect),
        R(test_ring_bad_indices),
        R(test_ring_backpressure),
        R(test_ring_garbage),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
