/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A parser for the subset of testpmd's "flow create" syntax the lab uses.
 * It builds the same rte_flow_attr / item / action arrays testpmd would,
 * so a rule typed here behaves as it does in testpmd on the same port.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_flow.h>
#include <rte_string_fns.h>

#include "flow_lab.h"

#define FLOW_MAX_TOKENS 160

struct flow_token {
	const char *start;  /* into the text being parsed */
	unsigned int len;
};

struct flow_parser {
	const char *text;
	const char *origin;
	FILE *err;
	struct flow_token tok[FLOW_MAX_TOKENS];
	char buf[64];        /* the current token, NUL-terminated */
	unsigned int nb_tok;
	unsigned int pos;
	struct flow_rule *rule;
};

enum flow_field_kind {
	FIELD_MAC,
	FIELD_IPV4,
	FIELD_IPV6,
	FIELD_INT,          /* big-endian integer of size bytes */
};

struct flow_field {
	const char *name;
	enum flow_field_kind kind;
	size_t offset;       /* in the item struct, which mirrors the header */
	size_t size;
	uint64_t full_mask;  /* FIELD_INT: what "is" masks with */
};

struct flow_item_desc {
	const char *name;
	enum rte_flow_item_type type;
	const struct flow_field *fields;
};

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

static const struct flow_item_desc item_descs[] = {
	{ "eth", RTE_FLOW_ITEM_TYPE_ETH, eth_fields },
	{ "vlan", RTE_FLOW_ITEM_TYPE_VLAN, vlan_fields },
	{ "ipv4", RTE_FLOW_ITEM_TYPE_IPV4, ipv4_fields },
	{ "ipv6", RTE_FLOW_ITEM_TYPE_IPV6, ipv6_fields },
	{ "tcp", RTE_FLOW_ITEM_TYPE_TCP, tcp_fields },
	{ "udp", RTE_FLOW_ITEM_TYPE_UDP, udp_fields },
	{ "vxlan", RTE_FLOW_ITEM_TYPE_VXLAN, vxlan_fields },
	{ "gtpu", RTE_FLOW_ITEM_TYPE_GTPU, gtp_fields },
};

const char *
flow_item_name(enum rte_flow_item_type type)
{
	unsigned int i;

	if (type == RTE_FLOW_ITEM_TYPE_END)
		return "end";
	for (i = 0; i < RTE_DIM(item_descs); i++)
		if (item_descs[i].type == type)
			return item_descs[i].name;
	return "?";
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

/* Prints the message, then the rule with a caret under token i. */
static int
flow_syntax_error(struct flow_parser *p, unsigned int i, const char *fmt, ...)
	__rte_format_printf(3, 4);

static int
flow_syntax_error(struct flow_parser *p, unsigned int i, const char *fmt, ...)
{
	va_list ap;
	size_t col, len, k;
	const char *line = p->text;

	if (i < p->nb_tok) {
		col = (size_t)(p->tok[i].start - line);
		len = p->tok[i].len;
	} else {
		col = strlen(line);
		len = 1;
	}
	fprintf(p->err, "%s: syntax error: ", p->origin);
	va_start(ap, fmt);
	vfprintf(p->err, fmt, ap);
	va_end(ap);
	fprintf(p->err, "\n  %s\n  ", line);
	for (k = 0; k < col; k++)
		fputc(line[k] == '\t' ? '\t' : ' ', p->err);
	for (k = 0; k < len; k++)
		fputc('^', p->err);
	fputc('\n', p->err);
	return -EINVAL;
}

static int
flow_tokenize(struct flow_parser *p)
{
	const char *s = p->text;

	p->nb_tok = 0;
	while (*s != '\0') {
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '\0')
			break;
		if (p->nb_tok == FLOW_MAX_TOKENS) {
			fprintf(p->err, "%s: rule longer than %u words\n", p->origin,
				FLOW_MAX_TOKENS);
			return -E2BIG;
		}
		p->tok[p->nb_tok].start = s;
		while (*s != '\0' && !isspace((unsigned char)*s))
			s++;
		p->tok[p->nb_tok].len = (unsigned int)(s - p->tok[p->nb_tok].start);
		p->nb_tok++;
		/* flow_tok() would cut it: "0x000...05" must not read as 0. */
		if (p->tok[p->nb_tok - 1].len >= sizeof(p->buf))
			return flow_syntax_error(p, p->nb_tok - 1, "word longer than %zu "
				"characters", sizeof(p->buf) - 1);
	}
	return 0;
}

