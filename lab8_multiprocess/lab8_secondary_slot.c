/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lab 8 secondary: its slot in the info block. Claimed on attach after two
 * refusals (an lcore id another live process uses, a ring that already has
 * its consumer); in direct-queue mode, the queues are asked for through it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_lcore.h>

#include "lab_eal.h"
#include "lab_log.h"
#include "lab8_shared.h"
#include "lab8_secondary.h"

/* Direct-queue mode: how long to wait for the primary to hand the queues over. */
#define GRANT_WAIT_MS 2000

/* An lcore id no live process uses, to suggest in a refusal. */
static unsigned int
free_lcore_suggestion(const struct lab8_info *info, const struct lab8_slot *self)
{
	unsigned int lcore, s;

	for (lcore = 0; lcore < RTE_MAX_LCORE; lcore++) {
		bool used = lab8_lcore_isset(info->primary_lcores, lcore) ||
			rte_lcore_is_enabled(lcore);

		for (s = 0; s < LAB8_MAX_SECONDARIES && !used; s++) {
			const struct lab8_slot *o = &info->slots[s];

			if (o != self && lab8_slot_live(o) && lab8_lcore_isset(o->lcores, lcore))
				used = true;
		}
		if (!used)
			return lcore;
	}
	return RTE_MAX_LCORE - 1;
}

static void
refuse_overlap(const struct lab8_info *info, const struct lab8_slot *self, unsigned int lcore,
		const char *who, int32_t pid, const uint64_t *their)
{
	unsigned int free_lcore = free_lcore_suggestion(info, self);
	int cpu = lab_lcore_cpu(rte_get_main_lcore());
	char lc[64];

	LAB_LOG(ERR, "lcore id %u is already used by %s (pid %d, lcores %s): two processes on "
		"one lcore id corrupt %s's per-lcore cache, and DPDK does not warn. Give this "
		"process a free lcore id, e.g. --lcores=%u@%d (lcore id %u on CPU %d)",
		lcore, who, pid, lab8_lcores_str(their, lc, sizeof(lc)), LAB8_MBUF_POOL,
		free_lcore, cpu, free_lcore, cpu);
}

/* 0 when no other live process uses any of our lcore ids, -EBUSY otherwise. */
static int
check_lcores(const struct lab8_info *info, const struct lab8_slot *self)
{
	unsigned int lcore, s;

	RTE_LCORE_FOREACH(lcore) {
		if (lab8_lcore_isset(info->primary_lcores, lcore)) {
			refuse_overlap(info, self, lcore, "the primary", info->primary_pid,
				info->primary_lcores);
			return -EBUSY;
		}
		for (s = 0; s < LAB8_MAX_SECONDARIES; s++) {
			const struct lab8_slot *o = &info->slots[s];

			if (o == self || !lab8_slot_live(o) || !lab8_lcore_isset(o->lcores, lcore))
				continue;
			refuse_overlap(info, self, lcore, o->role == LAB8_ROLE_ENTERPRISE ?
				"the enterprise secondary" : "the mobility secondary",
				o->pid, o->lcores);
			return -EBUSY;
		}
	}
	return 0;
}

/* Ring mode: 0 when no other live secondary reads this role's ring, -EBUSY otherwise. */
static int
check_ring_consumer(const struct lab8_info *info, const struct lab8_slot *self,
		const struct lab8_secondary_opts *opts)
{
	unsigned int s;

	if (opts->direct)
		return 0;
	for (s = 0; s < LAB8_MAX_SECONDARIES; s++) {
		const struct lab8_slot *o = &info->slots[s];

		if (o == self || !lab8_slot_live(o) || o->direct ||
		    o->role != (uint32_t)opts->role)
			continue;
		LAB_LOG(ERR, "the %s secondary pid %d already reads ring %s: a ring has one "
			"consumer here (a killed one of several would wedge it). Stop that one, "
			"or read queues directly with --queues", lab8_role_name(opts->role),
			o->pid, lab8_role_ring(opts->role));
		return -EBUSY;
	}
	return 0;
}

int
lab8_slot_claim(struct lab8_info *info, const struct lab8_secondary_opts *opts,
		struct lab8_slot **slotp)
{
	struct lab8_slot *slot;
	unsigned int s, lcore;
	uint32_t seq = __atomic_add_fetch(&info->next_seq, 1, __ATOMIC_RELAXED);

	for (s = 0; s < LAB8_MAX_SECONDARIES; s++) {
		uint32_t expected = LAB8_SLOT_FREE;

		if (__atomic_compare_exchange_n(&info->slots[s].state, &expected,
				LAB8_SLOT_CLAIMED, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			break;
	}
	if (s == LAB8_MAX_SECONDARIES) {
		LAB_LOG(ERR, "all %u secondary slots of %s are taken: stop a secondary first",
			LAB8_MAX_SECONDARIES, LAB8_INFO_MZ);
		return -ENOSPC;
	}
	slot = &info->slots[s];
	slot->pid = getpid();
	slot->role = (uint32_t)opts->role;
	slot->seq = seq;
	slot->direct = opts->direct;
	slot->queue_first = opts->queue_first;
	slot->queue_last = opts->queue_last;
	slot->grant = LAB8_GRANT_NONE;
	memset(slot->lcores, 0, sizeof(slot->lcores));
	RTE_LCORE_FOREACH(lcore)
		lab8_lcore_set(slot->lcores, lcore);
	memset(&slot->counters, 0, sizeof(slot->counters));

	if (check_lcores(info, slot) < 0 || check_ring_consumer(info, slot, opts) < 0) {
		__atomic_store_n(&slot->state, LAB8_SLOT_FREE, __ATOMIC_RELEASE);
		return -EBUSY;
	}
	__atomic_store_n(&slot->state, LAB8_SLOT_ATTACHED, __ATOMIC_RELEASE);
	*slotp = slot;
	return 0;
}

/* The primary stops polling the queues before it answers GIVEN. */
int
lab8_slot_ask_queues(struct lab8_slot *slot, const struct lab8_secondary_opts *opts)
{
	uint64_t deadline = lab8_now_ms() + GRANT_WAIT_MS;
	uint32_t grant;

	__atomic_store_n(&slot->grant, LAB8_GRANT_ASKED, __ATOMIC_RELEASE);
	while ((grant = __atomic_load_n(&slot->grant, __ATOMIC_ACQUIRE)) == LAB8_GRANT_ASKED) {
		if (lab8_now_ms() > deadline || !lab8_primary_alive()) {
			LAB_LOG(ERR, "--queues %u-%u: the primary did not hand the queues over "
				"within %u ms", opts->queue_first, opts->queue_last, GRANT_WAIT_MS);
			return -ETIMEDOUT;
		}
		usleep(5 * 1000);
	}
	if (grant != LAB8_GRANT_GIVEN) {
		LAB_LOG(ERR, "--queues %u-%u: the primary refused: another secondary reads "
			"some of them", opts->queue_first, opts->queue_last);
		return -EBUSY;
	}
	return 0;
}
