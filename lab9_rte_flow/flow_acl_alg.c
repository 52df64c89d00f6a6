/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Which of rte_acl's classify methods flow_acl.c's contexts use: the
 * fastest this CPU runs, measured once. The widest is not always it: on
 * AMD EPYC, whose AVX2 gathers are slow, SSE's 8 searches at a time beat
 * AVX2's 16 (about 54 against 70 cycles per packet in our key, figures in
 * docs/lab9.md).
 */
#include <stdint.h>

#include <rte_acl.h>
#include <rte_common.h>
#include <rte_cycles.h>

#include "flow_acl.h"
#include "flow_lab.h"

#define CALIB_RUNS 25     /* timings per method: the best counts (the CPUs are shared) */
#define CALIB_MARGIN 10   /* %: a narrower method must win by this much to be taken */

static const struct {
	enum rte_acl_classify_alg alg;
	const char *name;
} acl_algs[] = {    /* widest first */
	{ RTE_ACL_CLASSIFY_AVX512X32, "avx512x32" },
	{ RTE_ACL_CLASSIFY_AVX512X16, "avx512x16" },
	{ RTE_ACL_CLASSIFY_AVX2, "avx2" },
	{ RTE_ACL_CLASSIFY_SSE, "sse" },
	{ RTE_ACL_CLASSIFY_NEON, "neon" },
	{ RTE_ACL_CLASSIFY_ALTIVEC, "altivec" },
	{ RTE_ACL_CLASSIFY_SCALAR, "scalar" },
};

const char *
flow_acl_alg_name(enum rte_acl_classify_alg alg)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(acl_algs); i++)
		if (acl_algs[i].alg == alg)
			return acl_algs[i].name;
	return "default";
}

int
flow_acl_set_alg(struct flow_acl *acl, enum rte_acl_classify_alg alg)
{
	unsigned int g;
	int ret;

	for (g = 0; g <= FLOW_SOFT_MAX_GROUP; g++) {
		if (acl->group[g].ctx == NULL)
			continue;
		ret = rte_acl_set_ctx_classify(acl->group[g].ctx, alg);
		if (ret < 0)
			return ret;
	}
	acl->alg = alg;
	return 0;
}

enum rte_acl_classify_alg
flow_acl_alg(const struct flow_acl *acl)
{
	return acl->alg;
}

/* One timing of ctx searching FLOW_ACL_CALIB_KEYS keys. */
static uint64_t
calib_time(struct rte_acl_ctx *ctx, const uint8_t **data, uint32_t *res)
{
	uint64_t t0 = rte_rdtsc_precise();

	if (rte_acl_classify(ctx, data, res, FLOW_ACL_CALIB_KEYS, 1) != 0)
		return UINT64_MAX;
	return rte_rdtsc_precise() - t0;
}

/*
 * Times each method rte_acl_set_ctx_classify() accepts (it answers -ENOTSUP
 * for what the CPU or EAL's SIMD limit rule out), the methods taking turns
 * so that load on the shared CPUs falls on all alike; the best timing of
 * each counts.
 */
enum rte_acl_classify_alg
flow_acl_best_alg(struct rte_acl_ctx *ctx, const uint8_t **data)
{
	uint32_t res[FLOW_ACL_CALIB_KEYS];
	uint64_t t[RTE_DIM(acl_algs)], best_t = UINT64_MAX;
	unsigned int i, r;
	int best = -1;

	for (i = 0; i < RTE_DIM(acl_algs); i++)
		t[i] = UINT64_MAX;
	for (r = 0; r < CALIB_RUNS; r++)
		for (i = 0; i < RTE_DIM(acl_algs); i++)
			if (rte_acl_set_ctx_classify(ctx, acl_algs[i].alg) == 0)
				t[i] = RTE_MIN(t[i], calib_time(ctx, data, res));
	for (i = 0; i < RTE_DIM(acl_algs); i++) {
		if (t[i] == UINT64_MAX)
			continue;
		if (best < 0 || t[i] * 100 < best_t * (100 - CALIB_MARGIN)) {
			best = acl_algs[i].alg;
			best_t = t[i];
		}
	}
	return best >= 0 ? (enum rte_acl_classify_alg)best : RTE_ACL_CLASSIFY_SCALAR;
}
