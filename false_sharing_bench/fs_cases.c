/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rows of the report: which layouts, ops and strides a run of the
 * benchmark measures, what the course's layouts are, and their names.
 * Calls nothing of the other files, so every one of them can call it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "lab_log.h"

#include "fs_bench.h"

const char * const fs_layout_names[FS_LAYOUT_MAX] = {
	[FS_LAYOUT_PACKED] = "packed",
	[FS_LAYOUT_PADDED] = "padded",
	[FS_LAYOUT_GUARD128] = "guard128",
	[FS_LAYOUT_PER_LCORE] = "per_lcore",
	[FS_LAYOUT_SHARED] = "shared",
	[FS_LAYOUT_STRIDE] = "stride",
};

const char * const fs_op_names[FS_OP_MAX] = {
	[FS_OP_RMW] = "rmw",
	[FS_OP_ATOMIC] = "atomic",
};

static const unsigned int fs_sweep_strides[] = FS_SWEEP_STRIDES;

/* The layouts are what the course says they are, or the build stops. */
_Static_assert(sizeof(struct per_core_data_packed) == 24, "packed entries are 24 bytes");
_Static_assert(sizeof(struct per_core_data_padded) == RTE_CACHE_LINE_SIZE,
	"padded entries are one cache line");
_Static_assert(sizeof(struct per_core_data_guard128) == 2 * RTE_CACHE_LINE_SIZE,
	"guard128 entries are two cache lines");

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
	if (fs_alloc_runs(c, reps) < 0)
		return -ENOMEM;
	(*nb)++;
	return 0;
}

/* A row's repetitions, zeroed: 0, or -ENOMEM (logged). */
int
fs_alloc_runs(struct fs_case *c, uint64_t reps)
{
	c->runs = calloc(reps, sizeof(*c->runs));
	if (c->runs == NULL) {
		LAB_LOG(ERR, "out of memory for %" PRIu64 " repetitions", reps);
		return -ENOMEM;
	}
	return 0;
}

void
fs_free_cases(struct fs_case *cases, unsigned int nb)
{
	unsigned int i;

	for (i = 0; i < nb; i++)
		free(cases[i].runs);
}

/*
 * The rows to measure. shared always uses an atomic add (a plain rmw of one
 * counter by two writers loses updates, and its counters could not add
 * up); when the other rows use rmw, padded is also measured with atomic so
 * that shared has a baseline with the same op.
 */
int
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

const struct fs_case *
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
