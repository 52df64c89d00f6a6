/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * flow_rule_format(): a rule written back in the syntax flow_rule_parse()
 * reads, canonically, so that parsing the text gives the same rule.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_flow.h>

#include "flow_lab.h"
#include "flow_syntax.h"

/* Appends to a fixed buffer; remembers when something did not fit. */
struct flow_printer {
	char *buf;
	size_t len;
	size_t pos;
	bool full;
};

static void
flow_print(struct flow_printer *out, const char *fmt, ...)
	__rte_format_printf(2, 3);

static void
flow_print(struct flow_printer *out, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (out->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(out->buf + out->pos, out->len - out->pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= out->len - out->pos) {
		out->full = true;
		return;
	}
	out->pos += (size_t)n;
}

static uint64_t
flow_get_be(const uint8_t *src, size_t size)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < size; i++)
		v = (v << 8) | src[i];
	return v;
}

/* A field value (or mask) in the spelling flow_parse_field_value() reads. */
static void
flow_print_value(struct flow_printer *out, const struct flow_field *f, const uint8_t *v,
		bool hex)
{
	char addr[INET6_ADDRSTRLEN];
	struct rte_ether_addr mac;

	switch (f->kind) {
	case FIELD_MAC:
		memcpy(mac.addr_bytes, v, 6);
		rte_ether_format_addr(addr, sizeof(addr), &mac);
		flow_print(out, " %s", addr);
		break;
	case FIELD_IPV4:
	case FIELD_IPV6:
		if (inet_ntop(f->kind == FIELD_IPV4 ? AF_INET : AF_INET6, v, addr,
				sizeof(addr)) == NULL)
			out->full = true;
		else
			flow_print(out, " %s", addr);
		break;
	case FIELD_INT:
		flow_print(out, hex ? " 0x%" PRIx64 : " %" PRIu64, flow_get_be(v, f->size));
		break;
	}
}

/* Leading one bits of an address mask, or -1 when it is not a prefix. */
static int
flow_prefix_len(const uint8_t *mask, size_t size)
{
	uint8_t expect[16];
	unsigned int bits;

	for (bits = 0; bits < size * 8 && (mask[bits / 8] & (0x80 >> (bits % 8))); bits++)
		;
	flow_prefix_mask(size, bits, expect);
	return memcmp(mask, expect, size) == 0 ? (int)bits : -1;
}

/* True when every bit set in mask is set in full. */
static bool
flow_within(const uint8_t *mask, const uint8_t *full, size_t size)
{
	size_t i;

	for (i = 0; i < size; i++)
		if (mask[i] & ~full[i])
			return false;
	return true;
}

/* One item's fields as the fewest clauses that give back the same spec and mask. */
static void
flow_print_item(struct flow_printer *out, const struct flow_item_desc *d,
		const struct rte_flow_item *item)
{
	static const uint8_t zero[16];
	const uint8_t *spec = item->spec, *mask = item->mask;
	const struct flow_field *f;
	bool printed = false;

	flow_print(out, "%s", d->name);
	if (spec == NULL)
		return;
	for (f = d->fields; f->name != NULL; f++) {
		const uint8_t *sp = spec + f->offset, *mk = mask + f->offset;
		bool spec_zero = memcmp(sp, zero, f->size) == 0;
		uint8_t full[16];
		int prefix;

		if (spec_zero && memcmp(mk, zero, f->size) == 0)
			continue;
		printed = true;
		flow_full_mask(f, full);
		prefix = f->kind == FIELD_INT ? -1 : flow_prefix_len(mk, f->size);
		/* "is" sets the value and the full mask; "mask"/"prefix" then narrow it. */
		if (!spec_zero || memcmp(mk, full, f->size) == 0) {
			flow_print(out, " %s is", f->name);
			flow_print_value(out, f, sp, false);
			if (memcmp(mk, full, f->size) == 0)
				continue;
		}
		/* A mask wider than the field's values ("vid prefix 16") only as a prefix. */
		if (prefix < 0 && !flow_within(mk, full, f->size))
			prefix = flow_prefix_len(mk, f->size);
		if (prefix >= 0) {
			flow_print(out, " %s prefix %d", f->name, prefix);
		} else {
			flow_print(out, " %s mask", f->name);
			flow_print_value(out, f, mk, true);
		}
	}
	if (!printed) {
		/* Every field matches anything, but the item has a spec: keep it so. */
		flow_print(out, " %s mask", d->fields[0].name);
		flow_print_value(out, &d->fields[0], zero, true);
	}
}

int
flow_rule_format(const struct flow_rule *rule, char *buf, size_t len)
{
	struct flow_printer out = { .buf = buf, .len = len };
	const struct rte_flow_attr *attr = &rule->attr;
	unsigned int i, q;

	if (len == 0)
		return -ENOSPC;
	buf[0] = '\0';
	if (attr->ingress)
		flow_print(&out, "ingress ");
	if (attr->egress)
		flow_print(&out, "egress ");
	if (attr->transfer)
		flow_print(&out, "transfer ");
	if (attr->priority != 0)
		flow_print(&out, "priority %u ", attr->priority);
	if (attr->group != 0)
		flow_print(&out, "group %u ", attr->group);
	flow_print(&out, "pattern ");
	for (i = 0; i < rule->nb_items; i++) {
		const struct rte_flow_item *item = &rule->pattern[i];
		const struct flow_item_desc *d = flow_item_desc_find(item->type);

		if (d == NULL)
			return -EINVAL;
		flow_print_item(&out, d, item);
		flow_print(&out, " / ");
	}
	flow_print(&out, "end actions ");
	for (i = 0; i < rule->nb_actions; i++) {
		const struct rte_flow_action *a = &rule->actions[i];
		const union flow_action_data *c = &rule->conf[i];

		flow_print(&out, "%s", flow_action_name(a->type));
		switch (a->type) {
		case RTE_FLOW_ACTION_TYPE_QUEUE:
			flow_print(&out, " index %u", c->queue.index);
			break;
		case RTE_FLOW_ACTION_TYPE_MARK:
			flow_print(&out, " id %u", c->mark.id);
			break;
		case RTE_FLOW_ACTION_TYPE_JUMP:
			flow_print(&out, " group %u", c->jump.group);
			break;
		case RTE_FLOW_ACTION_TYPE_RSS:
			if (c->rss.queue_num == 0)
				break;
			flow_print(&out, " queues");
			for (q = 0; q < c->rss.queue_num; q++)
				flow_print(&out, " %u", c->rss.queue[q]);
			flow_print(&out, " end");
			break;
		case RTE_FLOW_ACTION_TYPE_DROP:
		case RTE_FLOW_ACTION_TYPE_COUNT:
		case RTE_FLOW_ACTION_TYPE_PASSTHRU:
			break;
		default:
			return -EINVAL;
		}
		flow_print(&out, " / ");
	}
	flow_print(&out, "end");
	if (out.full) {
		buf[0] = '\0';
		return -ENOSPC;
	}
	return (int)out.pos;
}
