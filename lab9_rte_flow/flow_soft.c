/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The software fallback: the same rte_flow rules evaluated on the CPU,
 * item by item against the packet's headers with the rule's masks, so a
 * port without flow support still shows what the rules would do, and what
 * that costs in cycles per packet.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_flow.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "flow_lab.h"

/* Limits the software table shares with TAP so a rule means the same on both. */
#define FLOW_SOFT_MAX_PRIORITY 4094

/* The 40-byte Toeplitz key most NICs use by default (Microsoft's RSS spec). */
static const uint8_t flow_rss_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2,
	0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
	0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4,
	0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
	0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

/*
 * Toeplitz by table: the hash of a 12-byte input (addresses, ports) is the
 * XOR of one entry per input byte, what rte_softrss() computes bit by bit
 * (some 300 cycles, more than the rules themselves once they are compiled).
 */
#define RSS_INPUT_BYTES 12
static uint32_t flow_rss_table[RSS_INPUT_BYTES][256];

/* The 32 key bits starting at bit pos. */
static uint32_t
flow_rss_key_bits(unsigned int pos)
{
	uint64_t w = 0;
	unsigned int i;

	for (i = 0; i < 8; i++)
		w = w << 8 | flow_rss_key[pos / 8 + i];
	return (uint32_t)(w >> (32 - pos % 8));
}

RTE_INIT(flow_rss_table_init)
{
	unsigned int p, b, j;

	for (p = 0; p < RSS_INPUT_BYTES; p++)
		for (b = 0; b < 256; b++)
			for (j = 0; j < 8; j++)
				if (b & (0x80 >> j))
					flow_rss_table[p][b] ^= flow_rss_key_bits(8 * p + j);
}

/* rte_softrss(tuple, n, flow_rss_key) for n 32-bit words in host order. */
static uint32_t
flow_rss_words(const uint32_t *tuple, unsigned int n)
{
	uint32_t h = 0;
	unsigned int w, k;

	for (w = 0; w < n; w++)
		for (k = 0; k < 4; k++)
			h ^= flow_rss_table[4 * w + k][(tuple[w] >> (24 - 8 * k)) & 0xff];
	return h;
}

/* Where matching stands after the items so far. */
struct flow_walk {
	uint32_t off;          /* start of the next header */
	uint16_t ether_type;   /* what the next L3 header is, 0 before ETH */
	int l4_proto;          /* -1 before an IP header */
	int udp_dport;         /* -1 unless the last header was UDP */
	bool eth_done;
};

/* True when every bit the mask selects is equal in the header and spec. */
static bool
flow_masked_equal(const uint8_t *hdr, const void *spec, const void *mask, size_t len)
{
	const uint8_t *s = spec, *k = mask;
	size_t i;

	if (spec == NULL)
		return true;
	for (i = 0; i < len; i++)
		if ((hdr[i] ^ s[i]) & k[i])
			return false;
	return true;
}

static const uint8_t *
flow_read(const struct rte_mbuf *m, uint32_t off, uint32_t len, void *buf)
{
	if (off + len > rte_pktmbuf_pkt_len(m))
		return NULL;
	return rte_pktmbuf_read(m, off, len, buf);
}

static bool
flow_walk_eth(const struct rte_mbuf *m, struct flow_walk *w, const struct rte_flow_item *it)
{
	uint8_t buf[sizeof(struct rte_ether_hdr)];
	const uint8_t *h = flow_read(m, 0, sizeof(buf), buf);

	if (h == NULL)
		return false;
	if (it != NULL && !flow_masked_equal(h, it->spec, it->mask, sizeof(buf)))
		return false;
	w->ether_type = (uint16_t)(h[12] << 8 | h[13]);
	w->off = sizeof(buf);
	w->eth_done = true;
	return true;
}

static bool
flow_walk_vlan(const struct rte_mbuf *m, struct flow_walk *w, const struct rte_flow_item *it)
{
	uint8_t buf[sizeof(struct rte_vlan_hdr)];
	const uint8_t *h;

	if (w->ether_type != RTE_ETHER_TYPE_VLAN && w->ether_type != RTE_ETHER_TYPE_QINQ)
		return false;
	h = flow_read(m, w->off, sizeof(buf), buf);
	if (h == NULL)
		return false;
	if (it != NULL && !flow_masked_equal(h, it->spec, it->mask, sizeof(buf)))
		return false;
	w->ether_type = (uint16_t)(h[2] << 8 | h[3]);
	w->off += sizeof(buf);
	return true;
}

