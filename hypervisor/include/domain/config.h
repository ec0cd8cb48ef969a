/*
 * How one boot module describes its domain: the module string is
 *
 *     PATH [dom.OPTION ...] [GUEST COMMAND LINE]
 *
 * PATH names the domain (its last component, up to 31 characters); the words that
 * follow and begin with "dom." configure it; the rest, from the first other word, is
 * the guest's command line, unchanged. Options:
 *
 *     dom.mem=MiB     memory (1..65536; default: the hypervisor's dom_mem=)
 *     dom.control     the privileged control domain: domain 0, console_io, may name
 *                     other domains in event-channel and grant operations
 *     dom.name=NAME   a name instead of the path's last component
 *     dom.initrd      this module is not a domain: it is the initial ramdisk of the
 *                     domain of the module before it (start_info mod_start/mod_len)
 *     dom.trap        a trap guest: its kernel runs the native privileged instructions
 *                     deprivileged, and the hypervisor traps and emulates them
 *
 * Pure logic (hypervisor/domain/config.c), tested by tests/unit/test_domain_config.c.
 */
#ifndef HV_DOMAIN_CONFIG_H
#define HV_DOMAIN_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#define DOMAIN_NAME_MAX 32
#define DOMAIN_MEM_MIB_MAX 65536u

struct domain_config {
    char name[DOMAIN_NAME_MAX];
    uint64_t mem_mib;          /* 0: not given (the caller's default applies) */
    bool control;
    bool trap;
    bool initrd;
    const char *args;          /* points into the module string */
};

/* Parse s into c. 0, or -EINVAL with *why naming the word and what is accepted
 * (why points to static text or to c->name's storage). */
int domain_config_parse(const char *s, struct domain_config *c, const char **why);

#endif
