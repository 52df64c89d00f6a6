/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the files of lab8_primary share: the process's state, which
 * lab8_primary.c (shared objects, rx loop) owns and passes to the other
 * two. They never call lab8_primary.c, nor each other:
 *   - lab8_primary_slots.c: the secondaries' slots, looked at between bursts;
 *   - lab8_primary_stats.c: the counters, for /lab8/stats and the terminal;
 *   - lab8_primary_rules.c: --rules FILE, with lab 9's code (lab9_flow).
 */
#ifndef LAB8_PRIMARY_H
#define LAB8_PRIMARY_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_seqlock.h>

#include "lab8_shared.h"

struct lab8_primary {
	struct lab8_info *info;        /* the LAB8_INFO memzone */
	struct rte_mempool *pool;      /* MBUF_POOL */
	uint16_t nb_rxq;         /* the port's rx queues, which this process polls */
	/* --rules with --fallback software: the rules pick a virtual queue, 0..nb_rule_queues-1. */
	bool soft_rules;
	uint16_t nb_rule_queues;
	/* Queues this process polls; a direct-queue secondary takes some away. */
	uint16_t polled[LAB8_MAX_QUEUES];
	uint16_t nb_polled;
	/* Queue -> slot holding it, -1 when the primary polls it. */
	int queue_owner[LAB8_MAX_QUEUES];
	/* Attach number last announced per slot. */
	uint32_t seen_seq[LAB8_MAX_SECONDARIES];
	/*
	 * Folding a departed secondary's counters into the role totals and
	 * freeing its slot must look atomic to the telemetry thread.
	 */
	rte_seqlock_t fold_lock;
};

static inline uint64_t
lab8_ms_to_cycles(uint64_t ms)
{
	return rte_get_timer_hz() * ms / 1000;
}

/* lab8_primary_slots.c */

/* Every queue polled by this process, none handed to a secondary. */
void lab8_queues_init(struct lab8_primary *p);

/*
 * Announces secondaries that attached, answers their queue requests, and
 * folds those that left or died into the role totals, reporting what a
 * dead one stranded. Call between bursts, from the rx loop's thread.
 */
void lab8_scan_slots(struct lab8_primary *p);

/* Tells the secondaries to let go and gives them a moment to do so. */
void lab8_stop_secondaries(struct lab8_primary *p);

/* lab8_primary_stats.c */

/* Registers /lab8/stats; p must outlive the process. 0 or a negative errno. */
int lab8_stats_register(const struct lab8_primary *p);

/* The per-second status line. */
void lab8_print_status(const struct lab8_primary *p);

/* The start-up lines: queues, roles, rings, pool; nb_queues is --rxq. */
void lab8_print_started(const struct lab8_primary *p, uint16_t nb_queues);

/* The counters at exit. */
void lab8_print_final(const struct lab8_primary *p);

/* lab8_primary_rules.c */

/*
 * Loads --rules path for the started port, in hardware mode when the port
 * creates rules, else on the CPU when fallback_software; nb_queues is what
 * the rules may name (--rxq). Lab 9's messages on stdout; a rule refused
 * stops it. 0 or a negative errno (nothing left installed then).
 */
int lab8_rules_setup(struct lab8_primary *p, const char *path, bool fallback_software,
		uint16_t nb_queues);

/*
 * Software mode: sorts a received burst by the role of the queue the rules
 * pick (by_role[role][0..nb_by_role[role]-1]); frees what a DROP rule takes.
 */
void lab8_rules_classify(struct lab8_primary *p, uint16_t rx_queue, struct rte_mbuf **pkts,
		uint16_t n, struct rte_mbuf *by_role[][LAB8_BURST], uint16_t *nb_by_role);

/* Destroys the rules (before the port closes). */
void lab8_rules_fini(void);

#endif /* LAB8_PRIMARY_H */
