/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the false-sharing benchmark's files share: the options, the rows
 * of the report, and each file's entry points. The calls go one way only:
 * false_sharing_bench.c (options, main) calls fs_cases.c (the rows),
 * fs_run.c (one run, one ping-pong), fs_measure.c (the repetitions) and
 * fs_report.c (table, CSV, JSON); fs_measure.c calls fs_run.c and
 * fs_cases.c; fs_run.c and fs_report.c call only fs_cases.c, which calls
 * none of them.
 */
#ifndef FS_BENCH_H
#define FS_BENCH_H

#include <stdbool.h>
#include <stdint.h>

#include "fs_layouts.h"

/* --repeat's bound: the median sorts a copy of one row's runs on the stack. */
#define FS_REPEAT_MAX 1000
/* Rows per run: at most 12 today (5 layouts, padded again with atomic, 6 strides). */
#define FS_MAX_CASES 16
/*
 * A run in which a writer was preempted (the kernel ran another task on
 * its CPU for more than FS_OFF_CPU_PCT percent of the loop: the 2 vCPUs
 * are shared), stalled (a gap in its TSC: the host descheduled its vCPU),
 * lost time to the host (steal in /proc/stat) or overlapped the other
 * writers less than FS_MIN_OVERLAP timed something else than the layout;
 * it is run again, up to FS_MAX_ATTEMPTS times, and the best attempt is
 * kept.
 */
#define FS_MIN_OVERLAP 0.9
#define FS_OFF_CPU_PCT 1
#define FS_MAX_ATTEMPTS 5
#define FS_STALL_US 1000
/* The line-transfer figure is the fastest of this many ping-pongs of so many turns. */
#define FS_PINGPONG_REPEAT 5
#define FS_TRANSFER_ROUNDS 20000
/*
 * A row's spread is (max - min) / median of its runs after the fastest and
 * the slowest FS_TRIM_PCT percent are left out (none with fewer than 10
 * runs); while a row is above --max-spread, every row is measured again,
 * up to FS_MAX_PASSES passes in all, and the pass with the fewest such
 * rows (then: the smallest worst spread) is reported.
 */
#define FS_TRIM_PCT 10
#define FS_MAX_PASSES 3
#define FS_SPREAD_DEFAULT 20.0
/*
 * Slices of each run: slice k of every run of every row is taken before
 * slice k + 1 of any (see fs_pass()), so each run samples the whole pass.
 */
#define FS_SLICES 10
/*
 * A line transfer more than this factor slower or faster than the start's
 * means the host moved a vCPU: the writers now sit elsewhere.
 */
#define FS_MOVED_FACTOR 1.5

/* Why runs were disturbed, over the whole measurement (one run can count twice). */
struct fs_disturbed {
	unsigned int preempted;
	unsigned int stalled;
	unsigned int stolen;
	unsigned int apart;        /* the writers overlapped too little */
};

/* The options, and what was measured around the rows. */
struct fs_config {
	double transfer_ns;              /* ping-pong one way; < 0: one lcore */
	unsigned int transfer_lcore;     /* the worker the main lcore ping-ponged with */
	bool layouts[FS_LAYOUT_STRIDE];  /* which named layouts to run */
	enum fs_op op;
	bool stride_sweep;
	uint64_t iterations;
	uint64_t repeat;
	double max_spread;               /* percent */
	const char *csv_path;
	const char *json_path;
	struct fs_disturbed disturbed;
	unsigned int moves;              /* times the host moved a vCPU mid-measurement */
	unsigned int passes;             /* passes over all rows (again while rows are noisy) */
	unsigned int kept_pass;          /* the one reported: fewest noisy rows */
	bool steal_known;                /* /proc/stat could be read */
};

/* One run's figures, as fs_run_once() measured them. */
struct fs_sample {
	double cycles_per_op;      /* mean over the writers */
	double mops;               /* all writers together */
	double overlap;            /* share of the run all writers were incrementing */
	long preempted;            /* writers switched out for > FS_OFF_CPU_PCT of the loop */
	double stall_us;           /* longest TSC gap beyond a writer's usual chunk time */
	double steal_ms;           /* steal time of the writers' CPUs; < 0: unknown */
	uint64_t distance;         /* bytes between the first two writers' counters */
};

/* One repetition of a row: its slices' sums while measured, then its figures. */
struct fs_rep {
	double cycles_per_op;      /* mean of its slices */
	double mops;               /* all writers together, over its slices' time */
	double overlap;            /* its worst slice's */
	unsigned int clean_slices; /* slices kept undisturbed */
};

/* One row of the report: a layout (and stride) measured with one op. */
struct fs_case {
	enum fs_layout layout;
	enum fs_op op;
	unsigned int stride;       /* bytes between neighbouring writers' counters */
	struct fs_rep *runs;       /* --repeat of them */
	unsigned int nb_runs;      /* repetitions measured: repeat, or 0 */
	double ns_med, ns_min, ns_max;
	double cyc_med, cyc_min, cyc_max;
	double mops_med;
	double overlap_min;
	double spread;             /* percent, over the middle runs (FS_TRIM_PCT) */
	unsigned int trimmed;      /* runs left out of the spread at each end */
	unsigned int reruns;       /* slices run again because they were disturbed */
	unsigned int clean_runs;   /* runs most of whose slices were undisturbed */
	bool moved;                /* fewer slices than asked: the host kept moving vCPUs */
	bool stable;               /* spread within --max-spread, every run kept */
	double slowdown;           /* < 0: no padded run with the same op */
};

/* Indexed by enum fs_layout and enum fs_op: the names options and reports use. */
extern const char * const fs_layout_names[FS_LAYOUT_MAX];
extern const char * const fs_op_names[FS_OP_MAX];

/* fs_cases.c: the rows to measure, from the options. */
int fs_build_cases(const struct fs_config *cfg, struct fs_case *cases, unsigned int *nb);
int fs_alloc_runs(struct fs_case *c, uint64_t reps);
void fs_free_cases(struct fs_case *cases, unsigned int nb);
const struct fs_case *fs_find_case(const struct fs_case *cases, unsigned int nb,
	enum fs_layout layout, enum fs_op op, unsigned int stride);

/* fs_run.c: one run, one ping-pong. 0, or a negative errno with the reason logged. */
void fs_run_init(struct fs_config *cfg);
int fs_run_once(const struct fs_case *c, uint64_t iterations, struct fs_sample *s);
int fs_measure_transfer(unsigned int rounds, unsigned int repeat, double *ns_one_way,
	unsigned int *worker_lcore);

/* fs_measure.c: every row's repetitions and figures. 0, or a negative errno. */
int fs_measure(struct fs_config *cfg, struct fs_case *cases, unsigned int nb);

/* fs_report.c: what students read, and the --csv/--json files. */
void fs_print_table(const struct fs_config *cfg, const struct fs_case *cases, unsigned int nb);
int fs_write_results(const struct fs_config *cfg, const struct fs_case *cases, unsigned int nb);

#endif /* FS_BENCH_H */
