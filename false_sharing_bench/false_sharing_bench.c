/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * false_sharing_bench: every EAL lcore (the main one too) increments its
 * own counter N times, all starting together, with the counters laid out
 * the course's WRONG way (packed), its CORRECT way (padded), two lines
 * apart (guard128), in per-lcore TLS (per_lcore), or as one counter all
 * lcores share (shared). --stride-sweep spaces the counters 8..256 bytes.
 * Each run checks its counters add up; the report gives median/min/max
 * ns and cycles per increment, Mops/s and the slowdown against padded.
 *
 *   false_sharing_bench -l 0-1 --no-pci --no-huge -m 64 -- --op atomic
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_pause.h>
#include <rte_per_lcore.h>

#include "lab_eal.h"
#include "lab_log.h"
#include "lab_opts.h"

#include "fs_layouts.h"

#define FS_ITERATIONS_DEFAULT 20000000
/* 1e9 increments at ~100 ns each is already ~2 minutes per run. */
#define FS_ITERATIONS_MAX 1000000000ULL
#define FS_REPEAT_DEFAULT 5
#define FS_REPEAT_MAX 1000
#define FS_WARMUP_MIN 10000
#define FS_MAX_CASES 16
/*
 * A run in which a writer was preempted (the kernel switched it out for
 * another task: the 2 vCPUs are shared) or the writers overlapped less
 * than this (the hypervisor can stall a vCPU unseen) timed something else
 * than the layout; it is run again, up to FS_MAX_ATTEMPTS times, and the
 * best attempt is kept.
 */
#define FS_MIN_OVERLAP 0.9
#define FS_MAX_ATTEMPTS 5

static const char * const fs_layout_names[FS_LAYOUT_MAX] = {
	[FS_LAYOUT_PACKED] = "packed",
	[FS_LAYOUT_PADDED] = "padded",
	[FS_LAYOUT_GUARD128] = "guard128",
	[FS_LAYOUT_PER_LCORE] = "per_lcore",
	[FS_LAYOUT_SHARED] = "shared",
	[FS_LAYOUT_STRIDE] = "stride",
};

static const char * const fs_op_names[FS_OP_MAX] = {
	[FS_OP_RMW] = "rmw",
	[FS_OP_ATOMIC] = "atomic",
};

static const unsigned int fs_sweep_strides[] = FS_SWEEP_STRIDES;

struct fs_config {
	double transfer_ns;              /* ping-pong one way; < 0: one lcore */
	bool layouts[FS_LAYOUT_STRIDE];  /* which named layouts to run */
	enum fs_op op;
	bool stride_sweep;
	uint64_t iterations;
	uint64_t repeat;
	const char *csv_path;
	const char *json_path;
};

/* One row of the report: a layout (and stride) measured with one op. */
struct fs_case {
	enum fs_layout layout;
	enum fs_op op;
	unsigned int stride;       /* bytes between neighbouring writers' counters */
	double *cycles_per_op;     /* one per repetition */
	double *mops;
	double *overlap;
	double ns_med, ns_min, ns_max;
	double cyc_med, cyc_min, cyc_max;
	double mops_med;
	double overlap_min;
	unsigned int reruns;       /* runs repeated because they were disturbed */
	unsigned int clean_runs;   /* runs kept undisturbed: no preemption, enough overlap */
	double slowdown;           /* < 0: no padded run with the same op */
};

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

/* The layouts are what the course says they are, or the build stops. */
_Static_assert(sizeof(struct per_core_data_packed) == 24, "packed entries are 24 bytes");
_Static_assert(sizeof(struct per_core_data_padded) == RTE_CACHE_LINE_SIZE,
	"padded entries are one cache line");
_Static_assert(sizeof(struct per_core_data_guard128) == 2 * RTE_CACHE_LINE_SIZE,
	"guard128 entries are two cache lines");

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

#define FS_PINGPONG_ROUNDS 20000
#define FS_PINGPONG_REPEAT 5

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
 * (the fastest of FS_PINGPONG_REPEAT: noise only ever adds time), or a
 * negative errno.
 */
