/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The measurement: every EAL lcore (the main one too) increments its own
 * counter N times, all released by one start barrier, in the row's layout.
 * A warm-up, then the timed repetitions, each run checked to add up and
 * run again while disturbed; then each row's median, min and max, and its
 * slowdown against padded. Also the ping-pong that times one line transfer.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_pause.h>
#include <rte_per_lcore.h>

#include "lab_eal.h"
#include "lab_log.h"

#include "fs_bench.h"

#define FS_WARMUP_MIN 10000
#define FS_PINGPONG_ROUNDS 20000

/* What one run asks of every writer; read-only while the writers run. */
struct fs_run {
	enum fs_layout layout;
	enum fs_op op;
	unsigned int stride;
	uint64_t iterations;
	unsigned int nb_writers;
};

/* What each writer reports after its timed loop, one line per writer. */
struct fs_writer_result {
	uint64_t start_tsc;
	uint64_t end_tsc;
	uint64_t count;            /* its counter's final value (per_lcore, shared) */
	uintptr_t counter_addr;
	long preempted;            /* involuntary context switches during the loop */
} __rte_cache_aligned;

/*
 * The counters under test. Every array starts on a line of its own and
 * nothing else lives on its lines, so only the layout decides who shares.
 * Writers index them by rank (0..writers-1), not by lcore id, so that
 * -l 0,5 still puts the two writers' entries side by side.
 */
static struct per_core_data_packed fs_packed[RTE_MAX_LCORE] __rte_cache_aligned;
static struct per_core_data_padded fs_padded[RTE_MAX_LCORE];
static struct per_core_data_guard128 fs_guard128[RTE_MAX_LCORE];
static uint64_t fs_stride_words[RTE_MAX_LCORE * FS_STRIDE_MAX / sizeof(uint64_t)]
	__rte_aligned(4096);
static struct {
	uint64_t count;
} __rte_cache_aligned fs_shared;
static RTE_DEFINE_PER_LCORE(struct per_core_data_padded, fs_lcore_data);

static struct {
	uint32_t arrived;
} __rte_cache_aligned fs_barrier;

/* The line two lcores pass back and forth to time one line transfer. */
static struct {
	uint64_t turn;
} __rte_cache_aligned fs_pingpong;

static struct fs_writer_result fs_results[RTE_MAX_LCORE];
static unsigned int fs_rank_of_lcore[RTE_MAX_LCORE];
static unsigned int fs_lcore_of_rank[RTE_MAX_LCORE];

/*
 * TSC reads that the CPU cannot move across the timed loop: lfence keeps
 * rdtsc after the start barrier and the loop after rdtsc; at the end
 * mfence drains the last stores and rdtscp waits for every earlier
 * instruction. Elsewhere, DPDK's fenced read.
 */
