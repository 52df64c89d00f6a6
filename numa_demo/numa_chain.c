/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The pointer-chasing cycle: one pointer per 64-byte line, the lines linked
 * in a single random cycle built with Sattolo's algorithm. A single cycle
 * means a walk of N loads touches all N lines (no short loop that would
 * stay in cache); random order means no prefetcher can guess the next line;
 * each load's address is the previous load's value, so loads cannot overlap.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include <rte_random.h>

#include "numa_check.h"

static inline uintptr_t *
numa_line_at(void *buf, uint64_t i)
{
	return (uintptr_t *)((char *)buf + i * NUMA_LINE);
}

void
numa_chain_build(void *buf, uint64_t nb_lines)
{
	uint64_t i;

	for (i = 0; i < nb_lines; i++)
		*numa_line_at(buf, i) = (uintptr_t)i;
	/*
	 * Sattolo: like Fisher-Yates but j < i strictly, which yields a
	 * permutation made of exactly one cycle; line i then points to a[i].
	 */
	for (i = nb_lines - 1; i > 0 && nb_lines > 1; i--) {
		uint64_t j = rte_rand_max(i);
		uintptr_t tmp = *numa_line_at(buf, i);

		*numa_line_at(buf, i) = *numa_line_at(buf, j);
		*numa_line_at(buf, j) = tmp;
	}
	for (i = 0; i < nb_lines; i++)
		*numa_line_at(buf, i) = (uintptr_t)numa_line_at(buf, *numa_line_at(buf, i));
}

int
numa_chain_verify(const void *buf, uint64_t nb_lines)
{
	const uintptr_t base = (uintptr_t)buf;
	uint8_t *seen = calloc((nb_lines + 7) / 8, 1);
	uintptr_t p = base;
	uint64_t k;
	int ret = 0;

	if (seen == NULL)
		return -ENOMEM;
	for (k = 0; k < nb_lines; k++) {
		uint64_t idx;

		if (p < base || (p - base) % NUMA_LINE != 0 || (p - base) / NUMA_LINE >= nb_lines) {
			ret = -EINVAL;
			break;
		}
		idx = (p - base) / NUMA_LINE;
		if (seen[idx / 8] & (1u << (idx % 8))) {
			ret = -EINVAL;  /* a line twice before N loads: a shorter cycle */
			break;
		}
		seen[idx / 8] |= 1u << (idx % 8);
		p = *(const uintptr_t *)p;
	}
	/* N distinct lines visited, and the N-th load leads back to the start. */
	if (ret == 0 && p != base)
		ret = -EINVAL;
	free(seen);
	return ret;
}

uint64_t
numa_chain_walk(const void *start, uint64_t loads)
{
	const void *const *p = start;

	while (loads >= 8) {
		p = *p; p = *p; p = *p; p = *p;
		p = *p; p = *p; p = *p; p = *p;
		loads -= 8;
	}
	while (loads-- > 0)
		p = *p;
	return (uint64_t)(uintptr_t)p;
}
