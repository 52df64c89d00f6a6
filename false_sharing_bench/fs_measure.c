/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The repetitions: a warm-up of every row, then rounds of one slice of
 * every run of every row each, so that slow drift hits all runs alike.
 * Before each round a short ping-pong checks that the host has not moved
 * a vCPU (the cost of a shared line depends on where the two cores sit);
 * a disturbed slice is run again; a row whose runs spread more than --max-spread is measured again.
 * Then each row's median, min, max, spread and slowdown against padded.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_lcore.h>

#include "lab_eal.h"
#include "lab_log.h"

#include "fs_bench.h"

#define FS_WARMUP_MIN 10000
/*
 * The quick check before each round that the vCPUs have not moved, and
 * the closer look when it disagrees: many short ping-pongs, as the
 * fastest of them is one that nothing else interrupted.
 */
#define FS_PROBE_ROUNDS 1000
#define FS_PROBE_REPEAT 3
#define FS_RECHECK_REPEAT 20
/* Times a move of the vCPUs may start the first pass over at the new place. */
#define FS_MAX_RESTARTS 2
/* Rounds one pass may take, per round asked: the rest were skipped (moved). */
#define FS_ROUNDS_FACTOR 3

static int
fs_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Whether the run was disturbed; counts why in *why when not NULL. */
static bool
fs_disturbed(const struct fs_sample *s, struct fs_disturbed *why)
{
	bool preempted = s->preempted != 0, stalled = s->stall_us > FS_STALL_US;
	bool stolen = s->steal_ms > 0, apart = s->overlap < FS_MIN_OVERLAP;

	if (why != NULL) {
		why->preempted += preempted;
		why->stalled += stalled;
		why->stolen += stolen;
		why->apart += apart;
	}
	return preempted || stalled || stolen || apart;
}

/* Higher is better: undisturbed first, then fewer reasons, then overlap. */
static double
fs_score(const struct fs_sample *s)
{
	return (fs_disturbed(s, NULL) ? 0 : 10) - (s->preempted != 0) -
		(s->stall_us > FS_STALL_US) - (s->steal_ms > 0) + s->overlap;
}

/*
 * One slice of a row's run number rep: iterations / FS_SLICES increments,
 * repeated while disturbed (until the row has used up one rerun per slice
 * on average); the least disturbed attempt is added to the run's sums
 * (fs_finish_runs() turns them into its figures).
 */
static int
fs_run_slice(struct fs_config *cfg, struct fs_case *c, unsigned int rep)
{
	/* On a machine too busy for clean slices, retrying them all only takes longer. */
	unsigned int attempts = c->reruns < FS_SLICES * cfg->repeat ? FS_MAX_ATTEMPTS : 1;
	struct fs_rep *r = &c->runs[rep];
	struct fs_sample s, best = { 0 };
	double best_score = -100;
	unsigned int attempt;
	int ret;

	for (attempt = 0; attempt < attempts; attempt++) {
		ret = fs_run_once(c, cfg->iterations / FS_SLICES, &s);
		if (ret < 0)
			return ret;
		if (fs_score(&s) > best_score) {
			best_score = fs_score(&s);
			best = s;
		}
		if (!fs_disturbed(&s, &cfg->disturbed) || lab_force_quit)
			break;
		c->reruns++;
	}
	r->cycles_per_op += best.cycles_per_op;
	r->mops += 1 / best.mops;
	r->overlap = RTE_MIN(r->overlap, best.overlap);
	r->clean_slices += !fs_disturbed(&best, NULL);
	return 0;
}

/*
 * One round: one slice of every run of every row, in turn. A run is all
 * of its slices, one per round: it samples the whole pass, so a slow
 * change (the host's other work on the core) hits every row and every
 * run alike instead of one row's or one run's time. On the Intel Xeon,
 * with one round per run, the uncontended rmw rows spread 20-48 % in 4
 * passes out of 6, all of them together.
 */
static int
fs_round(struct fs_config *cfg, struct fs_case **rows, unsigned int n)
{
	unsigned int i, rep;
	int ret;

	for (rep = 0; rep < cfg->repeat && !lab_force_quit; rep++)
		for (i = 0; i < n; i++) {
			ret = fs_run_slice(cfg, rows[i], rep);
			if (ret < 0)
				return ret;
		}
	return 0;
}

static bool
fs_same_place(double a, double b)
{
	return a < b * FS_MOVED_FACTOR && b < a * FS_MOVED_FACTOR;
}

/*
 * Whether the two writers still sit where the pass's ping-pong found
 * them. A quick ping-pong first; if it disagrees, a closer look (a quick
 * one can be slowed by a preemption or a stall). *moved: the full one disagreed
 * too; with may_move, it becomes the new reference.
 */
