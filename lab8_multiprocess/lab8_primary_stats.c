/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lab 8 primary: the counters, summed over the primary, the attached
 * secondaries and those that have left. For the telemetry command
 * /lab8/stats (its own thread), the status line and the final report.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_lcore.h>
#include <rte_mempool.h>
#include <rte_seqlock.h>
#include <rte_telemetry.h>

#include "lab_compat.h"
#include "flow_lab.h"
#include "lab8_shared.h"
#include "lab8_primary.h"

/* What /lab8/stats reports: the callback has no argument of its own. */
static const struct lab8_primary *tel_primary;

struct totals {
	uint64_t rx;
	uint64_t enqueued;
	uint64_t drops;
	uint64_t role_packets[LAB8_ROLE_MAX];
	uint64_t direct_rx;
	uint64_t policy[LAB8_VERDICT_MAX];
	uint64_t gtpu;
	unsigned int attached;
	unsigned int pool_size;
	unsigned int pool_avail;
};

/* Safe from the telemetry thread: readers retry while a slot is being folded. */
static void
totals_get(const struct lab8_primary *p, struct totals *t)
{
	const struct lab8_info *info = p->info;
	uint32_t sn;
	unsigned int s, r, v;
	uint16_t q;

	do {
		sn = rte_seqlock_read_begin(&p->fold_lock);
		memset(t, 0, sizeof(*t));
		for (q = 0; q < p->nb_rxq; q++)
			t->rx += __atomic_load_n(&info->primary.rx[q], __ATOMIC_RELAXED);
		for (r = 0; r < LAB8_ROLE_MAX; r++) {
			t->enqueued += __atomic_load_n(&info->primary.enqueued[r],
				__ATOMIC_RELAXED);
			t->drops += __atomic_load_n(&info->primary.ring_full_drops[r],
				__ATOMIC_RELAXED);
			t->role_packets[r] = info->role[r].packets;
			t->direct_rx += info->role[r].direct_rx;
			for (v = 0; v < LAB8_VERDICT_MAX; v++)
				t->policy[v] += info->role[r].policy[v];
			t->gtpu += info->role[r].gtpu;
		}
		for (s = 0; s < LAB8_MAX_SECONDARIES; s++) {
			const struct lab8_slot *slot = &info->slots[s];
			uint32_t state = __atomic_load_n(&slot->state, __ATOMIC_ACQUIRE);

			if (state != LAB8_SLOT_ATTACHED && state != LAB8_SLOT_LEFT)
				continue;
			if (state == LAB8_SLOT_ATTACHED)
				t->attached++;
			if (slot->role < LAB8_ROLE_MAX)
				t->role_packets[slot->role] +=
					__atomic_load_n(&slot->counters.freed, __ATOMIC_RELAXED);
			if (slot->direct)
				t->direct_rx += __atomic_load_n(&slot->counters.taken,
					__ATOMIC_RELAXED);
			for (v = 0; v < LAB8_VERDICT_MAX; v++)
				t->policy[v] += __atomic_load_n(&slot->counters.policy[v],
					__ATOMIC_RELAXED);
			t->gtpu += __atomic_load_n(&slot->counters.gtpu, __ATOMIC_RELAXED);
		}
	} while (rte_seqlock_read_retry(&p->fold_lock, sn));
	/* Packets a direct-queue secondary received came from the port too. */
	t->rx += t->direct_rx;
	t->pool_size = p->pool->size;
	t->pool_avail = rte_mempool_avail_count(p->pool);
}

static int
telemetry_stats(const char *cmd __rte_unused, const char *params __rte_unused,
		struct rte_tel_data *d)
{
	struct totals t;

	totals_get(tel_primary, &t);
	rte_tel_data_start_dict(d);
	lab_tel_data_add_dict_uint(d, "rx_packets", t.rx);
	lab_tel_data_add_dict_uint(d, "enqueued", t.enqueued);
	lab_tel_data_add_dict_uint(d, "ring_full_drops", t.drops);
	lab_tel_data_add_dict_uint(d, "pool_in_use", t.pool_size - t.pool_avail);
	lab_tel_data_add_dict_uint(d, "pool_available", t.pool_avail);
	lab_tel_data_add_dict_uint(d, "enterprise_packets", t.role_packets[LAB8_ROLE_ENTERPRISE]);
	lab_tel_data_add_dict_uint(d, "mobility_packets", t.role_packets[LAB8_ROLE_MOBILITY]);
	lab_tel_data_add_dict_uint(d, "secondaries_attached", t.attached);
	/* FLOW_TABLE's verdicts, as the enterprise secondaries counted them. */
	lab_tel_data_add_dict_uint(d, "policy_allow", t.policy[LAB8_VERDICT_ALLOW]);
	lab_tel_data_add_dict_uint(d, "policy_deny", t.policy[LAB8_VERDICT_DENY]);
	lab_tel_data_add_dict_uint(d, "policy_miss", t.policy[LAB8_VERDICT_MISS]);
	/* GTP-U G-PDUs the secondaries parsed (the mobility role's 5G traffic). */
	lab_tel_data_add_dict_uint(d, "gtpu_packets", t.gtpu);
	/* --rules on the CPU: packets a DROP rule took in the primary. */
	lab_tel_data_add_dict_uint(d, "rule_drops",
		__atomic_load_n(&tel_primary->info->primary.rule_drops, __ATOMIC_RELAXED));
	return 0;
}

