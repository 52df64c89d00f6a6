/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One run: every EAL lcore (the main one too) increments its own counter,
 * all released by one start barrier, in the row's layout, until the first
 * of them has made N increments; the others stop at their next chunk, so
 * every writer is timed over the same window. The run is checked to add
 * up and says how much it was disturbed (preempted, stalled, stolen,
 * apart). Also the ping-pong that times one line transfer. fs_measure.c
 * repeats them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_pause.h>
#include <rte_per_lcore.h>

#include "lab_eal.h"
#include "lab_log.h"

#include "fs_bench.h"

/* A ping-pong's time limit, and the turn that tells the worker to stop early. */
#define FS_PINGPONG_MAX_MS 20
#define FS_PINGPONG_STOP UINT64_MAX

/* Increments between two TSC reads that look for gaps (stalls) in a writer's loop. */
#define FS_CHUNK 4096

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
	uint64_t done;             /* increments it made before the run stopped */
	uintptr_t counter_addr;
	int64_t cpu_ns;            /* its thread's CPU time over the loop; < 0: unknown */
	uint64_t max_chunk;        /* TSC cycles of its slowest chunk of FS_CHUNK increments */
	uint64_t nb_chunks;
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

/*
 * The run's start (everyone arrived) and end (someone finished). Written
 * once each per run, so reading them costs the loops an L1 hit.
 */
static struct {
	uint32_t arrived;
	uint32_t stop;
} __rte_cache_aligned fs_barrier;

/* The line two lcores pass back and forth to time one line transfer. */
static struct {
	uint64_t turn;
} __rte_cache_aligned fs_pingpong;

static struct fs_writer_result fs_results[RTE_MAX_LCORE];
static unsigned int fs_pingpong_rounds;
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
 *
 * Four increments per turn of the loop: with one, the Intel Xeon (Sapphire
 * Rapids) ran the loop at 0.8 or at 5-6 TSC cycles per increment, switching
 * between the two from one millisecond to the next with a single writer:
 * how fast each load gets the value the previous store left varied, not
 * the layout. Unrolled, it stayed at 0.8-1.0 (docs/false_sharing.md).
 */