static int
fs_check_place(struct fs_config *cfg, bool may_move, bool *moved)
{
	unsigned int worker;
	double ns;
	int ret;

	*moved = false;
	ret = fs_measure_transfer(FS_PROBE_ROUNDS, FS_PROBE_REPEAT, &ns, &worker);
	if (ret < 0 || fs_same_place(ns, cfg->transfer_ns))
		return ret;
	ret = fs_measure_transfer(FS_PROBE_ROUNDS, FS_RECHECK_REPEAT, &ns, &worker);
	if (ret < 0 || fs_same_place(ns, cfg->transfer_ns))
		return ret;
	*moved = true;
	cfg->moves++;
	if (may_move) {
		LAB_LOG(INFO, "a line now moves in %.1f ns, not %.1f: the host moved a vCPU, "
			"this pass starts over", ns, cfg->transfer_ns);
		cfg->transfer_ns = ns;
	}
	return 0;
}

static void
fs_reset_rows(const struct fs_config *cfg, struct fs_case **rows, unsigned int n)
{
	unsigned int i, rep;

	for (i = 0; i < n; i++) {
		memset(rows[i]->runs, 0, cfg->repeat * sizeof(*rows[i]->runs));
		for (rep = 0; rep < cfg->repeat; rep++)
			rows[i]->runs[rep].overlap = 1;
		rows[i]->nb_runs = 0;
		rows[i]->clean_runs = 0;
		rows[i]->reruns = 0;
	}
}

/*
 * Each run's figures from its sums over the rounds kept: cycles the mean
 * of its slices, Mops/s from the time per op summed over them. Clean:
 * most of its slices were; one stolen slice is a tenth of the run.
 */
static void
fs_finish_runs(const struct fs_config *cfg, struct fs_case **rows, unsigned int n,
		unsigned int slices)
{
	unsigned int i, rep;

	for (i = 0; i < n; i++) {
		for (rep = 0; rep < cfg->repeat && slices > 0; rep++) {
			struct fs_rep *r = &rows[i]->runs[rep];

			r->cycles_per_op /= slices;
			r->mops = slices / r->mops;
			rows[i]->clean_runs += r->clean_slices * 2 > slices;
		}
		rows[i]->nb_runs = slices > 0 ? cfg->repeat : 0;
		rows[i]->moved = slices < FS_SLICES;
	}
}

/*
 * One pass: FS_SLICES rounds over the rows, each round at the reference
 * place. A move of the vCPUs starts the pass over where it took the
 * writers, up to FS_MAX_RESTARTS times; after that a round after a move
 * is skipped, and a row whose runs have fewer slices than asked says so
 * (MOVED).
 */
static int
fs_pass(struct fs_config *cfg, struct fs_case **rows, unsigned int n)
{
	unsigned int kept = 0, round, restarts = 0;
	bool moved;
	int ret;

	fs_reset_rows(cfg, rows, n);
	for (round = 0; kept < FS_SLICES && round < FS_ROUNDS_FACTOR * FS_SLICES; round++) {
		if (cfg->transfer_ns >= 0) {
			ret = fs_check_place(cfg, restarts < FS_MAX_RESTARTS, &moved);
			if (ret < 0)
				return ret;
			if (moved && restarts < FS_MAX_RESTARTS) {
				restarts++;
				kept = 0;
				fs_reset_rows(cfg, rows, n);
				continue;
			}
			if (moved)
				continue;
		}
		ret = fs_round(cfg, rows, n);
		if (ret < 0)
			return ret;
		kept++;
		if (lab_force_quit) {
			LAB_LOG(ERR, "interrupted after %u of %u slices of every run", kept,
				FS_SLICES);
			return -EINTR;
		}
	}
	fs_finish_runs(cfg, rows, n, kept);
	return 0;
}

/* Median, min, max, and the spread of the middle runs, of one row's runs. */
static void
fs_summarise(const struct fs_config *cfg, struct fs_case *c)
{
	double ns_per_cycle = 1e9 / rte_get_tsc_hz();
	double sorted[FS_REPEAT_MAX];
	unsigned int n = c->nb_runs, i;

	if (n == 0) {
		c->ns_med = c->ns_min = c->ns_max = 0;
		c->cyc_med = c->cyc_min = c->cyc_max = 0;
		c->mops_med = c->overlap_min = 0;
		c->spread = -1;
		c->stable = false;
		return;
	}
	for (i = 0; i < n; i++)
		sorted[i] = c->runs[i].mops;
	qsort(sorted, n, sizeof(*sorted), fs_cmp_double);
	c->mops_med = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
	for (i = 0; i < n; i++)
		sorted[i] = c->runs[i].cycles_per_op;
	qsort(sorted, n, sizeof(*sorted), fs_cmp_double);
	c->cyc_med = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
	c->cyc_min = sorted[0];
	c->cyc_max = sorted[n - 1];
	c->trimmed = n * FS_TRIM_PCT / 100;
	c->spread = (sorted[n - 1 - c->trimmed] - sorted[c->trimmed]) / c->cyc_med * 100;
	c->overlap_min = c->runs[0].overlap;
	for (i = 1; i < n; i++)
		c->overlap_min = RTE_MIN(c->overlap_min, c->runs[i].overlap);
	c->ns_med = c->cyc_med * ns_per_cycle;
	c->ns_min = c->cyc_min * ns_per_cycle;
	c->ns_max = c->cyc_max * ns_per_cycle;
	c->stable = c->spread <= cfg->max_spread && !c->moved;
}

