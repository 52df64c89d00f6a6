/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for lab 9's testpmd-syntax rule parser (flow_parse.c).
 * The input is one rule's text. Invariants:
 *  - a refused rule gets a message naming its origin, and nothing leaks;
 *  - a parsed rule is self-contained: every spec, mask and conf points into
 *    the rule itself, each RSS action into queue storage of its own;
 *  - it prints back (flow_rule_format) to text that parses to the same rule,
 *    and printing that again gives the same text (a canonical form).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_flow.h>

#include "flow_lab.h"

#define ORIGIN "fuzz"

static char *err_buf;
static size_t err_len;
static FILE *err_stream;

static void
check(bool cond, const char *what, const char *text)
{
	if (!cond) {
		fprintf(stderr, "fuzz_lab9_rule: invariant broken: %s\n  rule: %s\n", what,
			text ? text : "");
		abort();
	}
}

static bool
points_into(const void *p, const void *base, size_t size)
{
	return (const char *)p >= (const char *)base &&
		(const char *)p < (const char *)base + size;
}

static void
check_self_contained(const struct flow_rule *r)
{
	bool used[FLOW_MAX_RSS_QUEUES] = { false };
	unsigned int i, q;

	check(r->nb_items <= FLOW_MAX_ITEMS && r->nb_actions >= 1 &&
		r->nb_actions <= FLOW_MAX_ACTIONS, "item and action counts", r->text);
	check(r->pattern[r->nb_items].type == RTE_FLOW_ITEM_TYPE_END, "pattern ends", r->text);
	check(r->actions[r->nb_actions].type == RTE_FLOW_ACTION_TYPE_END, "actions end",
		r->text);
	for (i = 0; i < r->nb_items; i++) {
		const struct rte_flow_item *it = &r->pattern[i];

		check(it->type != RTE_FLOW_ITEM_TYPE_END && it->last == NULL, "item", r->text);
		check((it->spec == NULL) == (it->mask == NULL), "spec and mask together",
			r->text);
		check(it->spec == NULL || (it->spec == &r->spec[i] && it->mask == &r->mask[i]),
			"item spec/mask in the rule", r->text);
	}
	for (i = 0; i < r->nb_actions; i++) {
		const struct rte_flow_action *a = &r->actions[i];
		const struct rte_flow_action_rss *rss;

		check(a->type != RTE_FLOW_ACTION_TYPE_END, "action", r->text);
		check(a->conf == NULL || a->conf == &r->conf[i], "action conf in the rule",
			r->text);
		if (a->type != RTE_FLOW_ACTION_TYPE_RSS)
			continue;
		rss = a->conf;
		check(rss != NULL && rss->key_len == 0 && rss->queue_num <= FLOW_MAX_RSS_QUEUES,
			"rss conf", r->text);
		if (rss->queue_num == 0)
			continue;
		check(points_into(rss->queue, r->rss_queues, sizeof(r->rss_queues)) &&
			points_into(rss->queue + rss->queue_num - 1, r->rss_queues,
				sizeof(r->rss_queues)), "rss queues in the rule", r->text);
		/* Two RSS actions sharing storage would overwrite each other's queues. */
		for (q = 0; q < rss->queue_num; q++) {
			size_t k = (size_t)(rss->queue + q - r->rss_queues);

			check(!used[k], "each rss action has queue storage of its own", r->text);
			used[k] = true;
		}
	}
}

/* Same rule: attributes, items (spec and mask bytes), actions and their conf. */
static bool
same_rule(const struct flow_rule *a, const struct flow_rule *b)
{
	unsigned int i;

	if (memcmp(&a->attr, &b->attr, sizeof(a->attr)) != 0 ||
	    a->nb_items != b->nb_items || a->nb_actions != b->nb_actions)
		return false;
	for (i = 0; i < a->nb_items; i++) {
		if (a->pattern[i].type != b->pattern[i].type ||
		    (a->pattern[i].spec == NULL) != (b->pattern[i].spec == NULL) ||
		    memcmp(&a->spec[i], &b->spec[i], sizeof(a->spec[i])) != 0 ||
		    memcmp(&a->mask[i], &b->mask[i], sizeof(a->mask[i])) != 0)
			return false;
	}
	for (i = 0; i < a->nb_actions; i++) {
		const union flow_action_data *ca = &a->conf[i], *cb = &b->conf[i];

		if (a->actions[i].type != b->actions[i].type ||
		    (a->actions[i].conf == NULL) != (b->actions[i].conf == NULL))
			return false;
		switch (a->actions[i].type) {
		case RTE_FLOW_ACTION_TYPE_QUEUE:
			if (ca->queue.index != cb->queue.index)
				return false;
			break;
		case RTE_FLOW_ACTION_TYPE_MARK:
			if (ca->mark.id != cb->mark.id)
				return false;
			break;
		case RTE_FLOW_ACTION_TYPE_JUMP:
			if (ca->jump.group != cb->jump.group)
				return false;
			break;
		case RTE_FLOW_ACTION_TYPE_RSS:
			if (ca->rss.func != cb->rss.func || ca->rss.level != cb->rss.level ||
			    ca->rss.types != cb->rss.types || ca->rss.key_len != cb->rss.key_len ||
			    ca->rss.queue_num != cb->rss.queue_num ||
			    (ca->rss.queue_num != 0 && memcmp(ca->rss.queue, cb->rss.queue,
					ca->rss.queue_num * sizeof(ca->rss.queue[0])) != 0))
				return false;
			break;
		default:
			break;
		}
	}
	return true;
}

static struct flow_rule *
parse(const char *text)
{
	struct flow_rule *r;

	rewind(err_stream);
	fflush(err_stream);
	r = flow_rule_parse(text, ORIGIN, err_stream);
	fflush(err_stream);
	if (r == NULL)
		check(err_len > strlen(ORIGIN ": ") &&
			memcmp(err_buf, ORIGIN ": ", strlen(ORIGIN ": ")) == 0,
			"a refusal says why, naming the rule's origin", text);
	else
		check(err_len == 0, "an accepted rule prints no error", text);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[4096], printed[4096], reprinted[4096];
	struct flow_rule *first, *second;
	int len, relen;

	if (err_stream == NULL) {
		err_stream = open_memstream(&err_buf, &err_len);
		if (err_stream == NULL)
			abort();
	}
	if (size >= sizeof(text))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	first = parse(text);
	if (first == NULL)
		return 0;
	check_self_contained(first);

	len = flow_rule_format(first, printed, sizeof(printed));
	check(len > 0 && (size_t)len == strlen(printed), "the printer's length", text);
	/* Too small a buffer: refused, never truncated into another rule. */
	check(flow_rule_format(first, reprinted, (size_t)len) == -ENOSPC,
		"the printer refuses a short buffer", text);
	if (len >= FLOW_RULE_TEXT) {
		/*
		 * The canonical form can be longer than what was typed (::ffff:ffff:ffff
		 * prints as ::ffff:255.255.255.255), past what the parser takes:
		 * nothing to compare.
		 */
		free(first);
		return 0;
	}
	second = parse(printed);
	check(second != NULL, "the printed rule parses", printed);
	check_self_contained(second);
	if (!same_rule(first, second)) {
		fprintf(stderr, "  printed: %s\n", printed);
		check(false, "the printed rule is the same rule", text);
	}
	relen = flow_rule_format(second, reprinted, sizeof(reprinted));
	check(relen == len && strcmp(printed, reprinted) == 0, "printing is canonical",
		printed);
	free(first);
	free(second);
	return 0;
}
