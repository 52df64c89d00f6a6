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
#include "flow_syntax.h"

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

	for (i = 0; i < flow_nb_item_descs; i++)
		if (flow_tok_is(p, p->pos, flow_item_descs[i].name))
			d = &flow_item_descs[i];
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
				return flow_syntax_error(p, p->pos,
					"'rss queues' list needs 'end'");
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