/* The token at i as a C string in p->buf, "" past the end. */
static const char *
flow_tok(struct flow_parser *p, unsigned int i)
{
	unsigned int len;

	if (i >= p->nb_tok) {
		p->buf[0] = '\0';
		return p->buf;
	}
	len = RTE_MIN(p->tok[i].len, (unsigned int)sizeof(p->buf) - 1);
	memcpy(p->buf, p->tok[i].start, len);
	p->buf[len] = '\0';
	return p->buf;
}

static bool
flow_tok_is(struct flow_parser *p, unsigned int i, const char *word)
{
	return i < p->nb_tok && strlen(word) == p->tok[i].len &&
		memcmp(p->tok[i].start, word, p->tok[i].len) == 0;
}

static int
flow_parse_number(struct flow_parser *p, const char *what, uint64_t max, uint64_t *out)
{
	const char *s = flow_tok(p, p->pos);
	char *end;
	unsigned long long v;

	if (p->pos >= p->nb_tok)
		return flow_syntax_error(p, p->pos, "%s needs a number", what);
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || s[0] == '-' || !isdigit((unsigned char)s[0]))
		return flow_syntax_error(p, p->pos, "%s: '%s' is not a number", what, s);
	if (v > max)
		return flow_syntax_error(p, p->pos, "%s: %llu is larger than %" PRIu64,
			what, v, max);
	*out = v;
	p->pos++;
	return 0;
}

/* Writes v as a big-endian integer of size bytes. */
static void
flow_put_be(uint8_t *dst, uint64_t v, size_t size)
{
	size_t i;

	for (i = 0; i < size; i++)
		dst[size - 1 - i] = (uint8_t)(v >> (8 * i));
}

/* Parses the value token of a field into bytes (network order). */
static int
flow_parse_field_value(struct flow_parser *p, const struct flow_field *f, uint8_t *out)
{
	const char *s = flow_tok(p, p->pos);
	struct rte_ether_addr mac;
	uint64_t v;
	uint64_t max;
	int ret;

	if (p->pos >= p->nb_tok)
		return flow_syntax_error(p, p->pos, "'%s' needs a value", f->name);
	switch (f->kind) {
	case FIELD_MAC:
		if (rte_ether_unformat_addr(s, &mac) != 0)
			return flow_syntax_error(p, p->pos,
				"'%s' is not a MAC address (like 02:00:00:00:00:01)", s);
		memcpy(out, mac.addr_bytes, 6);
		break;
	case FIELD_IPV4:
		if (inet_pton(AF_INET, s, out) != 1)
			return flow_syntax_error(p, p->pos,
				"'%s' is not an IPv4 address (like 10.0.0.0)", s);
		break;
	case FIELD_IPV6:
		if (inet_pton(AF_INET6, s, out) != 1)
			return flow_syntax_error(p, p->pos,
				"'%s' is not an IPv6 address (like 2001:db8::1)", s);
		break;
	case FIELD_INT:
		/* The field's own width: a VLAN id has 12 bits, a VNI 24. */
		max = f->full_mask;
		ret = flow_parse_number(p, f->name, max, &v);
		if (ret < 0)
			return ret;
		flow_put_be(out, v, f->size);
		return 0;
	}
	p->pos++;
	return 0;
}

/* The mask "is" and "spec" use: every bit of the field that is its value. */
static void
flow_full_mask(const struct flow_field *f, uint8_t *out)
{
	if (f->kind == FIELD_INT)
		flow_put_be(out, f->full_mask, f->size);
	else
		memset(out, 0xff, f->size);
}

static void
flow_prefix_mask(size_t size, unsigned int bits, uint8_t *out)
{
	size_t i;

	for (i = 0; i < size; i++) {
		unsigned int b = bits > 8 ? 8 : bits;

		out[i] = b == 0 ? 0 : (uint8_t)(0xff << (8 - b));
		bits -= b;
	}
}

