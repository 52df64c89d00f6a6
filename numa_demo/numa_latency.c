/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The latency matrix, in the spirit of Intel's Memory Latency Checker: for
 * each (socket of the measuring lcore, socket of the memory) pair, the time
 * of one dependent load through a pointer cycle far larger than the LLC.
 * The memory comes from rte_malloc_socket(), i.e. hugepages of that socket,
 * and the chase runs on an lcore of the row's socket (rte_eal_remote_launch
 * on a pinned EAL thread), so each cell measures what it claims to.
 */
#include <errno.h>
#include <sched.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_memory.h>

#include "lab_eal.h"
#include "lab_log.h"
#include "numa_check.h"

#define NUMA_MAX_REPS 1000
#define NUMA_LLC_FALLBACK (32ULL << 20)
#define NUMA_MIN_BUFFER (2ULL << 20)
#define NUMA_COURSE_LOCAL_NS 60.0
#define NUMA_COURSE_REMOTE_NS 120.0

struct numa_chase_job {
	const void *start;
	uint64_t nb_lines;
	uint64_t loads;
	unsigned int reps;
	int lcore_socket;               /* read back on the lcore that ran the job */
	double samples_ns[NUMA_MAX_REPS];
	double on_cpu;                  /* thread CPU time / wall time over the reps */
};

/* Keeps the walk's result alive so the compiler cannot drop the loads. */
static volatile uint64_t numa_sink;

static int
numa_double_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
numa_now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int
numa_chase_job_run(void *arg)
{
	struct numa_chase_job *job = arg;
	const void *p = job->start;
	double wall = 0, cpu = 0;
	unsigned int r;

	job->lcore_socket = (int)rte_socket_id();
	/* Warm-up: one whole cycle loads the TLB and settles the clocks. */
	p = (const void *)(uintptr_t)numa_chain_walk(p, job->nb_lines);
	for (r = 0; r < job->reps; r++) {
		double w0, c0, w1, c1;
		uint64_t end;

		/*
		 * The thread's CPU time, not the wall clock: on a shared machine
		 * the lcore's CPU is also given to other processes, and time spent
		 * descheduled is not memory latency.
		 */
		w0 = numa_now_ns(CLOCK_MONOTONIC);
		c0 = numa_now_ns(CLOCK_THREAD_CPUTIME_ID);
		end = numa_chain_walk(p, job->loads);
		c1 = numa_now_ns(CLOCK_THREAD_CPUTIME_ID);
		w1 = numa_now_ns(CLOCK_MONOTONIC);
		/* The next repetition carries on around the cycle from here. */
		p = (const void *)(uintptr_t)end;
		job->samples_ns[r] = (c1 - c0) / (double)job->loads;
		wall += w1 - w0;
		cpu += c1 - c0;
	}
	job->on_cpu = wall > 0 ? cpu / wall : 1.0;
	numa_sink = (uint64_t)(uintptr_t)p;
	return 0;
}

/* Runs the job on lcore_id: the main lcore itself, or a launched worker. */
static int
numa_chase_on(unsigned int lcore_id, struct numa_chase_job *job)
{
	int ret;

	if (lcore_id == rte_lcore_id())
		return numa_chase_job_run(job);
	ret = rte_eal_remote_launch(numa_chase_job_run, job, lcore_id);
	if (ret < 0) {
		LAB_LOG(ERR, "cannot launch the chase on lcore %u: %s", lcore_id, strerror(-ret));
		return ret;
	}
	return rte_eal_wait_lcore(lcore_id);
}

/* A worker of this socket if there is one (the main lcore only as a last resort). */
static int
numa_lcore_of_socket(const struct numa_topology *topo, int socket)
{
	int found = -1;
	unsigned int i;

	for (i = 0; i < topo->nb_lcores; i++) {
		if (topo->lcores[i].socket != socket)
			continue;
		if (topo->lcores[i].lcore_id != rte_get_main_lcore())
			return (int)topo->lcores[i].lcore_id;
		found = (int)topo->lcores[i].lcore_id;
	}
	return found;
}

/*
 * The CPU an lcore is pinned to, for sysfs. Not rte_lcore_to_cpu_id(): that
 * is the core id inside its socket, which repeats on every socket.
 */
