/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Everything lab8_primary and lab8_secondary share: the names of the
 * shared objects and the layout of the info block the primary places in a
 * named memzone. Both programs are built from this one header, so the
 * layout cannot drift between them (the course's "ABI must match" rule).
 *
 * Who writes what (each writer owns whole cache lines):
 *   - the primary: the configuration (once, before anyone can attach),
 *     the heartbeat line, its own counter block, the per-role totals of
 *     departed secondaries, and a slot's grant field;
 *   - a secondary: the slot it claimed (control line on attach/leave,
 *     counter line once per burst).
 * Pointers into DPDK's hugepage memory (memzones, mempools, rings, mbufs)
 * are valid in every process of one --file-prefix: the secondaries map it at
 * the primary's virtual addresses, which is why rings of mbuf pointers work.
 * Pointers to a process's own heap, stack, static data or functions are not
 * (other executables, ASLR): this block holds ids and counters, none of those.
 */
#ifndef LAB8_SHARED_H
#define LAB8_SHARED_H

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_common.h>
#include <rte_dev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

/* Names of the shared objects, as in the course text. */
#define LAB8_MBUF_POOL       "MBUF_POOL"
#define LAB8_RING_ENTERPRISE "RX_TO_ENTERPRISE"
#define LAB8_RING_MOBILITY   "RX_TO_MOBILITY"
#define LAB8_INFO_MZ         "LAB8_INFO"

/*
 * Secondary -> primary: the mbufs a ring-mode secondary is done with. The
 * primary alone puts mbufs back into MBUF_POOL. Why: a process killed
 * inside a multi-producer or multi-consumer ring operation has moved the
 * ring's head but not its tail, and every later process spins forever
 * waiting for that tail. The fault drill (scripts/drill-lab8.sh) wedged
 * MBUF_POOL's ring that way in most runs when secondaries freed into it.
 * So every ring a secondary touches has one producer and one consumer, and
 * neither ever waits for another process: a restarted consumer skips the
 * slots its killed predecessor claimed (those mbufs are the stranded
 * ones), and a restarted producer first drops its predecessor's
 * unfinished enqueue (see attach() in lab8_secondary.c).
 */
#define LAB8_RING_ENTERPRISE_DONE "DONE_FROM_ENTERPRISE"
#define LAB8_RING_MOBILITY_DONE   "DONE_FROM_MOBILITY"
/*
 * A done-ring entry with this bit set is an mbuf the primary must free in
 * full (rte_pktmbuf_free): the secondary found it not plain (see
 * lab8_mbuf_plain()). An entry without it goes straight back into
 * MBUF_POOL, headers untouched. Mbufs are cache-line aligned: bit 0 is free.
 */
#define LAB8_DONE_SLOW ((uintptr_t)1)

/*
 * "LAB8" and a layout version: a secondary built from another layout
 * refuses. 6: done-ring entries carry LAB8_DONE_SLOW.
 */
#define LAB8_INFO_MAGIC      0x4c414238u
#define LAB8_INFO_VERSION    6u

#define LAB8_BURST           32
#define LAB8_MAX_QUEUES      16
#define LAB8_MAX_SECONDARIES 8
#define LAB8_LCORE_WORDS     ((RTE_MAX_LCORE + 63) / 64)

/* Primary: heartbeat period and how often it looks at the slots. */
#define LAB8_HEARTBEAT_MS    10
#define LAB8_SLOT_SCAN_MS    100
/* Secondary: liveness check period (the issue asks for <= 250 ms). */
#define LAB8_WATCH_MS        100
/*
 * A heartbeat that has not moved for this long means the primary is
 * stopped or wedged. Generous, because the CPUs are shared: a real-time
 * task on the primary's CPU leaves it 50 ms a second (RT throttling).
 */
#define LAB8_HEARTBEAT_TIMEOUT_MS 3000

enum lab8_role {
	LAB8_ROLE_ENTERPRISE,
	LAB8_ROLE_MOBILITY,
	LAB8_ROLE_MAX
};

/* What FLOW_TABLE (lab8_policy.h) says of a source address. */
enum lab8_verdict {
	LAB8_VERDICT_ALLOW,
	LAB8_VERDICT_DENY,
	LAB8_VERDICT_MISS,       /* the source is not in the table */
	LAB8_VERDICT_MAX
};

enum lab8_primary_state {
	LAB8_PRIMARY_STARTING,
	LAB8_PRIMARY_RUNNING,
	LAB8_PRIMARY_STOPPING,   /* SIGINT/SIGTERM: secondaries must let go */
};

enum lab8_slot_state {
	LAB8_SLOT_FREE,
	LAB8_SLOT_CLAIMED,       /* a secondary is filling it in */
	LAB8_SLOT_ATTACHED,
	LAB8_SLOT_LEFT,          /* clean exit: the primary collects and frees it */
};

/* Direct-queue mode: a secondary asks, the primary stops polling and grants. */
enum lab8_grant {
	LAB8_GRANT_NONE,
	LAB8_GRANT_ASKED,
	LAB8_GRANT_GIVEN,
	LAB8_GRANT_REFUSED,
};

/* Written by the owning secondary only, once per burst. */
struct lab8_slot_counters {
	uint64_t taken;          /* mbufs dequeued from the ring or received */
	uint64_t freed;          /* mbufs handed back (done ring, or MBUF_POOL) */
	uint64_t ipv4;
	uint64_t non_ipv4;
	uint64_t printed;
	uint64_t bursts;
	uint64_t policy[LAB8_VERDICT_MAX];   /* FLOW_TABLE verdicts, enterprise only */
	uint64_t gtpu;           /* GTP-U G-PDUs seen (their TEID is printed) */
} __rte_cache_aligned;

struct lab8_slot {
	/* Control line: the secondary writes it on attach and on leave. */
	uint32_t state;          /* enum lab8_slot_state */
	uint32_t role;           /* enum lab8_role */
	int32_t pid;
	uint32_t seq;            /* attach number, tells a restart from the old process */
	uint16_t direct;         /* 1: reads queues queue_first..queue_last itself */
	uint16_t queue_first;
	uint16_t queue_last;
	uint16_t pad;
	uint32_t grant;          /* enum lab8_grant; the primary answers ASKED */
	uint64_t lcores[LAB8_LCORE_WORDS];
	struct lab8_slot_counters counters;
} __rte_cache_aligned;

/* Written by the primary only. */
struct lab8_primary_counters {
	uint64_t rx[LAB8_MAX_QUEUES];
	uint64_t enqueued[LAB8_ROLE_MAX];
	uint64_t ring_full_drops[LAB8_ROLE_MAX];
	/* --rules on the CPU (--fallback software): the queue the rules picked, DROPs. */
	uint64_t rule_queue[LAB8_MAX_QUEUES];
	uint64_t rule_drops;
} __rte_cache_aligned;

/* Secondaries that have left, folded in by the primary. */
struct lab8_role_counters {
	uint64_t packets;        /* mbufs processed and freed */
	uint64_t direct_rx;      /* of which received directly from a queue */
	uint64_t stranded;       /* mbufs killed secondaries held in flight */
	uint64_t departed;
	uint64_t policy[LAB8_VERDICT_MAX];   /* their FLOW_TABLE verdicts */
	uint64_t gtpu;
} __rte_cache_aligned;

struct lab8_info {
	/* Configuration: written before the primary reports RUNNING, then read-only. */
	uint32_t magic;
	uint32_t version;
	int32_t primary_pid;
	uint16_t port_id;
	uint16_t nb_rxq;
	uint16_t nb_txq;
	uint16_t role_queue_first[LAB8_ROLE_MAX];
	uint16_t role_queue_last[LAB8_ROLE_MAX];
	uint32_t ring_size;
	uint32_t nb_mbufs;
	uint64_t primary_lcores[LAB8_LCORE_WORDS];
	/*
	 * MBUF_POOL's handler by name, as the primary's table resolves the
	 * pool's ops_index: a secondary whose table resolves it otherwise refuses.
	 */
	char pool_ops[RTE_MEMPOOL_OPS_NAMESIZE];
	/*
	 * The port's device name (a PCI address, or a vdev's name): a secondary
	 * that reads the port's queues itself must have probed that device.
	 */
	char port_name[RTE_DEV_NAME_MAX_LEN];

	/* Heartbeat line: the primary bumps it every LAB8_HEARTBEAT_MS. */
	uint64_t heartbeat __rte_cache_aligned;
	uint32_t primary_state;  /* enum lab8_primary_state */
	uint32_t next_seq;       /* slot attach numbers, taken with an atomic add */

	struct lab8_primary_counters primary;
	struct lab8_role_counters role[LAB8_ROLE_MAX];
	struct lab8_slot slots[LAB8_MAX_SECONDARIES];
};

/* One writer per cache line: the layout must keep these blocks apart. */
_Static_assert(offsetof(struct lab8_slot, counters) % RTE_CACHE_LINE_SIZE == 0,
	"a secondary's counters must start a cache line");
_Static_assert(sizeof(struct lab8_slot) % RTE_CACHE_LINE_SIZE == 0,
	"slots must not share cache lines");
_Static_assert(offsetof(struct lab8_info, heartbeat) % RTE_CACHE_LINE_SIZE == 0,
	"the heartbeat line must not share the configuration's line");
_Static_assert(offsetof(struct lab8_info, primary) % RTE_CACHE_LINE_SIZE == 0,
	"the primary's counters must start a cache line");

static inline const char *
lab8_role_name(unsigned int role)
{
	return role == LAB8_ROLE_ENTERPRISE ? "enterprise" :
		role == LAB8_ROLE_MOBILITY ? "mobility" : "?";
}

static inline const char *
lab8_role_ring(unsigned int role)
{
	return role == LAB8_ROLE_ENTERPRISE ? LAB8_RING_ENTERPRISE : LAB8_RING_MOBILITY;
}

static inline const char *
lab8_role_done_ring(unsigned int role)
{
	return role == LAB8_ROLE_ENTERPRISE ? LAB8_RING_ENTERPRISE_DONE : LAB8_RING_MOBILITY_DONE;
}

static inline void
lab8_lcore_set(uint64_t *words, unsigned int lcore)
{
	words[lcore / 64] |= UINT64_C(1) << (lcore % 64);
}

static inline int
lab8_lcore_isset(const uint64_t *words, unsigned int lcore)
{
	return (words[lcore / 64] >> (lcore % 64)) & 1;
}

/*
 * Whether a process recorded in the info block still exists: each side
 * watches the other this way (EPERM still means it exists).
 */
static inline bool
lab8_pid_alive(int32_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno != ESRCH);
}

