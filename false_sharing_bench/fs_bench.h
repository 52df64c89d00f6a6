/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the false-sharing benchmark's files share: the options, the rows
 * of the report, and each file's entry points. The calls go one way only:
 * false_sharing_bench.c (options, main) calls fs_cases.c (the rows),
 * fs_run.c (the measurement) and fs_report.c (table, CSV, JSON); fs_run.c
 * and fs_report.c call only fs_cases.c, which calls none of them.
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
 * A run in which a writer was preempted (the kernel switched it out for
 * another task: the 2 vCPUs are shared) or the writers overlapped less
 * than this (the hypervisor can stall a vCPU unseen) timed something else
 * than the layout; it is run again, up to FS_MAX_ATTEMPTS times, and the
 * best attempt is kept.
 */
#define FS_MIN_OVERLAP 0.9
#define FS_MAX_ATTEMPTS 5
/* The line-transfer figure is the fastest of this many ping-pongs. */
#define FS_PINGPONG_REPEAT 5

/* The options, and the line-transfer figure measured before the rows. */
struct fs_config {
	double transfer_ns;              /* ping-pong one way; < 0: one lcore */
	unsigned int transfer_lcore;     /* the worker the main lcore ping-ponged with */
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


/* Indexed by enum fs_layout and enum fs_op: the names options and reports use. */
extern const char * const fs_layout_names[FS_LAYOUT_MAX];
extern const char * const fs_op_names[FS_OP_MAX];

/* fs_cases.c: the rows to measure, from the options. */
int fs_build_cases(const struct fs_config *cfg, struct fs_case *cases, unsigned int *nb);
void fs_free_cases(struct fs_case *cases, unsigned int nb);
const struct fs_case *fs_find_case(const struct fs_case *cases, unsigned int nb,
	enum fs_layout layout, enum fs_op op, unsigned int stride);

/* fs_run.c: the measurement. 0, or a negative errno with the reason logged. */
int fs_measure_transfer(double *ns_one_way, unsigned int *worker_lcore);
int fs_measure(const struct fs_config *cfg, struct fs_case *cases, unsigned int nb);

/* fs_report.c: what students read, and the --csv/--json files. */
void fs_print_table(const struct fs_config *cfg, const struct fs_case *cases, unsigned int nb);
int fs_write_results(const struct fs_config *cfg, const struct fs_case *cases, unsigned int nb);

#endif /* FS_BENCH_H */
