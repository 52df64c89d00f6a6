/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Where lab8_primary's rx loop spends its time, stage by stage: built with
 * meson -Dlab8_stage_cycles=true only (LAB8_STAGE_CYCLES), so the default
 * build's hot path holds no extra TSC read. Included by lab8_primary.c alone.
 *
 * Each lab8_stage_mark() reads the TSC and charges the cycles since the
 * last mark, and the packets that stage handled, to one stage; a call that
 * handled none (an empty rx queue or done ring) is charged to "empty
 * polls". At exit: each stage's cycles per packet it handled, and per
 * packet received (the column that adds up to the loop's cost). A gap
 * longer than LAB8_STAGE_GAP_US means this thread was preempted (a shared
 * CPU): it is counted, not charged.
 */
#ifndef LAB8_PRIMARY_STAGE_H
#define LAB8_PRIMARY_STAGE_H

#ifdef LAB8_STAGE_CYCLES

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_cycles.h>

#define LAB8_STAGE_GAP_US 20

enum lab8_stage {
	LAB8_STAGE_RX,          /* rte_eth_rx_burst: the PMD allocates and fills mbufs */
	LAB8_STAGE_CLASSIFY,    /* --fallback software: the rules parse each packet */
	LAB8_STAGE_ENQUEUE,     /* into RX_TO_*: the ring hop's producer half */
	LAB8_STAGE_DROP,        /* freeing what a full ring did not take */
	LAB8_STAGE_DEQUEUE,     /* from DONE_FROM_*: the hand-back */
	LAB8_STAGE_FREE,        /* into MBUF_POOL */
	LAB8_STAGE_IDLE,        /* calls that found nothing: empty rx queue or done ring */
	LAB8_STAGE_OTHER,       /* the loop itself, clock checks, slot scans */
	LAB8_STAGE_MAX
};

static const char *const lab8_stage_names[LAB8_STAGE_MAX] = {
	"rx", "classify", "ring enqueue", "ring-full free", "done dequeue", "free", "empty polls",
	"loop/other",
};

static struct {
	uint64_t cycles[LAB8_STAGE_MAX];
	uint64_t packets[LAB8_STAGE_MAX];
	uint64_t gaps;          /* preempted intervals, not charged */
	uint64_t gap_limit;     /* cycles */
	uint64_t last;
} lab8_stage_acc;

static inline void
lab8_stage_start(void)
{
	lab8_stage_acc.gap_limit = rte_get_tsc_hz() / 1000000 * LAB8_STAGE_GAP_US;
	lab8_stage_acc.last = rte_rdtsc();
}

static inline void
lab8_stage_mark(enum lab8_stage s, unsigned int n)
{
	uint64_t now = rte_rdtsc();
	uint64_t d = now - lab8_stage_acc.last;

	lab8_stage_acc.last = now;
	if (n == 0 && s != LAB8_STAGE_OTHER)
		s = LAB8_STAGE_IDLE;
	if (d > lab8_stage_acc.gap_limit) {
		lab8_stage_acc.gaps++;
		return;
	}
	lab8_stage_acc.cycles[s] += d;
	lab8_stage_acc.packets[s] += n;
}

/* The table, per packet received on rx[0..nb_rxq-1]; what one TSC read costs, for scale. */
static inline void
lab8_stage_print(const uint64_t *rx, uint16_t nb_rxq)
{
	double ns_per_cycle = 1e9 / (double)rte_get_tsc_hz();
	uint64_t total = 0, packets = 0, t0, t1;
	unsigned int s;

	for (s = 0; s < nb_rxq; s++)
		packets += rx[s];
	if (packets == 0)
		return;
	for (s = 0; s < LAB8_STAGE_MAX; s++)
		total += lab8_stage_acc.cycles[s];
	printf("lab8_primary: stage cycles over %" PRIu64 " packets received (%" PRIu64
		" preempted gaps > %u us left out)\n"
		"  %-14s %12s %11s %10s %10s\n", packets, lab8_stage_acc.gaps, LAB8_STAGE_GAP_US,
		"stage", "its packets", "ns/its pkt", "cycles/rx", "ns/rx pkt");
	for (s = 0; s < LAB8_STAGE_MAX; s++) {
		uint64_t c = lab8_stage_acc.cycles[s], n = lab8_stage_acc.packets[s];

		printf("  %-14s %12" PRIu64 " %11.2f %10.2f %10.2f\n", lab8_stage_names[s], n,
			n ? (double)c / n * ns_per_cycle : 0.0, (double)c / packets,
			(double)c / packets * ns_per_cycle);
	}
	printf("  %-14s %12s %11s %10.2f %10.2f\n", "total", "", "", (double)total / packets,
		(double)total / packets * ns_per_cycle);
	t0 = rte_rdtsc();
	t1 = rte_rdtsc();
	printf("  (one TSC read here: %" PRIu64 " cycles; each burst makes 4 or 5)\n", t1 - t0);
}

#define LAB8_STAGE_START()   lab8_stage_start()
#define LAB8_STAGE_MARK(s, n) lab8_stage_mark(s, n)
#define LAB8_STAGE_PRINT(rx, nb_rxq) lab8_stage_print(rx, nb_rxq)

#else

#define LAB8_STAGE_START()   do { } while (0)
#define LAB8_STAGE_MARK(s, n) do { } while (0)
#define LAB8_STAGE_PRINT(rx, nb_rxq) do { } while (0)

#endif /* LAB8_STAGE_CYCLES */

#endif /* LAB8_PRIMARY_STAGE_H */