/*
 * Warm-up (page faults, frequency ramp, first line transfers) once for
 * every row; per_lcore's stride is where the threads' TLS blocks were put.
 */
static int
fs_warm_up(const struct fs_config *cfg, struct fs_case *cases, unsigned int nb)
{
	uint64_t warmup = RTE_MAX(cfg->iterations / 10, (uint64_t)FS_WARMUP_MIN);
	struct fs_sample s;
	unsigned int i;
	int ret;

	for (i = 0; i < nb; i++) {
		ret = fs_run_once(&cases[i], warmup, &s);
		if (ret < 0)
			return ret;
		if (cases[i].layout == FS_LAYOUT_PER_LCORE && rte_lcore_count() > 1)
			cases[i].stride = s.distance;
	}
	return 0;
}

/* Most runs of the rows disturbed: another pass would measure the load again. */
static bool
fs_mostly_disturbed(const struct fs_case *cases, unsigned int nb)
{
	unsigned int i, clean = 0, runs = 0;

	for (i = 0; i < nb; i++) {
		clean += cases[i].clean_runs;
		runs += cases[i].nb_runs;
	}
	return clean * 2 <= runs;
}

/* How many rows are not stable, and the largest spread: the smaller the better. */
static double
fs_pass_badness(const struct fs_config *cfg, const struct fs_case *cases, unsigned int nb)
{
	double worst = 0;
	unsigned int i, unstable = 0;

	for (i = 0; i < nb; i++) {
		unstable += !cases[i].stable;
		worst = RTE_MAX(worst, cases[i].spread < 0 ? cfg->max_spread * 10 :
			cases[i].spread);
	}
	return unstable * 1e6 + worst;
}

/*
 * One more pass over every row, into copies with arrays of their own, at
 * wherever the writers sit now; the whole pass replaces the rows if fewer
 * of its rows are noisy (then: if its worst spread is smaller), so that
 * every slowdown still compares runs of one pass. Returns 1 if the rows
 * are now all stable, 0 if not, or a negative errno.
 */
static int
fs_measure_again(struct fs_config *cfg, struct fs_case *cases, unsigned int nb)
{
	struct fs_case trial[FS_MAX_CASES], *rows[FS_MAX_CASES], keep;
	double old_ns = cfg->transfer_ns;
	unsigned int old_lcore = cfg->transfer_lcore;
	unsigned int i, n;
	bool better;
	int ret = 0;

	for (n = 0; n < nb && ret == 0; n++) {
		trial[n] = cases[n];
		rows[n] = &trial[n];
		ret = fs_alloc_runs(&trial[n], cfg->repeat);
	}
	if (ret == 0 && cfg->transfer_ns >= 0)
		ret = fs_measure_transfer(FS_TRANSFER_ROUNDS, FS_PINGPONG_REPEAT,
			&cfg->transfer_ns, &cfg->transfer_lcore);
	if (ret == 0)
		ret = fs_pass(cfg, rows, nb);
	for (i = 0; i < n && ret == 0; i++)
		fs_summarise(cfg, &trial[i]);
	better = ret == 0 && fs_pass_badness(cfg, trial, nb) < fs_pass_badness(cfg, cases, nb);
	for (i = 0; i < n; i++) {
		if (better) {
			keep = cases[i];
			cases[i] = trial[i];
			trial[i] = keep;
		}
		free(trial[i].runs);
	}
	cfg->passes++;
	if (better) {
		cfg->kept_pass = cfg->passes;
	} else {
		cfg->transfer_ns = old_ns;
		cfg->transfer_lcore = old_lcore;
	}
	if (ret < 0)
		return ret;
	return fs_pass_badness(cfg, cases, nb) < 1e6;
}

int
fs_measure(struct fs_config *cfg, struct fs_case *cases, unsigned int nb)
{
	struct fs_case *rows[FS_MAX_CASES];
	unsigned int i, pass;
	int ret;

	fs_run_init(cfg);
	ret = fs_warm_up(cfg, cases, nb);
	for (i = 0; i < nb; i++)
		rows[i] = &cases[i];
	if (ret == 0)
		ret = fs_pass(cfg, rows, nb);
	if (ret < 0)
		return ret;
	for (i = 0; i < nb; i++)
		fs_summarise(cfg, &cases[i]);
	cfg->passes = cfg->kept_pass = 1;
	ret = fs_pass_badness(cfg, cases, nb) < 1e6;
	for (pass = 1; pass < FS_MAX_PASSES && ret == 0 && !fs_mostly_disturbed(cases, nb);
			pass++)
		ret = fs_measure_again(cfg, cases, nb);
	if (ret < 0)
		return ret;
	for (i = 0; i < nb; i++) {
		const struct fs_case *ref = fs_find_case(cases, nb, FS_LAYOUT_PADDED,
			cases[i].op, 0);

		if (ref != NULL && ref->ns_med > 0 && cases[i].nb_runs > 0)
			cases[i].slowdown = cases[i].ns_med / ref->ns_med;
		else
			cases[i].slowdown = -1;
	}
	return 0;
}