/* One "FIELD is|spec|mask|prefix VALUE" clause of item n. */
static int
flow_parse_field(struct flow_parser *p, const struct flow_item_desc *d, unsigned int n,
		bool *mask_given)
{
	const struct flow_field *f;
	uint8_t *spec = (uint8_t *)&p->rule->spec[n];
	uint8_t *mask = (uint8_t *)&p->rule->mask[n];
	uint8_t value[16];
	unsigned int op_tok;
	unsigned int fi;
	uint64_t bits;
	int ret;

	for (f = d->fields, fi = 0; f->name != NULL; f++, fi++)
		if (flow_tok_is(p, p->pos, f->name))
			break;
	if (f->name == NULL) {
		char names[128] = "";

		for (f = d->fields; f->name != NULL; f++) {
			rte_strlcat(names, f->name, sizeof(names));
			rte_strlcat(names, ", ", sizeof(names));
		}
		return flow_syntax_error(p, p->pos, "item '%s' has no field '%s' (fields: %s"
			"or '/' to end the item)", d->name, flow_tok(p, p->pos), names);
	}
	p->pos++;
	op_tok = p->pos;
	if (flow_tok_is(p, op_tok, "is") || flow_tok_is(p, op_tok, "spec")) {
		p->pos++;
		ret = flow_parse_field_value(p, f, value);
		if (ret < 0)
			return ret;
		memcpy(spec + f->offset, value, f->size);
		/* "spec" alone keeps a mask given earlier, as testpmd does. */
		if (flow_tok_is(p, op_tok, "is") || !mask_given[fi])
			flow_full_mask(f, mask + f->offset);
	} else if (flow_tok_is(p, op_tok, "mask")) {
		p->pos++;
		ret = flow_parse_field_value(p, f, value);
		if (ret < 0)
			return ret;
		memcpy(mask + f->offset, value, f->size);
		mask_given[fi] = true;
	} else if (flow_tok_is(p, op_tok, "prefix")) {
		p->pos++;
		ret = flow_parse_number(p, "prefix", f->size * 8, &bits);
		if (ret < 0)
			return ret;
		flow_prefix_mask(f->size, (unsigned int)bits, mask + f->offset);
		mask_given[fi] = true;
	} else if (flow_tok_is(p, op_tok, "last")) {
		return flow_syntax_error(p, op_tok, "'last' (ranges) is not in the lab's subset");
	} else {
		return flow_syntax_error(p, op_tok, "expected 'is', 'spec', 'mask' or 'prefix' "
			"after '%s %s'", d->name, f->name);
	}
	return 0;
}

static int
flow_parse_item(struct flow_parser *p)
{
	struct flow_rule *r = p->rule;
	const struct flow_item_desc *d = NULL;
	bool mask_given[8] = { false };
	bool any_field = false;
	unsigned int i, n = r->nb_items;
	int ret;

	for (i = 0; i < RTE_DIM(item_descs); i++)
		if (flow_tok_is(p, p->pos, item_descs[i].name))
			d = &item_descs[i];
	if (d == NULL)
		return flow_syntax_error(p, p->pos, "unknown pattern item '%s' (the lab knows "
			"eth, vlan, ipv4, ipv6, tcp, udp, vxlan, gtpu; or 'end')",
			flow_tok(p, p->pos));
	if (n == FLOW_MAX_ITEMS)
		return flow_syntax_error(p, p->pos, "more than %d pattern items", FLOW_MAX_ITEMS);
	p->pos++;
	while (p->pos < p->nb_tok && !flow_tok_is(p, p->pos, "/")) {
		ret = flow_parse_field(p, d, n, mask_given);
		if (ret < 0)
			return ret;
		any_field = true;
	}
	if (!flow_tok_is(p, p->pos, "/"))
		return flow_syntax_error(p, p->pos, "expected '/' after item '%s'", d->name);
	p->pos++;
	r->pattern[n].type = d->type;
	if (any_field) {
		r->pattern[n].spec = &r->spec[n];
		r->pattern[n].mask = &r->mask[n];
	}
	r->nb_items++;
	return 0;
}

