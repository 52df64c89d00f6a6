/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lab 8 primary: owns the port and every shared object. Receives on all
 * rx queues and hands each burst to the ring of the queue's role: the
 * first half of the queues to RX_TO_ENTERPRISE, the second half to
 * RX_TO_MOBILITY. Watches the secondaries through the info block: says
 * when one attaches, leaves, or dies, and what a dead one stranded.
 *
 *   lab8_primary -l 0 --proc-type=primary --file-prefix=sase --no-pci \
 *       --vdev=net_tap0,iface=dtap0 -- [--port 0] [--rxq 4] [--no-status]
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_memzone.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_seqlock.h>
#include <rte_telemetry.h>

#include "lab_compat.h"
#include "lab_eal.h"
#include "lab_log.h"
#include "lab_mempool.h"
#include "lab_opts.h"
#include "lab_port.h"
#include "lab8_shared.h"

#define LAB8_DEFAULT_RXQ     4
#define LAB8_DEFAULT_RING    4096
#define LAB8_DEFAULT_MBUFS   16383
#define LAB8_POLLS_PER_CLOCK 63u

struct primary_opts {
	uint16_t port_id;
	uint16_t nb_rxq;
	uint32_t ring_size;
	uint32_t nb_mbufs;
	bool status;
};

static struct primary_opts opts = {
	.port_id = 0,
	.nb_rxq = LAB8_DEFAULT_RXQ,
	.ring_size = LAB8_DEFAULT_RING,
	.nb_mbufs = LAB8_DEFAULT_MBUFS,
	.status = true,
};

static struct lab8_info *info;
static struct rte_mempool *pool;
static struct rte_ring *rings[LAB8_ROLE_MAX];
/* Mbufs the secondaries are done with: this process frees them (see lab8_shared.h). */
static struct rte_ring *done_rings[LAB8_ROLE_MAX];

/* Queues this process polls; a direct-queue secondary takes some away. */
static uint16_t polled[LAB8_MAX_QUEUES];
static uint16_t nb_polled;
/* Queue -> slot holding it, -1 when the primary polls it. */
static int queue_owner[LAB8_MAX_QUEUES];
/* Attach number last announced per slot. */
static uint32_t seen_seq[LAB8_MAX_SECONDARIES];
/*
 * Folding a departed secondary's counters into the role totals and
 * freeing its slot must look atomic to the telemetry thread.
 */
static rte_seqlock_t fold_lock = RTE_SEQLOCK_INITIALIZER;

static void
usage(const char *prog)
{
	printf("Usage: %s [EAL options] -- [options]\n"
		"  --port N        port to own (default 0)\n"
		"  --rxq N         rx/tx queues, 1-%u (default %u): first half -> %s, "
		"second half -> %s\n"
		"  --ring-size N   entries per ring, 64-65536 (default %u)\n"
		"  --mbufs N       mbufs in %s, 1024-1048576 (default %u)\n"
		"  --no-status     no per-second status line\n",
		prog, LAB8_MAX_QUEUES, LAB8_DEFAULT_RXQ, LAB8_RING_ENTERPRISE, LAB8_RING_MOBILITY,
		LAB8_DEFAULT_RING, LAB8_MBUF_POOL, LAB8_DEFAULT_MBUFS);
}

static int
parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "rxq", required_argument, NULL, 'q' },
		{ "ring-size", required_argument, NULL, 'r' },
		{ "mbufs", required_argument, NULL, 'm' },
		{ "no-status", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			if (lab_parse_u64("--port", optarg, 0, RTE_MAX_ETHPORTS - 1, &v) < 0)
				return -EINVAL;
			opts.port_id = (uint16_t)v;
			break;
		case 'q':
			if (lab_parse_u64("--rxq", optarg, 1, LAB8_MAX_QUEUES, &v) < 0)
				return -EINVAL;
			opts.nb_rxq = (uint16_t)v;
			break;
		case 'r':
			if (lab_parse_u64("--ring-size", optarg, 64, 65536, &v) < 0)
				return -EINVAL;
			opts.ring_size = (uint32_t)v;
			break;
		case 'm':
			if (lab_parse_u64("--mbufs", optarg, 1024, 1048576, &v) < 0)
				return -EINVAL;
			opts.nb_mbufs = (uint32_t)v;
			break;
		case 's':
			opts.status = false;
			break;
		case 'h':
			usage(argv[0]);
			exit(0);
		default:
			return lab_opt_error(opt, argv);
		}
	}
	if (lab_opt_no_extra(argc, argv) < 0)
		return -EINVAL;
	return 0;
}

