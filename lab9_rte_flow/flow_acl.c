/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The software fallback compiled: the rules of each group become one
 * rte_acl context, searched for a whole burst at once (by
 * flow_acl_classify.c). A packet is reduced to a fixed key (which headers
 * it has, then the header fields the rule syntax names), each rule to
 * value/mask pairs over that key, so one trie walk replaces flow_soft.c's
 * rule-by-rule walk, with the same decisions: lower priority number first,
 * then creation order, groups in order, JUMP, and PASSTHRU through
 * rte_acl's categories. A rule the key cannot hold exactly is refused
 * (flow_acl_check()), never matched wrongly.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_acl.h>
#include <rte_common.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_flow.h>
#include <rte_mbuf.h>

#include "flow_acl.h"
#include "flow_lab.h"

RTE_ACL_RULE_DEF(flow_acl_rule, ACL_MAX_FIELDS);

/* An item's header bytes in the key (flow_syntax.c's fields); hdr_len: flow_soft.c's. */
struct key_span {
	uint8_t hdr_off, key_off, len;
};

struct item_map {
	enum rte_flow_item_type type;
	uint8_t hdr_len;
	uint8_t nb_spans;
	struct key_span span[3];
	const char *fields;
};

#define KEY_OFF(member) offsetof(struct flow_acl_key, member)
static const struct item_map item_maps[] = {
	{ RTE_FLOW_ITEM_TYPE_ETH, 14, 2, { { 0, KEY_OFF(eth), 12 },
		{ 12, KEY_OFF(eth_type), 2 } }, "dst, src, type" },
	{ RTE_FLOW_ITEM_TYPE_VLAN, 4, 1, { { 0, KEY_OFF(vlan), 4 } }, "vid, inner_type" },
	{ RTE_FLOW_ITEM_TYPE_IPV4, 20, 3, { { 9, KEY_OFF(proto), 1 }, { 12, KEY_OFF(src), 4 },
		{ 16, KEY_OFF(dst), 4 } }, "src, dst, proto" },
	{ RTE_FLOW_ITEM_TYPE_IPV6, 40, 2, { { 8, KEY_OFF(src), 16 },
		{ 24, KEY_OFF(dst), 16 } }, "src, dst" },
	{ RTE_FLOW_ITEM_TYPE_TCP, 20, 1, { { 0, KEY_OFF(ports), 4 } }, "src, dst" },
	{ RTE_FLOW_ITEM_TYPE_UDP, 8, 1, { { 0, KEY_OFF(ports), 4 } }, "src, dst" },
	{ RTE_FLOW_ITEM_TYPE_VXLAN, 8, 1, { { 4, KEY_OFF(tun_id), 4 } }, "vni" },
	{ RTE_FLOW_ITEM_TYPE_GTPU, 8, 1, { { 4, KEY_OFF(tun_id), 4 } }, "teid" },
};

/* A rule over the key: the bits it compares and the values they must have. */
struct key_rule {
	struct flow_acl_key val, mask;
	bool implicit_eth;   /* starts at L3: flow_soft.c then skips one 0x8100 tag */
};

static unsigned int acl_names;   /* rte_acl contexts need unique names */

static int
acl_refuse(struct rte_flow_error *e, const void *cause, const char *msg)
{
	flow_error_set(e, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM, cause, msg);
	return -ENOTSUP;
}

static const struct item_map *
item_map_find(enum rte_flow_item_type type)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(item_maps); i++)
		if (item_maps[i].type == type)
			return &item_maps[i];
	return NULL;
}