static __rte_noinline void
fs_loop_rmw(uint64_t *counter, uint64_t iterations)
{
	volatile uint64_t *v = counter;
	uint64_t i;

	for (i = 0; i + 4 <= iterations; i += 4) {
		*v = *v + 1;
		*v = *v + 1;
		*v = *v + 1;
		*v = *v + 1;
	}
	for (; i < iterations; i++)
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

/*
 * The row's loop, FS_CHUNK increments at a time with a TSC read between
 * chunks: a chunk far slower than the others means the vCPU did not run
 * for a while (the host ran something else on its CPU, or the guest took
 * a long interrupt). The loops themselves stay what the guide shows; a
 * TSC read (some 40 cycles) per 4096 increments (at least ~1600 cycles)
 * costs at most 2.5% of the fastest of them.
 *
 * The first writer to make all its increments stops the others at the
 * end of their current chunk (each makes at least one). With a fixed
 * count each, a writer whose vCPU ran slower (the host's other hyperthread
 * busy) went on alone after the other had finished: the two loops
 * overlapped for only 50-80% of a run on the Intel Xeon, and the packed
 * rows timed a line that was shared only part of the time.
 */
static void
fs_chunked_loop(const struct fs_run *run, uint64_t *counter, struct fs_writer_result *res)
{
	uint64_t left = run->iterations, prev = rte_rdtsc(), now;

	res->max_chunk = 0;
	res->nb_chunks = 0;
	do {
		uint64_t n = RTE_MIN(left, (uint64_t)FS_CHUNK);

		if (run->op == FS_OP_ATOMIC)
			fs_loop_atomic(counter, n);
		else
			fs_loop_rmw(counter, n);
		left -= n;
		now = rte_rdtsc();
		res->max_chunk = RTE_MAX(res->max_chunk, now - prev);
		res->nb_chunks++;
		prev = now;
	} while (left > 0 && !__atomic_load_n(&fs_barrier.stop, __ATOMIC_RELAXED));
	__atomic_store_n(&fs_barrier.stop, 1, __ATOMIC_RELAXED);
	res->done = run->iterations - left;
}

/* Runs on every lcore, the main one included (CALL_MAIN). */
static int
fs_writer(void *arg)
{
	const struct fs_run *run = arg;
	unsigned int rank = fs_rank_of_lcore[rte_lcore_id()];
	struct fs_writer_result *res = &fs_results[rank];
	uint64_t *counter = fs_counter_of(run, rank);
	struct timespec cpu_start, cpu_end;
	uint64_t start, end;
	int cpu_known;

	/* Only the owning thread can reach its TLS, so it zeroes it itself. */
	if (run->layout == FS_LAYOUT_PER_LCORE)
		*counter = 0;
	fs_set_running(run, rank, 1);

	/*
	 * Start barrier: nobody starts before every writer is here, so the
	 * loops overlap and the line really has two writers at once.
	 */
	__atomic_fetch_add(&fs_barrier.arrived, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&fs_barrier.arrived, __ATOMIC_ACQUIRE) < run->nb_writers)
		rte_pause();

	/*
	 * The thread's own CPU time against the TSC: what the loop lost to
	 * other tasks on its CPU (and to interrupts the kernel charges
	 * elsewhere). A context switch alone costs microseconds; what matters
	 * is how much of the run it took (FS_OFF_CPU_PCT).
	 */
	cpu_known = clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu_start) == 0;
	start = fs_tsc_start();
	fs_chunked_loop(run, counter, res);
	end = fs_tsc_end();
	cpu_known = cpu_known && clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu_end) == 0;

	res->cpu_ns = cpu_known ? (int64_t)(cpu_end.tv_sec - cpu_start.tv_sec) * 1000000000 +
		(cpu_end.tv_nsec - cpu_start.tv_nsec) : -1;
	fs_set_running(run, rank, 0);
	res->start_tsc = start;
	res->end_tsc = end;
	res->count = __atomic_load_n(counter, __ATOMIC_RELAXED);
	res->counter_addr = (uintptr_t)counter;
	return 0;
}

/*
 * The worker's half of the ping-pong: turn 1 says it is awake (so its
 * wake-up is not timed), then it answers every even turn with the next,
 * until the main lcore's rounds are done or it says FS_PINGPONG_STOP.
 */
