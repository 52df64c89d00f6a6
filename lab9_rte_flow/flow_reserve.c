/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The queue-0 reservation: while a rule is installed, traffic that no rule
 * claims is kept off queue 0, so queue 0 shows only what the rules put
 * there. Three ways, in the order tried: the port's RSS redirection table
 * (RETA) lists queues 1..N-1 only; without a RETA (TAP), catch-all rules
 * below every student rule spread the rest; in software mode, the
 * software RETA does it, or, on a port with real RSS queues and a RETA but
 * no rte_flow (virtio), the NIC's RETA itself: the NIC keeps queue 0 free,
 * the software rules put their matches there.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_flow.h>

#include "flow_lab.h"
#include "lab_log.h"
#include "lab_port.h"

/*
 * The lab's own catch-all rules: the lowest priorities TAP can express
 * (it adds 17 to the priority inside a 12-bit field).
 */
#define FLOW_RESERVE_PRIORITY 4000
#define FLOW_RESERVE_SPREAD_BITS 4   /* 16 source-address buckets over queues 1..N-1 */
#define FLOW_MAX_RESERVE_RULES ((1 << FLOW_RESERVE_SPREAD_BITS) + 1)
#define FLOW_SOFT_RETA_SIZE 128

static struct {
	uint16_t port_id;
	uint16_t nb_queues;
	uint16_t reta_size;
	enum flow_reserve_method method;   /* what the port allows */
	bool reserved;                     /* in force now */
	struct rte_flow *reserve_flows[FLOW_MAX_RESERVE_RULES];
	struct flow_rule *reserve_rules[FLOW_MAX_RESERVE_RULES];
	unsigned int nb_reserve;
	uint16_t soft_reta[FLOW_SOFT_RETA_SIZE];
	bool nic_reta;                     /* software mode: the NIC's RETA in use too */
	char method_name[128];
} res;

/*
 * The software RETA: rx lcores read it while the prompt may rewrite it, one
 * 16-bit entry at a time, as a NIC's RETA is rewritten under traffic. A
 * packet classified during the change goes to the old or the new queue.
 */
static void
flow_soft_reta_fill(bool reserve)
{
	unsigned int i;

	for (i = 0; i < FLOW_SOFT_RETA_SIZE; i++)
		__atomic_store_n(&res.soft_reta[i], reserve && res.nb_queues > 1 ?
			(uint16_t)(1 + i % (res.nb_queues - 1)) : (uint16_t)(i % res.nb_queues),
			__ATOMIC_RELAXED);
}

uint16_t
flow_reserve_soft_queue(uint32_t rss_hash, uint16_t rx_queue)
{
	/* The NIC's RETA chose the queue already: the software one would be a guess. */
	if (res.nic_reta)
		return rx_queue;
	return __atomic_load_n(&res.soft_reta[rss_hash % FLOW_SOFT_RETA_SIZE], __ATOMIC_RELAXED);
}

/* Zeroes reta and selects its first reta_size entries (as update and query need). */
static void
flow_reta_select(struct rte_eth_rss_reta_entry64 *reta, size_t nb_groups)
{
	unsigned int i;

	memset(reta, 0, nb_groups * sizeof(*reta));
	for (i = 0; i < res.reta_size; i++)
		reta[i / RTE_ETH_RETA_GROUP_SIZE].mask |= UINT64_C(1) << (i %
			RTE_ETH_RETA_GROUP_SIZE);
}

static int
flow_reta_fill(bool reserve)
{
	struct rte_eth_rss_reta_entry64 reta[RTE_ETH_RSS_RETA_SIZE_512 /
		RTE_ETH_RETA_GROUP_SIZE];
	unsigned int i;

	if (res.reta_size == 0 || res.reta_size > RTE_ETH_RSS_RETA_SIZE_512)
		return -ENOTSUP;
	flow_reta_select(reta, RTE_DIM(reta));
	for (i = 0; i < res.reta_size; i++) {
		reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] =
			reserve ? (uint16_t)(1 + i % (res.nb_queues - 1)) :
			(uint16_t)(i % res.nb_queues);
	}
	return rte_eth_dev_rss_reta_update(res.port_id, reta, res.reta_size);
}