/* Copies the item's masked spec into the key; refuses bits the key does not hold. */
static int
key_rule_item(struct key_rule *kr, const struct rte_flow_item *it, const struct item_map *im,
		unsigned int tag, struct rte_flow_error *e)
{
	static char msg[160];
	const uint8_t *spec = it->spec, *mask = it->mask;
	uint8_t held[40] = { 0 };
	unsigned int s, j;

	if (it->last != NULL)
		return acl_refuse(e, it, "software classifier (rte_acl): 'last' ranges are "
			"not supported");
	if (spec == NULL)
		return 0;
	if (mask == NULL)
		return acl_refuse(e, it, "software classifier (rte_acl): an item with a spec "
			"needs a mask");
	for (s = 0; s < im->nb_spans; s++) {
		const struct key_span *sp = &im->span[s];
		uint8_t *v = (uint8_t *)&kr->val + sp->key_off + 4 * tag;
		uint8_t *k = (uint8_t *)&kr->mask + sp->key_off + 4 * tag;

		for (j = 0; j < sp->len; j++) {
			k[j] = mask[sp->hdr_off + j];
			v[j] = spec[sp->hdr_off + j] & k[j];
			held[sp->hdr_off + j] = 1;
		}
	}
	for (j = 0; j < im->hdr_len; j++)
		if (mask[j] != 0 && !held[j]) {
			snprintf(msg, sizeof(msg), "software classifier (rte_acl): %s masks "
				"header byte %u; it matches only on %s", flow_item_name(it->type),
				j, im->fields);
			return acl_refuse(e, it, msg);
		}
	return 0;
}

/* A tunnel item after UDP: the UDP destination port must be the tunnel's. */
static int
key_rule_tunnel_port(struct key_rule *kr, uint16_t port, struct rte_flow_error *e)
{
	uint8_t *v = &kr->val.ports[2], *k = &kr->mask.ports[2];
	uint8_t want[2] = { (uint8_t)(port >> 8), (uint8_t)port };

	if (((v[0] ^ want[0]) & k[0]) != 0 || ((v[1] ^ want[1]) & k[1]) != 0)
		return acl_refuse(e, NULL, "software classifier (rte_acl): this udp dst never "
			"carries the tunnel (vxlan is UDP port 4789, gtpu 2152): the rule could "
			"not match");
	memcpy(v, want, 2);
	memset(k, 0xff, 2);
	return 0;
}

/* Where a rule's items have got to, in header order. */
struct key_walk {
	unsigned int tags;
	uint8_t l3, l4, tun;
	uint16_t port;       /* the tunnel's UDP port */
	bool eth;
};

/*
 * Patterns follow the headers: [eth] [vlan [vlan]] [ipv4|ipv6 [tcp | udp
 * [vxlan|gtpu]]]; any other order either never matches in flow_soft.c or
 * reads bytes of another header there, so it is refused.
 */
static int
key_walk_item(struct key_walk *w, const struct rte_flow_item *it, bool first,
		struct rte_flow_error *e)
{
	if (w->tun != 0)
		return acl_refuse(e, it, "software classifier (rte_acl): nothing may follow "
			"vxlan or gtpu");
	switch (it->type) {
	case RTE_FLOW_ITEM_TYPE_ETH:
		if (!first)
			return acl_refuse(e, it, "software classifier (rte_acl): eth must be "
				"the first item");
		w->eth = true;
		return 0;
	case RTE_FLOW_ITEM_TYPE_VLAN:
		if (w->l3 != 0 || w->tags == KEY_TAGS)
			return acl_refuse(e, it, "software classifier (rte_acl): at most 2 vlan "
				"items, between eth and the L3 item");
		w->tags++;
		return 0;
	case RTE_FLOW_ITEM_TYPE_IPV4:
	case RTE_FLOW_ITEM_TYPE_IPV6:
		if (w->l3 != 0)
			return acl_refuse(e, it, "software classifier (rte_acl): one ipv4 or "
				"ipv6 item only (no IP in IP)");
		w->l3 = it->type == RTE_FLOW_ITEM_TYPE_IPV4 ? KEY_IPV4 : KEY_IPV6;
		return 0;
	case RTE_FLOW_ITEM_TYPE_TCP:
	case RTE_FLOW_ITEM_TYPE_UDP:
		if (w->l3 == 0 || w->l4 != 0)
			return acl_refuse(e, it, "software classifier (rte_acl): tcp or udp "
				"needs an ipv4 or ipv6 item just before it");
		w->l4 = it->type == RTE_FLOW_ITEM_TYPE_TCP ? KEY_TCP : KEY_UDP;
		return 0;
	default:    /* the tunnels: item_map_find() knows no other */
		if (w->l4 != KEY_UDP)
			return acl_refuse(e, it, "software classifier (rte_acl): vxlan and gtpu "
				"need a udp item just before them");
		w->tun = KEY_TUN;
		w->port = it->type == RTE_FLOW_ITEM_TYPE_VXLAN ? LAB_VXLAN_PORT : LAB_GTPU_PORT;
		return 0;
	}
}

