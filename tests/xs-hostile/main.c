/*
 * xs-hostile: a domain attacking the control domain's xenstored over its own ring, and
 * (role=polite) a domain using it normally beside the attack.
 *
 * Checks (hostile, the default): its own subtree reads and writes; then every refusal:
 * paths outside its subtree (another domain's, domain 0's, /tool, the root, its home's
 * read-only entries) EACCES; permissions on nodes it does not own EACCES, giving a node
 * away EPERM, malformed or too long lists EINVAL/E2BIG; bad transaction ids EINVAL
 * (unknown, ended, zero, nested EBUSY), too many transactions ENOSPC, a conflict EAGAIN;
 * bad payloads EINVAL (unknown type, no NUL, bad paths, too deep or long) and values
 * over the quota ENOSPC; privileged requests EACCES; 1000 watches (the quota's worth
 * set, each firing once, the rest E2BIG; RESET_WATCHES silences them); a flood of 1000
 * pipelined requests, answered in order; writes until the node quota (ENOSPC), then
 * the room back after rm; an oversized message (the store stops the ring with error
 * PROTO, and serves again after a reconnection); an index claiming more than a ring
 * (error RINGIDX, reconnection). Last, its own subtree still reads and writes.
 * Polite (role=polite): the standard entries, a write, a watch (fired on registration
 * and on a change), a committed and an abandoned transaction, GET_DOMAIN_PATH,
 * GET_PERMS, another domain's subtree refused, then 500 writes and reads, all while the
 * hostile domain runs its attacks.
 * How: tests/xs-common/client.h on the ring, events masked, every wait bounded.
 * Without a store (store_evtchn 0, or nobody answering): SKIP. The figures (quotas met,
 * round trips) are printed; only the store's answers are judged.
 * Cannot detect: whether the store's memory stays bounded (the unit tests count it), or
 * what the control domain logs (tests/e2e/xenstore.sh reads that).
 */
#include "../xs-common/client.h"

const char test_title[] = "xs-hostile: the control domain's xenstored refuses a hostile client";

static unsigned int me, other;
static char buf[XENSTORE_PAYLOAD_MAX + 64];

/* ---- expectations ---- */

static void expect_reply(const char *what, uint32_t type, uint32_t got, const char *want)
{
    if (got == XS_INVALID)
        return;                                 /* already recorded */
    if (got != type || (want && strcmp(xs_reply, want)))
        test_failure("%s: reply type %u \"%s\", expected type %u%s%s", what, got, xs_reply,
                     type, want ? " " : "", want ? want : "");
}

static void expect_err(const char *what, uint32_t got, const char *err)
{
    expect_reply(what, XS_ERROR, got, err);
}

static uint32_t rd(uint32_t tx, const char *path)
{
    return xs_call(XS_READ, tx, path, xs_str(path));
}

static uint32_t wr(uint32_t tx, const char *path, const char *value)
{
    uint32_t n = xs_path_value(buf, sizeof(buf), path, value);

    return xs_call(XS_WRITE, tx, buf, n);
}

static uint32_t one(uint32_t type, uint32_t tx, const char *arg)
{
    return xs_call(type, tx, arg, xs_str(arg));
}

/* "path\0p1\0p2..." from a list of up to 40 entries separated by spaces. */
static uint32_t set_perms(const char *path, const char *list)
{
    size_t at = strlen(path) + 1;

    memcpy(buf, path, at);
    for (const char *p = list; *p; p++, at++)
        buf[at] = *p == ' ' ? 0 : *p;
    buf[at++] = 0;
    return xs_call(XS_SET_PERMS, 0, buf, (uint32_t)at);
}

static uint32_t start_txn(void)
{
    uint32_t t = one(XS_TRANSACTION_START, 0, "");

    if (t != XS_TRANSACTION_START) {
        expect_reply("TRANSACTION_START", XS_TRANSACTION_START, t, NULL);
        return 0;
    }
    return (uint32_t)strtoul_simple(xs_reply);
}

/* ---- hostile ---- */