void
lab8_print_status(const struct lab8_primary *p)
{
	const struct lab8_info *info = p->info;
	struct totals t;
	char line[512];
	int pos;
	uint16_t q;

	totals_get(p, &t);
	pos = snprintf(line, sizeof(line), "lab8_primary: rx");
	for (q = 0; q < p->nb_rxq && pos < (int)sizeof(line); q++)
		pos += snprintf(line + pos, sizeof(line) - pos, " q%u=%" PRIu64 "%s", q,
			info->primary.rx[q], p->queue_owner[q] >= 0 ? "(direct)" : "");
	if (pos < (int)sizeof(line))
		snprintf(line + pos, sizeof(line) - pos,
			" | enq E=%" PRIu64 " M=%" PRIu64 " | ring_full_drops E=%" PRIu64
			" M=%" PRIu64 " | pool in use %u avail %u | secondaries %u",
			info->primary.enqueued[LAB8_ROLE_ENTERPRISE],
			info->primary.enqueued[LAB8_ROLE_MOBILITY],
			info->primary.ring_full_drops[LAB8_ROLE_ENTERPRISE],
			info->primary.ring_full_drops[LAB8_ROLE_MOBILITY],
			t.pool_size - t.pool_avail, t.pool_avail, t.attached);
	printf("%s\n", line);
	fflush(stdout);
}

void
lab8_print_started(const struct lab8_primary *p, uint16_t nb_queues)
{
	const struct lab8_info *info = p->info;
	/* With the NIC's RETA spreading the rest, only a match's queue is the rules' choice. */
	bool nic_spreads = p->soft_rules && flow_reserve_nic_reta();
	char range[LAB8_ROLE_MAX][12];
	unsigned int r;

	if (nic_spreads)
		printf("lab8_primary: the rules put their matches on their queue, the NIC's RSS "
			"spreads the rest; %u rx queues, all polled here\n", p->nb_rxq);
	else if (p->soft_rules)
		printf("lab8_primary: the rules choose among %u virtual queues; the port has %u "
			"rx queue(s), all polled here\n", nb_queues, p->nb_rxq);
	for (r = 0; r < LAB8_ROLE_MAX; r++) {
		/* A role without queues has first > last: say so, not "65535-0". */
		if (info->role_queue_first[r] <= info->role_queue_last[r])
			snprintf(range[r], sizeof(range[r]), "%u-%u", info->role_queue_first[r],
				info->role_queue_last[r]);
		else
			snprintf(range[r], sizeof(range[r]), "none");
	}
	printf("lab8_primary: port %u, %u %srx queues (%s -> %s, %s -> %s), rings of %u, "
		"%s of %u mbufs on socket %d, lcores %u; pid %d. Ctrl-C to stop.\n",
		info->port_id, nb_queues, p->soft_rules && !nic_spreads ? "virtual " : "",
		range[0], LAB8_RING_ENTERPRISE, range[1], LAB8_RING_MOBILITY, info->ring_size,
		LAB8_MBUF_POOL, p->pool->size, p->pool->socket_id,
		rte_lcore_id(), getpid());
	if (nb_queues < 2)
		printf("lab8_primary: one rx queue: nothing goes to %s\n", LAB8_RING_MOBILITY);
	fflush(stdout);
}

/* One row of the final counters: every label in one column, every count in the next. */
static void
final_line(const char *label, uint64_t value, const char *note)
{
	printf("  %-28s %12" PRIu64 "%s\n", label, value, note);
}

void
lab8_print_final(const struct lab8_primary *p)
{
	const struct lab8_info *info = p->info;
	struct totals t;
	char label[48], note[64];
	unsigned int r;
	uint16_t q;

	totals_get(p, &t);
	printf("lab8_primary: final counters\n");
	for (q = 0; q < p->nb_rxq; q++) {
		snprintf(label, sizeof(label), "rx queue %u", q);
		final_line(label, info->primary.rx[q], p->queue_owner[q] >= 0 ?
			" (read by a direct-queue secondary)" : "");
	}
	for (q = 0; p->soft_rules && q < p->nb_rule_queues; q++) {
		snprintf(label, sizeof(label), "rules' queue %u -> %s", q,
			lab8_role_name(lab8_queue_role(q, p->nb_rule_queues)));
		final_line(label, info->primary.rule_queue[q], "");
	}
	if (p->soft_rules)
		final_line("dropped by a rule", info->primary.rule_drops, "");
	for (r = 0; r < LAB8_ROLE_MAX; r++) {
		snprintf(label, sizeof(label), "enqueued %s", lab8_role_ring(r));
		final_line(label, info->primary.enqueued[r], "");
	}
	for (r = 0; r < LAB8_ROLE_MAX; r++) {
		snprintf(label, sizeof(label), "ring_full_drops %s", lab8_role_name(r));
		final_line(label, info->primary.ring_full_drops[r], "");
	}
	for (r = 0; r < LAB8_ROLE_MAX; r++) {
		snprintf(label, sizeof(label), "%s packets", lab8_role_name(r));
		snprintf(note, sizeof(note), " (stranded by killed secondaries: %" PRIu64 ")",
			info->role[r].stranded);
		final_line(label, t.role_packets[r], note);
	}
	printf("  pool in use %u, available %u of %u\n", t.pool_size - t.pool_avail,
		t.pool_avail, t.pool_size);
	fflush(stdout);
}

int
lab8_stats_register(const struct lab8_primary *p)
{
	tel_primary = p;
	return rte_telemetry_register_cmd("/lab8/stats", telemetry_stats,
		"Lab 8 counters: rx, enqueued, ring-full drops, pool, per-role packets. "
		"No parameters");
}
