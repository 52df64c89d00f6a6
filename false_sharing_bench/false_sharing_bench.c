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
 *
 * This file: the options and main. fs_cases.c makes the rows, fs_run.c
 * measures them, fs_report.c prints and writes them (see fs_bench.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_lcore.h>

#include "lab_eal.h"
#include "lab_log.h"
#include "lab_opts.h"

#include "fs_bench.h"

#define FS_ITERATIONS_DEFAULT 20000000
/* 1e9 increments at ~100 ns each is already ~2 minutes per run. */
#define FS_ITERATIONS_MAX 1000000000ULL
#define FS_REPEAT_DEFAULT 5
#define FS_KNOWN_LAYOUTS "packed, padded, guard128, per_lcore, shared"

static void
fs_usage(const char *prog)
{
	printf("Usage: %s [EAL options] -- [--layouts LIST] [--op rmw|atomic] [--stride-sweep]\n"
		"       [--iterations N] [--repeat R] [--max-spread PCT] [--csv FILE]"
		" [--json FILE]\n"
		"  --layouts LIST   comma-separated: packed,padded,guard128,per_lcore,shared"
		" (default: all)\n"
		"  --op OP          rmw (volatile load+add+store, default)"
		" or atomic (atomic add);\n"
		"                   shared always uses atomic\n"
		"  --stride-sweep   also measure counters 8,16,32,64,128,256 bytes apart\n"
		"  --iterations N   increments per lcore per run (default %u)\n"
		"  --repeat R       timed runs per layout after a warm-up (default %u)\n"
		"  --max-spread PCT a row whose middle runs spread more is measured again,\n"
		"                   then marked NOISY (default %.0f)\n"
		"  --csv FILE       also write the results as CSV\n"
		"  --json FILE      also write the results as JSON\n",
		prog, FS_ITERATIONS_DEFAULT, FS_REPEAT_DEFAULT, FS_SPREAD_DEFAULT);
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
			LAB_LOG(ERR, "--layouts: unknown layout '%s' (known: " FS_KNOWN_LAYOUTS ")",
				tok);
			return -EINVAL;
		}
		layouts[l] = true;
		n++;
	}
	if (n == 0) {
		LAB_LOG(ERR, "--layouts: '%s' names no layout (known: " FS_KNOWN_LAYOUTS ")",
			value);
		return -EINVAL;
	}
	return 0;
}

static void
fs_config_defaults(struct fs_config *cfg)
{
	int l;

	for (l = 0; l < FS_LAYOUT_STRIDE; l++)
		cfg->layouts[l] = true;
	cfg->op = FS_OP_RMW;
	cfg->iterations = FS_ITERATIONS_DEFAULT;
	cfg->repeat = FS_REPEAT_DEFAULT;
	cfg->max_spread = FS_SPREAD_DEFAULT;
}

/* 0: run; 1: --help was printed, exit 0; -EINVAL: bad option, message logged. */
static int
fs_parse_args(int argc, char **argv, struct fs_config *cfg)
{
	enum { OPT_LAYOUTS = 256, OPT_OP, OPT_SWEEP, OPT_ITER, OPT_REPEAT, OPT_SPREAD, OPT_CSV,
		OPT_JSON, OPT_HELP };
	static const struct option longopts[] = {
		{ "layouts", required_argument, NULL, OPT_LAYOUTS },
		{ "op", required_argument, NULL, OPT_OP },
		{ "stride-sweep", no_argument, NULL, OPT_SWEEP },
		{ "iterations", required_argument, NULL, OPT_ITER },
		{ "repeat", required_argument, NULL, OPT_REPEAT },
		{ "max-spread", required_argument, NULL, OPT_SPREAD },
		{ "csv", required_argument, NULL, OPT_CSV },
		{ "json", required_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t pct;
	int opt;

	fs_config_defaults(cfg);
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
			if (lab_parse_u64("--iterations", optarg, FS_SLICES, FS_ITERATIONS_MAX,
					&cfg->iterations) < 0)
				return -EINVAL;
			break;
		case OPT_REPEAT:
			if (lab_parse_u64("--repeat", optarg, 1, FS_REPEAT_MAX, &cfg->repeat) < 0)
				return -EINVAL;
			break;
		case OPT_SPREAD:
			if (lab_parse_u64("--max-spread", optarg, 1, 1000, &pct) < 0)
				return -EINVAL;
			cfg->max_spread = pct;
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

	/* 1: --help was printed; nothing to measure, and exit 0. */
	ret = fs_parse_args(argc, argv, &cfg);
	if (ret == 0)
		ret = fs_build_cases(&cfg, cases, &nb_cases);
	if (ret == 0) {
		cfg.transfer_ns = -1;
		if (rte_lcore_count() > 1)
			ret = fs_measure_transfer(FS_TRANSFER_ROUNDS, FS_PINGPONG_REPEAT,
				&cfg.transfer_ns, &cfg.transfer_lcore);
	}
	if (ret == 0)
		ret = fs_measure(&cfg, cases, nb_cases);
	if (ret == 0) {
		fs_print_table(&cfg, cases, nb_cases);
		fflush(stdout);
		ret = fs_write_results(&cfg, cases, nb_cases);
	}
	fs_free_cases(cases, nb_cases);
	if (rte_eal_cleanup() < 0)
		LAB_LOG(ERR, "rte_eal_cleanup failed");
	return ret == 0 || ret == 1 ? EXIT_SUCCESS : EXIT_FAILURE;
}