static unsigned int
numa_lcore_cpu(unsigned int lcore_id)
{
	rte_cpuset_t set = rte_lcore_cpuset(lcore_id);
	unsigned int cpu;

	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &set))
			return cpu;
	return 0;
}

/* The buffer the chase wants: 8 x the LLC, so about 1 load in 8 can hit the cache at most. */
static uint64_t
numa_wanted_buffer(const struct numa_latency_opts *opts, uint64_t *llc)
{
	*llc = numa_llc_bytes(numa_lcore_cpu(rte_get_main_lcore()));
	if (opts->buffer_bytes)
		return opts->buffer_bytes;
	return NUMA_LLC_MULTIPLE * (*llc ? *llc : NUMA_LLC_FALLBACK);
}

/*
 * As much of `want` as the socket's hugepages really give, halving down to
 * NUMA_MIN_BUFFER: a smaller buffer still measures, and the report says what
 * it means. Sets *got to the size allocated (0 when nothing could be had).
 */
static void *
numa_buffer_alloc(uint64_t want, int socket, uint64_t *got, char *why, size_t len)
{
	uint64_t bytes;

	for (bytes = want; bytes >= RTE_MIN(want, (uint64_t)NUMA_MIN_BUFFER); bytes /= 2) {
		void *buf = rte_malloc_socket("numa_latency", bytes, RTE_CACHE_LINE_SIZE,
			socket);

		if (buf != NULL) {
			*got = bytes;
			return buf;
		}
	}
	*got = 0;
	snprintf(why, len, "cannot allocate even %" PRIu64 " MiB of hugepages on socket %d "
		"(reserve more: ./scripts/labenv.sh hugepages)",
		RTE_MIN(want, (uint64_t)NUMA_MIN_BUFFER) >> 20, socket);
	return NULL;
}

static void
numa_cell_stats(struct numa_latency_cell *cell, struct numa_chase_job *job)
{
	qsort(job->samples_ns, job->reps, sizeof(double), numa_double_cmp);
	cell->min_ns = job->samples_ns[0];
	cell->max_ns = job->samples_ns[job->reps - 1];
	cell->median_ns = job->reps % 2 ? job->samples_ns[job->reps / 2] :
		(job->samples_ns[job->reps / 2 - 1] + job->samples_ns[job->reps / 2]) / 2;
}

int
numa_latency_measure(const struct numa_topology *topo, const struct numa_latency_opts *opts,
		struct numa_latency *lat)
{
	struct numa_chase_job *job;
	unsigned int i, r, c;

	memset(lat, 0, sizeof(*lat));
	lat->want_bytes = numa_wanted_buffer(opts, &lat->llc_bytes);
	lat->reps = RTE_MIN(RTE_MAX(opts->reps, 1u), (unsigned int)NUMA_MAX_REPS);
	lat->loads = opts->loads;
	for (i = 0; i < topo->nb_sockets; i++) {
		int s = topo->socket_ids[i];

		if (numa_lcore_of_socket(topo, s) >= 0)
			lat->row_socket[lat->nb_rows++] = s;
		lat->col_socket[lat->nb_cols++] = s;
	}
	job = rte_zmalloc("numa_chase_job", sizeof(*job), RTE_CACHE_LINE_SIZE);
	if (job == NULL) {
		LAB_LOG(ERR, "cannot allocate the latency job: out of hugepage memory");
		return -ENOMEM;
	}
	for (c = 0; c < lat->nb_cols; c++) {
		char why[128] = "";
		void *buf = numa_buffer_alloc(lat->want_bytes, lat->col_socket[c],
			&lat->col_bytes[c], why, sizeof(why));
		const struct rte_memseg *ms = buf ? rte_mem_virt2memseg(buf, NULL) : NULL;
		uint64_t lines = lat->col_bytes[c] / NUMA_LINE;

		if (buf != NULL)
			numa_chain_build(buf, lines);
		for (r = 0; r < lat->nb_rows; r++) {
			struct numa_latency_cell *cell = &lat->cells[r][c];
			int lcore = numa_lcore_of_socket(topo, lat->row_socket[r]);

			if (buf == NULL) {
				snprintf(cell->why_not, sizeof(cell->why_not), "%s", why);
				continue;
			}
			memset(job, 0, sizeof(*job));
			job->start = buf;
			job->nb_lines = lines;
			job->loads = lat->loads ? lat->loads : lines;
			job->reps = lat->reps;
			if (numa_chase_on((unsigned int)lcore, job) < 0) {
				snprintf(cell->why_not, sizeof(cell->why_not),
					"could not run on lcore %d", lcore);
				continue;
			}
			cell->measured = true;
			cell->lcore_id = (unsigned int)lcore;
			cell->lcore_socket = job->lcore_socket;
			cell->memory_socket = ms ? ms->socket_id : NUMA_SOCKET_UNKNOWN;
			cell->on_cpu = job->on_cpu;
			numa_cell_stats(cell, job);
		}
		rte_free(buf);
	}
	rte_free(job);
	return 0;
}

