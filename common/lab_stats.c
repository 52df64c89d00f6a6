/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <rte_lcore.h>

#include "lab_stats.h"

struct lab_lcore_stats lab_stats[RTE_MAX_LCORE];

void
lab_stats_total(struct lab_lcore_stats *total)
{
	unsigned int lcore, c;

	memset(total, 0, sizeof(*total));
	for (lcore = 0; lcore < RTE_MAX_LCORE; lcore++) {
		const volatile struct lab_lcore_stats *s = &lab_stats[lcore];

		total->rx_packets += s->rx_packets;
		total->tx_packets += s->tx_packets;
		total->dropped += s->dropped;
		total->bursts += s->bursts;
		for (c = 0; c < LAB_CLASS_MAX; c++)
			total->class_packets[c] += s->class_packets[c];
	}
}

void
lab_stats_reset(void)
{
	memset(lab_stats, 0, sizeof(lab_stats));
}
