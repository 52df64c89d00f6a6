/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lab 8 primary: the secondaries' slots in the info block, looked at every
 * LAB8_SLOT_SCAN_MS between bursts. Says when a secondary attaches, leaves
 * or dies, what a dead one stranded, and hands queues to a direct-queue
 * secondary (and takes them back); at exit, tells the secondaries to let go.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_mempool.h>
#include <rte_seqlock.h>

#include "lab8_shared.h"
#include "lab8_primary.h"

static void
rebuild_polled(struct lab8_primary *p)
{
	uint16_t q;

	p->nb_polled = 0;
	for (q = 0; q < p->nb_rxq; q++)
		if (p->queue_owner[q] < 0)
			p->polled[p->nb_polled++] = q;
}

/* Mbufs a dead process left in the per-lcore caches of its lcore ids. */
static unsigned int
cached_on(const struct rte_mempool *pool, const uint64_t *lcores)
{
	unsigned int lcore, n = 0;

	if (pool->cache_size == 0)
		return 0;
	for (lcore = 0; lcore < RTE_MAX_LCORE; lcore++)
		if (lab8_lcore_isset(lcores, lcore))
			n += pool->local_cache[lcore].len;
	return n;
}

static void
release_queues(struct lab8_primary *p, unsigned int s)
{
	uint16_t q;
	bool changed = false;

	for (q = 0; q < p->nb_rxq; q++) {
		if (p->queue_owner[q] == (int)s) {
			p->queue_owner[q] = -1;
			changed = true;
		}
	}
	if (changed) {
		rebuild_polled(p);
		printf("lab8_primary: polling queues %u-%u again\n",
			p->info->slots[s].queue_first, p->info->slots[s].queue_last);
	}
}

static void
answer_grant(struct lab8_primary *p, unsigned int s)
{
	struct lab8_slot *slot = &p->info->slots[s];
	uint16_t q;
	uint32_t answer = LAB8_GRANT_GIVEN;

	if (p->soft_rules) {
		/* Its own rx_burst would bypass the rules, which only this process applies. */
		printf("lab8_primary: refused queues %u-%u to pid %d: the rules run in the "
			"primary (--fallback software), so every packet must pass through it; "
			"use ring mode (no --queues)\n", slot->queue_first, slot->queue_last,
			slot->pid);
		__atomic_store_n(&slot->grant, LAB8_GRANT_REFUSED, __ATOMIC_RELEASE);
		return;
	}
	if (slot->queue_last >= p->nb_rxq || slot->queue_first > slot->queue_last) {
		answer = LAB8_GRANT_REFUSED;
	} else {
		for (q = slot->queue_first; q <= slot->queue_last; q++)
			if (p->queue_owner[q] >= 0 && p->queue_owner[q] != (int)s)
				answer = LAB8_GRANT_REFUSED;
	}
	if (answer == LAB8_GRANT_GIVEN) {
		/* Between bursts: this process no longer touches these queues. */
		for (q = slot->queue_first; q <= slot->queue_last; q++)
			p->queue_owner[q] = (int)s;
		rebuild_polled(p);
		printf("lab8_primary: queues %u-%u handed to %s secondary pid %d "
			"(direct-queue mode)\n", slot->queue_first, slot->queue_last,
			lab8_role_name(slot->role), slot->pid);
	} else {
		printf("lab8_primary: refused queues %u-%u to pid %d: taken or out of range\n",
			slot->queue_first, slot->queue_last, slot->pid);
	}
	__atomic_store_n(&slot->grant, answer, __ATOMIC_RELEASE);
}

/* Adds a departed slot's counters to its role and frees the slot. */
static void
fold_slot(struct lab8_primary *p, unsigned int s, uint64_t stranded)
{
	struct lab8_slot *slot = &p->info->slots[s];
	struct lab8_role_counters *rc = &p->info->role[slot->role < LAB8_ROLE_MAX ?
		slot->role : 0];
	unsigned int v;

	release_queues(p, s);
	rte_seqlock_write_lock(&p->fold_lock);
	rc->packets += slot->counters.freed;
	for (v = 0; v < LAB8_VERDICT_MAX; v++)
		rc->policy[v] += slot->counters.policy[v];
	rc->gtpu += slot->counters.gtpu;
	if (slot->direct)
		rc->direct_rx += slot->counters.taken;
	rc->stranded += stranded;
	rc->departed++;
	slot->grant = LAB8_GRANT_NONE;
	__atomic_store_n(&slot->state, LAB8_SLOT_FREE, __ATOMIC_RELEASE);
	rte_seqlock_write_unlock(&p->fold_lock);
}