/* The title, the platform and what buffer each memory socket got. */
static void
numa_latency_print_buffers(FILE *out, const struct numa_latency *lat)
{
	unsigned int c;

	fprintf(out, "\n== latency matrix: one dependent load, ns (median [min-max] of %u "
		"reps) ==\n", lat->reps);
	lab_print_platform(out);
	fprintf(out, "# buffer       : wanted %" PRIu64 " MiB per socket (%s), one pointer per "
		"64-byte line, one Sattolo cycle\n", lat->want_bytes >> 20,
		lat->want_bytes == NUMA_LLC_MULTIPLE * lat->llc_bytes ? "8 x the LLC" :
		lat->llc_bytes ? "--buffer-mib" : "LLC unknown");
	for (c = 0; c < lat->nb_cols; c++) {
		uint64_t bytes = lat->col_bytes[c];
		char note[200];

		numa_buffer_note(bytes, lat->want_bytes, lat->llc_bytes, note, sizeof(note));
		fprintf(out, "#   socket %-3d : %" PRIu64 " MiB of hugepages (LLC %" PRIu64
			" MiB), %" PRIu64 " loads per rep: %s\n", lat->col_socket[c], bytes >> 20,
			lat->llc_bytes >> 20, lat->loads ? lat->loads : bytes / NUMA_LINE,
			note[0] ? note : bytes ? ">= 8 x LLC, memory latency" : "not measured");
	}
}

/* The lcore socket x memory socket table of median [min-max] ns. */
static void
numa_latency_print_matrix(FILE *out, const struct numa_latency *lat)
{
	unsigned int r, c;

	fprintf(out, "%-18s", "lcore \\ memory");
	for (c = 0; c < lat->nb_cols; c++) {
		char head[32];

		snprintf(head, sizeof(head), "socket %d", lat->col_socket[c]);
		fprintf(out, "  %-26s", head);
	}
	fprintf(out, "\n");
	for (r = 0; r < lat->nb_rows; r++) {
		char head[32];

		snprintf(head, sizeof(head), "socket %d", lat->row_socket[r]);
		fprintf(out, "%-18s", head);
		for (c = 0; c < lat->nb_cols; c++) {
			const struct numa_latency_cell *cell = &lat->cells[r][c];
			char val[64];

			if (cell->measured)
				snprintf(val, sizeof(val), "%.1f [%.1f-%.1f]", cell->median_ns,
					cell->min_ns, cell->max_ns);
			else
				snprintf(val, sizeof(val), "not measured");
			fprintf(out, "  %-26s", val);
		}
		fprintf(out, "\n");
	}
}

/* Per cell: where it really ran and on which memory, or why it was not measured. */
static void
numa_latency_print_cells(FILE *out, const struct numa_latency *lat)
{
	unsigned int r, c;

	for (r = 0; r < lat->nb_rows; r++) {
		for (c = 0; c < lat->nb_cols; c++) {
			const struct numa_latency_cell *cell = &lat->cells[r][c];

			if (!cell->measured) {
				fprintf(out, "  cell [%d][%d]: not measured: %s\n",
					lat->row_socket[r], lat->col_socket[c], cell->why_not);
				continue;
			}
			fprintf(out, "  cell [%d][%d]: chased on lcore %u (rte_socket_id() %d) "
				"over memory on socket %d (read back from its memseg); on its "
				"CPU %.0f%% of the time%s\n",
				lat->row_socket[r], lat->col_socket[c], cell->lcore_id,
				cell->lcore_socket, cell->memory_socket, 100 * cell->on_cpu,
				cell->on_cpu < 0.9 ? " (other processes share that CPU: figures "
				"are CPU time, but caches and TLB are shared too)" : "");
		}
	}
}