static void t_baseline(void)
{
    expect_reply("write data/hostile", XS_WRITE, wr(0, "data/hostile", "here"), "OK");
    expect_reply("read data/hostile", XS_READ, rd(0, "data/hostile"), "here");
}

static void t_outside(void)
{
    static const char *const reads[] = {
        "/local/domain/%u/name", "/local/domain/%u/data", "/local/domain/%u/nothing",
        "/local/domain/0/name", "/tool", "/", "/local", "/local/domain",
    };
    char p[64];

    for (unsigned int i = 0; i < ARRAY_SIZE(reads); i++) {
        snprintf(p, sizeof(p), reads[i], other);
        expect_err(p, rd(0, p), "EACCES");
        expect_err(p, one(XS_DIRECTORY, 0, p), "EACCES");
    }
    snprintf(p, sizeof(p), "/local/domain/%u/data/evil", other);
    expect_err("write into another domain's data", wr(0, p, "x"), "EACCES");
    expect_err("write /tool/evil", wr(0, "/tool/evil", "x"), "EACCES");
    expect_err("write /local/domain/0/evil", wr(0, "/local/domain/0/evil", "x"), "EACCES");
    expect_err("mkdir /evil", one(XS_MKDIR, 0, "/evil"), "EACCES");
    snprintf(p, sizeof(p), "/local/domain/%u", other);
    expect_err("rm another domain's home", one(XS_RM, 0, p), "EACCES");
    expect_err("rm /local", one(XS_RM, 0, "/local"), "EACCES");
    expect_err("rm /", one(XS_RM, 0, "/"), "EINVAL");
    /* its own home: read-only entries, and the home itself is domain 0's */
    expect_err("write name", wr(0, "name", "evil"), "EACCES");
    expect_err("write domid", wr(0, "domid", "0"), "EACCES");
    expect_err("write memory/target", wr(0, "memory/target", "99999999"), "EACCES");
    expect_err("rm name", one(XS_RM, 0, "name"), "EACCES");
    expect_err("write a new entry in its home", wr(0, "evil", "x"), "EACCES");
    /* what only the control domain may ask */
    snprintf(p, sizeof(p), "%u", other);
    expect_err("RELEASE another domain", one(XS_RELEASE, 0, p), "EACCES");
    expect_err("INTRODUCE", xs_call(XS_INTRODUCE, 0, "9\0" "1234\0" "5", 12), "EACCES");
    expect_err("RESUME", one(XS_RESUME, 0, p), "EACCES");
    expect_err("SET_TARGET", xs_call(XS_SET_TARGET, 0, "1\0" "2", 4), "EACCES");
    expect_err("CONTROL", xs_call(XS_CONTROL, 0, "print\0x", 8), "EACCES");
    /* and the entries it may read are still what they were */
    snprintf(p, sizeof(p), "%u", me);
    expect_reply("read domid", XS_READ, rd(0, "domid"), p);
}

static void t_perms(void)
{
    char p[64], list[64];

    expect_reply("write data/mine", XS_WRITE, wr(0, "data/mine", "v"), "OK");
    snprintf(list, sizeof(list), "n%u", me);
    expect_err("set_perms on its read-only name", set_perms("name", list), "EACCES");
    snprintf(p, sizeof(p), "/local/domain/%u/data", other);
    expect_err("set_perms on another domain's node", set_perms(p, list), "EACCES");
    expect_err("set_perms on /tool", set_perms("/tool", list), "EACCES");
    expect_err("give data/mine to domain 0", set_perms("data/mine", "n0"), "EPERM");
    snprintf(list, sizeof(list), "n%u b%u", me, other);
    expect_reply("grant data/mine to the other domain", XS_SET_PERMS,
                 set_perms("data/mine", list), "OK");
    expect_err("a malformed list", set_perms("data/mine", "q1"), "EINVAL");
    expect_err("a domain id too large", set_perms("data/mine", "r70000"), "EINVAL");
    {
        char longlist[256];

        snprintf(longlist, sizeof(longlist), "n%u", me);     /* still its own */
        for (unsigned int i = 1; i < 40; i++)
            snprintf(longlist + strlen(longlist), sizeof(longlist) - strlen(longlist),
                     " r%u", i + 10);
        expect_err("a list of 40 entries", set_perms("data/mine", longlist), "E2BIG");
    }
    expect_reply("get_perms data/mine", XS_GET_PERMS, one(XS_GET_PERMS, 0, "data/mine"),
                 NULL);
}