static uint64_t
ms_to_cycles(uint64_t ms)
{
	return rte_get_timer_hz() * ms / 1000;
}

static void
rebuild_polled(void)
{
	uint16_t q;

	nb_polled = 0;
	for (q = 0; q < opts.nb_rxq; q++)
		if (queue_owner[q] < 0)
			polled[nb_polled++] = q;
}

static int
create_info(int socket)
{
	const struct rte_memzone *mz;
	unsigned int lcore, role;
	uint16_t q;

	mz = rte_memzone_reserve_aligned(LAB8_INFO_MZ, sizeof(*info), socket, 0,
			RTE_CACHE_LINE_SIZE);
	if (mz == NULL) {
		LAB_LOG(ERR, "cannot reserve memzone %s (%zu bytes) on socket %d: %s",
			LAB8_INFO_MZ, sizeof(*info), socket, rte_strerror(rte_errno));
		return -rte_errno;
	}
	info = mz->addr;
	memset(info, 0, sizeof(*info));
	info->magic = LAB8_INFO_MAGIC;
	info->version = LAB8_INFO_VERSION;
	info->primary_pid = getpid();
	info->port_id = opts.port_id;
	info->nb_rxq = opts.nb_rxq;
	info->nb_txq = opts.nb_rxq;
	info->ring_size = rte_ring_get_capacity(rings[0]);
	info->nb_mbufs = opts.nb_mbufs;
	for (role = 0; role < LAB8_ROLE_MAX; role++) {
		info->role_queue_first[role] = UINT16_MAX;
		info->role_queue_last[role] = 0;
	}
	for (q = 0; q < opts.nb_rxq; q++) {
		role = lab8_queue_role(q, opts.nb_rxq);
		if (info->role_queue_first[role] == UINT16_MAX)
			info->role_queue_first[role] = q;
		info->role_queue_last[role] = q;
	}
	RTE_LCORE_FOREACH(lcore)
		lab8_lcore_set(info->primary_lcores, lcore);
	return 0;
}

/* Mbufs a dead process left in the per-lcore caches of its lcore ids. */
static unsigned int
cached_on(const uint64_t *lcores)
{
	unsigned int lcore, n = 0;

	if (pool->cache_size == 0)
		return 0;
	for (lcore = 0; lcore < RTE_MAX_LCORE; lcore++)
		if (lab8_lcore_isset(lcores, lcore))
			n += pool->local_cache[lcore].len;
	return n;
}

static void
release_queues(unsigned int s)
{
	uint16_t q;
	bool changed = false;

	for (q = 0; q < opts.nb_rxq; q++) {
		if (queue_owner[q] == (int)s) {
			queue_owner[q] = -1;
			changed = true;
		}
	}
	if (changed) {
		rebuild_polled();
		printf("lab8_primary: polling queues %u-%u again\n",
			info->slots[s].queue_first, info->slots[s].queue_last);
	}
}

