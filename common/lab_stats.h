/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-lcore counters, one cache line (or more) per lcore: each lcore
 * writes only its own block, so no two writers share a line.
 */
#ifndef LAB_STATS_H
#define LAB_STATS_H

#include <stdint.h>

#include <rte_common.h>
#include <rte_lcore.h>

#include "lab_pkt.h"

struct lab_lcore_stats {
	uint64_t rx_packets;
	uint64_t tx_packets;
	uint64_t dropped;
	uint64_t bursts;
	uint64_t class_packets[LAB_CLASS_MAX];
} __rte_cache_aligned;

extern struct lab_lcore_stats lab_stats[RTE_MAX_LCORE];

/* Sum of every lcore's block, for reports; safe to call while lcores run. */
void lab_stats_total(struct lab_lcore_stats *total);

/* Zeroes every block (lab 9's "reset"): call while the lcores are paused. */
void lab_stats_reset(void);

#endif /* LAB_STATS_H */