static void t_bad_txn(void)
{
    uint32_t t, ids[32], n = 0, r;

    expect_err("read with an unknown tx id", rd(0xdeadbeef, "domid"), "EINVAL");
    expect_err("write with an unknown tx id", wr(12345, "data/t", "x"), "EINVAL");
    expect_err("end tx 0", one(XS_TRANSACTION_END, 0, "T"), "EINVAL");
    expect_err("end an unknown tx", one(XS_TRANSACTION_END, 777, "T"), "EINVAL");
    t = start_txn();
    if (!t)
        return;
    expect_err("start inside a transaction", one(XS_TRANSACTION_START, t, ""), "EBUSY");
    expect_err("end with neither T nor F", one(XS_TRANSACTION_END, t, "maybe"), "EINVAL");
    expect_reply("end T", XS_TRANSACTION_END, one(XS_TRANSACTION_END, t, "T"), "OK");
    expect_err("end it again", one(XS_TRANSACTION_END, t, "T"), "EINVAL");
    expect_err("read in it after its end", rd(t, "domid"), "EINVAL");
    /* too many at once */
    for (unsigned int i = 0; i < 32; i++) {
        r = one(XS_TRANSACTION_START, 0, "");
        if (r == XS_TRANSACTION_START)
            ids[n++] = (uint32_t)strtoul_simple(xs_reply);
        else
            expect_err("start beyond the quota", r, "ENOSPC");
    }
    printk("  transactions: %u open at once, the rest ENOSPC\n", n);
    if (n == 0 || n == 32)
        test_failure("%u of 32 transactions started: no quota", n);
    for (unsigned int i = 0; i < n; i++)
        expect_reply("end F", XS_TRANSACTION_END, one(XS_TRANSACTION_END, ids[i], "F"), "OK");
    /* a conflict */
    expect_reply("write data/c", XS_WRITE, wr(0, "data/c", "1"), "OK");
    t = start_txn();
    expect_reply("read data/c in it", XS_READ, rd(t, "data/c"), "1");
    expect_reply("write data/c outside", XS_WRITE, wr(0, "data/c", "2"), "OK");
    expect_reply("write data/d in it", XS_WRITE, wr(t, "data/d", "lost"), "OK");
    expect_err("commit after a conflict", one(XS_TRANSACTION_END, t, "T"), "EAGAIN");
    expect_err("what the conflict lost", rd(0, "data/d"), "ENOENT");
}

static void t_bad_payloads(void)
{
    char p[3200];

    expect_err("an unknown type", xs_call(200, 0, "x", 2), "EINVAL");
    expect_err("a WATCH_EVENT sent to the store", xs_call(XS_WATCH_EVENT, 0, "a\0b", 4),
               "EINVAL");
    expect_err("an ERROR sent to the store", one(XS_ERROR, 0, "EINVAL"), "EINVAL");
    expect_err("a path without its NUL", xs_call(XS_READ, 0, "domid", 5), "EINVAL");
    expect_err("two paths", xs_call(XS_READ, 0, "domid\0name", 11), "EINVAL");
    expect_err("an empty payload", xs_call(XS_READ, 0, "", 0), "EINVAL");
    expect_err("a write without a NUL", xs_call(XS_WRITE, 0, "data/x", 6), "EINVAL");
    expect_err("a//b", rd(0, "data//b"), "EINVAL");
    expect_err("a trailing /", rd(0, "data/"), "EINVAL");
    expect_err("a bad character", rd(0, "data/a b"), "EINVAL");
    expect_err("a watch without a token", one(XS_WATCH, 0, "data"), "EINVAL");
    memset(p, 'a', sizeof(p));
    p[0] = '/';
    p[3100] = 0;
    expect_err("a path of 3100 bytes", rd(0, p), "EINVAL");
    memcpy(p, "data", 4);
    for (unsigned int i = 0; i < 40; i++)
        memcpy(p + 4 + 2 * i, "/d", 2);
    p[4 + 80] = 0;
    expect_err("a path 44 deep", one(XS_MKDIR, 0, p), "EINVAL");
    memset(p, 'v', 3000);
    p[3000] = 0;
    expect_err("a value of 3000 bytes", wr(0, "data/big", p), "ENOSPC");
}