static void
flow_catchall_remove(void)
{
	struct rte_flow_error e;
	unsigned int i;
	int ret;

	for (i = 0; i < res.nb_reserve; i++) {
		if (res.reserve_flows[i] != NULL) {
			ret = rte_flow_destroy(res.port_id, res.reserve_flows[i], &e);
			if (ret < 0)
				flow_error_print(stdout, "destroy of the lab's catch-all rule", ret,
					&e, res.reserve_rules[i]);
		}
		free(res.reserve_rules[i]);
		res.reserve_flows[i] = NULL;
		res.reserve_rules[i] = NULL;
	}
	res.nb_reserve = 0;
}

/*
 * Without a usable RETA (TAP), the rest of the traffic is spread over
 * queues 1..N-1 by the low bits of the IPv4 source, and anything else goes
 * to queue 1, by rules below every rule the student writes.
 */
static int
flow_catchall_install(FILE *out)
{
	char text[FLOW_RULE_TEXT];
	unsigned int buckets = 1u << FLOW_RESERVE_SPREAD_BITS, i;
	struct rte_flow_error e;
	struct rte_flow *flow;
	struct flow_rule *r;
	int ret;

	for (i = 0; i <= buckets; i++) {
		if (i < buckets)
			snprintf(text, sizeof(text), "ingress priority %u pattern eth / ipv4 src "
				"spec 0.0.0.%u src mask 0.0.0.%u / end "
				"actions queue index %u / end",
				FLOW_RESERVE_PRIORITY, i, buckets - 1,
				1 + i % (res.nb_queues - 1));
		else
			snprintf(text, sizeof(text), "ingress priority %u pattern eth / end "
				"actions queue index 1 / end", FLOW_RESERVE_PRIORITY + 1);
		r = flow_rule_parse(text, "catch-all", out);
		if (r == NULL)
			goto fail;
		res.reserve_rules[res.nb_reserve] = r;
		memset(&e, 0, sizeof(e));
		flow = rte_flow_create(res.port_id, &r->attr, r->pattern, r->actions, &e);
		res.reserve_flows[res.nb_reserve] = flow;
		res.nb_reserve++;
		if (flow == NULL) {
			ret = rte_errno ? -rte_errno : -EIO;
			flow_error_print(out, "catch-all rule", ret, &e, r);
			goto fail;
		}
	}
	return 0;
fail:
	flow_catchall_remove();
	return -EIO;
}

/* Keeps queue 0 for classified traffic while want (at least one rule installed). */
void
flow_reserve_update(bool want, FILE *out)
{
	int ret = 0;

	if (want == res.reserved || res.nb_queues < 2)
		return;
	switch (res.method) {
	case FLOW_RESERVE_RETA:
		ret = flow_reta_fill(want);
		if (ret < 0)
			LAB_LOG(WARNING, "port %u: RETA update failed: %s", res.port_id,
				strerror(-ret));
		break;
	case FLOW_RESERVE_CATCHALL:
		if (want)
			ret = flow_catchall_install(out);
		else
			flow_catchall_remove();
		break;
	case FLOW_RESERVE_SOFTWARE:
		flow_soft_reta_fill(want);
		if (res.nic_reta) {
			ret = flow_reta_fill(want);
			if (ret < 0)
				LAB_LOG(WARNING, "port %u: RETA update failed: %s", res.port_id,
					strerror(-ret));
		}
		break;
	default:
		return;
	}
	if (ret == 0) {
		res.reserved = want;
		if (want)
			fprintf(out, "queue 0 reserved for classified traffic (%s)\n",
				flow_reserve_method_name());
		else if (res.method == FLOW_RESERVE_CATCHALL)
			fprintf(out, "queue 0 back in the plain RSS spread: reservation removed "
				"(catch-all rules removed)\n");
		else
			/* What is true now, not the method that kept queue 0 free. */
			fprintf(out, "queue 0 back in the plain RSS spread: reservation removed "
				"(%s lists queues 0-%u again)\n",
				res.method == FLOW_RESERVE_RETA || res.nic_reta ?
				"the RSS redirection table (RETA)" : "the software RETA",
				res.nb_queues > 1 ? res.nb_queues - 1u : 0u);
	} else {
		fprintf(out, "could not keep unclassified traffic off queue 0 (%s)\n",
			flow_reserve_method_name());
	}
}

