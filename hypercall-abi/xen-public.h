/*
 * The one way into the Xen public headers (Debian libxen-dev, /usr/include/xen).
 * Both sides include this: the headers need <stdint.h> first and a fixed interface
 * version, and they are never copied into the tree.
 */
#ifndef PARAPET_XEN_PUBLIC_H
#define PARAPET_XEN_PUBLIC_H

#include <stdint.h>
#include <stddef.h>

#define __XEN_INTERFACE_VERSION__ 0x00040e00

#include <xen/xen.h>
#include <xen/callback.h>
#include <xen/event_channel.h>
#include <xen/features.h>
#include <xen/grant_table.h>
#include <xen/memory.h>
#include <xen/physdev.h>
#include <xen/sched.h>
#include <xen/vcpu.h>
#include <xen/version.h>
#include <xen/elfnote.h>
#include <xen/io/console.h>

_Static_assert(sizeof(struct start_info) == 1168, "start_info is the x86-64 layout");
_Static_assert(sizeof(struct shared_info) == 3136, "shared_info is the x86-64 layout");
_Static_assert(sizeof(struct vcpu_info) == 64, "vcpu_info is 64 bytes");

#endif