/* The rule's pattern as value/mask over the key. */
static int
key_rule_build(const struct flow_rule *r, struct key_rule *kr, struct rte_flow_error *e)
{
	const struct rte_flow_item *it;
	struct key_walk w = { .tags = 0 };
	int ret;

	memset(kr, 0, sizeof(*kr));
	for (it = r->pattern; it->type != RTE_FLOW_ITEM_TYPE_END; it++) {
		const struct item_map *im = item_map_find(it->type);

		if (im == NULL)
			return acl_refuse(e, it, "software classifier (rte_acl): item type "
				"not supported");
		ret = key_walk_item(&w, it, it == r->pattern, e);
		if (ret == 0)
			ret = key_rule_item(kr, it, im, it->type == RTE_FLOW_ITEM_TYPE_VLAN ?
				w.tags - 1 : 0, e);
		if (ret < 0)
			return ret;
	}
	if (it == r->pattern)
		return 0;     /* the empty pattern: every packet */
	kr->mask.shape = KEY_ETH | w.l3 | w.l4 | w.tun;
	kr->val.shape = KEY_ETH | w.l3 | w.l4 | w.tun;
	if (w.tags > 0) {
		kr->mask.shape |= KEY_VLAN(w.tags);
		kr->val.shape |= KEY_VLAN(w.tags);
	}
	/*
	 * An L3 item follows exactly the rule's tags; without one, more tags may
	 * follow. After 2 tags, key_fill() finds L3 only if the tags end there.
	 */
	if (w.l3 != 0 && w.tags < KEY_TAGS)
		kr->mask.shape |= KEY_VLAN(w.tags + 1);
	/* Which tunnel it is, the UDP destination port says (as in flow_soft.c). */
	if (w.tun != 0) {
		ret = key_rule_tunnel_port(kr, w.port, e);
		if (ret < 0)
			return ret;
	}
	kr->implicit_eth = !w.eth && w.tags == 0 && w.l3 != 0;
	return 0;
}

/* True when a match of r goes on with the next rule of its group (PASSTHRU, no fate). */
static bool
rule_continues(const struct flow_rule *r)
{
	const struct rte_flow_action *a;
	bool passthru = false;

	for (a = r->actions; a->type != RTE_FLOW_ACTION_TYPE_END; a++)
		switch (a->type) {
		case RTE_FLOW_ACTION_TYPE_QUEUE:
		case RTE_FLOW_ACTION_TYPE_DROP:
		case RTE_FLOW_ACTION_TYPE_RSS:
		case RTE_FLOW_ACTION_TYPE_JUMP:
			return false;
		case RTE_FLOW_ACTION_TYPE_PASSTHRU:
			passthru = true;
			break;
		default:
			break;
		}
	return passthru;
}

/* What one rule needs of rte_acl, whatever the others are. */
static int
acl_check_rule(const struct flow_rule *r, struct rte_flow_error *e)
{
	const struct rte_flow_action *a;
	struct key_rule kr;

	if (r->attr.group > FLOW_SOFT_MAX_GROUP) {
		flow_error_set(e, EINVAL, RTE_FLOW_ERROR_TYPE_ATTR_GROUP, NULL,
			"software classifier (rte_acl): group above 15");
		return -EINVAL;
	}
	for (a = r->actions; a->type != RTE_FLOW_ACTION_TYPE_END; a++) {
		const struct rte_flow_action_jump *j = a->conf;

		if (a->type == RTE_FLOW_ACTION_TYPE_JUMP &&
		    (j->group <= r->attr.group || j->group > FLOW_SOFT_MAX_GROUP)) {
			flow_error_set(e, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION, a,
				"software classifier (rte_acl): jump to a higher group, "
				"15 at most");
			return -EINVAL;
		}
	}
	return key_rule_build(r, &kr, e);
}