static void
answer_grant(unsigned int s)
{
	struct lab8_slot *slot = &info->slots[s];
	uint16_t q;
	uint32_t answer = LAB8_GRANT_GIVEN;

	if (slot->queue_last >= opts.nb_rxq || slot->queue_first > slot->queue_last) {
		answer = LAB8_GRANT_REFUSED;
	} else {
		for (q = slot->queue_first; q <= slot->queue_last; q++)
			if (queue_owner[q] >= 0 && queue_owner[q] != (int)s)
				answer = LAB8_GRANT_REFUSED;
	}
	if (answer == LAB8_GRANT_GIVEN) {
		/* Between bursts: this process no longer touches these queues. */
		for (q = slot->queue_first; q <= slot->queue_last; q++)
			queue_owner[q] = (int)s;
		rebuild_polled();
		printf("lab8_primary: queues %u-%u handed to %s secondary pid %d "
			"(direct-queue mode)\n", slot->queue_first, slot->queue_last,
			lab8_role_name(slot->role), slot->pid);
	} else {
		printf("lab8_primary: refused queues %u-%u to pid %d: taken or out of range\n",
			slot->queue_first, slot->queue_last, slot->pid);
	}
	__atomic_store_n(&slot->grant, answer, __ATOMIC_RELEASE);
}

/* Adds a departed slot's counters to its role and frees the slot. */
static void
fold_slot(unsigned int s, uint64_t stranded)
{
	struct lab8_slot *slot = &info->slots[s];
	struct lab8_role_counters *rc = &info->role[slot->role < LAB8_ROLE_MAX ?
		slot->role : 0];

	release_queues(s);
	rte_seqlock_write_lock(&fold_lock);
	rc->packets += slot->counters.freed;
	if (slot->direct)
		rc->direct_rx += slot->counters.taken;
	rc->stranded += stranded;
	rc->departed++;
	slot->grant = LAB8_GRANT_NONE;
	__atomic_store_n(&slot->state, LAB8_SLOT_FREE, __ATOMIC_RELEASE);
	rte_seqlock_write_unlock(&fold_lock);
}

static void
scan_slots(void)
{
	unsigned int s;
	char lc[64];

	for (s = 0; s < LAB8_MAX_SECONDARIES; s++) {
		struct lab8_slot *slot = &info->slots[s];
		uint32_t state = __atomic_load_n(&slot->state, __ATOMIC_ACQUIRE);
		uint64_t held, cached;

		switch (state) {
		case LAB8_SLOT_CLAIMED:
			/* Killed half-way through attaching. */
			if (!lab8_pid_alive(slot->pid)) {
				slot->grant = LAB8_GRANT_NONE;
				__atomic_store_n(&slot->state, LAB8_SLOT_FREE, __ATOMIC_RELEASE);
			}
			break;
		case LAB8_SLOT_ATTACHED:
			if (seen_seq[s] != slot->seq) {
				seen_seq[s] = slot->seq;
				lab8_lcores_str(slot->lcores, lc, sizeof(lc));
				printf("lab8_primary: secondary attached: %s, pid %d, "
					"lcores %s, %s\n", lab8_role_name(slot->role),
					slot->pid, lc, slot->direct ? "direct-queue mode" :
					lab8_role_ring(slot->role));
			}
			if (__atomic_load_n(&slot->grant, __ATOMIC_ACQUIRE) == LAB8_GRANT_ASKED)
				answer_grant(s);
			if (lab8_pid_alive(slot->pid))
				break;
			if (__atomic_load_n(&info->primary_state, __ATOMIC_ACQUIRE) ==
					LAB8_PRIMARY_STOPPING) {
				/* It saw us stopping and left without touching shared memory. */
				printf("lab8_primary: secondary %s pid %d let go after %" PRIu64
					" packets\n", lab8_role_name(slot->role), slot->pid,
					slot->counters.freed);
				fold_slot(s, 0);
				break;
			}
			held = slot->counters.taken - slot->counters.freed;
			cached = cached_on(slot->lcores);
			lab8_lcores_str(slot->lcores, lc, sizeof(lc));
			printf("lab8_primary: secondary %s pid %d (lcores %s) died without "
				"detaching after %" PRIu64 " packets: it stranded %" PRIu64
				" mbufs in flight (lost until the primary restarts) and left %"
				PRIu64 " in lcore %s's mempool cache (reused by the next process "
				"on that lcore id)\n", lab8_role_name(slot->role), slot->pid, lc,
				slot->counters.freed, held, cached, lc);
			fold_slot(s, held);
			break;
		case LAB8_SLOT_LEFT:
			if (seen_seq[s] != slot->seq)
				seen_seq[s] = slot->seq;
			printf("lab8_primary: secondary left: %s, pid %d, %" PRIu64
				" packets processed, every mbuf handed back\n",
				lab8_role_name(slot->role), slot->pid, slot->counters.freed);
			fold_slot(s, 0);
			break;
		default:
			break;
		}
	}
	fflush(stdout);
}

