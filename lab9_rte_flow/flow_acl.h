/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * flow_acl.c (compiling rules into rte_acl) and flow_acl_classify.c
 * (classifying packets with them) share the key both sides agree on, and
 * the compiled form.
 */
#ifndef FLOW_ACL_H
#define FLOW_ACL_H

#include <stdint.h>

#include <rte_acl.h>

#include "flow_lab.h"

/*
 * The shape byte: which headers the packet has, found as flow_soft.c walks
 * them. Everything a rule needs of the packet's structure is in this one
 * byte, which rte_acl reads first: the fewer bytes a rule set looks at, the
 * fewer trie steps per packet.
 */
#define KEY_ETH   0x01   /* a whole Ethernet header */
#define KEY_VLAN1 0x02   /* then at least 1, 2 VLAN or QinQ tags: one bit each */
#define KEY_IPV4  0x08   /* after the tags: IPv4 (version 4, IHL >= 5), or IPv6 */
#define KEY_IPV6  0x10
#define KEY_TCP   0x20   /* after the L3 header: 20 bytes of TCP, or 8 of UDP */
#define KEY_UDP   0x40
#define KEY_TUN   0x80   /* after UDP to 4789 (VXLAN) or 2152 (GTP-U): 8 bytes more */

#define KEY_TAGS 2       /* VLAN items a rule may have (QinQ) */
#define KEY_VLAN(n) (KEY_VLAN1 << ((n) - 1))   /* "at least n tags", n = 1, 2 */

/* What rte_acl reads: network order, as in the packet. */
struct flow_acl_key {
	uint8_t shape;          /* the first field: one byte, as rte_acl requires */
	uint8_t pad[3];
	uint8_t proto;          /* IPv4 next_proto_id */
	uint8_t pad2;
	uint8_t eth_type[2];
	uint8_t eth[12];        /* destination, source */
	uint8_t vlan[KEY_TAGS][4];   /* TCI, inner type */
	uint8_t src[16];        /* IPv4: the first 4 bytes */
	uint8_t dst[16];
	uint8_t ports[4];       /* TCP or UDP source, destination */
	uint8_t tun_id[4];      /* bytes 4-7 of the VXLAN (VNI) or GTP-U (TEID) header */
};

struct acl_group {
	struct rte_acl_ctx *ctx;     /* NULL: no rule in this group */
	uint32_t nb_categories;
};

struct flow_acl {
	struct flow_soft_rule *rules;    /* sorted by flow_soft_sort(); the caller's */
	unsigned int nb_rules;
	enum rte_acl_classify_alg alg;
	struct acl_group group[FLOW_SOFT_MAX_GROUP + 1];
	uint8_t *next_category;          /* per rule: where a PASSTHRU rule goes on */
};

#endif /* FLOW_ACL_H */
