/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the benchmark reports once every row is measured: the table and
 * the verdict students read on stdout, and the --csv and --json files.
 * It only reads the rows; the figures are all computed by fs_run.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_lcore.h>

#include "lab_eal.h"
#include "lab_log.h"

#include "fs_bench.h"

static void
fs_layout_label(const struct fs_case *c, char *buf, size_t len)
{
	if (c->layout == FS_LAYOUT_STRIDE)
		snprintf(buf, len, "stride%u", c->stride);
	else
		snprintf(buf, len, "%s", fs_layout_names[c->layout]);
}

/* Most of the row's runs disturbed: its figures say more about the load than the layout. */
static bool
fs_busy(const struct fs_case *c)
{
	return c->clean_runs * 2 <= c->nb_runs;
}

/*
 * The one-line verdict against the course: packed (the course's WRONG
 * struct), or failing that the tightest stride of the sweep, against
 * padded with the same op.
 */
static void
fs_print_verdict(const struct fs_config *cfg, const struct fs_case *cases, unsigned int nb)
{
	const struct fs_case *wrong = fs_find_case(cases, nb, FS_LAYOUT_PACKED, cfg->op, 0);
	const struct fs_case *padded = fs_find_case(cases, nb, FS_LAYOUT_PADDED, cfg->op, 0);
	char label[32];
	const char *where;
	bool busy, noisy;

	if (wrong == NULL)
		wrong = fs_find_case(cases, nb, FS_LAYOUT_STRIDE, cfg->op, 8);
	if (wrong == NULL || wrong->slowdown < 0) {
		printf("verdict: course claims false sharing costs 10-100x; not measured here "
			"(needs packed or --stride-sweep, and padded, in --layouts)\n");
		return;
	}
	fs_layout_label(wrong, label, sizeof(label));
	if (rte_lcore_count() < 2) {
		printf("verdict: 1 lcore, so no second writer and no contention: %s is %.2fx "
			"padded; the course's 10-100x needs 2+ lcores (-l 0-1)\n",
			label, wrong->slowdown);
		return;
	}
	if (wrong->slowdown < 10)
		where = "BELOW";
	else if (wrong->slowdown <= 100)
		where = "within";
	else
		where = "ABOVE";
	/* Most runs of either row disturbed: the ratio says more about the load. */
	busy = fs_busy(wrong) || (padded != NULL && fs_busy(padded));
	/* Undisturbed but scattered: the ratio of two medians is as uncertain. */
	noisy = !wrong->stable || (padded != NULL && !padded->stable);
	printf("verdict: %s (false sharing) ran %.1fx slower than padded with op %s on %u "
		"lcores: %s the course's 10-100x claim on this machine%s%s\n",
		label, wrong->slowdown, fs_op_names[cfg->op], rte_lcore_count(), where,
		busy ? " (UNRELIABLE: most runs were disturbed, rerun on a quiet machine)" : "",
		noisy && !busy ? " (NOISY: its runs or padded's spread more than --max-spread "
		"or the vCPUs kept moving; compare with another run)" : "");
}

/*
 * The row's status: MOVED (slices missing), BUSY (most runs disturbed, however
 * close together), ok, NOISY (spread above --max-spread).
 */
static const char *
fs_status(const struct fs_case *c)
{
	if (c->moved)
		return "MOVED";
	if (fs_busy(c))
		return "BUSY";
	return c->stable ? "ok" : "NOISY";
}

/* The footer's account of how the runs were checked and what was run again. */
static void
fs_print_checks(const struct fs_config *cfg, const struct fs_case *cases, unsigned int nb)
{
	const struct fs_disturbed *d = &cfg->disturbed;
	unsigned int reruns = 0, dirty = 0, i;

	for (i = 0; i < nb; i++) {
		reruns += cases[i].reruns;
		dirty += cases[i].nb_runs - cases[i].clean_runs;
	}
	printf("# clean: runs most of whose slices had no writer preempted (off its CPU "
		"> %u%% of the loop), stalled (TSC gap > %u us) or robbed by the host (steal in "
		"/proc/stat%s), and >= %.0f%% overlap; %u disturbed slices were run again (up "
		"to %u attempts; preempted %u, stalled %u, steal %u, overlap %u)%s\n",
		FS_OFF_CPU_PCT, FS_STALL_US, cfg->steal_known ? "" : ": unreadable here",
		FS_MIN_OVERLAP * 100, reruns, FS_MAX_ATTEMPTS, d->preempted, d->stalled,
		d->stolen, d->apart, dirty ? ": rows with unclean runs measured a busy "
		"machine, not the layout" : "");
	printf("# spread: (max - min) / median of a row's runs without the fastest and "
		"slowest %u%% (none below 10 runs); min..max above are of all runs\n",
		FS_TRIM_PCT);
	printf("# status: ok = spread <= %.0f%%; NOISY = more; BUSY = most runs not clean; "
		"MOVED = the host moved a vCPU so often that the runs lack slices. While a row "
		"spreads more or lacks slices (and most runs were clean), all rows are measured "
		"again, up to %u passes: %u made, pass %u shown (the fewest such rows)\n",
		cfg->max_spread, FS_MAX_PASSES, cfg->passes, cfg->kept_pass);
}

