/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Every name the false-sharing benchmark's layouts share: the course's
 * WRONG and CORRECT struct per_core_data, the two-line guard variant, and
 * the names the command line and the reports use for layouts and ops.
 */
#ifndef FS_LAYOUTS_H
#define FS_LAYOUTS_H

#include <stdint.h>

#include <rte_common.h>

/*
 * The course's WRONG struct: 24 bytes, so the entries of neighbouring
 * writers share one 64-byte line and every increment by one writer steals
 * the line from the other.
 */
struct per_core_data_packed {
	uint64_t rx_count;
	uint64_t tx_count;
	int running;
};

/*
 * The course's CORRECT struct: padded and aligned to one line, so each
 * writer owns its line and nobody else's write invalidates it.
 */
struct per_core_data_padded {
	uint64_t rx_count;
	uint64_t tx_count;
	int running;
	uint8_t _pad[RTE_CACHE_LINE_SIZE - sizeof(uint64_t) * 2 - sizeof(int)];
} __rte_cache_aligned;

/*
 * Two lines per writer: CPUs whose prefetcher pulls a line's 128-byte buddy
 * (Intel's spatial prefetcher, AMD's L2 up/down prefetcher) can still
 * bounce a neighbour's line with one-line padding. DPDK 23.07 added
 * RTE_CACHE_GUARD for this; 22.11 does not have it, so spell it out.
 */
struct per_core_data_guard128 {
	uint64_t rx_count;
	uint64_t tx_count;
	int running;
} __rte_aligned(2 * RTE_CACHE_LINE_SIZE);

enum fs_layout {
	FS_LAYOUT_PACKED,
	FS_LAYOUT_PADDED,
	FS_LAYOUT_GUARD128,
	FS_LAYOUT_PER_LCORE,  /* RTE_DEFINE_PER_LCORE: each lcore thread's TLS */
	FS_LAYOUT_SHARED,     /* true sharing: one counter, atomic add */
	FS_LAYOUT_STRIDE,     /* --stride-sweep: counters a given number of bytes apart */
	FS_LAYOUT_MAX
};

enum fs_op {
	FS_OP_RMW,            /* volatile load, add, volatile store */
	FS_OP_ATOMIC,         /* __atomic_fetch_add, relaxed: a locked add on x86 */
	FS_OP_MAX
};

/* Counter spacings --stride-sweep measures, in bytes. */
#define FS_SWEEP_STRIDES { 8, 16, 32, 64, 128, 256 }
#define FS_STRIDE_MAX 256

#endif /* FS_LAYOUTS_H */