static inline uint64_t
fs_tsc_start(void)
{
#ifdef RTE_ARCH_X86
	uint32_t lo, hi;

	asm volatile("lfence\n\trdtsc\n\tlfence" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
#else
	return rte_rdtsc_precise();
#endif
}

static inline uint64_t
fs_tsc_end(void)
{
#ifdef RTE_ARCH_X86
	uint32_t lo, hi, aux;

	asm volatile("mfence\n\trdtscp\n\tlfence" : "=a"(lo), "=d"(hi), "=c"(aux) : : "memory");
	return ((uint64_t)hi << 32) | lo;
#else
	return rte_rdtsc_precise();
#endif
}

/*
 * volatile makes every increment a real load and a real store to memory:
 * the compiler may neither keep the counter in a register nor fold the
 * loop into one add. Not atomic: correct only while nobody else writes
 * the same counter.
 */
static __rte_noinline void
fs_loop_rmw(uint64_t *counter, uint64_t iterations)
{
	volatile uint64_t *v = counter;
	uint64_t i;

	for (i = 0; i < iterations; i++)
		*v = *v + 1;
}

/* A relaxed atomic add: "lock add" on x86, the line must be owned for each one. */
static __rte_noinline void
fs_loop_atomic(uint64_t *counter, uint64_t iterations)
{
	uint64_t i;

	for (i = 0; i < iterations; i++)
		__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

static uint64_t *
fs_counter_of(const struct fs_run *run, unsigned int rank)
{
	switch (run->layout) {
	case FS_LAYOUT_PACKED:
		return &fs_packed[rank].rx_count;
	case FS_LAYOUT_PADDED:
		return &fs_padded[rank].rx_count;
	case FS_LAYOUT_GUARD128:
		return &fs_guard128[rank].rx_count;
	case FS_LAYOUT_PER_LCORE:
		return &RTE_PER_LCORE(fs_lcore_data).rx_count;
	case FS_LAYOUT_SHARED:
		return &fs_shared.count;
	case FS_LAYOUT_STRIDE:
		return &fs_stride_words[rank * run->stride / sizeof(uint64_t)];
	default:
		return NULL;
	}
}

/* The course's "running" flag, written as the course's loop would. */
static void
fs_set_running(const struct fs_run *run, unsigned int rank, int running)
{
	if (run->layout == FS_LAYOUT_PACKED)
		fs_packed[rank].running = running;
	else if (run->layout == FS_LAYOUT_PADDED)
		fs_padded[rank].running = running;
	else if (run->layout == FS_LAYOUT_GUARD128)
		fs_guard128[rank].running = running;
	else if (run->layout == FS_LAYOUT_PER_LCORE)
		RTE_PER_LCORE(fs_lcore_data).running = running;
}

/* Runs on every lcore, the main one included (CALL_MAIN). */
static int
fs_writer(void *arg)
{
	const struct fs_run *run = arg;
	unsigned int rank = fs_rank_of_lcore[rte_lcore_id()];
	struct fs_writer_result *res = &fs_results[rank];
	uint64_t *counter = fs_counter_of(run, rank);
	struct rusage before, after;
	uint64_t start, end;

	/* Only the owning thread can reach its TLS, so it zeroes it itself. */
	if (run->layout == FS_LAYOUT_PER_LCORE)
		*counter = 0;
	fs_set_running(run, rank, 1);
	/* -1: unknown, counted as disturbed */
	if (getrusage(RUSAGE_THREAD, &before) < 0)
		before.ru_nivcsw = -1;

	/*
	 * Start barrier: nobody starts before every writer is here, so the
	 * loops overlap and the line really has two writers at once.
	 */
	__atomic_fetch_add(&fs_barrier.arrived, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&fs_barrier.arrived, __ATOMIC_ACQUIRE) < run->nb_writers)
		rte_pause();

	start = fs_tsc_start();
	if (run->op == FS_OP_ATOMIC)
		fs_loop_atomic(counter, run->iterations);
	else
		fs_loop_rmw(counter, run->iterations);
	end = fs_tsc_end();

	if (before.ru_nivcsw < 0 || getrusage(RUSAGE_THREAD, &after) < 0)
		res->preempted = 1;
	else
		res->preempted = after.ru_nivcsw - before.ru_nivcsw;
	fs_set_running(run, rank, 0);
	res->start_tsc = start;
	res->end_tsc = end;
	res->count = __atomic_load_n(counter, __ATOMIC_RELAXED);
	res->counter_addr = (uintptr_t)counter;
	return 0;
}

static int
fs_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
fs_median(const double *v, unsigned int n)
{
	double sorted[FS_REPEAT_MAX];

	memcpy(sorted, v, n * sizeof(*v));
	qsort(sorted, n, sizeof(*sorted), fs_cmp_double);
	return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/*
 * The worker's half of the ping-pong: turn 1 says it is awake (so its
 * wake-up is not timed), then it answers every even turn with the next.
 */
static int
fs_pong(void *arg __rte_unused)
{
	uint64_t i;

	__atomic_store_n(&fs_pingpong.turn, 1, __ATOMIC_RELEASE);
	for (i = 1; i <= FS_PINGPONG_ROUNDS; i++) {
		while (__atomic_load_n(&fs_pingpong.turn, __ATOMIC_ACQUIRE) != 2 * i)
			rte_pause();
		__atomic_store_n(&fs_pingpong.turn, 2 * i + 1, __ATOMIC_RELEASE);
	}
	return 0;
}

/*
 * How long one line takes to move from the main lcore to the first worker:
 * each turn of the ping-pong needs the line to cross once each way, and
 * cannot be batched, unlike the benchmark's increments. It tells where
 * the two cores sit: a few ns for SMT siblings, tens within one L3, about
 * 100 ns or more across L3 complexes or sockets. Returns ns one way
 * (the fastest of FS_PINGPONG_REPEAT: noise only ever adds time) and the
 * worker's lcore, or a negative errno.
 */
int
fs_measure_transfer(double *ns_one_way, unsigned int *worker_lcore)
{
	unsigned int worker = rte_get_next_lcore(-1, 1, 0);
	double samples[FS_PINGPONG_REPEAT];
	unsigned int r;
	uint64_t i, start;
	int ret;

	for (r = 0; r < FS_PINGPONG_REPEAT; r++) {
		__atomic_store_n(&fs_pingpong.turn, 0, __ATOMIC_RELEASE);
		ret = rte_eal_remote_launch(fs_pong, NULL, worker);
		if (ret < 0) {
			LAB_LOG(ERR, "ping-pong: cannot launch on lcore %u: %s", worker,
				strerror(-ret));
			return ret;
		}
		while (__atomic_load_n(&fs_pingpong.turn, __ATOMIC_ACQUIRE) != 1)
			rte_pause();
		start = fs_tsc_start();
		for (i = 1; i <= FS_PINGPONG_ROUNDS; i++) {
			__atomic_store_n(&fs_pingpong.turn, 2 * i, __ATOMIC_RELEASE);
			while (__atomic_load_n(&fs_pingpong.turn, __ATOMIC_ACQUIRE) != 2 * i + 1)
				rte_pause();
		}
		samples[r] = (double)(fs_tsc_end() - start) * 1e9 / rte_get_tsc_hz() /
			FS_PINGPONG_ROUNDS / 2;
		ret = rte_eal_wait_lcore(worker);
		if (ret < 0) {
			LAB_LOG(ERR, "ping-pong: lcore %u failed: %s", worker, strerror(-ret));
			return ret;
		}
	}
	*worker_lcore = worker;
	*ns_one_way = samples[0];
	for (r = 1; r < FS_PINGPONG_REPEAT; r++)
		*ns_one_way = RTE_MIN(*ns_one_way, samples[r]);
	return 0;
}

static void
fs_zero_counters(const struct fs_run *run)
{
	switch (run->layout) {
	case FS_LAYOUT_PACKED:
		memset(fs_packed, 0, sizeof(fs_packed));
		break;
	case FS_LAYOUT_PADDED:
		memset(fs_padded, 0, sizeof(fs_padded));
		break;
	case FS_LAYOUT_GUARD128:
		memset(fs_guard128, 0, sizeof(fs_guard128));
		break;
	case FS_LAYOUT_SHARED:
		fs_shared.count = 0;
		break;
	case FS_LAYOUT_STRIDE:
		memset(fs_stride_words, 0, sizeof(fs_stride_words));
		break;
	default:
		break;     /* per_lcore: each writer zeroes its own */
	}
}

/*
 * Every increment must be in the counters: each writer's own counter holds
 * exactly N, the shared one N x writers. Anything else means lost updates
 * or a broken benchmark, and its timings would be meaningless.
 */
static int
fs_check_counts(const struct fs_run *run, const char *what)
{
	uint64_t expected_total = run->iterations * run->nb_writers;
	uint64_t total = 0;
	unsigned int rank;

	if (run->layout == FS_LAYOUT_SHARED) {
		total = fs_shared.count;
	} else {
		for (rank = 0; rank < run->nb_writers; rank++) {
			uint64_t got = run->layout == FS_LAYOUT_PER_LCORE ?
				fs_results[rank].count : *fs_counter_of(run, rank);

			if (got != run->iterations) {
				LAB_LOG(ERR, "%s: lcore %u's counter holds %" PRIu64 " after %"
					PRIu64 " increments: updates were lost or doubled, "
					"the figures are not trustworthy", what,
					fs_lcore_of_rank[rank], got, run->iterations);
				return -EIO;
			}
			total += got;
		}
	}
	if (total != expected_total) {
		LAB_LOG(ERR, "%s: counters add up to %" PRIu64 ", expected %" PRIu64
			" (%u writers x %" PRIu64 "): updates were lost", what, total,
			expected_total, run->nb_writers, run->iterations);
		return -EIO;
	}
	return 0;
}

/*
 * One run: launch a writer on every lcore, wait, check the counters.
 * Returns 0 and the run's mean cycles per increment, Mops/s and the share
 * of the run during which every writer was running, or -errno.
 */
static int
fs_run_once(const struct fs_case *c, uint64_t iterations, double *cycles_per_op,
		double *mops, double *overlap, long *preempted)
{
	struct fs_run run = {
		.layout = c->layout,
		.op = c->op,
		.stride = c->stride,
		.iterations = iterations,
		.nb_writers = rte_lcore_count(),
	};
	uint64_t first_start = UINT64_MAX, last_start = 0, first_end = UINT64_MAX, last_end = 0;
	double cycles_sum = 0;
	char what[80];
	unsigned int rank;
	int ret;

	snprintf(what, sizeof(what), "layout %s stride %u op %s", fs_layout_names[c->layout],
		c->stride, fs_op_names[c->op]);
	fs_zero_counters(&run);
	__atomic_store_n(&fs_barrier.arrived, 0, __ATOMIC_RELEASE);

	ret = rte_eal_mp_remote_launch(fs_writer, &run, CALL_MAIN);
	if (ret < 0) {
		LAB_LOG(ERR, "%s: rte_eal_mp_remote_launch failed: %s (a worker lcore is "
			"still busy)", what, strerror(-ret));
		return ret;
	}
	rte_eal_mp_wait_lcore();

	ret = fs_check_counts(&run, what);
	if (ret < 0)
		return ret;

	*preempted = 0;
	for (rank = 0; rank < run.nb_writers; rank++) {
		const struct fs_writer_result *res = &fs_results[rank];

		*preempted += res->preempted;
		cycles_sum += (double)(res->end_tsc - res->start_tsc) / iterations;
		first_start = RTE_MIN(first_start, res->start_tsc);
		last_start = RTE_MAX(last_start, res->start_tsc);
		first_end = RTE_MIN(first_end, res->end_tsc);
		last_end = RTE_MAX(last_end, res->end_tsc);
	}
	*cycles_per_op = cycles_sum / run.nb_writers;
	*mops = (double)iterations * run.nb_writers /
		((double)(last_end - first_start) / rte_get_tsc_hz()) / 1e6;
	/*
	 * A writer descheduled by the host (or by a busy neighbour) runs alone
	 * for a while and shares nothing: report how much the loops overlapped.
	 */
	*overlap = first_end > last_start ?
		(double)(first_end - last_start) / (double)(last_end - first_start) : 0.0;
	return 0;
}

static void
fs_summarise(struct fs_case *c, unsigned int reps)
{
	double ns_per_cycle = 1e9 / rte_get_tsc_hz();
	unsigned int i;

	c->cyc_med = fs_median(c->cycles_per_op, reps);
	c->cyc_min = c->cyc_max = c->cycles_per_op[0];
	c->overlap_min = c->overlap[0];
	for (i = 1; i < reps; i++) {
		c->cyc_min = RTE_MIN(c->cyc_min, c->cycles_per_op[i]);
		c->cyc_max = RTE_MAX(c->cyc_max, c->cycles_per_op[i]);
		c->overlap_min = RTE_MIN(c->overlap_min, c->overlap[i]);
	}
	c->ns_med = c->cyc_med * ns_per_cycle;
	c->ns_min = c->cyc_min * ns_per_cycle;
	c->ns_max = c->cyc_max * ns_per_cycle;
	c->mops_med = fs_median(c->mops, reps);
}

static void
fs_map_ranks(void)
{
	unsigned int lcore, rank = 0;

	/* The main lcore is rank 0, so -l 0-1 puts lcores 0 and 1 side by side. */
	fs_rank_of_lcore[rte_get_main_lcore()] = rank;
	fs_lcore_of_rank[rank++] = rte_get_main_lcore();
	RTE_LCORE_FOREACH_WORKER(lcore) {
		fs_rank_of_lcore[lcore] = rank;
		fs_lcore_of_rank[rank++] = lcore;
	}
}

/*
 * One timed run of a row, repeated while it was disturbed (a writer
 * preempted, or the writers not running at the same time); keeps the
 * least disturbed attempt: unpreempted first, then the best overlap.
 */
static int
fs_run_checked(struct fs_case *c, uint64_t iterations, unsigned int rep)
{
	double cyc, mops, overlap, best = -1;
	unsigned int attempt;
	long preempted;
	int ret;

	for (attempt = 0; attempt < FS_MAX_ATTEMPTS; attempt++) {
		double score;

		ret = fs_run_once(c, iterations, &cyc, &mops, &overlap, &preempted);
		if (ret < 0)
			return ret;
		score = (preempted == 0 ? 2 : 0) + overlap;
		if (score > best) {
			best = score;
			c->cycles_per_op[rep] = cyc;
			c->mops[rep] = mops;
			c->overlap[rep] = overlap;
		}
		if ((preempted == 0 && overlap >= FS_MIN_OVERLAP) || lab_force_quit)
			break;
		c->reruns++;
	}
	if (best >= 2 + FS_MIN_OVERLAP)
		c->clean_runs++;
	return 0;
}

/*
 * Warm-up (page faults, frequency ramp, first line transfers) once for
 * every row, then the timed repetitions round-robin over the rows, so that
 * a burst of noise from other processes spreads over all rows instead of
 * spoiling one.
 */
int
fs_measure(const struct fs_config *cfg, struct fs_case *cases, unsigned int nb)
{
	uint64_t warmup = RTE_MAX(cfg->iterations / 10, (uint64_t)FS_WARMUP_MIN);
	double cyc, mops, overlap;
	unsigned int i, rep;
	long preempted;
	int ret;

	fs_map_ranks();
	for (i = 0; i < nb; i++) {
		ret = fs_run_once(&cases[i], warmup, &cyc, &mops, &overlap, &preempted);
		if (ret < 0)
			return ret;
		/* TLS sits wherever each thread's static TLS block was put. */
		if (cases[i].layout == FS_LAYOUT_PER_LCORE && rte_lcore_count() > 1) {
			uintptr_t a = fs_results[0].counter_addr, b = fs_results[1].counter_addr;

			cases[i].stride = a > b ? a - b : b - a;
		}
	}
	for (rep = 0; rep < cfg->repeat; rep++) {
		for (i = 0; i < nb; i++) {
			ret = fs_run_checked(&cases[i], cfg->iterations, rep);
			if (ret < 0)
				return ret;
		}
		if (lab_force_quit) {
			LAB_LOG(ERR, "interrupted after %u of %" PRIu64 " repetitions",
				rep + 1, cfg->repeat);
			return -EINTR;
		}
	}
	for (i = 0; i < nb; i++)
		fs_summarise(&cases[i], cfg->repeat);
	for (i = 0; i < nb; i++) {
		const struct fs_case *ref = fs_find_case(cases, nb, FS_LAYOUT_PADDED,
			cases[i].op, 0);

		if (ref != NULL && ref->ns_med > 0)
			cases[i].slowdown = cases[i].ns_med / ref->ns_med;
		else
			cases[i].slowdown = -1;
	}
	return 0;
}