void
fs_print_table(const struct fs_config *cfg, const struct fs_case *cases, unsigned int nb)
{
	char label[32], slowdown[16];
	unsigned int lcore, i;

	lab_print_platform(stdout);
	printf("# writers    :");
	RTE_LCORE_FOREACH(lcore)
		printf(" lcore %u on cpu %d%s", lcore, rte_lcore_to_cpu_id(lcore),
			lcore == rte_get_main_lcore() ? " (main)," : ",");
	printf(" all released by one start barrier\n");
	printf("# method     : warm-up, then %" PRIu64 " runs per layout of %" PRIu64
		" increments (by the first lcore to finish: it stops the others) in %u slices; "
		"each round takes one slice of every run of every layout, TSC %.1f MHz\n",
		cfg->repeat, cfg->iterations / FS_SLICES * FS_SLICES, FS_SLICES,
		rte_get_tsc_hz() / 1e6);
	if (cfg->transfer_ns >= 0)
		printf("# line moves : %.1f ns one way between lcore %u and lcore %u (ping-pong "
			"of one line, best of %u): where the two cores sit; checked before every "
			"round, the host moved a vCPU %u times\n", cfg->transfer_ns,
			rte_get_main_lcore(), cfg->transfer_lcore, FS_PINGPONG_REPEAT, cfg->moves);
	printf("\n%-10s %-6s %6s %8s  %-24s %-24s %9s %9s %7s %5s %6s %s\n", "layout", "op",
		"lcores", "stride", "ns/op med [min..max]", "cycles/op med [min..max]",
		"Mops/s", "vs padded", "overlap", "clean", "spread", "status");
	for (i = 0; i < nb; i++) {
		const struct fs_case *c = &cases[i];
		char ns[32], cyc[32], clean[16], spread[16];

		fs_layout_label(c, label, sizeof(label));
		snprintf(ns, sizeof(ns), "%.2f [%.2f..%.2f]", c->ns_med, c->ns_min, c->ns_max);
		snprintf(cyc, sizeof(cyc), "%.1f [%.1f..%.1f]", c->cyc_med, c->cyc_min,
			c->cyc_max);
		if (c->slowdown >= 0)
			snprintf(slowdown, sizeof(slowdown), "%.2fx", c->slowdown);
		else
			snprintf(slowdown, sizeof(slowdown), "-");
		snprintf(clean, sizeof(clean), "%u/%u", c->clean_runs, c->nb_runs);
		if (c->spread >= 0)
			snprintf(spread, sizeof(spread), "%.0f%%", c->spread);
		else
			snprintf(spread, sizeof(spread), "-");
		printf("%-10s %-6s %6u %8u  %-24s %-24s %9.1f %9s %6.0f%% %5s %6s %s\n", label,
			fs_op_names[c->op], rte_lcore_count(), c->stride, ns, cyc, c->mops_med,
			slowdown, c->overlap_min * 100, clean, spread, fs_status(c));
	}
	printf("\n# every run's counters added up\n");
	printf("# ns/op: time one lcore spends per increment (mean over lcores, median over "
		"runs); Mops/s: all lcores together\n");
	printf("# overlap: worst share of a run during which all lcores were incrementing "
		"at once (low = a writer was descheduled)\n");
	fs_print_checks(cfg, cases, nb);
	if (cfg->layouts[FS_LAYOUT_SHARED])
		printf("# shared: always an atomic add (a plain rmw of one counter by two "
			"writers loses updates); compared with padded atomic\n");
	if (rte_lcore_count() < 2)
		printf("# 1 lcore: nobody else writes, so there is no contention in any layout\n");
	fs_print_verdict(cfg, cases, nb);
}