void
lab8_scan_slots(struct lab8_primary *p)
{
	unsigned int s;
	char lc[64];

	for (s = 0; s < LAB8_MAX_SECONDARIES; s++) {
		struct lab8_slot *slot = &p->info->slots[s];
		uint32_t state = __atomic_load_n(&slot->state, __ATOMIC_ACQUIRE);
		uint64_t held, cached;

		switch (state) {
		case LAB8_SLOT_CLAIMED:
			/* Killed half-way through attaching. */
			if (!lab8_pid_alive(slot->pid)) {
				slot->grant = LAB8_GRANT_NONE;
				__atomic_store_n(&slot->state, LAB8_SLOT_FREE, __ATOMIC_RELEASE);
			}
			break;
		case LAB8_SLOT_ATTACHED:
			if (p->seen_seq[s] != slot->seq) {
				p->seen_seq[s] = slot->seq;
				lab8_lcores_str(slot->lcores, lc, sizeof(lc));
				printf("lab8_primary: secondary attached: %s, pid %d, "
					"lcores %s, %s\n", lab8_role_name(slot->role),
					slot->pid, lc, slot->direct ? "direct-queue mode" :
					lab8_role_ring(slot->role));
			}
			if (__atomic_load_n(&slot->grant, __ATOMIC_ACQUIRE) == LAB8_GRANT_ASKED)
				answer_grant(p, s);
			if (lab8_pid_alive(slot->pid))
				break;
			if (__atomic_load_n(&p->info->primary_state, __ATOMIC_ACQUIRE) ==
					LAB8_PRIMARY_STOPPING) {
				/* It saw us stopping and left without touching shared memory. */
				printf("lab8_primary: secondary %s pid %d let go after %" PRIu64
					" packets\n", lab8_role_name(slot->role), slot->pid,
					slot->counters.freed);
				fold_slot(p, s, 0);
				break;
			}
			held = slot->counters.taken - slot->counters.freed;
			cached = cached_on(p->pool, slot->lcores);
			lab8_lcores_str(slot->lcores, lc, sizeof(lc));
			printf("lab8_primary: secondary %s pid %d (lcores %s) died without "
				"detaching after %" PRIu64 " packets: it stranded %" PRIu64
				" mbufs in flight (lost until the primary restarts) and left %"
				PRIu64 " in lcore %s's mempool cache (reused by the next process "
				"on that lcore id)\n", lab8_role_name(slot->role), slot->pid, lc,
				slot->counters.freed, held, cached, lc);
			fold_slot(p, s, held);
			break;
		case LAB8_SLOT_LEFT:
			if (p->seen_seq[s] != slot->seq)
				p->seen_seq[s] = slot->seq;
			printf("lab8_primary: secondary left: %s, pid %d, %" PRIu64
				" packets processed, every mbuf handed back\n",
				lab8_role_name(slot->role), slot->pid, slot->counters.freed);
			fold_slot(p, s, 0);
			break;
		default:
			break;
		}
	}
	fflush(stdout);
}

void
lab8_queues_init(struct lab8_primary *p)
{
	uint16_t q;

	for (q = 0; q < LAB8_MAX_QUEUES; q++)
		p->queue_owner[q] = -1;
	rebuild_polled(p);
}

void
lab8_stop_secondaries(struct lab8_primary *p)
{
	uint64_t deadline = rte_get_timer_cycles() + lab8_ms_to_cycles(3 * LAB8_WATCH_MS);
	unsigned int s, live;

	__atomic_store_n(&p->info->primary_state, LAB8_PRIMARY_STOPPING, __ATOMIC_RELEASE);
	printf("lab8_primary: stopping: secondaries are told to let go\n");
	fflush(stdout);
	do {
		live = 0;
		for (s = 0; s < LAB8_MAX_SECONDARIES; s++)
			if (lab8_slot_live(&p->info->slots[s]))
				live++;
		if (live == 0)
			break;
		rte_delay_ms(10);
	} while (rte_get_timer_cycles() < deadline);
	if (live > 0)
		printf("lab8_primary: %u secondar%s still attached at exit\n", live,
			live == 1 ? "y" : "ies");
}