struct lab8_totals {
	uint64_t rx;
	uint64_t enqueued;
	uint64_t drops;
	uint64_t role_packets[LAB8_ROLE_MAX];
	uint64_t direct_rx;
	unsigned int attached;
};

/* Safe from the telemetry thread: readers retry while a slot is being folded. */
static void
totals_get(struct lab8_totals *t)
{
	uint32_t sn;
	unsigned int s, r;
	uint16_t q;

	do {
		sn = rte_seqlock_read_begin(&fold_lock);
		memset(t, 0, sizeof(*t));
		for (q = 0; q < opts.nb_rxq; q++)
			t->rx += __atomic_load_n(&info->primary.rx[q], __ATOMIC_RELAXED);
		for (r = 0; r < LAB8_ROLE_MAX; r++) {
			t->enqueued += __atomic_load_n(&info->primary.enqueued[r],
				__ATOMIC_RELAXED);
			t->drops += __atomic_load_n(&info->primary.ring_full_drops[r],
				__ATOMIC_RELAXED);
			t->role_packets[r] = info->role[r].packets;
			t->direct_rx += info->role[r].direct_rx;
		}
		for (s = 0; s < LAB8_MAX_SECONDARIES; s++) {
			const struct lab8_slot *slot = &info->slots[s];
			uint32_t state = __atomic_load_n(&slot->state, __ATOMIC_ACQUIRE);

			if (state != LAB8_SLOT_ATTACHED && state != LAB8_SLOT_LEFT)
				continue;
			if (state == LAB8_SLOT_ATTACHED)
				t->attached++;
			if (slot->role < LAB8_ROLE_MAX)
				t->role_packets[slot->role] +=
					__atomic_load_n(&slot->counters.freed, __ATOMIC_RELAXED);
			if (slot->direct)
				t->direct_rx += __atomic_load_n(&slot->counters.taken,
					__ATOMIC_RELAXED);
		}
	} while (rte_seqlock_read_retry(&fold_lock, sn));
	/* Packets a direct-queue secondary received came from the port too. */
	t->rx += t->direct_rx;
}

static int
telemetry_stats(const char *cmd __rte_unused, const char *params __rte_unused,
		struct rte_tel_data *d)
{
	struct lab8_totals t;
	unsigned int avail = rte_mempool_avail_count(pool);

	totals_get(&t);
	rte_tel_data_start_dict(d);
	lab_tel_data_add_dict_uint(d, "rx_packets", t.rx);
	lab_tel_data_add_dict_uint(d, "enqueued", t.enqueued);
	lab_tel_data_add_dict_uint(d, "ring_full_drops", t.drops);
	lab_tel_data_add_dict_uint(d, "pool_in_use", pool->size - avail);
	lab_tel_data_add_dict_uint(d, "pool_available", avail);
	lab_tel_data_add_dict_uint(d, "enterprise_packets", t.role_packets[LAB8_ROLE_ENTERPRISE]);
	lab_tel_data_add_dict_uint(d, "mobility_packets", t.role_packets[LAB8_ROLE_MOBILITY]);
	lab_tel_data_add_dict_uint(d, "secondaries_attached", t.attached);
	return 0;
}

