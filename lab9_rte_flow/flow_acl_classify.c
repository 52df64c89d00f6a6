/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Classifying with the rules flow_acl.c compiled: each packet reduced to
 * the key (its shape byte, then the header fields the rules can name, at
 * item_maps' places), then one rte_acl_classify() per group for the whole
 * burst, and the rte_flow semantics (PASSTHRU through the categories, JUMP
 * to a later group) resolved from the results.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_acl.h>
#include <rte_common.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "flow_acl.h"
#include "flow_lab.h"

#define ACL_CHUNK 32     /* packets per rte_acl_classify() call */
#define GROUP_DONE UINT32_MAX

/*
 * rte_pktmbuf_read(): the bytes in place when the first segment holds them
 * (one comparison), else copied from the chain, NULL past the packet's end.
 */
static inline const uint8_t *
pkt_read(const struct rte_mbuf *m, uint32_t off, uint32_t len, void *buf)
{
	return rte_pktmbuf_read(m, off, len, buf);
}

/* L4 and the tunnel after it, from off; l4 is the L3 header's protocol. */
static inline void
key_fill_l4(const struct rte_mbuf *m, struct flow_acl_key *k, uint32_t off, uint8_t l4)
{
	uint8_t buf[20];
	const uint8_t *h;
	uint16_t dport;

	if (l4 == IPPROTO_TCP) {
		h = pkt_read(m, off, 20, buf);
		if (h != NULL) {
			k->shape |= KEY_TCP;
			memcpy(k->ports, h, 4);
		}
		return;
	}
	if (l4 != IPPROTO_UDP || (h = pkt_read(m, off, 8, buf)) == NULL)
		return;
	k->shape |= KEY_UDP;
	memcpy(k->ports, h, 4);
	dport = (uint16_t)(h[2] << 8 | h[3]);
	if (dport != LAB_VXLAN_PORT && dport != LAB_GTPU_PORT)
		return;
	h = pkt_read(m, off + 8, 8, buf);
	if (h == NULL)
		return;
	k->shape |= KEY_TUN;
	memcpy(k->tun_id, h + 4, 4);
}

/* The packet's key: the headers flow_soft.c would walk, in item_maps' places. */
static inline void
key_fill(const struct rte_mbuf *m, struct flow_acl_key *k)
{
	uint8_t buf[40];
	const uint8_t *h;
	uint32_t off = RTE_ETHER_HDR_LEN;
	uint16_t type;
	unsigned int t;

	/*
	 * Only the shape byte needs a value: every other field is looked at
	 * only by rules that require, in the shape, the header it comes from.
	 */
	k->shape = 0;
	h = pkt_read(m, 0, RTE_ETHER_HDR_LEN, buf);
	if (h == NULL)
		return;
	k->shape = KEY_ETH;
	memcpy(k->eth, h, 12);
	memcpy(k->eth_type, h + 12, 2);
	type = (uint16_t)(h[12] << 8 | h[13]);
	/* A third tag leaves type a VLAN one: no L3 then, as for the rules' 2 tags. */
	for (t = 0; t < KEY_TAGS && (type == RTE_ETHER_TYPE_VLAN ||
			type == RTE_ETHER_TYPE_QINQ); t++) {
		h = pkt_read(m, off, 4, buf);
		if (h == NULL)
			return;
		memcpy(k->vlan[t], h, 4);
		k->shape |= KEY_VLAN(t + 1);
		type = (uint16_t)(h[2] << 8 | h[3]);
		off += 4;
	}
	if (type == RTE_ETHER_TYPE_IPV4) {
		h = pkt_read(m, off, 20, buf);
		if (h == NULL || (h[0] >> 4) != 4 || (h[0] & 0x0f) < 5)
			return;
		k->shape |= KEY_IPV4;
		k->proto = h[9];
		memcpy(k->src, h + 12, 4);
		memcpy(k->dst, h + 16, 4);
		key_fill_l4(m, k, off + (h[0] & 0x0f) * 4u, h[9]);
	} else if (type == RTE_ETHER_TYPE_IPV6) {
		h = pkt_read(m, off, 40, buf);
		if (h == NULL)
			return;
		k->shape |= KEY_IPV6;
		memcpy(k->src, h + 8, 32);  /* src, then dst */
		key_fill_l4(m, k, off + 40, h[6]);
	}
}

/*
 * Hit counts of a chunk, added to the rules' once per rule (an atomic add
 * per match would cost more than the rest of the match).
 */
#define TALLY_RULES 8

struct acl_tally {
	unsigned int nb;
	uint32_t rule[TALLY_RULES], hits[TALLY_RULES];
};

static inline void
tally_flush(const struct flow_acl *acl, struct acl_tally *t)
{
	unsigned int i;

	for (i = 0; i < t->nb; i++)
		__atomic_fetch_add(&acl->rules[t->rule[i]].hits, t->hits[i], __ATOMIC_RELAXED);
	t->nb = 0;
}

static inline void
tally_add(const struct flow_acl *acl, struct acl_tally *t, uint32_t rule)
{
	unsigned int i;

	for (i = 0; i < t->nb; i++)
		if (t->rule[i] == rule) {
			t->hits[i]++;
			return;
		}
	if (t->nb == TALLY_RULES)
		tally_flush(acl, t);
	t->rule[t->nb] = rule;
	t->hits[t->nb++] = 1;
}

/*
 * A packet's matches in one group, best first: res[c] is the best rule of
 * category c (the rules after the c-th PASSTHRU one). Sets *group to the
 * JUMP's group, or GROUP_DONE.
 */
static inline void
acl_resolve(const struct flow_acl *acl, struct acl_tally *t, const struct rte_mbuf *m,
		struct flow_soft_verdict *v, const uint32_t *res, uint32_t *group, uint8_t *jumps)
{
	uint32_t u, c = 0;
	bool ends, jumped;

	while ((u = res[c]) != 0) {
		const struct acl_action *a = &acl->action[u - 1];

		tally_add(acl, t, u - 1);
		v->rule_id = a->rule_id;
		if (a->flags & ACT_RSS) {
			ends = flow_soft_apply(acl->rules[u - 1].rule, m, v, group, &jumped);
		} else {
			if (a->flags & ACT_QUEUE)
				v->queue = a->queue;
			if (a->flags & ACT_DROP)
				v->drop = true;
			if (a->flags & ACT_MARK) {
				v->marked = true;
				v->mark = a->mark;
			}
			ends = (a->flags & ACT_ENDS) != 0;
			jumped = (a->flags & ACT_JUMP) != 0;
			if (jumped)
				*group = a->group;
		}
		if (!ends) {
			c = a->next_category;
			continue;
		}
		if (!jumped || ++*jumps > FLOW_MAX_JUMPS)
			*group = GROUP_DONE;
		return;
	}
	*group = GROUP_DONE;
}

/* Up to ACL_CHUNK packets: every group's context once, on the packets now in that group. */
static void
acl_classify_chunk(const struct flow_acl *acl, struct rte_mbuf *const *pkts, uint16_t n,
		struct flow_soft_verdict *v)
{
	struct flow_acl_key keys[ACL_CHUNK];
	const uint8_t *data[ACL_CHUNK];
	uint32_t res[ACL_CHUNK * RTE_ACL_MAX_CATEGORIES];
	uint32_t group[ACL_CHUNK];
	uint8_t at[ACL_CHUNK], jumps[ACL_CHUNK];
	struct acl_tally t = { .nb = 0 };
	uint32_t g, ncat;
	uint16_t i, nb;

	for (i = 0; i < n; i++) {
		flow_soft_verdict_init(&v[i]);
		key_fill(pkts[i], &keys[i]);
		flow_acl_pack(&acl->layout, &keys[i]);
		group[i] = 0;
		jumps[i] = 0;
		at[i] = (uint8_t)i;
		data[i] = (const uint8_t *)&keys[i];
	}
	for (g = 0; g <= FLOW_SOFT_MAX_GROUP; g++) {
		if (acl->group[g].ctx == NULL)
			continue;
		/* Every packet starts in group 0: its list is the chunk, as made above. */
		nb = n;
		if (g > 0)
			for (i = 0, nb = 0; i < n; i++)
				if (group[i] == g) {
					at[nb] = (uint8_t)i;
					data[nb++] = (const uint8_t *)&keys[i];
				}
		if (nb == 0)
			continue;
		ncat = acl->group[g].nb_categories;
		/* Only bad arguments fail, and flow_acl_build() made them: never here. */
		if (rte_acl_classify(acl->group[g].ctx, data, res, nb, ncat) != 0)
			memset(res, 0, sizeof(res[0]) * nb * ncat);
		for (i = 0; i < nb; i++)
			acl_resolve(acl, &t, pkts[at[i]], &v[at[i]], &res[i * ncat],
				&group[at[i]], &jumps[at[i]]);
	}
	tally_flush(acl, &t);
}

void
flow_acl_classify_burst(const struct flow_acl *acl, struct rte_mbuf *const *pkts, uint16_t n,
		struct flow_soft_verdict *v)
{
	uint16_t done, k;

	for (done = 0; done < n; done += k) {
		k = RTE_MIN((uint16_t)(n - done), (uint16_t)ACL_CHUNK);
		acl_classify_chunk(acl, pkts + done, k, v + done);
	}
}