/*
 * Whether a secondary's slot is in use by a process that still lives: a
 * SIGKILLed secondary's slot stays CLAIMED or ATTACHED until the primary
 * reaps it, and must not block a restart on the same lcore id or role.
 */
static inline bool
lab8_slot_live(const struct lab8_slot *slot)
{
	uint32_t state = __atomic_load_n(&slot->state, __ATOMIC_ACQUIRE);

	return (state == LAB8_SLOT_CLAIMED || state == LAB8_SLOT_ATTACHED) &&
		lab8_pid_alive(slot->pid);
}

/* Formats a set of lcore ids as "0,2,5"; returns buf. */
static inline const char *
lab8_lcores_str(const uint64_t *words, char *buf, size_t len)
{
	unsigned int lcore;
	size_t pos = 0;

	buf[0] = '\0';
	for (lcore = 0; lcore < RTE_MAX_LCORE && pos + 1 < len; lcore++) {
		int n;

		if (!lab8_lcore_isset(words, lcore))
			continue;
		n = snprintf(buf + pos, len - pos, "%s%u", pos ? "," : "", lcore);
		if (n < 0)
			break;
		pos += (size_t)n;
	}
	return buf;
}

/*
 * Whether freeing m is only putting it back into mp: it came from mp, is
 * direct (no attached buffer), one segment (so next is NULL) and nobody
 * else holds a reference. That is the contract of DPDK's fast free
 * (RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE), here checked per mbuf, since a PMD
 * may chain (net_pcap does for jumbo frames, net_tap beyond one buffer).
 * Reads the header's first cache line only.
 */
static inline bool
lab8_mbuf_plain(const struct rte_mbuf *m, const struct rte_mempool *mp)
{
	return m->pool == mp && m->nb_segs == 1 && RTE_MBUF_DIRECT(m) &&
		rte_mbuf_refcnt_read(m) == 1;
}

/* Queue q of an nb_rxq-queue port: first half enterprise, second half mobility. */
static inline unsigned int
lab8_queue_role(uint16_t q, uint16_t nb_rxq)
{
	return q < (nb_rxq + 1) / 2 ? LAB8_ROLE_ENTERPRISE : LAB8_ROLE_MOBILITY;
}

#endif /* LAB8_SHARED_H */