static void
print_status(void)
{
	struct lab8_totals t;
	unsigned int avail = rte_mempool_avail_count(pool);
	char line[512];
	int pos;
	uint16_t q;

	totals_get(&t);
	pos = snprintf(line, sizeof(line), "lab8_primary: rx");
	for (q = 0; q < opts.nb_rxq && pos < (int)sizeof(line); q++)
		pos += snprintf(line + pos, sizeof(line) - pos, " q%u=%" PRIu64 "%s", q,
			info->primary.rx[q], queue_owner[q] >= 0 ? "(direct)" : "");
	if (pos < (int)sizeof(line))
		snprintf(line + pos, sizeof(line) - pos,
			" | enq E=%" PRIu64 " M=%" PRIu64 " | ring_full_drops E=%" PRIu64
			" M=%" PRIu64 " | pool in use %u avail %u | secondaries %u",
			info->primary.enqueued[LAB8_ROLE_ENTERPRISE],
			info->primary.enqueued[LAB8_ROLE_MOBILITY],
			info->primary.ring_full_drops[LAB8_ROLE_ENTERPRISE],
			info->primary.ring_full_drops[LAB8_ROLE_MOBILITY],
			pool->size - avail, avail, t.attached);
	printf("%s\n", line);
	fflush(stdout);
}

static void
print_final(void)
{
	struct lab8_totals t;
	unsigned int avail = rte_mempool_avail_count(pool);
	unsigned int r;
	uint16_t q;

	totals_get(&t);
	printf("lab8_primary: final counters\n");
	for (q = 0; q < opts.nb_rxq; q++)
		printf("  rx queue %-2u                %12" PRIu64 "%s\n", q, info->primary.rx[q],
			queue_owner[q] >= 0 ? " (read by a direct-queue secondary)" : "");
	for (r = 0; r < LAB8_ROLE_MAX; r++)
		printf("  enqueued %-17s %12" PRIu64 "\n", lab8_role_ring(r),
			info->primary.enqueued[r]);
	for (r = 0; r < LAB8_ROLE_MAX; r++)
		printf("  ring_full_drops %-10s %12" PRIu64 "\n", lab8_role_name(r),
			info->primary.ring_full_drops[r]);
	for (r = 0; r < LAB8_ROLE_MAX; r++)
		printf("  %-10s packets         %12" PRIu64 " (stranded by killed secondaries: %"
			PRIu64 ")\n", lab8_role_name(r), t.role_packets[r], info->role[r].stranded);
	printf("  pool in use %u, available %u of %u\n", pool->size - avail, avail, pool->size);
	fflush(stdout);
}

/*
 * Frees what the secondaries handed back, up to max_bursts bursts per
 * role; returns how many mbufs.
 */
static unsigned int
free_done(unsigned int max_bursts)
{
	struct rte_mbuf *pkts[LAB8_BURST];
	unsigned int r, b, total = 0;

	for (r = 0; r < LAB8_ROLE_MAX; r++) {
		for (b = 0; b < max_bursts; b++) {
			unsigned int n = rte_ring_sc_dequeue_burst(done_rings[r], (void **)pkts,
				LAB8_BURST, NULL);

			if (n == 0)
				break;
			rte_pktmbuf_free_bulk(pkts, n);
			total += n;
			if (n < LAB8_BURST)
				break;
		}
	}
	return total;
}