static void
numa_latency_print_distances(FILE *out, const struct numa_topology *topo)
{
	unsigned int r, c;

	if (!topo->has_distances)
		return;
	fprintf(out, "firmware distances (10 = local):");
	for (r = 0; r < topo->nb_sockets; r++) {
		fprintf(out, "%s", r ? " |" : "");
		for (c = 0; c < topo->nb_sockets; c++)
			fprintf(out, " %u", topo->distances[r][c]);
	}
	fprintf(out, "\n");
}

/*
 * The course's figures, then each remote/local ratio measured against the
 * firmware's; on one socket only the local latency can be compared.
 */
static void
numa_latency_print_ratios(FILE *out, const struct numa_topology *topo,
		const struct numa_latency *lat)
{
	unsigned int r, c;
	int local_idx;

	fprintf(out, "course: ~%.0f ns local, ~%.0f ns remote (remote/local %.1f)\n",
		NUMA_COURSE_LOCAL_NS, NUMA_COURSE_REMOTE_NS,
		NUMA_COURSE_REMOTE_NS / NUMA_COURSE_LOCAL_NS);
	if (lat->nb_rows == 1 && lat->nb_cols == 1) {
		char local[48] = "not measured";

		if (lat->cells[0][0].measured)
			snprintf(local, sizeof(local), "%.1f ns measured",
				lat->cells[0][0].median_ns);
		fprintf(out, "one socket: the matrix is 1x1, only local latency exists here; "
			"local %s vs the course's ~%.0f ns; no remote/local ratio "
			"(needs two sockets)\n", local, NUMA_COURSE_LOCAL_NS);
		return;
	}
	for (r = 0; r < lat->nb_rows; r++) {
		local_idx = -1;
		for (c = 0; c < lat->nb_cols; c++)
			if (lat->col_socket[c] == lat->row_socket[r])
				local_idx = (int)c;
		if (local_idx < 0 || !lat->cells[r][local_idx].measured)
			continue;
		for (c = 0; c < lat->nb_cols; c++) {
			int ir = numa_socket_index(topo, lat->row_socket[r]);
			int ic = numa_socket_index(topo, lat->col_socket[c]);

			if ((int)c == local_idx || !lat->cells[r][c].measured)
				continue;
			fprintf(out, "socket %d -> memory %d: remote/local %.2f measured, %.2f by "
				"firmware distance, 2.0 by the course\n", lat->row_socket[r],
				lat->col_socket[c], lat->cells[r][c].median_ns /
				lat->cells[r][local_idx].median_ns,
				topo->has_distances && ir >= 0 && ic >= 0 ?
				topo->distances[ir][ic] / (double)topo->distances[ir][ir] : 0.0);
		}
	}
}

void
numa_latency_print(FILE *out, const struct numa_topology *topo, const struct numa_latency *lat)
{
	numa_latency_print_buffers(out, lat);
	numa_latency_print_matrix(out, lat);
	numa_latency_print_cells(out, lat);
	numa_latency_print_distances(out, topo);
	numa_latency_print_ratios(out, topo, lat);
}

static const char *
numa_level_of(uint64_t bytes, const uint64_t level_bytes[3])
{
	static const char *const names[] = { "L1", "L2", "L3" };
	unsigned int i;

	for (i = 0; i < 3; i++)
		if (level_bytes[i] && bytes <= level_bytes[i])
			return names[i];
	return "DRAM";
}