static bool
flow_walk_item(const struct rte_mbuf *m, struct flow_walk *w, const struct rte_flow_item *it)
{
	uint8_t buf[sizeof(struct rte_ipv6_hdr)];
	const uint8_t *h;
	uint32_t len;

	/* A pattern may start above L2: skip the Ethernet header and any VLAN tag. */
	if (!w->eth_done && it->type != RTE_FLOW_ITEM_TYPE_ETH) {
		if (!flow_walk_eth(m, w, NULL))
			return false;
		if (it->type != RTE_FLOW_ITEM_TYPE_VLAN && w->ether_type == RTE_ETHER_TYPE_VLAN &&
		    !flow_walk_vlan(m, w, NULL))
			return false;
	}
	switch (it->type) {
	case RTE_FLOW_ITEM_TYPE_ETH:
		return w->off == 0 && flow_walk_eth(m, w, it);
	case RTE_FLOW_ITEM_TYPE_VLAN:
		return flow_walk_vlan(m, w, it);
	case RTE_FLOW_ITEM_TYPE_IPV4:
		if (w->ether_type != RTE_ETHER_TYPE_IPV4)
			return false;
		h = flow_read(m, w->off, sizeof(struct rte_ipv4_hdr), buf);
		if (h == NULL || (h[0] >> 4) != 4 || (h[0] & 0x0f) < 5)
			return false;
		if (!flow_masked_equal(h, it->spec, it->mask, sizeof(struct rte_ipv4_hdr)))
			return false;
		w->l4_proto = h[9];
		w->off += (h[0] & 0x0f) * 4u;
		return true;
	case RTE_FLOW_ITEM_TYPE_IPV6:
		if (w->ether_type != RTE_ETHER_TYPE_IPV6)
			return false;
		h = flow_read(m, w->off, sizeof(struct rte_ipv6_hdr), buf);
		if (h == NULL || !flow_masked_equal(h, it->spec, it->mask,
				sizeof(struct rte_ipv6_hdr)))
			return false;
		w->l4_proto = h[6];
		w->off += sizeof(struct rte_ipv6_hdr);
		return true;
	case RTE_FLOW_ITEM_TYPE_TCP:
		if (w->l4_proto != IPPROTO_TCP)
			return false;
		h = flow_read(m, w->off, 20, buf);
		if (h == NULL || !flow_masked_equal(h, it->spec, it->mask, 20))
			return false;
		w->off += (h[12] >> 4) * 4u;
		w->l4_proto = -1;
		return true;
	case RTE_FLOW_ITEM_TYPE_UDP:
		if (w->l4_proto != IPPROTO_UDP)
			return false;
		h = flow_read(m, w->off, 8, buf);
		if (h == NULL || !flow_masked_equal(h, it->spec, it->mask, 8))
			return false;
		w->udp_dport = h[2] << 8 | h[3];
		w->off += 8;
		w->l4_proto = -1;
		return true;
	case RTE_FLOW_ITEM_TYPE_VXLAN:
	case RTE_FLOW_ITEM_TYPE_GTPU:
		/* The tunnel header is recognised by its well-known UDP port, as NICs do. */
		if (w->udp_dport != (it->type == RTE_FLOW_ITEM_TYPE_VXLAN ?
				LAB_VXLAN_PORT : LAB_GTPU_PORT))
			return false;
		len = 8;
		h = flow_read(m, w->off, len, buf);
		if (h == NULL || !flow_masked_equal(h, it->spec, it->mask, len))
			return false;
		w->off += len;
		w->udp_dport = -1;
		return true;
	default:
		return false;
	}
}

/* True when the rule's pattern matches m. */
static bool
flow_soft_match(const struct flow_rule *rule, const struct rte_mbuf *m)
{
	struct flow_walk w = { .off = 0, .ether_type = 0, .l4_proto = -1, .udp_dport = -1,
		.eth_done = false };
	const struct rte_flow_item *it;

	for (it = rule->pattern; it->type != RTE_FLOW_ITEM_TYPE_END; it++)
		if (!flow_walk_item(m, &w, it))
			return false;
	return true;
}

uint32_t
flow_soft_rss_hash(const struct rte_mbuf *m)
{
	struct lab_pkt_info info;
	uint32_t tuple[3];

	if (lab_pkt_parse(m, &info) < 0 || !info.has_ipv4)
		return 0;
	tuple[0] = info.src_ip;
	tuple[1] = info.dst_ip;
	if (!info.has_l4)
		return flow_rss_words(tuple, 2);
	tuple[2] = (uint32_t)info.src_port << 16 | info.dst_port;
	return flow_rss_words(tuple, 3);
}

bool
flow_soft_apply(const struct flow_rule *r, const struct rte_mbuf *m,
		struct flow_soft_verdict *v, uint32_t *group, bool *jumped)
{
	const struct rte_flow_action *a;
	const struct rte_flow_action_rss *rss;
	bool fate = false, passthru = false;

	*jumped = false;
	for (a = r->actions; a->type != RTE_FLOW_ACTION_TYPE_END; a++) {
		switch (a->type) {
		case RTE_FLOW_ACTION_TYPE_QUEUE:
			v->queue = (int16_t)((const struct rte_flow_action_queue *)a->conf)->index;
			fate = true;
			break;
		case RTE_FLOW_ACTION_TYPE_DROP:
			v->drop = true;
			fate = true;
			break;
		case RTE_FLOW_ACTION_TYPE_RSS:
			rss = a->conf;
			v->queue = rss->queue_num == 0 ? -1 :
				(int16_t)rss->queue[flow_soft_rss_hash(m) % rss->queue_num];
			fate = true;
			break;
		case RTE_FLOW_ACTION_TYPE_MARK:
			v->marked = true;
			v->mark = ((const struct rte_flow_action_mark *)a->conf)->id;
			break;
		case RTE_FLOW_ACTION_TYPE_JUMP:
			*group = ((const struct rte_flow_action_jump *)a->conf)->group;
			*jumped = true;
			fate = true;
			break;
		case RTE_FLOW_ACTION_TYPE_PASSTHRU:
			passthru = true;
			break;
		default:
			break;
		}
	}
	return fate || !passthru;
}

