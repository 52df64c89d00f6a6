/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The pointer-chasing cycle: one pointer per 64-byte line, the lines linked
 * in a single random cycle built with Sattolo's algorithm. A single cycle
 * means a walk of N loads touches all N lines (no short loop that would
 * stay in cache); random order means no prefetcher can guess the next line;
 * each load's address is the previous load's value, so loads cannot overlap.
 *
 * The shuffle has its own generator, not rte_rand(): since DPDK 24.11.2
 * ("random: defer seeding to EAL init") rte_rand() is seeded only inside
 * rte_eal_init() and returns 0 before it, which turned Sattolo into the
 * sequential chain 0 -> 1 -> 2 ... that every hardware prefetcher follows, so
 * the "DRAM latency" would have been a cache figure. This file promises to
 * work without the EAL (numa_check.h), so it seeds itself from the kernel.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "numa_check.h"

static inline uintptr_t *
numa_line_at(void *buf, uint64_t i)
{
	return (uintptr_t *)((char *)buf + i * NUMA_LINE);
}

/* splitmix64 (Steele, Lea, Flood): a full-period 64-bit generator, enough for a shuffle. */
static uint64_t
numa_rand_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A number in [0, bound): the high half of a 64x64 product (Lemire), no modulo bias to speak of. */
static uint64_t
numa_rand_below(uint64_t *state, uint64_t bound)
{
	return (uint64_t)(((unsigned __int128)numa_rand_next(state) * bound) >> 64);
}

static uint64_t
numa_rand_seed(void)
{
	struct timespec ts;
	uint64_t seed;

	if (getentropy(&seed, sizeof(seed)) == 0)
		return seed;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void
numa_chain_build(void *buf, uint64_t nb_lines)
{
	uint64_t state = numa_rand_seed();
	uint64_t i;

	for (i = 0; i < nb_lines; i++)
		*numa_line_at(buf, i) = (uintptr_t)i;
	/*
	 * Sattolo: like Fisher-Yates but j < i strictly, which yields a
	 * permutation made of exactly one cycle; line i then points to a[i].
	 */
	for (i = nb_lines - 1; i > 0 && nb_lines > 1; i--) {
		uint64_t j = numa_rand_below(&state, i);
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

/*
 * What a buffer of `bytes` against an LLC of `llc` means for the figure, in
 * words; empty when it is as wanted and >= 8 x LLC. In a random cycle over N
 * lines with C lines of cache, about C/N of the loads find their line cached.
 */
void
numa_buffer_note(uint64_t bytes, uint64_t want, uint64_t llc, char *note, size_t len)
{
	double multiple = llc ? (double)bytes / (double)llc : 0;
	int n = 0;

	note[0] = '\0';
	if (bytes == 0)
		return;
	if (bytes < want)
		n = snprintf(note, len, "only %" PRIu64 " of the %" PRIu64 " MiB wanted could be "
			"had; ", bytes >> 20, want >> 20);
	if (n < 0 || (size_t)n >= len)
		return;
	if (llc == 0)
		snprintf(note + n, len - n, "LLC size unknown (sysfs says nothing): the buffer "
			"may not defeat the cache");
	else if (bytes <= llc)
		snprintf(note + n, len - n, "%.1f x LLC: it fits in the cache, this is cache "
			"latency, NOT memory latency", multiple);
	else if (multiple < NUMA_LLC_MULTIPLE)
		snprintf(note + n, len - n, "%.1f x LLC: about %.0f%% of the loads may still hit "
			"the cache, so the figure is below the true memory latency", multiple,
			100.0 / multiple);
	else if (n > 0)
		snprintf(note + n, len - n, "still %.1f x LLC, memory latency", multiple);
}