static int
fs_measure_transfer(double *ns_one_way)
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
		rte_eal_wait_lcore(worker);
	}
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
					"the figures are not trustworthy", what, fs_lcore_of_rank[rank],
					got, run->iterations);
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
fs_usage(const char *prog)
{
	printf("Usage: %s [EAL options] -- [--layouts LIST] [--op rmw|atomic] [--stride-sweep]\n"
		"       [--iterations N] [--repeat R] [--csv FILE] [--json FILE]\n"
		"  --layouts LIST   comma-separated: packed,padded,guard128,per_lcore,shared"
		" (default: all)\n"
		"  --op OP          rmw (volatile load+add+store, default) or atomic (atomic add);\n"
		"                   shared always uses atomic\n"
		"  --stride-sweep   also measure counters 8,16,32,64,128,256 bytes apart\n"
		"  --iterations N   increments per lcore per run (default %u)\n"
		"  --repeat R       timed runs per layout after a warm-up (default %u)\n"
		"  --csv FILE       also write the results as CSV\n"
		"  --json FILE      also write the results as JSON\n",
		prog, FS_ITERATIONS_DEFAULT, FS_REPEAT_DEFAULT);
}

static int
fs_parse_layouts(const char *value, bool *layouts)
{
	char list[256];
	char *tok, *save = NULL;
	int l, n = 0;

	if (strlen(value) >= sizeof(list)) {
		LAB_LOG(ERR, "--layouts: list too long");
		return -EINVAL;
	}
	snprintf(list, sizeof(list), "%s", value);
	memset(layouts, 0, sizeof(bool) * FS_LAYOUT_STRIDE);
	for (tok = strtok_r(list, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		for (l = 0; l < FS_LAYOUT_STRIDE; l++)
			if (strcmp(tok, fs_layout_names[l]) == 0)
				break;
		if (l == FS_LAYOUT_STRIDE) {
			LAB_LOG(ERR, "--layouts: unknown layout '%s' (known: packed, padded, "
				"guard128, per_lcore, shared)", tok);
			return -EINVAL;
		}
		layouts[l] = true;
		n++;
	}
	if (n == 0) {
		LAB_LOG(ERR, "--layouts: '%s' names no layout (known: packed, padded, "
			"guard128, per_lcore, shared)", value);
		return -EINVAL;
	}
	return 0;
}

/* 0: run; 1: --help was printed, exit 0; -EINVAL: bad option, message logged. */
static int
fs_parse_args(int argc, char **argv, struct fs_config *cfg)
{
	enum { OPT_LAYOUTS = 256, OPT_OP, OPT_SWEEP, OPT_ITER, OPT_REPEAT, OPT_CSV, OPT_JSON,
		OPT_HELP };
	static const struct option longopts[] = {
		{ "layouts", required_argument, NULL, OPT_LAYOUTS },
		{ "op", required_argument, NULL, OPT_OP },
		{ "stride-sweep", no_argument, NULL, OPT_SWEEP },
		{ "iterations", required_argument, NULL, OPT_ITER },
		{ "repeat", required_argument, NULL, OPT_REPEAT },
		{ "csv", required_argument, NULL, OPT_CSV },
		{ "json", required_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	int opt, l;

	for (l = 0; l < FS_LAYOUT_STRIDE; l++)
		cfg->layouts[l] = true;
	cfg->op = FS_OP_RMW;
	cfg->iterations = FS_ITERATIONS_DEFAULT;
	cfg->repeat = FS_REPEAT_DEFAULT;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_LAYOUTS:
			if (fs_parse_layouts(optarg, cfg->layouts) < 0)
				return -EINVAL;
			break;
		case OPT_OP:
			if (strcmp(optarg, "rmw") == 0) {
				cfg->op = FS_OP_RMW;
			} else if (strcmp(optarg, "atomic") == 0) {
				cfg->op = FS_OP_ATOMIC;
			} else {
				LAB_LOG(ERR, "--op: unknown op '%s' (rmw or atomic)", optarg);
				return -EINVAL;
			}
			break;
		case OPT_SWEEP:
			cfg->stride_sweep = true;
			break;
		case OPT_ITER:
			if (lab_parse_u64("--iterations", optarg, 1, FS_ITERATIONS_MAX,
					&cfg->iterations) < 0)
				return -EINVAL;
			break;
		case OPT_REPEAT:
			if (lab_parse_u64("--repeat", optarg, 1, FS_REPEAT_MAX, &cfg->repeat) < 0)
				return -EINVAL;
			break;
		case OPT_CSV:
			cfg->csv_path = optarg;
			break;
		case OPT_JSON:
			cfg->json_path = optarg;
			break;
		case 'h':
		case OPT_HELP:
			fs_usage(argv[0]);
			return 1;
		default:
			return lab_opt_error(opt, argv);
		}
	}
	if (lab_opt_no_extra(argc, argv) < 0)
		return -EINVAL;
	/*
	 * Checked now, so a bad path costs no wasted run; written only once the
	 * results exist, so a failed or interrupted run leaves any earlier
	 * file as it was.
	 */
	if (cfg->csv_path != NULL && lab_check_writable("--csv", cfg->csv_path) < 0)
		return -EINVAL;
	if (cfg->json_path != NULL && lab_check_writable("--json", cfg->json_path) < 0)
		return -EINVAL;
	return 0;
}

static unsigned int
fs_static_stride(enum fs_layout layout)
{
	switch (layout) {
	case FS_LAYOUT_PACKED:
		return sizeof(struct per_core_data_packed);
	case FS_LAYOUT_PADDED:
		return sizeof(struct per_core_data_padded);
	case FS_LAYOUT_GUARD128:
		return sizeof(struct per_core_data_guard128);
	default:
		return 0;  /* shared: one counter; per_lcore: measured at run time */
	}
}

static int
fs_add_case(struct fs_case *cases, unsigned int *nb, enum fs_layout layout, enum fs_op op,
		unsigned int stride, unsigned int reps)
{
	struct fs_case *c = &cases[*nb];

	if (*nb >= FS_MAX_CASES)
		return -ENOSPC;
	memset(c, 0, sizeof(*c));
	c->layout = layout;
	c->op = op;
	c->stride = stride;
	c->slowdown = -1;
	c->cycles_per_op = calloc(reps, sizeof(double));
	c->mops = calloc(reps, sizeof(double));
	c->overlap = calloc(reps, sizeof(double));
	if (c->cycles_per_op == NULL || c->mops == NULL || c->overlap == NULL) {
		LAB_LOG(ERR, "out of memory for %u repetitions", reps);
		return -ENOMEM;
	}
	(*nb)++;
	return 0;
}

static void
fs_free_cases(struct fs_case *cases, unsigned int nb)
{
	unsigned int i;

	for (i = 0; i < nb; i++) {
		free(cases[i].cycles_per_op);
		free(cases[i].mops);
		free(cases[i].overlap);
	}
}

/*
 * The rows to measure. shared always uses an atomic add (a plain rmw of one
 * counter by two writers loses updates, and its counters could not add
 * up); when the other rows use rmw, padded is also measured with atomic so
 * that shared has a baseline with the same op.
 */
static int
fs_build_cases(const struct fs_config *cfg, struct fs_case *cases, unsigned int *nb)
{
	unsigned int reps = cfg->repeat;
	unsigned int i;
	int l, ret = 0;

	*nb = 0;
	for (l = 0; l < FS_LAYOUT_STRIDE && ret == 0; l++) {
		if (!cfg->layouts[l])
			continue;
		if (l == FS_LAYOUT_SHARED) {
			if (cfg->op != FS_OP_ATOMIC)
				ret = fs_add_case(cases, nb, FS_LAYOUT_PADDED, FS_OP_ATOMIC,
					fs_static_stride(FS_LAYOUT_PADDED), reps);
			if (ret == 0)
				ret = fs_add_case(cases, nb, l, FS_OP_ATOMIC, 0, reps);
		} else {
			ret = fs_add_case(cases, nb, l, cfg->op, fs_static_stride(l), reps);
		}
	}
	for (i = 0; cfg->stride_sweep && i < RTE_DIM(fs_sweep_strides) && ret == 0; i++)
		ret = fs_add_case(cases, nb, FS_LAYOUT_STRIDE, cfg->op, fs_sweep_strides[i],
			reps);
	return ret;
}

static const struct fs_case *
fs_find_case(const struct fs_case *cases, unsigned int nb, enum fs_layout layout,
		enum fs_op op, unsigned int stride)
{
	unsigned int i;

	for (i = 0; i < nb; i++)
		if (cases[i].layout == layout && cases[i].op == op &&
				(layout != FS_LAYOUT_STRIDE || cases[i].stride == stride))
			return &cases[i];
	return NULL;
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
static int
fs_measure(const struct fs_config *cfg, struct fs_case *cases, unsigned int nb)
{
	uint64_t warmup = RTE_MAX(cfg->iterations / 10, (uint64_t)FS_WARMUP_MIN);
	double cyc, mops, overlap;
	unsigned int i, rep;
	long preempted;
	int ret;

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

static void
fs_layout_label(const struct fs_case *c, char *buf, size_t len)
{
	if (c->layout == FS_LAYOUT_STRIDE)
		snprintf(buf, len, "stride%u", c->stride);
	else
		snprintf(buf, len, "%s", fs_layout_names[c->layout]);
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
	bool busy;

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
	busy = wrong->clean_runs * 2 <= cfg->repeat ||
		(padded != NULL && padded->clean_runs * 2 <= cfg->repeat);
	printf("verdict: %s (false sharing) ran %.1fx slower than padded with op %s on %u "
		"lcores: %s the course's 10-100x claim on this machine%s\n",
		label, wrong->slowdown, fs_op_names[cfg->op], rte_lcore_count(), where,
		busy ? " (UNRELIABLE: most runs were disturbed, rerun on a quiet machine)" : "");
}

static void
fs_print_table(const struct fs_config *cfg, const struct fs_case *cases, unsigned int nb)
{
	char label[32], slowdown[16];
	unsigned int reruns = 0, dirty = 0;
	unsigned int lcore, i;

	lab_print_platform(stdout);
	printf("# writers    :");
	RTE_LCORE_FOREACH(lcore)
		printf(" lcore %u on cpu %d%s", lcore, rte_lcore_to_cpu_id(lcore),
			lcore == rte_get_main_lcore() ? " (main)," : ",");
	printf(" all released by one start barrier\n");
	printf("# method     : warm-up, then %" PRIu64 " runs of %" PRIu64
		" increments per lcore per layout, TSC %.1f MHz\n",
		cfg->repeat, cfg->iterations, rte_get_tsc_hz() / 1e6);
	if (cfg->transfer_ns >= 0)
		printf("# line moves : %.1f ns one way between lcore %u and lcore %u (ping-pong "
			"of one line, best of %u): where the two cores sit\n", cfg->transfer_ns,
			fs_lcore_of_rank[0], fs_lcore_of_rank[1], FS_PINGPONG_REPEAT);
	printf("\n%-10s %-6s %6s %8s  %-24s %-24s %9s %9s %7s %5s\n", "layout", "op",
		"lcores", "stride", "ns/op med [min..max]", "cycles/op med [min..max]",
		"Mops/s", "vs padded", "overlap", "clean");
	for (i = 0; i < nb; i++) {
		const struct fs_case *c = &cases[i];
		char ns[32], cyc[32], clean[16];

		fs_layout_label(c, label, sizeof(label));
		snprintf(ns, sizeof(ns), "%.2f [%.2f..%.2f]", c->ns_med, c->ns_min, c->ns_max);
		snprintf(cyc, sizeof(cyc), "%.1f [%.1f..%.1f]", c->cyc_med, c->cyc_min,
			c->cyc_max);
		if (c->slowdown >= 0)
			snprintf(slowdown, sizeof(slowdown), "%.2fx", c->slowdown);
		else
			snprintf(slowdown, sizeof(slowdown), "-");
		snprintf(clean, sizeof(clean), "%u/%" PRIu64, c->clean_runs, cfg->repeat);
		printf("%-10s %-6s %6u %8u  %-24s %-24s %9.1f %9s %6.0f%% %5s\n", label,
			fs_op_names[c->op], rte_lcore_count(), c->stride, ns, cyc, c->mops_med,
			slowdown, c->overlap_min * 100, clean);
	}
	printf("\n# every run's counters added up (%u rows x (1 warm-up + %" PRIu64 " runs))\n",
		nb, cfg->repeat);
	printf("# ns/op: time one lcore spends per increment (mean over lcores, median over "
		"runs); Mops/s: all lcores together\n");
	printf("# overlap: worst share of a run during which all lcores were incrementing "
		"at once (low = a writer was descheduled)\n");
	for (i = 0; i < nb; i++) {
		reruns += cases[i].reruns;
		dirty += cfg->repeat - cases[i].clean_runs;
	}
	printf("# clean: runs with no writer preempted and >= %.0f%% overlap; %u disturbed runs "
		"were run again (up to %u attempts)%s\n", FS_MIN_OVERLAP * 100, reruns,
		FS_MAX_ATTEMPTS, dirty ? ": rows with unclean runs measured a busy machine, "
		"not the layout" : "");
	if (cfg->layouts[FS_LAYOUT_SHARED])
		printf("# shared: always an atomic add (a plain rmw of one counter by two "
			"writers loses updates); compared with padded atomic\n");
	if (rte_lcore_count() < 2)
		printf("# 1 lcore: nobody else writes, so there is no contention in any layout\n");
	fs_print_verdict(cfg, cases, nb);
}

static void
fs_write_csv(FILE *f, const struct fs_case *cases, unsigned int nb)
{
	unsigned int i;

	fprintf(f, "layout,op,lcores,stride,ns_per_op_median,ns_per_op_min,ns_per_op_max,"
		"cycles_per_op_median,cycles_per_op_min,cycles_per_op_max,mops,"
		"slowdown_vs_padded\n");
	for (i = 0; i < nb; i++) {
		const struct fs_case *c = &cases[i];

		fprintf(f, "%s,%s,%u,%u,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,",
			fs_layout_names[c->layout], fs_op_names[c->op], rte_lcore_count(),
			c->stride, c->ns_med, c->ns_min, c->ns_max, c->cyc_med, c->cyc_min,
			c->cyc_max, c->mops_med);
		if (c->slowdown >= 0)
			fprintf(f, "%.3f\n", c->slowdown);
		else
			fprintf(f, "\n");
	}
}

static void
fs_write_json(FILE *f, const struct fs_case *cases, unsigned int nb)
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
			fprintf(f, "%.3f}", c->slowdown);
		else
			fprintf(f, "null}");
	}
	fprintf(f, "\n]}\n");
}

/* Writes and closes an output file; 0, or -EIO with the path named. */
/* Writes the results to path in one go; a one-line message names the option on failure. */
static int
fs_write_output(const char *opt, const char *path,
		void (*write_fn)(FILE *, const struct fs_case *, unsigned int),
		const struct fs_case *cases, unsigned int nb)
{
	FILE *f = fopen(path, "w");
	int err;

	if (f == NULL) {
		LAB_LOG(ERR, "%s: cannot write '%s': %s", opt, path, strerror(errno));
		return -EIO;
	}
	write_fn(f, cases, nb);
	err = ferror(f);
	if (fclose(f) != 0 || err) {
		LAB_LOG(ERR, "%s: writing '%s' failed: %s", opt, path, strerror(errno));
		return -EIO;
	}
	return 0;
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

int
main(int argc, char **argv)
{
	struct fs_config cfg = { 0 };
	struct fs_case cases[FS_MAX_CASES];
	unsigned int nb_cases = 0;
	int ret;

	ret = lab_eal_init(argc, argv, "false_sharing_bench");
	if (ret < 0)
		return EXIT_FAILURE;
	argc -= ret;
	argv += ret;

	ret = fs_parse_args(argc, argv, &cfg);
	if (ret == 1) {
		rte_eal_cleanup();
		return EXIT_SUCCESS;
	}
	if (ret == 0)
		ret = fs_build_cases(&cfg, cases, &nb_cases);
	if (ret == 0) {
		fs_map_ranks();
		cfg.transfer_ns = -1;
		if (rte_lcore_count() > 1)
			ret = fs_measure_transfer(&cfg.transfer_ns);
	}
	if (ret == 0)
		ret = fs_measure(&cfg, cases, nb_cases);
	if (ret == 0) {
		fs_print_table(&cfg, cases, nb_cases);
		fflush(stdout);
		if (cfg.csv_path != NULL &&
		    fs_write_output("--csv", cfg.csv_path, fs_write_csv, cases, nb_cases) < 0)
			ret = -EIO;
		if (cfg.json_path != NULL &&
		    fs_write_output("--json", cfg.json_path, fs_write_json, cases, nb_cases) < 0)
			ret = -EIO;
	}
	fs_free_cases(cases, nb_cases);
	if (rte_eal_cleanup() < 0)
		LAB_LOG(ERR, "rte_eal_cleanup failed");
	return ret == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