bool
flow_reserve_nic_reta(void)
{
	return res.nic_reta;
}

const char *
flow_reserve_method_name(void)
{
	return res.method_name;
}

/* The method in words, with the queues it spreads the rest over. */
static void
flow_reserve_name_method(void)
{
	unsigned int last = res.nb_queues > 1 ? res.nb_queues - 1u : 0;
	char *b = res.method_name;
	size_t len = sizeof(res.method_name);

	switch (res.method) {
	case FLOW_RESERVE_RETA:
		snprintf(b, len, "RSS redirection table (RETA) lists queues 1-%u only", last);
		break;
	case FLOW_RESERVE_CATCHALL:
		snprintf(b, len, "lowest-priority catch-all rules spread the rest over queues "
			"1-%u (TAP has no RETA)", last);
		break;
	case FLOW_RESERVE_SOFTWARE:
		if (res.nic_reta)
			snprintf(b, len, "the NIC's RSS redirection table (RETA) lists "
				"queues 1-%u only; the software rules put their matches on "
				"their queue", last);
		else
			snprintf(b, len, "software RETA lists virtual queues 1-%u only", last);
		break;
	case FLOW_RESERVE_UNAVAILABLE:
		snprintf(b, len, "unavailable on this port (no RETA, no catch-all method)");
		break;
	default:
		snprintf(b, len, "none");
		break;
	}
}

int
flow_reserve_init(uint16_t port_id, enum flow_mode mode, uint16_t nb_queues,
		const struct rte_eth_dev_info *info)
{
	memset(&res, 0, sizeof(res));
	res.port_id = port_id;
	res.nb_queues = nb_queues;
	res.reta_size = info->reta_size;
	flow_soft_reta_fill(false);
	if (mode == FLOW_MODE_SOFTWARE) {
		res.method = FLOW_RESERVE_SOFTWARE;
		/*
		 * A NIC with real queues, as many as the virtual ones, and a RETA:
		 * the NIC spreads. A vdev's RETA (net_null's) steers nothing.
		 */
		res.nic_reta = !lab_port_is_virtual(info) && info->reta_size > 0 &&
			info->nb_rx_queues == nb_queues && nb_queues > 1 &&
			flow_reta_fill(false) == 0;
	} else if (info->reta_size > 0 && flow_reta_fill(false) == 0)
		res.method = FLOW_RESERVE_RETA;
	else if (strcmp(info->driver_name, "net_tap") == 0)
		res.method = FLOW_RESERVE_CATCHALL;
	else
		res.method = FLOW_RESERVE_UNAVAILABLE;
	flow_reserve_name_method();
	return 0;
}

bool
flow_reserve_active(void)
{
	return res.reserved;
}

int
flow_reserve_reta_queues(bool queues[FLOW_MAX_QUEUES])
{
	struct rte_eth_rss_reta_entry64 reta[RTE_ETH_RSS_RETA_SIZE_512 /
		RTE_ETH_RETA_GROUP_SIZE];
	unsigned int i;
	int ret;

	memset(queues, 0, FLOW_MAX_QUEUES * sizeof(queues[0]));
	if (!res.nic_reta && res.method != FLOW_RESERVE_RETA)
		return -ENOTSUP;
	flow_reta_select(reta, RTE_DIM(reta));
	ret = rte_eth_dev_rss_reta_query(res.port_id, reta, res.reta_size);
	if (ret < 0)
		return ret;
	for (i = 0; i < res.reta_size; i++)
		queues[reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] %
			FLOW_MAX_QUEUES] = true;
	return res.reta_size;
}

void
flow_reserve_fini(void)
{
	flow_reserve_update(false, stdout);
	flow_catchall_remove();
}