int
numa_latency_sweep(FILE *out, const struct numa_latency_opts *opts)
{
	unsigned int cpu = numa_lcore_cpu(rte_lcore_id());
	uint64_t level_bytes[3], llc, max_bytes, size;
	struct numa_chase_job *job;
	char why[128];
	void *buf;
	unsigned int l;

	for (l = 0; l < 3; l++)
		level_bytes[l] = numa_cache_bytes(cpu, l + 1);
	buf = numa_buffer_alloc(numa_wanted_buffer(opts, &llc), (int)rte_socket_id(), &max_bytes,
		why, sizeof(why));
	job = rte_zmalloc("numa_chase_job", sizeof(*job), RTE_CACHE_LINE_SIZE);
	if (buf == NULL || job == NULL) {
		LAB_LOG(ERR, "--sweep: %s", buf == NULL ? why : "cannot allocate the job");
		rte_free(buf);
		rte_free(job);
		return -ENOMEM;
	}
	fprintf(out, "\n== buffer-size sweep on lcore %u (socket %u), local memory ==\n",
		rte_lcore_id(), rte_socket_id());
	fprintf(out, "# caches of cpu %u: L1d %" PRIu64 " KiB, L2 %" PRIu64 " KiB, L3 %" PRIu64
		" KiB\n", cpu, level_bytes[0] >> 10, level_bytes[1] >> 10, level_bytes[2] >> 10);
	fprintf(out, "%12s  %-5s  %s\n", "buffer", "fits", "ns per load: median [min-max]");
	for (size = 16 * 1024; size <= max_bytes; size *= 2) {
		uint64_t lines = size / NUMA_LINE;

		numa_chain_build(buf, lines);
		memset(job, 0, sizeof(*job));
		job->start = buf;
		job->nb_lines = lines;
		/* Enough loads that the smallest buffers still take a measurable time. */
		job->loads = opts->loads ? opts->loads : RTE_MAX(lines, (uint64_t)1 << 18);
		job->reps = RTE_MIN(RTE_MAX(opts->reps, 1u), (unsigned int)NUMA_MAX_REPS);
		numa_chase_job_run(job);
		qsort(job->samples_ns, job->reps, sizeof(double), numa_double_cmp);
		fprintf(out, "%9" PRIu64 " KiB  %-5s  %.1f [%.1f-%.1f]%s\n", size >> 10,
			numa_level_of(size, level_bytes), job->samples_ns[job->reps / 2],
			job->samples_ns[0], job->samples_ns[job->reps - 1],
			job->on_cpu < 0.9 ? "  (CPU shared with other processes)" : "");
		if (size * 2 > max_bytes && size != max_bytes)
			size = max_bytes / 2;   /* end exactly on the full buffer */
	}
	rte_free(job);
	rte_free(buf);
	return 0;
}

int
numa_chain_self_test(FILE *out, uint64_t buffer_bytes)
{
	const uint64_t small[] = { 1, 2, 3, 4, 5, 7, 64, 1000, 4097 };
	uint64_t lines = buffer_bytes / NUMA_LINE;
	unsigned int i;
	void *buf;
	int failed = 0;

	buf = rte_malloc("numa_self_test", lines * NUMA_LINE, RTE_CACHE_LINE_SIZE);
	if (buf == NULL) {
		LAB_LOG(ERR, "--self-test: cannot allocate %" PRIu64 " MiB of hugepages",
			buffer_bytes >> 20);
		return -ENOMEM;
	}
	for (i = 0; i <= RTE_DIM(small); i++) {
		uint64_t n = i < RTE_DIM(small) ? RTE_MIN(small[i], lines) : lines;
		int ret;

		numa_chain_build(buf, n);
		ret = numa_chain_verify(buf, n);
		fprintf(out, "self-test: Sattolo cycle over %" PRIu64 " line(s): %s\n", n,
			ret == 0 ? "every line visited exactly once, back at the start: ok" :
			"FAILED (a line missed, visited twice, or a short cycle)");
		failed |= ret != 0;
	}
	/* The checker itself must be able to fail: close a short loop and ask again. */
	if (lines >= 3) {
		numa_chain_build(buf, lines);
		*(uintptr_t *)buf = (uintptr_t)buf;
		if (numa_chain_verify(buf, lines) == 0) {
			fprintf(out, "self-test: a 1-line loop went unnoticed: FAILED\n");
			failed = 1;
		} else {
			fprintf(out, "self-test: a deliberately broken cycle is detected: ok\n");
		}
	}
	rte_free(buf);
	return failed ? -EINVAL : 0;
}