/* Receives on every queue this process still polls, bursts into the rings. */
static void
rx_loop(void)
{
	struct rte_mbuf *pkts[LAB8_BURST];
	struct lab8_primary_counters *pc = &info->primary;
	uint8_t queue_role[LAB8_MAX_QUEUES];
	uint64_t hb_period = ms_to_cycles(LAB8_HEARTBEAT_MS);
	uint64_t scan_period = ms_to_cycles(LAB8_SLOT_SCAN_MS);
	uint64_t status_period = rte_get_timer_hz();
	uint64_t now = rte_get_timer_cycles();
	uint64_t next_hb = now, next_scan = now, next_status = now + status_period;
	unsigned int polls = 0;
	uint16_t q;

	for (q = 0; q < opts.nb_rxq; q++)
		queue_role[q] = (uint8_t)lab8_queue_role(q, opts.nb_rxq);

	while (!lab_force_quit) {
		uint16_t i;

		for (i = 0; i < nb_polled; i++) {
			uint16_t qid = polled[i];
			unsigned int role = queue_role[qid];
			uint16_t n, sent;

			n = rte_eth_rx_burst(opts.port_id, qid, pkts, LAB8_BURST);
			if (n == 0)
				continue;
			pc->rx[qid] += n;
			sent = rte_ring_sp_enqueue_burst(rings[role], (void **)pkts, n, NULL);
			pc->enqueued[role] += sent;
			if (unlikely(sent < n)) {
				/* Nobody consumes: drop here so the pool never drains. */
				rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
				pc->ring_full_drops[role] += n - sent;
			}
		}
		/* As many bursts back per role as its queues can bring in per loop. */
		free_done(nb_polled);

		/* rdtsc costs ~10 ns here: look at the clock every 64 loops only. */
		if ((++polls & LAB8_POLLS_PER_CLOCK) != 0)
			continue;
		now = rte_get_timer_cycles();
		if (now < next_hb)
			continue;
		next_hb = now + hb_period;
		__atomic_store_n(&info->heartbeat, info->heartbeat + 1, __ATOMIC_RELEASE);
		if (now >= next_scan) {
			next_scan = now + scan_period;
			scan_slots();
		}
		if (opts.status && now >= next_status) {
			next_status = now + status_period;
			print_status();
		}
	}
}

/* Tells the secondaries to let go and gives them a moment to do so. */
static void
stop_secondaries(void)
{
	uint64_t deadline = rte_get_timer_cycles() + ms_to_cycles(3 * LAB8_WATCH_MS);
	unsigned int s, live;

	__atomic_store_n(&info->primary_state, LAB8_PRIMARY_STOPPING, __ATOMIC_RELEASE);
	printf("lab8_primary: stopping: secondaries are told to let go\n");
	fflush(stdout);
	do {
		live = 0;
		for (s = 0; s < LAB8_MAX_SECONDARIES; s++) {
			uint32_t st = __atomic_load_n(&info->slots[s].state, __ATOMIC_ACQUIRE);

			if ((st == LAB8_SLOT_ATTACHED || st == LAB8_SLOT_CLAIMED) &&
			    lab8_pid_alive(info->slots[s].pid))
				live++;
		}
		if (live == 0)
			break;
		rte_delay_ms(10);
	} while (rte_get_timer_cycles() < deadline);
	if (live > 0)
		printf("lab8_primary: %u secondar%s still attached at exit\n", live,
			live == 1 ? "y" : "ies");
}