int
flow_acl_check(const struct flow_rule *r, const struct flow_soft_rule *rules,
		unsigned int nb_rules, struct rte_flow_error *e)
{
	unsigned int i, passthru = 0;
	int ret;

	memset(e, 0, sizeof(*e));
	ret = acl_check_rule(r, e);
	if (ret < 0 || !rule_continues(r))
		return ret;
	for (i = 0; i < nb_rules; i++)
		passthru += rules[i].rule->attr.group == r->attr.group &&
			rule_continues(rules[i].rule);
	if (passthru >= FLOW_ACL_MAX_PASSTHRU) {
		flow_error_set(e, ENOSPC, RTE_FLOW_ERROR_TYPE_ACTION, NULL,
			"software classifier (rte_acl): 15 passthru rules in this group already "
			"(one rte_acl category each, 16 at most)");
		return -ENOSPC;
	}
	return 0;
}

/* The 4 key bytes at off as the host-order number rte_acl wants of network bytes. */
static uint32_t
key_word(const struct flow_acl_key *k, unsigned int off)
{
	const uint8_t *p = (const uint8_t *)k + off;

	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * The rule over the layout's fields: the shape byte one of its own
 * (rte_acl wants a first field of 1 byte), then 4-byte BITMASK ones.
 */
static void
acl_rule_fields(struct flow_acl_rule *ar, const struct key_rule *kr,
		const struct flow_acl_layout *lo)
{
	struct flow_acl_key val = kr->val, mask = kr->mask;
	unsigned int f;

	flow_acl_pack(lo, &val);
	flow_acl_pack(lo, &mask);
	ar->field[0].value.u8 = val.shape;
	ar->field[0].mask_range.u8 = mask.shape;
	for (f = 0; f < lo->nb_fields; f++) {
		ar->field[1 + f].value.u32 = key_word(&val, lo->field_off[f]);
		ar->field[1 + f].mask_range.u32 = key_word(&mask, lo->field_off[f]);
	}
}

/*
 * Adds rule number idx (position pos of n in its group, after `before`
 * PASSTHRU rules) to ctx: priority by position, categories 0..before.
 */
static int
acl_add_rule(const struct flow_acl *acl, struct rte_acl_ctx *ctx, const struct flow_rule *r,
		unsigned int idx, unsigned int pos, unsigned int n, unsigned int before)
{
	const struct flow_acl_layout *lo = &acl->layout;
	struct flow_acl_rule ar[2];
	struct rte_flow_error e;
	struct key_rule kr;
	unsigned int nb = 1;
	int ret;

	ret = key_rule_build(r, &kr, &e);
	if (ret < 0)
		return ret;
	memset(ar, 0, sizeof(ar));
	ar[0].data.category_mask = RTE_LEN2MASK(before + 1, uint32_t);
	ar[0].data.priority = (int32_t)(n - pos);
	ar[0].data.userdata = idx + 1;
	/* Without eth, flow_soft.c skips one 0x8100 tag: untagged, or one such tag. */
	if (kr.implicit_eth) {
		ar[1].data = ar[0].data;
		acl_rule_fields(&ar[0], &kr, lo);
		kr.val.shape |= KEY_VLAN(1);
		kr.mask.shape |= KEY_VLAN(2);
		kr.val.eth_type[0] = RTE_ETHER_TYPE_VLAN >> 8;
		kr.val.eth_type[1] = RTE_ETHER_TYPE_VLAN & 0xff;
		kr.mask.eth_type[0] = 0xff;
		kr.mask.eth_type[1] = 0xff;
		acl_rule_fields(&ar[1], &kr, lo);
		nb = 2;
	} else {
		acl_rule_fields(&ar[0], &kr, lo);
	}
	return rte_acl_add_rules(ctx, (const struct rte_acl_rule *)ar, nb);
}

/* One group's context from rules[first..first+n). */
static int
acl_group_build(struct flow_acl *acl, uint32_t g, unsigned int first, unsigned int n)
{
	struct rte_acl_param prm = { .socket_id = SOCKET_ID_ANY,
		.rule_size = RTE_ACL_RULE_SZ(ACL_MAX_FIELDS), .max_rule_num = 2 * n };
	struct rte_acl_config cfg;
	struct rte_acl_ctx *ctx;
	char name[RTE_ACL_NAMESIZE];
	unsigned int i, f, before = 0;
	int ret;

	snprintf(name, sizeof(name), "flow_acl_%u_g%u",
		__atomic_fetch_add(&acl_names, 1, __ATOMIC_RELAXED), g);
	prm.name = name;
	ctx = rte_acl_create(&prm);
	if (ctx == NULL)
		return rte_errno ? -rte_errno : -ENOMEM;
	acl->group[g].ctx = ctx;
	for (i = 0; i < n; i++) {
		const struct flow_rule *r = acl->rules[first + i].rule;

		ret = acl_add_rule(acl, ctx, r, first + i, i, n, before);
		if (ret < 0)
			return ret;
		if (rule_continues(r)) {
			if (++before > FLOW_ACL_MAX_PASSTHRU)
				return -ENOSPC;
			acl->action[first + i].next_category = (uint8_t)before;
		}
	}
	memset(&cfg, 0, sizeof(cfg));
	/* rte_acl_classify() takes 1 category, or a multiple of 4. */
	cfg.num_categories = before == 0 ? 1 :
		RTE_ALIGN_CEIL(before + 1, RTE_ACL_RESULTS_MULTIPLIER);
	cfg.num_fields = 1 + acl->layout.nb_fields;
	for (f = 0; f < cfg.num_fields; f++) {
		cfg.defs[f].type = RTE_ACL_FIELD_TYPE_BITMASK;
		cfg.defs[f].size = f == 0 ? 1 : 4;
		cfg.defs[f].field_index = (uint8_t)f;
		cfg.defs[f].input_index = (uint8_t)f;
		cfg.defs[f].offset = f == 0 ? 0 : acl->layout.field_off[f - 1];
	}
	acl->group[g].nb_categories = cfg.num_categories;
	ret = rte_acl_build(ctx, &cfg);
	if (ret < 0)
		return ret;
	return 0;
}

/*
 * Which bytes of the key these rules read: the words of which some rule
 * compares more than ACL_PACK_WORD bytes, where they are; the bytes some
 * rule compares of the other words, packed. The Ethernet type counts for a
 * rule without eth, which accepts one 0x8100 tag.
 */
static int
acl_layout(struct flow_acl *acl)
{
	struct flow_acl_layout *lo = &acl->layout;
	uint8_t used[4 * (1 + ACL_KEY_WORDS)] = { 0 };
	unsigned int i, j, w, n;
	struct rte_flow_error e;
	struct key_rule kr;
	int ret;

	for (i = 0; i < acl->nb_rules; i++) {
		const uint8_t *mask = (const uint8_t *)&kr.mask;

		ret = key_rule_build(acl->rules[i].rule, &kr, &e);
		if (ret < 0)
			return ret;
		for (j = 4; j < sizeof(used); j++)
			used[j] |= mask[j] != 0;
		if (kr.implicit_eth)
			memset(&used[KEY_OFF(eth_type)], 1, sizeof(kr.mask.eth_type));
	}
	memset(lo, 0, sizeof(*lo));
	for (w = 1; w <= ACL_KEY_WORDS; w++) {
		for (j = 4 * w, n = 0; j < 4 * w + 4; j++)
			n += used[j];
		if (n > ACL_PACK_WORD) {
			lo->field_off[lo->nb_fields++] = (uint8_t)(4 * w);
			continue;
		}
		for (j = 4 * w; j < 4 * w + 4; j++)
			if (used[j])
				lo->pack_from[lo->nb_packed++] = (uint8_t)j;
	}
	for (j = 0; j < lo->nb_packed; j += 4)
		lo->field_off[lo->nb_fields++] = (uint8_t)(KEY_OFF(packed) + j);
	/* One field after the shape even if no rule needs it: all-wild, it costs no transition. */
	if (lo->nb_fields == 0)
		lo->field_off[lo->nb_fields++] = KEY_OFF(packed);
	return 0;
}

/*
 * The classify method: measured on the first rules compiled, with keys their
 * first group's rules match (of varied depth, as traffic's); kept after.
 */
static int
acl_pick_alg(struct flow_acl *acl)
{
	static struct flow_acl_key keys[FLOW_ACL_CALIB_KEYS];
	static int best = -1;
	const uint8_t *data[FLOW_ACL_CALIB_KEYS];
	struct rte_flow_error e;
	struct key_rule kr;
	unsigned int i, n;
	uint32_t g;

	if (acl->nb_rules == 0)
		return 0;
	if (best >= 0)
		return flow_acl_set_alg(acl, (enum rte_acl_classify_alg)best);
	g = acl->rules[0].rule->attr.group;
	for (n = 0; n < acl->nb_rules && acl->rules[n].rule->attr.group == g; n++)
		;
	for (i = 0; i < FLOW_ACL_CALIB_KEYS; i++) {
		if (key_rule_build(acl->rules[i % n].rule, &kr, &e) < 0)
			return -EINVAL;
		keys[i] = kr.val;
		flow_acl_pack(&acl->layout, &keys[i]);
		data[i] = (const uint8_t *)&keys[i];
	}
	best = flow_acl_best_alg(acl->group[g].ctx, data);
	return flow_acl_set_alg(acl, (enum rte_acl_classify_alg)best);
}

/*
 * What rule sr's match does, from flow_soft_apply() on a verdict that shows
 * which fields it set (a queue of INT16_MIN is none: queues are 0..1023).
 */
static void
acl_action_build(struct acl_action *act, const struct flow_soft_rule *sr)
{
	const struct rte_flow_action *a;
	struct flow_soft_verdict v = { .queue = INT16_MIN };
	uint32_t group = 0;
	bool jumped;

	act->rule_id = sr->id;
	for (a = sr->rule->actions; a->type != RTE_FLOW_ACTION_TYPE_END; a++)
		if (a->type == RTE_FLOW_ACTION_TYPE_RSS) {
			act->flags = ACT_RSS;
			return;
		}
	act->flags = flow_soft_apply(sr->rule, NULL, &v, &group, &jumped) ? ACT_ENDS : 0;
	act->flags |= (v.queue != INT16_MIN ? ACT_QUEUE : 0) | (v.drop ? ACT_DROP : 0) |
		(v.marked ? ACT_MARK : 0) | (jumped ? ACT_JUMP : 0);
	act->queue = v.queue;
	act->mark = v.mark;
	act->group = group;
}

struct flow_acl *
flow_acl_build(struct flow_soft_rule *rules, unsigned int nb_rules)
{
	struct flow_acl *acl;
	unsigned int i, first;
	int ret = 0;

	acl = calloc(1, sizeof(*acl));
	if (acl == NULL ||
	    (acl->action = calloc(nb_rules + 1, sizeof(acl->action[0]))) == NULL) {
		free(acl);
		rte_errno = ENOMEM;
		return NULL;
	}
	acl->rules = rules;
	acl->nb_rules = nb_rules;
	ret = acl_layout(acl);
	for (i = 0; i < nb_rules; i++)
		acl_action_build(&acl->action[i], &rules[i]);
	/* rules[] is sorted by group: one context per run of a group. */
	for (first = 0; first < nb_rules && ret == 0; first = i) {
		uint32_t g = rules[first].rule->attr.group;

		for (i = first; i < nb_rules && rules[i].rule->attr.group == g; i++)
			;
		ret = g > FLOW_SOFT_MAX_GROUP ? -EINVAL : acl_group_build(acl, g, first, i - first);
	}
	if (ret == 0)
		ret = acl_pick_alg(acl);
	if (ret < 0) {
		flow_acl_free(acl);
		rte_errno = -ret;
		return NULL;
	}
	return acl;
}

void
flow_acl_free(struct flow_acl *acl)
{
	unsigned int g;

	if (acl == NULL)
		return;
	for (g = 0; g <= FLOW_SOFT_MAX_GROUP; g++)
		rte_acl_free(acl->group[g].ctx);
	free(acl->action);
	free(acl);
}