static int
fs_pong(void *arg __rte_unused)
{
	uint64_t i, turn;

	__atomic_store_n(&fs_pingpong.turn, 1, __ATOMIC_RELEASE);
	for (i = 1; i <= fs_pingpong_rounds; i++) {
		while ((turn = __atomic_load_n(&fs_pingpong.turn, __ATOMIC_ACQUIRE)) != 2 * i) {
			if (turn == FS_PINGPONG_STOP)
				return 0;
			rte_pause();
		}
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
 * (the fastest of repeat ping-pongs of rounds turns: noise only ever adds
 * time) and the worker's lcore, or a negative errno. A ping-pong stops
 * after FS_PINGPONG_MAX_MS with the turns made so far: on a loaded machine
 * the other thread may not run for milliseconds at a time, and each turn
 * would wait for it.
 */
int
fs_measure_transfer(unsigned int rounds, unsigned int repeat, double *ns_one_way,
		unsigned int *worker_lcore)
{
	uint64_t budget = rte_get_tsc_hz() / 1000 * FS_PINGPONG_MAX_MS;
	unsigned int worker = rte_get_next_lcore(-1, 1, 0);
	unsigned int r;
	uint64_t i, start;
	int ret;

	fs_pingpong_rounds = rounds;
	*ns_one_way = -1;
	for (r = 0; r < repeat; r++) {
		double ns;

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
		for (i = 1; i <= rounds; i++) {
			__atomic_store_n(&fs_pingpong.turn, 2 * i, __ATOMIC_RELEASE);
			while (__atomic_load_n(&fs_pingpong.turn, __ATOMIC_ACQUIRE) != 2 * i + 1)
				rte_pause();
			/* Between turns, so the worker is waiting for the next one. */
			if (i % 64 == 0 && rte_rdtsc() - start > budget) {
				__atomic_store_n(&fs_pingpong.turn, FS_PINGPONG_STOP,
					__ATOMIC_RELEASE);
				break;
			}
		}
		ns = (double)(fs_tsc_end() - start) * 1e9 / rte_get_tsc_hz() /
			RTE_MIN(i, (uint64_t)rounds) / 2;
		if (*ns_one_way < 0 || ns < *ns_one_way)
			*ns_one_way = ns;
		ret = rte_eal_wait_lcore(worker);
		if (ret < 0) {
			LAB_LOG(ERR, "ping-pong: lcore %u failed: %s", worker, strerror(-ret));
			return ret;
		}
	}
	*worker_lcore = worker;
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
 * exactly the increments it made, the shared one their sum, and one writer
 * made all N (it stopped the run). Anything else means lost updates or a
 * broken benchmark, and its timings would be meaningless.
 */
static int
fs_check_counts(const struct fs_run *run, const char *what)
{
	uint64_t total, done = 0, most = 0;
	unsigned int rank;

	for (rank = 0; rank < run->nb_writers; rank++) {
		const struct fs_writer_result *res = &fs_results[rank];
		uint64_t got;

		done += res->done;
		most = RTE_MAX(most, res->done);
		if (run->layout == FS_LAYOUT_SHARED)
			continue;
		got = run->layout == FS_LAYOUT_PER_LCORE ? res->count : *fs_counter_of(run, rank);
		if (got != res->done) {
			LAB_LOG(ERR, "%s: lcore %u's counter holds %" PRIu64 " after %"
				PRIu64 " increments: updates were lost or doubled, "
				"the figures are not trustworthy", what,
				fs_lcore_of_rank[rank], got, res->done);
			return -EIO;
		}
	}
	/* Each own counter matched its writer above: only shared's sum is left. */
	total = run->layout == FS_LAYOUT_SHARED ? fs_shared.count : done;
	if (total != done || most != run->iterations) {
		LAB_LOG(ERR, "%s: counters add up to %" PRIu64 ", expected %" PRIu64
			" (the writers' increments), the most by one writer %" PRIu64
			" of %" PRIu64 ": updates were lost", what, total, done, most,
			run->iterations);
		return -EIO;
	}
	return 0;
}

/* The writers' CPUs, for their steal time; filled by fs_run_init(). */
static int fs_writer_cpu[RTE_MAX_LCORE];

/*
 * Steal time of the writers' CPUs, in ms: the time the host ran something
 * else while a vCPU wanted to run (the 8th figure of each cpuN line of
 * /proc/stat, in USER_HZ ticks: 10 ms steps, so it only shows long
 * stalls). -1 when it cannot be read.
 */
static double
fs_read_steal_ms(unsigned int nb_writers)
{
	unsigned long long v[8];
	double ms = 0;
	char line[512];
	unsigned int rank, found = 0;
	FILE *f = fopen("/proc/stat", "r");
	int cpu;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "cpu%d %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &v[0],
				&v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 9)
			continue;
		for (rank = 0; rank < nb_writers; rank++)
			if (fs_writer_cpu[rank] == cpu) {
				ms += v[7] * 1000.0 / sysconf(_SC_CLK_TCK);
				found++;
			}
	}
	fclose(f);
	return found == nb_writers ? ms : -1;
}

/*
 * The writers' ranks: the main lcore is rank 0, so -l 0-1 puts lcores 0
 * and 1 side by side. Also tells whether steal time can be read.
 */
void
fs_run_init(struct fs_config *cfg)
{
	unsigned int lcore, rank = 0;

	fs_rank_of_lcore[rte_get_main_lcore()] = rank;
	fs_writer_cpu[rank] = lab_lcore_cpu(rte_get_main_lcore());
	fs_lcore_of_rank[rank++] = rte_get_main_lcore();
	RTE_LCORE_FOREACH_WORKER(lcore) {
		fs_rank_of_lcore[lcore] = rank;
		fs_writer_cpu[rank] = lab_lcore_cpu(lcore);
		fs_lcore_of_rank[rank++] = lcore;
	}
	cfg->steal_known = fs_read_steal_ms(rank) >= 0;
}

/* What the writers reported, as the run's figures (see struct fs_sample). */
static void
fs_collect(const struct fs_run *run, double steal_before, struct fs_sample *s)
{
	uint64_t first_start = UINT64_MAX, last_start = 0, first_end = UINT64_MAX, last_end = 0;
	double cycles_sum = 0, ops = 0, steal_after = fs_read_steal_ms(run->nb_writers);
	unsigned int rank;

	s->preempted = 0;
	s->stall_us = 0;
	for (rank = 0; rank < run->nb_writers; rank++) {
		const struct fs_writer_result *res = &fs_results[rank];
		double cycles = (double)(res->end_tsc - res->start_tsc);
		double loop_ns = cycles * 1e9 / rte_get_tsc_hz();

		/* Off its CPU: the loop's time it did not run. Unknown counts as preempted. */
		s->preempted += res->cpu_ns < 0 ||
			loop_ns - (double)res->cpu_ns > loop_ns * FS_OFF_CPU_PCT / 100;
		/* How much longer the slowest chunk took than the writer's mean one. */
		s->stall_us = RTE_MAX(s->stall_us, ((double)res->max_chunk -
			cycles / res->nb_chunks) * 1e6 / rte_get_tsc_hz());
		cycles_sum += cycles / res->done;
		ops += res->done;
		first_start = RTE_MIN(first_start, res->start_tsc);
		last_start = RTE_MAX(last_start, res->start_tsc);
		first_end = RTE_MIN(first_end, res->end_tsc);
		last_end = RTE_MAX(last_end, res->end_tsc);
	}
	s->cycles_per_op = cycles_sum / run->nb_writers;
	s->mops = ops / ((double)(last_end - first_start) / rte_get_tsc_hz()) / 1e6;
	/*
	 * A writer descheduled by the host (or by a busy neighbour) runs alone
	 * for a while and shares nothing: report how much the loops overlapped.
	 */
	s->overlap = first_end > last_start ?
		(double)(first_end - last_start) / (double)(last_end - first_start) : 0.0;
	s->steal_ms = steal_before >= 0 && steal_after >= 0 ? steal_after - steal_before : -1;
	s->distance = run->nb_writers > 1 ? (uint64_t)RTE_MAX(fs_results[0].counter_addr,
		fs_results[1].counter_addr) - RTE_MIN(fs_results[0].counter_addr,
		fs_results[1].counter_addr) : 0;
}

/*
 * One run: launch a writer on every lcore, wait, check the counters.
 * Returns 0 and the run's figures in *s, or -errno.
 */
int
fs_run_once(const struct fs_case *c, uint64_t iterations, struct fs_sample *s)
{
	struct fs_run run = {
		.layout = c->layout,
		.op = c->op,
		.stride = c->stride,
		.iterations = iterations,
		.nb_writers = rte_lcore_count(),
	};
	double steal_before;
	char what[80];
	int ret;

	snprintf(what, sizeof(what), "layout %s stride %u op %s", fs_layout_names[c->layout],
		c->stride, fs_op_names[c->op]);
	fs_zero_counters(&run);
	__atomic_store_n(&fs_barrier.arrived, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&fs_barrier.stop, 0, __ATOMIC_RELEASE);
	steal_before = fs_read_steal_ms(run.nb_writers);

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
	fs_collect(&run, steal_before, s);
	return 0;
}
