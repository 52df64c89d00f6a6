/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The course's two rules written as C, field by field, the way DPDK's own
 * examples/flow_filtering builds its rule (flow_blocks.c there), and the
 * course's calls: rte_flow_validate() first, then rte_flow_create(), and
 * at the end rte_flow_destroy(). At the prompt: "course create" and
 * "course destroy"; demo-lab9 uses them for steps 2-3 and 6 (create) and
 * 7 (destroy). The same rules as text (FLOW_BLOCK_*_TEXT) are what
 * "flow create 0 ..." takes; test_flow_blocks checks both give one rule.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_flow.h>

#include "flow_lab.h"

#define FLOW_BLOCK_HTTPS_PORT 443
/*
 * 10.0.0.0/8, the spoofed source range, written as numbers: DPDK 22.11's
 * RTE_IPV4() shifts an int, which is undefined for 128.0.0.0 and up.
 */
#define FLOW_BLOCK_SPOOFED_NET 0x0a000000u      /* 10.0.0.0 */
#define FLOW_BLOCK_SPOOFED_MASK 0xff000000u     /* 255.0.0.0, /8 */

static struct flow_rule *
flow_block_alloc(const char *text)
{
	struct flow_rule *r = calloc(1, sizeof(*r));

	if (r != NULL)
		snprintf(r->text, sizeof(r->text), "%s", text);
	return r;
}

/* Steps 2-3: ETH / IPV4 / TCP(dst 443) -> QUEUE 0. */
struct flow_rule *
flow_block_https_to_queue0(void)
{
	struct flow_rule *r = flow_block_alloc(FLOW_BLOCK_HTTPS_TEXT);
	struct rte_flow_item_tcp *tcp_spec, *tcp_mask;
	struct rte_flow_action_queue *queue;

	if (r == NULL)
		return NULL;
	/* Ingress only; priority 1, so the drop rule (priority 0) wins on a spoofed 443. */
	r->attr.ingress = 1;
	r->attr.priority = 1;

	/* Any Ethernet, any IPv4 (no spec: the item only says "this header is here"). */
	r->pattern[0].type = RTE_FLOW_ITEM_TYPE_ETH;
	r->pattern[1].type = RTE_FLOW_ITEM_TYPE_IPV4;
	/* TCP whose destination port is 443: spec gives the value, mask the bits compared. */
	tcp_spec = &r->spec[2].tcp;
	tcp_mask = &r->mask[2].tcp;
	tcp_spec->hdr.dst_port = rte_cpu_to_be_16(FLOW_BLOCK_HTTPS_PORT);
	tcp_mask->hdr.dst_port = rte_cpu_to_be_16(0xffff);
	r->pattern[2].type = RTE_FLOW_ITEM_TYPE_TCP;
	r->pattern[2].spec = tcp_spec;
	r->pattern[2].mask = tcp_mask;
	r->pattern[3].type = RTE_FLOW_ITEM_TYPE_END;
	r->nb_items = 3;

	/* Fate: rx queue 0. */
	queue = &r->conf[0].queue;
	queue->index = 0;
	r->actions[0].type = RTE_FLOW_ACTION_TYPE_QUEUE;
	r->actions[0].conf = queue;
	r->actions[1].type = RTE_FLOW_ACTION_TYPE_END;
	r->nb_actions = 1;
	return r;
}

/* Step 6: ETH / IPV4(src 10.0.0.0/8) -> DROP. */
struct flow_rule *
flow_block_drop_spoofed(void)
{
	struct flow_rule *r = flow_block_alloc(FLOW_BLOCK_DROP_TEXT);
	struct rte_flow_item_ipv4 *ip_spec, *ip_mask;

	if (r == NULL)
		return NULL;
	r->attr.ingress = 1;
	r->attr.priority = 0;

	r->pattern[0].type = RTE_FLOW_ITEM_TYPE_ETH;
	/* The source address under a /8 mask: only its first byte is compared. */
	ip_spec = &r->spec[1].ipv4;
	ip_mask = &r->mask[1].ipv4;
	ip_spec->hdr.src_addr = rte_cpu_to_be_32(FLOW_BLOCK_SPOOFED_NET);
	ip_mask->hdr.src_addr = rte_cpu_to_be_32(FLOW_BLOCK_SPOOFED_MASK);
	r->pattern[1].type = RTE_FLOW_ITEM_TYPE_IPV4;
	r->pattern[1].spec = ip_spec;
	r->pattern[1].mask = ip_mask;
	r->pattern[2].type = RTE_FLOW_ITEM_TYPE_END;
	r->nb_items = 2;

	/* Fate: dropped in the NIC, never seen by any queue. */
	r->actions[0].type = RTE_FLOW_ACTION_TYPE_DROP;
	r->actions[1].type = RTE_FLOW_ACTION_TYPE_END;
	r->nb_actions = 1;
	return r;
}

