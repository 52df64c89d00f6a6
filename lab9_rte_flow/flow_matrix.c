/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The queue x class matrix: each rx lcore counts, in a block of its own,
 * which class of packet (lab_pkt_classify) arrived on which queue, or, in
 * software mode, which virtual queue the rules chose. The prompt and the
 * report sum the blocks and check them against what the rules promise.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "flow_lab.h"
#include "lab_log.h"
#include "lab_pkt.h"

static struct flow_matrix matrix[RTE_MAX_LCORE];
static bool rx_lcore[RTE_MAX_LCORE];
static volatile uint64_t reset_generation;

void
flow_matrix_register(unsigned int lcore)
{
	rx_lcore[lcore] = true;
}

struct flow_matrix *
flow_matrix_poll(unsigned int lcore)
{
	struct flow_matrix *mx = &matrix[lcore];
	uint64_t gen = __atomic_load_n(&reset_generation, __ATOMIC_ACQUIRE);

	if (gen != mx->generation) {
		memset(mx, 0, sizeof(*mx));
		__atomic_store_n(&mx->generation, gen, __ATOMIC_RELEASE);
	}
	return mx;
}

/*
 * Classify a burst: the queue it landed on (hardware) or the software
 * verdicts, all of the burst's at once (rte_acl takes bursts), timed as one.
 */
/* Bucket of c: below 8 itself, then 8 per octave (the top 3 bits after the leading one). */
static unsigned int
flow_cycle_bucket(uint64_t c)
{
	unsigned int octave;

	if (c < 8)
		return (unsigned int)c;
	octave = 63 - (unsigned int)__builtin_clzll(c);
	return RTE_MIN(8 * (octave - 2) + (unsigned int)((c >> (octave - 3)) & 7),
		FLOW_CYCLE_BUCKETS - 1u);
}

/* The smallest c of bucket b. */
static double
flow_cycle_bucket_low(unsigned int b)
{
	if (b < 8)
		return b;
	return (double)((8u + b % 8) << (b / 8 - 1));
}

double
flow_matrix_match_median(const struct flow_matrix *sum)
{
	uint64_t total = 0, seen = 0;
	unsigned int b;

	for (b = 0; b < FLOW_CYCLE_BUCKETS; b++)
		total += sum->match_hist[b];
	for (b = 0; b < FLOW_CYCLE_BUCKETS && total > 0; b++) {
		seen += sum->match_hist[b];
		if (2 * seen >= total)   /* the middle of the bucket */
			return (flow_cycle_bucket_low(b) + flow_cycle_bucket_low(b + 1)) / 2;
	}
	return 0.0;
}

static void
flow_matrix_count_chunk(struct flow_matrix *mx, uint16_t queue, struct rte_mbuf **bufs,
		uint16_t n, bool software)
{
	struct flow_soft_verdict v[FLOW_BURST];
	struct flow_queue_counts *qc;
	enum lab_pkt_class cls;
	uint64_t t0, t1;
	uint16_t i;

	mx->rx_queue[queue % FLOW_MAX_QUEUES] += n;
	if (software) {
		flow_table_soft_begin();
		t0 = rte_rdtsc();
		flow_table_soft_match_burst(bufs, n, v);
		t1 = rte_rdtsc();
		flow_table_soft_spread_burst(bufs, n, queue, v);
		mx->classify_cycles += t1 - t0;
		mx->match_hist[flow_cycle_bucket((t1 - t0) / n)] += n;
		mx->spread_cycles += rte_rdtsc() - t1;
		flow_table_soft_end();
		mx->classified += n;
	}
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = bufs[i];

		cls = lab_pkt_classify(m);
		if (software) {
			if (v[i].drop) {
				mx->soft_dropped++;
				continue;
			}
			qc = &mx->queue[v[i].queue % FLOW_MAX_QUEUES];
			if (v[i].marked) {
				qc->marked++;
				qc->last_mark = v[i].mark;
			}
		} else {
			qc = &mx->queue[queue];
			if (m->ol_flags & RTE_MBUF_F_RX_FDIR_ID) {
				qc->marked++;
				qc->last_mark = m->hash.fdir.hi;
			}
		}
		qc->class_packets[cls]++;
	}
	rte_pktmbuf_free_bulk(bufs, n);
}