static void t_watch_flood(void)
{
    unsigned int ok = 0, refused = 0;
    unsigned long before = xs_events;
    char tok[24];
    uint32_t r;

    for (unsigned int i = 0; i < 1000; i++) {
        int n = snprintf(buf, sizeof(buf), "data%ct%u", 0, i);

        r = xs_call(XS_WATCH, 0, buf, (uint32_t)n + 1);
        if (r == XS_WATCH)
            ok++;
        else if (r == XS_ERROR && !strcmp(xs_reply, "E2BIG"))
            refused++;
        else
            expect_reply("WATCH", XS_WATCH, r, "OK");
    }
    /* the last set watch's first event may still be on its way: one more round trip */
    rd(0, "domid");
    printk("  watches: %u set, %u refused E2BIG, %lu events\n", ok, refused,
           xs_events - before);
    if (!ok || ok + refused != 1000 || !refused)
        test_failure("1000 watches: %u set, %u refused", ok, refused);
    if (xs_events - before != ok)
        test_failure("%u watches set, %lu events: each must fire once", ok, xs_events - before);
    snprintf(tok, sizeof(tok), "t%u", ok - 1);
    if (!xs_last_event_is("data", tok))
        test_failure("the last event is not (data, %s)", tok);
    expect_reply("RESET_WATCHES", XS_RESET_WATCHES, one(XS_RESET_WATCHES, 0, ""), "OK");
    before = xs_events;
    expect_reply("write after the reset", XS_WRITE, wr(0, "data/quiet", "x"), "OK");
    rd(0, "domid");
    if (xs_events != before)
        test_failure("%lu events after RESET_WATCHES", xs_events - before);
}

/* 1000 READs sent as fast as the ring takes them, replies read as they come. */
static void t_request_flood(void)
{
    const unsigned int total = 1000;
    uint64_t deadline = pvclock_now() + 60 * NS_PER_SEC, t0 = pvclock_now();
    uint32_t first = xs_next_id, sent = 0, got = 0;
    struct xsd_sockmsg h;
    char expect[8];

    snprintf(expect, sizeof(expect), "%u", me);
    while (got < total) {
        bool progress = false;

        while (sent < total && xs_space() >= sizeof(h) + 6) {
            h = (struct xsd_sockmsg){ .type = XS_READ, .req_id = first + sent, .len = 6 };
            xs_put(&h, sizeof(h), deadline);
            xs_put("domid", 6, deadline);
            sent++;
            progress = true;
        }
        while (got < sent && xs_avail() >= sizeof(h)) {
            if (!xs_recv(&h)) {
                test_failure("flood: reply %u did not come whole (ring error %u)", got,
                             xs->error);
                return;
            }
            if (h.type != XS_READ || h.req_id != first + got || strcmp(xs_reply, expect)) {
                test_failure("flood: reply %u is type %u id %u \"%s\"", got, h.type, h.req_id,
                             xs_reply);
                return;
            }
            got++;
            progress = true;
        }
        if (!progress && !xs_wait(deadline)) {
            test_failure("flood: %u sent, %u answered when time ran out", sent, got);
            return;
        }
    }
    xs_next_id = first + total;
    printk("  flood: %u pipelined requests answered in order in %llu ms\n", total,
           (pvclock_now() - t0) / NS_PER_MS);
}