static void
fs_write_csv(FILE *f, const struct fs_config *cfg __rte_unused, const struct fs_case *cases,
		unsigned int nb)
{
	unsigned int i;

	fprintf(f, "layout,op,lcores,stride,ns_per_op_median,ns_per_op_min,ns_per_op_max,"
		"cycles_per_op_median,cycles_per_op_min,cycles_per_op_max,mops,"
		"slowdown_vs_padded,runs,clean_runs,spread_pct,status\n");
	for (i = 0; i < nb; i++) {
		const struct fs_case *c = &cases[i];

		fprintf(f, "%s,%s,%u,%u,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,",
			fs_layout_names[c->layout], fs_op_names[c->op], rte_lcore_count(),
			c->stride, c->ns_med, c->ns_min, c->ns_max, c->cyc_med, c->cyc_min,
			c->cyc_max, c->mops_med);
		if (c->slowdown >= 0)
			fprintf(f, "%.3f", c->slowdown);
		fprintf(f, ",%u,%u,", c->nb_runs, c->clean_runs);
		if (c->spread >= 0)
			fprintf(f, "%.1f", c->spread);
		fprintf(f, ",%s\n", fs_status(c));
	}
}

static void
fs_write_json(FILE *f, const struct fs_config *cfg, const struct fs_case *cases,
		unsigned int nb)
{
	unsigned int i;

	fprintf(f, "{\"results\": [");
	for (i = 0; i < nb; i++) {
		const struct fs_case *c = &cases[i];

		fprintf(f, "%s\n  {\"layout\": \"%s\", \"op\": \"%s\", \"lcores\": %u, "
			"\"stride\": %u,\n   \"ns_per_op\": {\"median\": %.3f, \"min\": %.3f, "
			"\"max\": %.3f},\n   \"cycles_per_op\": {\"median\": %.3f, \"min\": %.3f, "
			"\"max\": %.3f},\n   \"mops\": %.3f, \"slowdown_vs_padded\": ",
			i ? "," : "", fs_layout_names[c->layout], fs_op_names[c->op],
			rte_lcore_count(), c->stride, c->ns_med, c->ns_min, c->ns_max, c->cyc_med,
			c->cyc_min, c->cyc_max, c->mops_med);
		if (c->slowdown >= 0)
			fprintf(f, "%.3f", c->slowdown);
		else
			fprintf(f, "null");
		fprintf(f, ",\n   \"runs\": %u, \"clean_runs\": %u, \"spread_pct\": ",
			c->nb_runs, c->clean_runs);
		if (c->spread >= 0)
			fprintf(f, "%.1f", c->spread);
		else
			fprintf(f, "null");
		fprintf(f, ", \"stable\": %s, \"status\": \"%s\"}",
			c->stable ? "true" : "false", fs_status(c));
	}
	fprintf(f, "\n ],\n \"max_spread_pct\": %.1f, \"spread_trim_pct\": %u,"
		" \"line_move_ns\": ", cfg->max_spread, FS_TRIM_PCT);
	if (cfg->transfer_ns >= 0)
		fprintf(f, "%.1f", cfg->transfer_ns);
	else
		fprintf(f, "null");
	fprintf(f, ", \"vcpu_moves\": %u, \"passes\": %u, \"kept_pass\": %u,\n"
		" \"disturbed\": {\"preempted\": %u, \"stalled\": %u,"
		" \"steal\": %u, \"overlap\": %u}}\n", cfg->moves, cfg->passes, cfg->kept_pass,
		cfg->disturbed.preempted,
		cfg->disturbed.stalled, cfg->disturbed.stolen, cfg->disturbed.apart);
}

/*
 * Writes the results to path in one go and closes it; 0, or -EIO with a
 * one-line message naming the option and the path.
 */
static int
fs_write_output(const char *opt, const char *path,
		void (*write_fn)(FILE *, const struct fs_config *, const struct fs_case *,
			unsigned int),
		const struct fs_config *cfg, const struct fs_case *cases, unsigned int nb)
{
	FILE *f = fopen(path, "w");
	int err;

	if (f == NULL) {
		LAB_LOG(ERR, "%s: cannot write '%s': %s", opt, path, strerror(errno));
		return -EIO;
	}
	write_fn(f, cfg, cases, nb);
	err = ferror(f);
	if (fclose(f) != 0 || err) {
		LAB_LOG(ERR, "%s: writing '%s' failed: %s", opt, path, strerror(errno));
		return -EIO;
	}
	return 0;
}

/*
 * The files the options asked for, written only now that the results
 * exist, so a failed run leaves earlier files as they were. Both are
 * tried even if the first fails; 0, or -EIO.
 */
int
fs_write_results(const struct fs_config *cfg, const struct fs_case *cases, unsigned int nb)
{
	int ret = 0;

	if (cfg->csv_path != NULL &&
	    fs_write_output("--csv", cfg->csv_path, fs_write_csv, cfg, cases, nb) < 0)
		ret = -EIO;
	if (cfg->json_path != NULL &&
	    fs_write_output("--json", cfg->json_path, fs_write_json, cfg, cases, nb) < 0)
		ret = -EIO;
	return ret;
}