int
main(int argc, char **argv)
{
	struct lab_port_conf conf;
	struct lab_port_state state;
	uint32_t min_mbufs;
	unsigned int r;
	int socket;
	int ret;
	uint16_t q;

	ret = lab_eal_init(argc, argv, "lab8_primary");
	if (ret < 0) {
		fprintf(stderr, "lab8_primary: if EAL says 'Is another primary process running?', "
			"a primary already owns this --file-prefix: one primary per prefix. "
			"Stop it, or pick another --file-prefix.\n");
		return 1;
	}
	argc -= ret;
	argv += ret;
	if (rte_eal_process_type() != RTE_PROC_PRIMARY) {
		/* --proc-type=auto found a live primary: this program must not attach. */
		LAB_LOG(ERR, "a primary already runs with --file-prefix=%s: one primary per "
			"prefix. Start secondaries with lab8_secondary, or pick another "
			"--file-prefix.",
			lab_file_prefix());
		rte_eal_cleanup();
		return 1;
	}
	if (parse_args(argc, argv) < 0)
		goto fail;
	if (lab_port_check(opts.port_id) < 0)
		goto fail;
	/*
	 * Full rings, filled rx descriptors and a few processes' caches must
	 * still leave mbufs to receive into: then a full ring means drops, never
	 * an empty pool that stalls the port.
	 */
	min_mbufs = 2 * opts.ring_size + (uint32_t)opts.nb_rxq * LAB_PORT_RXD +
		4 * (LAB_MBUF_CACHE * 3 / 2) + LAB8_BURST;
	if (opts.nb_mbufs < min_mbufs) {
		LAB_LOG(ERR, "--mbufs %u is too small for 2 rings of %u, %u rx queues of %u "
			"descriptors and 4 processes' caches: give at least %u, or a smaller "
			"--ring-size", opts.nb_mbufs, opts.ring_size, opts.nb_rxq, LAB_PORT_RXD,
			min_mbufs);
		goto fail;
	}

	pool = lab_mbuf_pool_create(LAB8_MBUF_POOL, opts.nb_mbufs, opts.port_id);
	if (pool == NULL)
		goto fail;
	socket = lab_port_numa_socket(opts.port_id);
	for (r = 0; r < LAB8_ROLE_MAX; r++) {
		/*
		 * One producer (this loop), one consumer (the role's secondary,
		 * which refuses a second): single-consumer dequeues never wait
		 * for another consumer's tail, so a killed one cannot wedge it.
		 */
		rings[r] = rte_ring_create(lab8_role_ring(r), opts.ring_size, socket,
			RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
		if (rings[r] == NULL) {
			LAB_LOG(ERR, "cannot create ring %s (%u entries) on socket %d: %s",
				lab8_role_ring(r), opts.ring_size, socket, rte_strerror(rte_errno));
			goto fail;
		}
		/* Room for every mbuf of the pool: a secondary's enqueue never fails. */
		done_rings[r] = rte_ring_create(lab8_role_done_ring(r), opts.nb_mbufs, socket,
			RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
		if (done_rings[r] == NULL) {
			LAB_LOG(ERR, "cannot create ring %s (%u entries) on socket %d: %s",
				lab8_role_done_ring(r), opts.nb_mbufs, socket,
				rte_strerror(rte_errno));
			goto fail;
		}
	}
	if (create_info(socket) < 0)
		goto fail;

	lab_port_conf_default(&conf, opts.nb_rxq);
	ret = lab_port_init(opts.port_id, &conf, pool, &state);
	if (ret < 0)
		goto fail;

	for (q = 0; q < LAB8_MAX_QUEUES; q++)
		queue_owner[q] = -1;
	rebuild_polled();

	ret = rte_telemetry_register_cmd("/lab8/stats", telemetry_stats,
		"Lab 8 counters: rx, enqueued, ring-full drops, pool, per-role packets. "
		"No parameters");
	if (ret < 0)
		LAB_LOG(WARNING, "cannot register telemetry command /lab8/stats: %s",
			strerror(-ret));

	__atomic_store_n(&info->primary_state, LAB8_PRIMARY_RUNNING, __ATOMIC_RELEASE);
	printf("lab8_primary: port %u, %u rx queues (%u-%u -> %s, %u-%u -> %s), rings of %u, "
		"%s of %u mbufs on socket %d, lcores %u; pid %d. Ctrl-C to stop.\n",
		opts.port_id, opts.nb_rxq,
		info->role_queue_first[0], info->role_queue_last[0], LAB8_RING_ENTERPRISE,
		info->role_queue_first[1], info->role_queue_last[1], LAB8_RING_MOBILITY,
		info->ring_size, LAB8_MBUF_POOL, pool->size, socket, rte_lcore_id(), getpid());
	if (opts.nb_rxq < 2)
		printf("lab8_primary: one rx queue: nothing goes to %s\n", LAB8_RING_MOBILITY);
	fflush(stdout);

	rx_loop();

	stop_secondaries();
	scan_slots();
	while (free_done(UINT_MAX) > 0)
		;
	print_final();
	lab_port_close(opts.port_id);
	rte_eal_cleanup();
	return 0;

fail:
	rte_eal_cleanup();
	return 1;
}
