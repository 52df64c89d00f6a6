/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The words of testpmd's "flow create" syntax the lab takes: each item with
 * its fields (name, kind, where it sits in the rte_flow item struct), and the
 * action names. flow_parse.c reads rules with them, flow_format.c writes them.
 */
#include <stddef.h>
#include <string.h>

#include <rte_common.h>
#include <rte_flow.h>

#include "flow_lab.h"
#include "flow_syntax.h"

static const struct flow_field eth_fields[] = {
	{ "dst", FIELD_MAC, offsetof(struct rte_flow_item_eth, hdr.dst_addr), 6, 0 },
	{ "src", FIELD_MAC, offsetof(struct rte_flow_item_eth, hdr.src_addr), 6, 0 },
	{ "type", FIELD_INT, offsetof(struct rte_flow_item_eth, hdr.ether_type), 2, 0xffff },
	{ NULL, 0, 0, 0, 0 },
};

static const struct flow_field vlan_fields[] = {
	{ "vid", FIELD_INT, offsetof(struct rte_flow_item_vlan, hdr.vlan_tci), 2, 0x0fff },
	{ "inner_type", FIELD_INT, offsetof(struct rte_flow_item_vlan, hdr.eth_proto), 2,
		0xffff },
	{ NULL, 0, 0, 0, 0 },
};

static const struct flow_field ipv4_fields[] = {
	{ "src", FIELD_IPV4, offsetof(struct rte_flow_item_ipv4, hdr.src_addr), 4, 0 },
	{ "dst", FIELD_IPV4, offsetof(struct rte_flow_item_ipv4, hdr.dst_addr), 4, 0 },
	{ "proto", FIELD_INT, offsetof(struct rte_flow_item_ipv4, hdr.next_proto_id), 1, 0xff },
	{ NULL, 0, 0, 0, 0 },
};

static const struct flow_field ipv6_fields[] = {
	{ "src", FIELD_IPV6, offsetof(struct rte_flow_item_ipv6, hdr.src_addr), 16, 0 },
	{ "dst", FIELD_IPV6, offsetof(struct rte_flow_item_ipv6, hdr.dst_addr), 16, 0 },
	{ NULL, 0, 0, 0, 0 },
};

static const struct flow_field tcp_fields[] = {
	{ "src", FIELD_INT, offsetof(struct rte_flow_item_tcp, hdr.src_port), 2, 0xffff },
	{ "dst", FIELD_INT, offsetof(struct rte_flow_item_tcp, hdr.dst_port), 2, 0xffff },
	{ NULL, 0, 0, 0, 0 },
};

static const struct flow_field udp_fields[] = {
	{ "src", FIELD_INT, offsetof(struct rte_flow_item_udp, hdr.src_port), 2, 0xffff },
	{ "dst", FIELD_INT, offsetof(struct rte_flow_item_udp, hdr.dst_port), 2, 0xffff },
	{ NULL, 0, 0, 0, 0 },
};

static const struct flow_field vxlan_fields[] = {
	{ "vni", FIELD_INT, offsetof(struct rte_flow_item_vxlan, vni), 3, 0xffffff },
	{ NULL, 0, 0, 0, 0 },
};

static const struct flow_field gtp_fields[] = {
	{ "teid", FIELD_INT, offsetof(struct rte_flow_item_gtp, teid), 4, 0xffffffff },
	{ NULL, 0, 0, 0, 0 },
};

const struct flow_item_desc flow_item_descs[] = {
	{ "eth", RTE_FLOW_ITEM_TYPE_ETH, eth_fields },
	{ "vlan", RTE_FLOW_ITEM_TYPE_VLAN, vlan_fields },
	{ "ipv4", RTE_FLOW_ITEM_TYPE_IPV4, ipv4_fields },
	{ "ipv6", RTE_FLOW_ITEM_TYPE_IPV6, ipv6_fields },
	{ "tcp", RTE_FLOW_ITEM_TYPE_TCP, tcp_fields },
	{ "udp", RTE_FLOW_ITEM_TYPE_UDP, udp_fields },
	{ "vxlan", RTE_FLOW_ITEM_TYPE_VXLAN, vxlan_fields },
	{ "gtpu", RTE_FLOW_ITEM_TYPE_GTPU, gtp_fields },
};

const unsigned int flow_nb_item_descs = RTE_DIM(flow_item_descs);

const struct flow_item_desc *
flow_item_desc_find(enum rte_flow_item_type type)
{
	unsigned int i;

	for (i = 0; i < flow_nb_item_descs; i++)
		if (flow_item_descs[i].type == type)
			return &flow_item_descs[i];
	return NULL;
}

const char *
flow_item_name(enum rte_flow_item_type type)
{
	const struct flow_item_desc *d;

	if (type == RTE_FLOW_ITEM_TYPE_END)
		return "end";
	d = flow_item_desc_find(type);
	return d != NULL ? d->name : "?";
}

const char *
flow_action_name(enum rte_flow_action_type type)
{
	switch (type) {
	case RTE_FLOW_ACTION_TYPE_END: return "end";
	case RTE_FLOW_ACTION_TYPE_QUEUE: return "queue";
	case RTE_FLOW_ACTION_TYPE_DROP: return "drop";
	case RTE_FLOW_ACTION_TYPE_RSS: return "rss";
	case RTE_FLOW_ACTION_TYPE_MARK: return "mark";
	case RTE_FLOW_ACTION_TYPE_COUNT: return "count";
	case RTE_FLOW_ACTION_TYPE_JUMP: return "jump";
	case RTE_FLOW_ACTION_TYPE_PASSTHRU: return "passthru";
	default: return "?";
	}
}

void
flow_put_be(uint8_t *dst, uint64_t v, size_t size)
{
	size_t i;

	for (i = 0; i < size; i++)
		dst[size - 1 - i] = (uint8_t)(v >> (8 * i));
}

/* The mask "is" and "spec" use: every bit of the field that is its value. */
void
flow_full_mask(const struct flow_field *f, uint8_t *out)
{
	if (f->kind == FIELD_INT)
		flow_put_be(out, f->full_mask, f->size);
	else
		memset(out, 0xff, f->size);
}

void
flow_prefix_mask(size_t size, unsigned int bits, uint8_t *out)
{
	size_t i;

	for (i = 0; i < size; i++) {
		unsigned int b = bits > 8 ? 8 : bits;

		out[i] = b == 0 ? 0 : (uint8_t)(0xff << (8 - b));
		bits -= b;
	}
}