void
flow_matrix_count_burst(struct flow_matrix *mx, uint16_t queue, struct rte_mbuf **bufs, uint16_t n,
		bool software)
{
	uint16_t done, k;

	for (done = 0; done < n; done += k) {
		k = RTE_MIN((uint16_t)(n - done), (uint16_t)FLOW_BURST);
		flow_matrix_count_chunk(mx, queue, bufs + done, k, software);
	}
}

/* Sum over the rx lcores. */
void
flow_matrix_total(struct flow_matrix *sum)
{
	unsigned int lcore, q, c;

	memset(sum, 0, sizeof(*sum));
	RTE_LCORE_FOREACH_WORKER(lcore) {
		const struct flow_matrix *mx = &matrix[lcore];

		for (q = 0; q < flow_table_nb_queues(); q++) {
			for (c = 0; c < LAB_CLASS_MAX; c++)
				sum->queue[q].class_packets[c] += mx->queue[q].class_packets[c];
			sum->queue[q].marked += mx->queue[q].marked;
			sum->rx_queue[q] += mx->rx_queue[q];
			if (mx->queue[q].marked)
				sum->queue[q].last_mark = mx->queue[q].last_mark;
		}
		sum->soft_dropped += mx->soft_dropped;
		sum->classify_cycles += mx->classify_cycles;
		sum->spread_cycles += mx->spread_cycles;
		for (c = 0; c < FLOW_CYCLE_BUCKETS; c++)
			sum->match_hist[c] += mx->match_hist[c];
		sum->classified += mx->classified;
		sum->rx_only_packets += mx->rx_only_packets;
	}
}

void
flow_matrix_reset(void)
{
	uint64_t gen = __atomic_add_fetch(&reset_generation, 1, __ATOMIC_ACQ_REL);
	uint64_t deadline = rte_get_timer_cycles() + rte_get_timer_hz();
	unsigned int lcore;

	/* Each rx lcore zeroes its own block: no writer races with the reset. */
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (!rx_lcore[lcore])
			continue;
		while (__atomic_load_n(&matrix[lcore].generation, __ATOMIC_ACQUIRE) != gen &&
		       rte_get_timer_cycles() < deadline)
			rte_delay_us_sleep(100);
	}
}

struct flow_check {
	const char *name;
	bool pass;
};

/*
 * What this state of the table should show. With the course's rules (steps
 * 5-6): queue 0 holds the HTTPS rule's packets and nothing else, and the 10/8
 * sources are dropped. With none: plain RSS, every queue gets traffic (at
 * first, and again after the rules are destroyed). Other rules (step 8's
 * patterns, your own) have no built-in checks: the matrix shows where each
 * class went, and step 8 checks its rows against the course's table.
 */
