/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Where lab8_primary's rx loop and lab8_secondary's ring loop spend their
 * time, stage by stage: built with meson -Dlab8_stage_cycles=true only
 * (LAB8_STAGE_CYCLES), so the default build's hot path holds no extra TSC
 * read. Included by lab8_primary.c and lab8_secondary.c, each with its own
 * copy of the accumulator (static).
 *
 * Each lab8_stage_mark() reads the TSC and charges the cycles since the
 * last mark, and the packets that stage handled, to one stage; a call that
 * handled none (an empty rx queue or done ring) is charged to "empty
 * polls". At exit: each stage's cycles per packet it handled, and per
 * packet the loop took in (received by the primary, dequeued by the
 * secondary: the column that adds up to the loop's cost). A gap
 * longer than LAB8_STAGE_GAP_US means this thread was preempted (a shared
 * CPU): it is counted, not charged.
 */
#ifndef LAB8_STAGE_H
#define LAB8_STAGE_H

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
	LAB8_STAGE_TAKE,        /* secondary: from RX_TO_* (--direct: its rx queue) */
	LAB8_STAGE_PARSE,       /* secondary: lab_pkt_parse() and the FLOW_TABLE lookup */
	LAB8_STAGE_HAND_BACK,   /* secondary: into DONE_FROM_* */
	LAB8_STAGE_PUBLISH,     /* secondary: its counters into its slot */
	LAB8_STAGE_IDLE,        /* calls that found nothing: empty rx queue or done ring */
	LAB8_STAGE_OTHER,       /* the loop itself, clock checks, slot scans */
	LAB8_STAGE_MAX
};

static const char *const lab8_stage_names[LAB8_STAGE_MAX] = {
	"rx", "classify", "ring enqueue", "ring-full free", "done dequeue", "free", "ring dequeue",
	"parse", "hand-back", "publish", "empty polls", "loop/other",
};

static struct {
	uint64_t cycles[LAB8_STAGE_MAX];
	uint64_t packets[LAB8_STAGE_MAX];
	uint64_t gaps;          /* preempted intervals, not charged */
	uint64_t gap_limit;     /* cycles */
	uint64_t last;
	uint64_t taken_in;      /* packets of the intake stage, preempted or not */
	enum lab8_stage intake; /* rx for the primary, ring dequeue for a secondary */
} lab8_stage_acc;

static inline void
lab8_stage_start(enum lab8_stage intake)
{
	lab8_stage_acc.intake = intake;
	lab8_stage_acc.gap_limit = rte_get_tsc_hz() / 1000000 * LAB8_STAGE_GAP_US;
	lab8_stage_acc.last = rte_rdtsc();
}

static inline void
lab8_stage_mark(enum lab8_stage s, unsigned int n)
{
	uint64_t now = rte_rdtsc();
	uint64_t d = now - lab8_stage_acc.last;

	lab8_stage_acc.last = now;
	if (s == lab8_stage_acc.intake)
		lab8_stage_acc.taken_in += n;
	if (n == 0 && s != LAB8_STAGE_OTHER)
		s = LAB8_STAGE_IDLE;
	if (d > lab8_stage_acc.gap_limit) {
		lab8_stage_acc.gaps++;
		return;
	}
	lab8_stage_acc.cycles[s] += d;
	lab8_stage_acc.packets[s] += n;
}

/*
 * The table of one program's stages (those it marked), per packet its loop
 * took in; what one TSC read costs, for scale.
 */
static inline void
lab8_stage_print(const char *prog)
{
	double ns_per_cycle = 1e9 / (double)rte_get_tsc_hz();
	uint64_t packets = lab8_stage_acc.taken_in, total = 0, t0, t1;
	unsigned int s;

	if (packets == 0)
		return;
	for (s = 0; s < LAB8_STAGE_MAX; s++)
		total += lab8_stage_acc.cycles[s];
	printf("%s: stage cycles over %" PRIu64 " packets taken in (%" PRIu64
		" preempted gaps > %u us left out)\n"
		"  %-14s %12s %11s %10s %10s\n", prog, packets, lab8_stage_acc.gaps,
		LAB8_STAGE_GAP_US, "stage", "its packets", "ns/its pkt", "cycles/in", "ns/in pkt");
	for (s = 0; s < LAB8_STAGE_MAX; s++) {
		uint64_t c = lab8_stage_acc.cycles[s], n = lab8_stage_acc.packets[s];

		if (c == 0 && n == 0)
			continue;

		printf("  %-14s %12" PRIu64 " %11.2f %10.2f %10.2f\n", lab8_stage_names[s], n,
			n ? (double)c / n * ns_per_cycle : 0.0, (double)c / packets,
			(double)c / packets * ns_per_cycle);
	}
	printf("  %-14s %12s %11s %10.2f %10.2f\n", "total", "", "", (double)total / packets,
		(double)total / packets * ns_per_cycle);
	t0 = rte_rdtsc();
	t1 = rte_rdtsc();
	printf("  (one TSC read here: %" PRIu64 " cycles, one per stage marked)\n", t1 - t0);
}

#define LAB8_STAGE_START(intake) lab8_stage_start(intake)
#define LAB8_STAGE_MARK(s, n) lab8_stage_mark(s, n)
#define LAB8_STAGE_PRINT(prog) lab8_stage_print(prog)

#else

#define LAB8_STAGE_START(intake) do { } while (0)
#define LAB8_STAGE_MARK(s, n) do { } while (0)
#define LAB8_STAGE_PRINT(prog) do { } while (0)

#endif /* LAB8_STAGE_CYCLES */

#endif /* LAB8_STAGE_H */