void
flow_soft_classify(struct flow_soft_rule *rules, unsigned int nb_rules,
		const struct rte_mbuf *m, struct flow_soft_verdict *v)
{
	uint32_t group = 0;
	unsigned int i, jumps = 0;
	bool jumped;

	flow_soft_verdict_init(v);
again:
	/* rules[] is sorted by group, priority, then creation order. */
	for (i = 0; i < nb_rules; i++) {
		const struct flow_rule *r = rules[i].rule;

		if (r->attr.group != group || !flow_soft_match(r, m))
			continue;
		__atomic_fetch_add(&rules[i].hits, 1, __ATOMIC_RELAXED);
		v->rule_id = rules[i].id;
		if (!flow_soft_apply(r, m, v, &group, &jumped))
			continue;
		if (jumped && ++jumps <= FLOW_MAX_JUMPS)
			goto again;
		return;
	}
}

/* The software table's own validation: what a NIC with these limits would refuse. */
int
flow_soft_validate(const struct flow_rule *r, uint16_t nb_queues, struct rte_flow_error *e)
{
	const struct rte_flow_action *a;
	const struct rte_flow_action_rss *rss;
	unsigned int fates = 0, i;

	if (!r->attr.ingress || r->attr.egress || r->attr.transfer) {
		flow_error_set(e, ENOTSUP, RTE_FLOW_ERROR_TYPE_ATTR, &r->attr,
			"software classifier: ingress rules only");
		return -ENOTSUP;
	}
	if (r->attr.priority > FLOW_SOFT_MAX_PRIORITY) {
		flow_error_set(e, EINVAL, RTE_FLOW_ERROR_TYPE_ATTR_PRIORITY, NULL,
			"priority value too big (software table: 0-4094, as TAP)");
		return -EINVAL;
	}
	if (r->attr.group > FLOW_SOFT_MAX_GROUP) {
		flow_error_set(e, EINVAL, RTE_FLOW_ERROR_TYPE_ATTR_GROUP, NULL,
			"group value too big: cannot exceed 15 (software table, as TAP)");
		return -EINVAL;
	}
	for (a = r->actions; a->type != RTE_FLOW_ACTION_TYPE_END; a++) {
		switch (a->type) {
		case RTE_FLOW_ACTION_TYPE_QUEUE:
			if (((const struct rte_flow_action_queue *)a->conf)->index >=
					nb_queues) {
				flow_error_set(e, ERANGE, RTE_FLOW_ERROR_TYPE_ACTION, a,
					"queue index out of range");
				return -ERANGE;
			}
			fates++;
			break;
		case RTE_FLOW_ACTION_TYPE_RSS:
			rss = a->conf;
			for (i = 0; i < rss->queue_num; i++)
				if (rss->queue[i] >= nb_queues) {
					flow_error_set(e, ERANGE, RTE_FLOW_ERROR_TYPE_ACTION_CONF,
						a->conf, "rss queue index out of range");
					return -ERANGE;
				}
			fates++;
			break;
		case RTE_FLOW_ACTION_TYPE_JUMP:
			if (((const struct rte_flow_action_jump *)a->conf)->group <=
					r->attr.group) {
				flow_error_set(e, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION, a,
					"jump must go to a higher group (no loops)");
				return -EINVAL;
			}
			if (((const struct rte_flow_action_jump *)a->conf)->group >
					FLOW_SOFT_MAX_GROUP) {
				flow_error_set(e, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION, a,
					"jump group value too big: cannot exceed 15");
				return -EINVAL;
			}
			fates++;
			break;
		case RTE_FLOW_ACTION_TYPE_DROP:
			fates++;
			break;
		default:
			break;
		}
		if (fates > 1) {
			flow_error_set(e, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION, a,
				"more than one fate action (queue/drop/rss/jump) in one rule");
			return -ENOTSUP;
		}
	}
	return 0;
}

static int
flow_soft_rule_cmp(const void *a, const void *b)
{
	const struct flow_soft_rule *x = a, *y = b;

	if (x->rule->attr.group != y->rule->attr.group)
		return x->rule->attr.group < y->rule->attr.group ? -1 : 1;
	if (x->rule->attr.priority != y->rule->attr.priority)
		return x->rule->attr.priority < y->rule->attr.priority ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

void
flow_soft_sort(struct flow_soft_rule *rules, unsigned int nb_rules)
{
	qsort(rules, nb_rules, sizeof(rules[0]), flow_soft_rule_cmp);
}