static int
flow_parse_rss(struct flow_parser *p, struct rte_flow_action_rss *rss)
{
	struct flow_rule *r = p->rule;
	unsigned int i, used = 0;
	uint64_t q;
	int ret;

	/* A second rss action gets the queue slots after the first one's. */
	for (i = 0; i < r->nb_actions; i++)
		if (r->actions[i].type == RTE_FLOW_ACTION_TYPE_RSS)
			used += r->conf[i].rss.queue_num;
	memset(rss, 0, sizeof(*rss));
	rss->func = RTE_ETH_HASH_FUNCTION_DEFAULT;
	rss->queue = &r->rss_queues[used];
	while (flow_tok_is(p, p->pos, "queues")) {
		p->pos++;
		while (!flow_tok_is(p, p->pos, "end")) {
			if (p->pos >= p->nb_tok)
				return flow_syntax_error(p, p->pos, "'rss queues' list needs 'end'");
			if (used + rss->queue_num == FLOW_MAX_RSS_QUEUES)
				return flow_syntax_error(p, p->pos, "more than %d rss queues "
					"in one rule", FLOW_MAX_RSS_QUEUES);
			ret = flow_parse_number(p, "rss queue", UINT16_MAX, &q);
			if (ret < 0)
				return ret;
			r->rss_queues[used + rss->queue_num++] = (uint16_t)q;
		}
		p->pos++;
	}
	if (!flow_tok_is(p, p->pos, "/"))
		return flow_syntax_error(p, p->pos, "expected 'queues N ... end' or '/' after "
			"'rss' (types/key are not in the lab's subset)");
	return 0;
}

static int
flow_parse_action(struct flow_parser *p)
{
	struct flow_rule *r = p->rule;
	unsigned int n = r->nb_actions;
	struct rte_flow_action *a = &r->actions[n];
	union flow_action_data *c = &r->conf[n];
	unsigned int name_tok = p->pos;
	uint64_t v;
	int ret;

	if (n == FLOW_MAX_ACTIONS)
		return flow_syntax_error(p, p->pos, "more than %d actions", FLOW_MAX_ACTIONS);
	p->pos++;
	if (flow_tok_is(p, name_tok, "queue")) {
		if (!flow_tok_is(p, p->pos, "index"))
			return flow_syntax_error(p, p->pos, "expected 'index N' after 'queue'");
		p->pos++;
		ret = flow_parse_number(p, "queue index", UINT16_MAX, &v);
		if (ret < 0)
			return ret;
		a->type = RTE_FLOW_ACTION_TYPE_QUEUE;
		c->queue.index = (uint16_t)v;
		a->conf = &c->queue;
	} else if (flow_tok_is(p, name_tok, "drop")) {
		a->type = RTE_FLOW_ACTION_TYPE_DROP;
	} else if (flow_tok_is(p, name_tok, "count")) {
		a->type = RTE_FLOW_ACTION_TYPE_COUNT;
	} else if (flow_tok_is(p, name_tok, "passthru")) {
		a->type = RTE_FLOW_ACTION_TYPE_PASSTHRU;
	} else if (flow_tok_is(p, name_tok, "mark")) {
		if (!flow_tok_is(p, p->pos, "id"))
			return flow_syntax_error(p, p->pos, "expected 'id N' after 'mark'");
		p->pos++;
		ret = flow_parse_number(p, "mark id", UINT32_MAX, &v);
		if (ret < 0)
			return ret;
		a->type = RTE_FLOW_ACTION_TYPE_MARK;
		c->mark.id = (uint32_t)v;
		a->conf = &c->mark;
	} else if (flow_tok_is(p, name_tok, "jump")) {
		if (!flow_tok_is(p, p->pos, "group"))
			return flow_syntax_error(p, p->pos, "expected 'group N' after 'jump'");
		p->pos++;
		ret = flow_parse_number(p, "jump group", UINT32_MAX, &v);
		if (ret < 0)
			return ret;
		a->type = RTE_FLOW_ACTION_TYPE_JUMP;
		c->jump.group = (uint32_t)v;
		a->conf = &c->jump;
	} else if (flow_tok_is(p, name_tok, "rss")) {
		ret = flow_parse_rss(p, &c->rss);
		if (ret < 0)
			return ret;
		a->type = RTE_FLOW_ACTION_TYPE_RSS;
		a->conf = &c->rss;
	} else {
		return flow_syntax_error(p, name_tok, "unknown action '%s' (the lab knows queue, "
			"drop, rss, mark, count, jump, passthru; or 'end')", flow_tok(p, name_tok));
	}
	if (!flow_tok_is(p, p->pos, "/"))
		return flow_syntax_error(p, p->pos, "expected '/' after action '%s'",
			flow_action_name(a->type));
	p->pos++;
	r->nb_actions++;
	return 0;
}