static unsigned int
flow_checks(const struct flow_matrix *sum, struct flow_check *checks)
{
	uint64_t q0_other = 0, https_total = 0, spoofed_total = 0;
	bool every_queue = true, https, drop;
	unsigned int q, c, n = 0;

	for (q = 0; q < flow_table_nb_queues(); q++) {
		uint64_t row = 0;

		https_total += sum->queue[q].class_packets[LAB_CLASS_HTTPS];
		spoofed_total += sum->queue[q].class_packets[LAB_CLASS_SPOOFED];
		for (c = 0; c < LAB_CLASS_MAX; c++)
			row += sum->queue[q].class_packets[c];
		every_queue &= row > 0;
	}
	if (flow_table_count() == 0) {
		checks[0].name = flow_table_created() == 0 ?
			"the plain RSS spread reaches every queue" :
			"traffic back on every queue (the rules are destroyed)";
		checks[0].pass = every_queue;
		return 1;
	}
	if (flow_blocks_in_table(&https, &drop) != 0)
		return 0;
	/* Without the drop rule, spoofed TCP/443 is HTTPS to the rule and rightly on queue 0. */
	for (c = 0; c < LAB_CLASS_MAX; c++)
		if (c != LAB_CLASS_HTTPS && (drop || c != LAB_CLASS_SPOOFED))
			q0_other += sum->queue[0].class_packets[c];
	if (https) {
		checks[n].name = "queue 0 carries only HTTPS";
		checks[n++].pass = q0_other == 0;
		checks[n].name = "every HTTPS packet is on queue 0";
		checks[n++].pass = https_total == sum->queue[0].class_packets[LAB_CLASS_HTTPS];
	}
	if (drop) {
		checks[n].name = "no SPOOFED packet received";
		checks[n++].pass = spoofed_total == 0;
	}
	return n;
}

/* "1,2,3": the queues the port's RETA points at, read back; "" without a RETA in use. */
static void
flow_reta_list(char *buf, size_t len)
{
	bool used[FLOW_MAX_QUEUES];
	unsigned int q;
	int entries = flow_reserve_reta_queues(used);

	buf[0] = '\0';
	for (q = 0; entries > 0 && q < FLOW_MAX_QUEUES; q++)
		if (used[q])
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%u",
				buf[0] ? "," : "", q);
}

/* Software mode: what its queues mean, and on a NIC with a RETA where the NIC put each packet. */
static void
flow_matrix_print_port(FILE *out, const struct flow_matrix *sum)
{
	char reta[3 * FLOW_MAX_QUEUES];
	unsigned int q;

	flow_reta_list(reta, sizeof(reta));
	if (reta[0] == '\0') {
		fprintf(out, "queues are virtual: the software verdict, not the port's rx queue\n");
		return;
	}
	/* The NIC's RETA spread the rest: only a match's queue is the software's choice. */
	fprintf(out, "queues: a match's is the software verdict, the rest the rx queue "
		"the NIC's RSS chose\n");
	fprintf(out, "port rx queues (where the NIC's RSS put each packet):");
	for (q = 0; q < flow_table_nb_queues(); q++)
		fprintf(out, " %u=%" PRIu64, q, sum->rx_queue[q]);
	fprintf(out, "\nNIC RETA (read back from the port): queues %s\n", reta);
}

unsigned int
flow_matrix_print(FILE *out)
{
	struct flow_matrix sum;
	struct flow_check checks[3];
	uint64_t col[LAB_CLASS_MAX] = { 0 }, total = 0, row;
	unsigned int q, c, n, failed = 0;

	flow_matrix_total(&sum);
	fprintf(out, "queue");
	for (c = 0; c < LAB_CLASS_MAX; c++)
		fprintf(out, " %9s", lab_pkt_class_name(c));
	fprintf(out, " %9s %9s\n", "total", "marked");
	for (q = 0; q < flow_table_nb_queues(); q++) {
		row = 0;
		fprintf(out, "%5u", q);
		for (c = 0; c < LAB_CLASS_MAX; c++) {
			fprintf(out, " %9" PRIu64, sum.queue[q].class_packets[c]);
			row += sum.queue[q].class_packets[c];
			col[c] += sum.queue[q].class_packets[c];
		}
		total += row;
		fprintf(out, " %9" PRIu64 " %9" PRIu64, row, sum.queue[q].marked);
		if (sum.queue[q].marked)
			fprintf(out, " (mark %u)", sum.queue[q].last_mark);
		fputc('\n', out);
	}
	fprintf(out, "total");
	for (c = 0; c < LAB_CLASS_MAX; c++)
		fprintf(out, " %9" PRIu64, col[c]);
	fprintf(out, " %9" PRIu64 "\n", total);
	if (flow_table_mode() == FLOW_MODE_SOFTWARE) {
		fprintf(out, "software classifier: %" PRIu64 " packets, %" PRIu64 " dropped by "
			"rules, %.1f cycles/packet for rule matching (what a NIC doing it in "
			"hardware saves)\n", sum.classified, sum.soft_dropped,
			sum.classified ? (double)sum.classify_cycles / sum.classified : 0.0);
		flow_matrix_print_port(out, &sum);
	}
	n = flow_checks(&sum, checks);
	for (c = 0; c < n; c++) {
		fprintf(out, "%s %s\n", checks[c].pass ? "PASS" : "FAIL", checks[c].name);
		failed += !checks[c].pass;
	}
	if (n == 0)
		fprintf(out, "(no built-in checks for these rules: read each class's row)\n");
	fprintf(out, "rx_total=%" PRIu64 "\n", total);
	fflush(out);
	return failed;
}