static void t_node_flood(void)
{
    unsigned int made = 0, refused = 0;
    char p[32];
    uint32_t r;

    for (unsigned int i = 0; i < 700 && !refused; i++) {
        snprintf(p, sizeof(p), "data/f/%u", i);
        r = wr(0, p, "0123456789");
        if (r == XS_WRITE)
            made++;
        else if (r == XS_ERROR && !strcmp(xs_reply, "ENOSPC"))
            refused++;
        else
            expect_reply(p, XS_WRITE, r, "OK");
    }
    printk("  nodes: %u written, then ENOSPC\n", made);
    if (!refused)
        test_failure("700 nodes written without reaching a quota");
    expect_err("one more node", wr(0, "data/one-more", ""), "ENOSPC");
    expect_reply("rm data/f", XS_RM, one(XS_RM, 0, "data/f"), "OK");
    expect_reply("a node after the rm", XS_WRITE, wr(0, "data/after", "x"), "OK");
}

/* Wait for the store to flag the ring with error, then reconnect. */
static void expect_ring_error(const char *what, uint32_t error)
{
    uint64_t deadline = pvclock_now() + XS_WAIT_NS;

    while (xs->error != error && xs_wait(deadline))
        ;
    if (xs->error != error) {
        test_failure("%s: ring error %u, expected %u", what, xs->error, error);
        return;
    }
    printk("  %s: the store stopped the ring with error %u\n", what, error);
    if (!xs_reconnect()) {
        test_failure("%s: no reconnection within %llu s", what, XS_WAIT_NS / NS_PER_SEC);
        return;
    }
    if (xs->error)
        test_failure("%s: error %u after the reconnection", what, xs->error);
    expect_reply("read after the reconnection", XS_READ, rd(0, "data/hostile"), "here");
}

static void t_oversized(void)
{
    struct xsd_sockmsg h = { .type = XS_WRITE, .req_id = xs_next_id++,
                             .len = XENSTORE_PAYLOAD_MAX + 1 };

    if (!(xs->server_features & XENSTORE_SERVER_FEATURE_RECONNECTION) ||
        !(xs->server_features & XENSTORE_SERVER_FEATURE_ERROR)) {
        test_failure("server features %x: no reconnection or error field", xs->server_features);
        return;
    }
    xs_put(&h, sizeof(h), pvclock_now() + XS_WAIT_NS);
    expect_ring_error("a message of 4097 bytes", XENSTORE_ERROR_PROTO);
}

static void t_bad_index(void)
{
    xs->req_prod = xs->req_cons + XS_RSIZE + 100;
    xs_kick();
    expect_ring_error("a request index 1124 ahead", XENSTORE_ERROR_RINGIDX);
}

static void t_final(void)
{
    expect_reply("write data/final", XS_WRITE, wr(0, "data/final", "still served"), "OK");
    expect_reply("read data/final", XS_READ, rd(0, "data/final"), "still served");
    expect_reply("rm data/final", XS_RM, one(XS_RM, 0, "data/final"), "OK");
}

/* ---- polite ---- */