static int
flow_parse_attrs(struct flow_parser *p)
{
	struct rte_flow_attr *attr = &p->rule->attr;
	uint64_t v;
	int ret;

	while (p->pos < p->nb_tok && !flow_tok_is(p, p->pos, "pattern")) {
		if (flow_tok_is(p, p->pos, "ingress")) {
			attr->ingress = 1;
			p->pos++;
		} else if (flow_tok_is(p, p->pos, "egress")) {
			attr->egress = 1;
			p->pos++;
		} else if (flow_tok_is(p, p->pos, "transfer")) {
			attr->transfer = 1;
			p->pos++;
		} else if (flow_tok_is(p, p->pos, "priority")) {
			p->pos++;
			ret = flow_parse_number(p, "priority", UINT32_MAX, &v);
			if (ret < 0)
				return ret;
			attr->priority = (uint32_t)v;
		} else if (flow_tok_is(p, p->pos, "group")) {
			p->pos++;
			ret = flow_parse_number(p, "group", UINT32_MAX, &v);
			if (ret < 0)
				return ret;
			attr->group = (uint32_t)v;
		} else {
			return flow_syntax_error(p, p->pos, "unknown attribute '%s' (ingress, "
				"priority N, group N, then 'pattern')", flow_tok(p, p->pos));
		}
	}
	if (!flow_tok_is(p, p->pos, "pattern"))
		return flow_syntax_error(p, p->pos, "expected 'pattern'");
	p->pos++;
	return 0;
}

struct flow_rule *
flow_rule_parse(const char *text, const char *origin, FILE *err)
{
	struct flow_parser p;
	struct flow_rule *r;
	size_t len;

	memset(&p, 0, sizeof(p));
	while (isspace((unsigned char)*text))
		text++;
	len = strlen(text);
	while (len > 0 && isspace((unsigned char)text[len - 1]))
		len--;
	if (len == 0) {
		fprintf(err, "%s: empty rule\n", origin);
		return NULL;
	}
	if (len >= FLOW_RULE_TEXT) {
		fprintf(err, "%s: rule longer than %d characters\n", origin, FLOW_RULE_TEXT - 1);
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		fprintf(err, "%s: out of memory for a rule\n", origin);
		return NULL;
	}
	memcpy(r->text, text, len);
	r->text[len] = '\0';
	p.text = r->text;
	p.origin = origin;
	p.err = err;
	p.rule = r;
	if (flow_tokenize(&p) < 0 || flow_parse_attrs(&p) < 0)
		goto fail;
	while (!flow_tok_is(&p, p.pos, "end")) {
		if (p.pos >= p.nb_tok) {
			flow_syntax_error(&p, p.pos, "pattern needs 'end'");
			goto fail;
		}
		if (flow_parse_item(&p) < 0)
			goto fail;
	}
	p.pos++;
	r->pattern[r->nb_items].type = RTE_FLOW_ITEM_TYPE_END;
	if (!flow_tok_is(&p, p.pos, "actions")) {
		flow_syntax_error(&p, p.pos, "expected 'actions' after the pattern's 'end'");
		goto fail;
	}
	p.pos++;
	while (!flow_tok_is(&p, p.pos, "end")) {
		if (p.pos >= p.nb_tok) {
			flow_syntax_error(&p, p.pos, "actions need 'end'");
			goto fail;
		}
		if (flow_parse_action(&p) < 0)
			goto fail;
	}
	p.pos++;
	r->actions[r->nb_actions].type = RTE_FLOW_ACTION_TYPE_END;
	if (r->nb_actions == 0) {
		flow_syntax_error(&p, p.pos - 1, "a rule needs at least one action");
		goto fail;
	}
	if (p.pos < p.nb_tok) {
		flow_syntax_error(&p, p.pos, "unexpected '%s' after the actions' 'end'",
			flow_tok(&p, p.pos));
		goto fail;
	}
	return r;
fail:
	free(r);
	return NULL;
}

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
	unsigned int i, j, q;

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

		for (j = 0; j < RTE_DIM(item_descs); j++)
			if (item_descs[j].type == item->type)
				break;
		if (j == RTE_DIM(item_descs))
			return -EINVAL;
		flow_print_item(&out, &item_descs[j], item);
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