static void
json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

int
flow_matrix_report(const char *path)
{
	struct flow_rule_report rules[FLOW_MAX_RULES];
	char reta[3 * FLOW_MAX_QUEUES];
	struct flow_matrix sum;
	struct flow_check checks[3];
	uint64_t total = 0;
	unsigned int i, q, c, n;
	FILE *f;

	f = fopen(path, "w");
	if (f == NULL) {
		int err = errno;

		LAB_LOG(ERR, "--report: cannot write %s: %s", path, strerror(err));
		return -err;
	}
	flow_matrix_total(&sum);
	fprintf(f, "{\"flow_mode\": \"%s\", \"rules\": [",
		flow_table_mode() == FLOW_MODE_SOFTWARE ? "software" : "hardware");
	n = flow_table_report_rules(rules, RTE_DIM(rules));
	for (i = 0; i < n; i++) {
		fprintf(f, "%s{\"id\": %d, \"rule\": ", i ? ", " : "", rules[i].id);
		json_string(f, rules[i].text);
		if (rules[i].counted)
			fprintf(f, ", \"count\": %" PRIu64 "}", rules[i].hits);
		else
			fprintf(f, ", \"count\": null}");
	}
	fprintf(f, "], \"queues\": [");
	for (q = 0; q < flow_table_nb_queues(); q++) {
		fprintf(f, "%s{\"queue\": %u", q ? ", " : "", q);
		for (c = 0; c < LAB_CLASS_MAX; c++) {
			fprintf(f, ", \"%s\": %" PRIu64, lab_pkt_class_name(c),
				sum.queue[q].class_packets[c]);
			total += sum.queue[q].class_packets[c];
		}
		fputc('}', f);
	}
	fprintf(f, "], \"rx_total\": %" PRIu64 ", \"checks\": [", total);
	n = flow_checks(&sum, checks);
	for (i = 0; i < n; i++)
		fprintf(f, "%s{\"name\": \"%s\", \"pass\": %s}", i ? ", " : "", checks[i].name,
			checks[i].pass ? "true" : "false");
	/* Where the port itself put each packet, and its RETA read back (null: none in use). */
	fprintf(f, "], \"port_rx_queues\": [");
	for (q = 0; q < flow_table_nb_queues(); q++)
		fprintf(f, "%s%" PRIu64, q ? ", " : "", sum.rx_queue[q]);
	flow_reta_list(reta, sizeof(reta));
	fprintf(f, "], \"reta_queues\": %s%s%s, \"reserve\": ", reta[0] ? "[" : "null", reta,
		reta[0] ? "]" : "");
	json_string(f, flow_reserve_method_name());
	fprintf(f, "}\n");
	if (fclose(f) != 0) {
		int err = errno;

		LAB_LOG(ERR, "--report: writing %s failed: %s", path, strerror(err));
		return -err;
	}
	printf("report written to %s\n", path);
	return 0;
}