static void t_polite(void)
{
    char p[64], v[16];
    unsigned long ev;
    uint64_t t0;
    uint32_t t;

    snprintf(v, sizeof(v), "%u", me);
    expect_reply("read domid", XS_READ, rd(0, "domid"), v);
    expect_reply("read cpu/0/availability", XS_READ, rd(0, "cpu/0/availability"), "online");
    expect_reply("read memory/target", XS_READ, rd(0, "memory/target"), NULL);
    if (!xs_reply[0])
        test_failure("memory/target is empty");
    expect_reply("read name", XS_READ, rd(0, "name"), NULL);
    printk("  name \"%s\"\n", xs_reply);
    snprintf(p, sizeof(p), "/local/domain/%u", me);
    expect_reply("GET_DOMAIN_PATH", XS_GET_DOMAIN_PATH, one(XS_GET_DOMAIN_PATH, 0, v), p);
    expect_reply("write data/hello", XS_WRITE, wr(0, "data/hello", "world"), "OK");
    expect_reply("read data/hello", XS_READ, rd(0, "data/hello"), "world");
    expect_reply("get_perms data/hello", XS_GET_PERMS, one(XS_GET_PERMS, 0, "data/hello"),
                 NULL);
    snprintf(v, sizeof(v), "n%u", me);
    if (strcmp(xs_reply, v))
        test_failure("data/hello has permissions %s, expected %s", xs_reply, v);
    /* a watch: once when set, then on a change */
    ev = xs_events;
    expect_reply("watch data", XS_WATCH, xs_call(XS_WATCH, 0, "data\0polite", 12), "OK");
    rd(0, "domid");
    if (xs_events != ev + 1 || !xs_last_event_is("data", "polite"))
        test_failure("the watch did not fire once when set (%lu events)", xs_events - ev);
    expect_reply("write data/hello2", XS_WRITE, wr(0, "data/hello2", "x"), "OK");
    rd(0, "domid");
    if (!xs_last_event_is("data/hello2", "polite"))
        test_failure("no event for data/hello2");
    expect_reply("unwatch", XS_UNWATCH, xs_call(XS_UNWATCH, 0, "data\0polite", 12), "OK");
    /* transactions */
    t = start_txn();
    expect_reply("write in a transaction", XS_WRITE, wr(t, "data/tx", "in"), "OK");
    expect_reply("read in the transaction", XS_READ, rd(t, "data/tx"), "in");
    expect_reply("commit", XS_TRANSACTION_END, one(XS_TRANSACTION_END, t, "T"), "OK");
    expect_reply("read after the commit", XS_READ, rd(0, "data/tx"), "in");
    t = start_txn();
    expect_reply("write in a transaction", XS_WRITE, wr(t, "data/tx", "no"), "OK");
    expect_reply("abandon", XS_TRANSACTION_END, one(XS_TRANSACTION_END, t, "F"), "OK");
    expect_reply("read after abandoning", XS_READ, rd(0, "data/tx"), "in");
    /* the other domain's subtree */
    snprintf(p, sizeof(p), "/local/domain/%u/data/hostile", other);
    expect_err("read the other domain's data", rd(0, p), "EACCES");
    /* round trips, while the other domain runs its attacks */
    t0 = pvclock_now();
    for (unsigned int i = 0; i < 500; i++) {
        snprintf(v, sizeof(v), "%u", i);
        if (wr(0, "data/count", v) != XS_WRITE || rd(0, "data/count") != XS_READ ||
            strcmp(xs_reply, v)) {
            test_failure("round trip %u: \"%s\"", i, xs_reply);
            break;
        }
    }
    printk("  1000 requests in %llu ms\n", (pvclock_now() - t0) / NS_PER_MS);
}

static const struct {
    const char *name;
    void (*fn)(void);
} hostile[] = {
    { "its own subtree", t_baseline },
    { "paths outside its subtree", t_outside },
    { "permissions of nodes it does not own", t_perms },
    { "bad transaction ids", t_bad_txn },
    { "bad payloads", t_bad_payloads },
    { "1000 watches", t_watch_flood },
    { "a flood of requests", t_request_flood },
    { "a flood of nodes", t_node_flood },
    { "an oversized message", t_oversized },
    { "a bad ring index", t_bad_index },
    { "its own subtree, afterwards", t_final },
};

void test_main(void)
{
    char role[16] = "hostile", v[16];
    uint32_t r;

    cmdline_get("role", role, sizeof(role));
    if (!xs_find_ring()) {
        test_skip("no xenstore (store_evtchn %u): Parapet runs without its xenstore option",
                  start_info->store_evtchn);
        return;
    }
    if (!xs_wait_server(20 * NS_PER_SEC)) {
        test_skip("no xenstored answers on port %u", xs_port);
        return;
    }
    r = rd(0, "domid");
    if (r != XS_READ) {
        expect_reply("read domid", XS_READ, r, NULL);
        return;
    }
    me = (unsigned int)strtoul_simple(xs_reply);
    other = me == 1 ? 2 : 1;
    snprintf(v, sizeof(v), "%u", me);
    printk("  domain %u (%s), server features %x\n", me, role, xs->server_features);
    if (!strcmp(role, "polite")) {
        printk("Test: polite\n");
        t_polite();
        return;
    }
    for (unsigned int i = 0; i < ARRAY_SIZE(hostile); i++) {
        printk("Test: %s\n", hostile[i].name);
        hostile[i].fn();
    }
}