/* The course rules in force: their table ids and serials (0: not created). */
static struct {
	int id;
	unsigned int serial;
} course[2];

/*
 * Validate, then create, exactly as the course writes it. Returns the rule's
 * table id, or a negative errno with what the PMD said printed.
 */
static int
flow_block_create(uint16_t port_id, struct flow_rule *r, FILE *out)
{
	struct rte_flow_error error;
	struct rte_flow *flow;
	int ret;

	memset(&error, 0, sizeof(error));
	/* Step 2: does the NIC accept this rule? Nothing is installed yet. */
	ret = rte_flow_validate(port_id, &r->attr, r->pattern, r->actions, &error);
	if (ret != 0) {
		flow_error_print(out, "validate", ret, &error, r);
		free(r);
		return ret;
	}
	fprintf(out, "validate: OK\n");
	/* Step 3: install it; from now on the NIC steers matching packets. */
	flow = rte_flow_create(port_id, &r->attr, r->pattern, r->actions, &error);
	if (flow == NULL) {
		ret = rte_errno ? -rte_errno : -EIO;
		flow_error_print(out, "create", ret, &error, r);
		free(r);
		return ret;
	}
	/* The table lists it, counts it in the report and keeps queue 0 reserved. */
	ret = flow_table_adopt(r, flow, out);
	if (ret < 0) {
		rte_flow_destroy(port_id, flow, &error);
		free(r);
	}
	return ret;
}

/* Whether course rule i is still in the table (not destroyed at the prompt since). */
static bool
flow_block_in_force(unsigned int i)
{
	return course[i].serial != 0 && flow_table_serial(course[i].id) == course[i].serial;
}

int
flow_blocks_create(FILE *out)
{
	struct flow_rule *(*const build[])(void) = {
		flow_block_https_to_queue0,
		flow_block_drop_spoofed,
	};
	struct flow_rule *r;
	unsigned int i;
	int ret;

	for (i = 0; i < RTE_DIM(build); i++) {
		if (flow_block_in_force(i)) {
			fprintf(out, "course rule %u: already in force as flow rule #%d\n", i + 1,
				course[i].id);
			continue;
		}
		r = build[i]();
		if (r == NULL)
			return -ENOMEM;
		fprintf(out, "course rule %u (built in C): %s\n", i + 1, r->text);
		/* Software mode: the same rule goes to the CPU's table instead of the NIC. */
		ret = flow_table_mode() == FLOW_MODE_HARDWARE ?
			flow_block_create(flow_table_port(), r, out) : flow_table_create(r, out);
		if (ret < 0)
			return ret;
		course[i].id = ret;
		course[i].serial = flow_table_serial(ret);
	}
	return 0;
}

int
flow_blocks_destroy(FILE *out)
{
	struct rte_flow_error error;
	unsigned int i, n = 0;
	int ret, err = 0;

	for (i = 0; i < RTE_DIM(course); i++) {
		struct rte_flow *flow;

		/* Destroyed at the prompt already, or never created. */
		if (!flow_block_in_force(i))
			continue;
		flow = flow_table_flow(course[i].id);
		if (flow == NULL) {
			/* Software mode: the table holds the only copy of the rule. */
			ret = flow_table_destroy(course[i].id, out);
		} else {
			/* Step 7: the NIC forgets the rule; RSS alone decides again. */
			memset(&error, 0, sizeof(error));
			ret = rte_flow_destroy(flow_table_port(), flow, &error);
			if (ret != 0)
				flow_error_print(out, "destroy", ret, &error, NULL);
			else
				ret = flow_table_forget(course[i].id, out);
		}
		if (ret != 0) {
			err = ret;   /* still in the table, and on the NIC: try again later */
			continue;
		}
		course[i].serial = 0;
		n++;
	}
	fprintf(out, "course destroy: %u rule(s) destroyed\n", n);
	return err;
}

unsigned int
flow_blocks_in_table(bool *https, bool *drop)
{
	unsigned int others = 0;
	const char *text;
	int id;

	*https = *drop = false;
	for (id = 0; id < FLOW_MAX_RULES; id++) {
		text = flow_table_rule_text(id);
		if (text == NULL)
			continue;
		if (strcmp(text, FLOW_BLOCK_HTTPS_TEXT) == 0)
			*https = true;
		else if (strcmp(text, FLOW_BLOCK_DROP_TEXT) == 0)
			*drop = true;
		else
			others++;
	}
	return others;
}
