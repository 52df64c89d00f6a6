/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * flow_acl.c (compiling rules into rte_acl) and flow_acl_classify.c
 * (classifying packets with them) share the key both sides agree on, and
 * the compiled form.
 */
#ifndef FLOW_ACL_H
#define FLOW_ACL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

/*
 * What rte_acl reads: the header fields key_fill() takes from a packet,
 * network order as there, in 4-byte words (one rte_acl field each), then
 * the bytes of the words a rule set barely uses, packed (struct
 * flow_acl_layout). Every byte read costs every packet a trie transition,
 * whether a rule compares it or not.
 */
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
	uint8_t packed[36];     /* 2 bytes of each word at most, then a zero word */
};

#define ACL_KEY_WORDS (offsetof(struct flow_acl_key, packed) / 4 - 1)   /* after the shape's */
#define ACL_PACKED_GROUPS (2 * ACL_KEY_WORDS / 4)
#define ACL_MAX_FIELDS (1 + ACL_KEY_WORDS + ACL_PACKED_GROUPS)
#define ACL_PACK_WORD 2   /* a word of which rules compare this many bytes or fewer is packed */
_Static_assert(sizeof(((struct flow_acl_key *)0)->packed) >= ACL_PACK_WORD * ACL_KEY_WORDS + 4,
	"packed[] holds every packed byte and flow_acl_pack()'s zero word");

struct flow_acl_layout {
	uint8_t nb_fields;                    /* after the shape: words, then packed groups */
	uint8_t field_off[ACL_MAX_FIELDS];    /* where each is in the key */
	uint8_t nb_packed;
	uint8_t pack_from[ACL_PACK_WORD * ACL_KEY_WORDS];   /* packed[i] is key byte pack_from[i] */
};

/*
 * What a rule's match does to a verdict, found once from its actions by
 * flow_soft_apply() (the reference), so that a match costs no walk of
 * them. An RSS rule's queue depends on the packet: it is applied as is.
 */
#define ACT_QUEUE 0x01   /* sets the queue */
#define ACT_DROP  0x02
#define ACT_MARK  0x04
#define ACT_ENDS  0x08   /* the group's search stops here (else PASSTHRU: next category) */
#define ACT_JUMP  0x10
#define ACT_RSS   0x20   /* flow_soft_apply() per packet */

struct acl_action {
	uint8_t flags;
	uint8_t next_category;   /* a PASSTHRU rule's: where the search goes on */
	int16_t queue;
	uint32_t mark;
	uint32_t group;          /* a JUMP's */
	int rule_id;
};

struct acl_group {
	struct rte_acl_ctx *ctx;     /* NULL: no rule in this group */
	uint32_t nb_categories;
};

struct flow_acl {
	struct flow_soft_rule *rules;    /* sorted by flow_soft_sort(); the caller's */
	unsigned int nb_rules;
	enum rte_acl_classify_alg alg;
	struct flow_acl_layout layout;   /* one for all groups: the key is filled once */
	struct acl_group group[FLOW_SOFT_MAX_GROUP + 1];
	struct acl_action *action;       /* per rule */
};

/*
 * Packs the bytes of k (a packet's key, or a rule's value or mask) that the
 * layout reads outside their words, then zeros to the end of the last
 * group (no rule compares them). Byte by byte: key_fill() has just stored
 * the words, and a load wider than one store, or spanning two, waits for
 * them to reach the cache (a store-forwarding stall, some 15 cycles each),
 * whereas a byte's load is always served from its store.
 */
static inline void
flow_acl_pack(const struct flow_acl_layout *lo, struct flow_acl_key *k)
{
	const uint8_t *kb = (const uint8_t *)k;
	unsigned int i;

	for (i = 0; i < lo->nb_packed; i++)
		k->packed[i] = kb[lo->pack_from[i]];
	memset(&k->packed[i], 0, 4);
}

/*
 * flow_acl_alg.c: the fastest classify method here, measured with ctx
 * searching data (FLOW_ACL_CALIB_KEYS packed keys); ctx is left on any.
 */
#define FLOW_ACL_CALIB_KEYS 64
enum rte_acl_classify_alg flow_acl_best_alg(struct rte_acl_ctx *ctx, const uint8_t **data);

#endif /* FLOW_ACL_H */
