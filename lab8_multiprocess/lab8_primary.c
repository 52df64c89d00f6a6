/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lab 8 primary: owns the port and every shared object. Receives on all
 * rx queues and hands each burst to the ring of the queue's role: the
 * first half of the queues to RX_TO_ENTERPRISE, the second half to
 * RX_TO_MOBILITY. Watches the secondaries through the info block: says
 * when one attaches, leaves, or dies, and what a dead one stranded.
 *
 * With --rules FILE (the SASE-DP steering, lab 9's rules), rte_flow on the
 * port picks each packet's queue, or with --fallback software the rules
 * do on this CPU, and the queue's role takes it.
 *
 * Here: creating the shared objects and the rx loop. The slot watch is in
 * lab8_primary_slots.c, the counters' reports in lab8_primary_stats.c,
 * the rules in lab8_primary_rules.c.
 *
 *   lab8_primary -l 0 --proc-type=primary --file-prefix=sase --no-pci \
 *       --vdev=net_tap0,iface=dtap0 -- [--port 0] [--rxq 4] [--no-status] \
 *       [--policy FILE] [--rules FILE [--fallback software]]
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
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
#include <rte_prefetch.h>
#include <rte_ring.h>
#include <rte_seqlock.h>

#include "lab_eal.h"
#include "lab_log.h"
#include "lab_mempool.h"
#include "lab_opts.h"
#include "lab_port.h"
#include "flow_lab.h"
#include "lab8_policy.h"
#include "lab8_primary.h"
#include "lab8_stage.h"
#include "lab8_shared.h"

#define LAB8_DEFAULT_RXQ     4
#define LAB8_DEFAULT_RING    4096
#define LAB8_DEFAULT_MBUFS   16383
#define LAB8_POLLS_PER_CLOCK 63u
/*
 * Mbufs per ring operation here (rx bursts gathered, done rings emptied): each
 * moves the ring's head and tail lines between the cores, whatever its size.
 * A secondary still takes LAB8_BURST: a killed one strands one burst at most.
 */
#define LAB8_BATCH           (4 * LAB8_BURST)

struct primary_opts {
	uint16_t port_id;
	uint16_t nb_rxq;
	uint32_t ring_size;
	uint32_t nb_mbufs;       /* 0 until --mbufs: the default, or what the queues need */
	bool status;
	const char *policy;      /* --policy FILE: FLOW_TABLE's entries */
	const char *rules;       /* --rules FILE: lab 9's rules, the SASE-DP steering */
	bool fallback_software;  /* --fallback software: the rules on the CPU */
};

static struct primary_opts opts = {
	.port_id = 0,
	.nb_rxq = LAB8_DEFAULT_RXQ,
	.ring_size = LAB8_DEFAULT_RING,
	.status = true,
};

/* Owned here, passed to the slot watch and the counters' reports. */
static struct lab8_primary primary = {
	.fold_lock = RTE_SEQLOCK_INITIALIZER,
};
static struct lab8_info *info;
static struct rte_mempool *pool;
static struct rte_ring *rings[LAB8_ROLE_MAX];
/* Mbufs the secondaries are done with: this process frees them (see lab8_shared.h). */
static struct rte_ring *done_rings[LAB8_ROLE_MAX];
/* FLOW_TABLE, when --policy is given: the enterprise secondaries look it up by name. */
static struct rte_hash *flow_table;
/* The port's queues (plan_port()). */
static struct lab_port_conf port_conf;

static void
usage(const char *prog)
{
	printf("Usage: %s [EAL options] -- [options]\n"
		"  --port N        port to own (default 0)\n"
		"  --rxq N         rx/tx queues, 1-%u (default %u): first half -> %s, "
		"second half -> %s\n"
		"  --ring-size N   entries per ring, 64-65536 (default %u)\n"
		"  --mbufs N       mbufs in %s, 1024-1048576 (default %u, more if the queues "
		"need it)\n"
		"  --no-status     no per-second status line\n"
		"  --policy FILE   lines 'A.B.C.D allow|deny' (# comments) into the rte_hash %s\n"
		"  --rules FILE    lab 9's rules (one per line, or 'flow create 0 ...'; # "
		"comments),\n"
		"                  created on the port; a rule's queue picks the role (--rxq "
		"2-%u)\n"
		"  --fallback software  with --rules: the rules run on this CPU when the port "
		"has no rte_flow\n",
		prog, LAB8_MAX_QUEUES, LAB8_DEFAULT_RXQ, LAB8_RING_ENTERPRISE, LAB8_RING_MOBILITY,
		LAB8_DEFAULT_RING, LAB8_MBUF_POOL, LAB8_DEFAULT_MBUFS, LAB8_FLOW_TABLE,
		FLOW_MAX_QUEUES);
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
		{ "policy", required_argument, NULL, 'P' },
		{ "rules", required_argument, NULL, 'R' },
		{ "fallback", required_argument, NULL, 'f' },
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
		case 'P':
			if (lab_check_readable("--policy", optarg) < 0)
				return -EINVAL;
			opts.policy = optarg;
			break;
		case 'R':
			if (lab_check_readable("--rules", optarg) < 0)
				return -EINVAL;
			opts.rules = optarg;
			break;
		case 'f':
			if (flow_fallback_parse(optarg, &opts.fallback_software) < 0)
				return -EINVAL;
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
	if (opts.rules != NULL && (opts.nb_rxq < 2 || opts.nb_rxq > FLOW_MAX_QUEUES)) {
		LAB_LOG(ERR, "--rules with --rxq %u: the rules steer among 2 to %u queues "
			"(lab 9's table); give --rxq 2-%u", opts.nb_rxq, FLOW_MAX_QUEUES,
			FLOW_MAX_QUEUES);
		return -EINVAL;
	}
	if (opts.fallback_software && opts.rules == NULL) {
		LAB_LOG(ERR, "--fallback software applies --rules FILE on the CPU: give --rules "
			"too");
		return -EINVAL;
	}
	return 0;
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
	if (rte_eth_dev_get_name_by_port(opts.port_id, info->port_name) < 0)
		info->port_name[0] = '\0';
	info->nb_rxq = port_conf.nb_rxq;
	info->nb_txq = port_conf.nb_txq;
	info->ring_size = rte_ring_get_capacity(rings[0]);
	info->nb_mbufs = opts.nb_mbufs;
	snprintf(info->pool_ops, sizeof(info->pool_ops), "%s", lab_mempool_ops_name(pool));
	for (role = 0; role < LAB8_ROLE_MAX; role++) {
		info->role_queue_first[role] = UINT16_MAX;
		info->role_queue_last[role] = 0;
	}
	/* The queues the roles split: the port's, or with the rules on the CPU the virtual ones. */
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

/*
 * The course's primary side: every object a secondary looks up by name is
 * created here, before the port starts and before anyone can attach.
 */
static int
create_shared_objects(void)
{
	unsigned int r;
	int socket;

	pool = lab_mbuf_pool_create(LAB8_MBUF_POOL, opts.nb_mbufs, opts.port_id);
	if (pool == NULL)
		return -rte_errno;
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
			return -rte_errno;
		}
		/* Room for every mbuf of the pool: a secondary's enqueue never fails. */
		done_rings[r] = rte_ring_create(lab8_role_done_ring(r), opts.nb_mbufs, socket,
			RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
		if (done_rings[r] == NULL) {
			LAB_LOG(ERR, "cannot create ring %s (%u entries) on socket %d: %s",
				lab8_role_done_ring(r), opts.nb_mbufs, socket,
				rte_strerror(rte_errno));
			return -rte_errno;
		}
	}
	if (opts.policy != NULL) {
		unsigned int nb;

		/* On the port's socket, where the enterprise pollers belong (lab numa). */
		flow_table = lab8_policy_load(opts.policy, socket, &nb);
		if (flow_table == NULL)
			return -EINVAL;
		printf("lab8_primary: %s: %u address(es) from %s, on socket %d\n",
			LAB8_FLOW_TABLE, nb, opts.policy, socket);
	}
	return create_info(socket);
}

/*
 * The port's queues: --rxq each way, but with --fallback software as many
 * as the port has up to that (net_pcap: one rx queue per rx_pcap=), since
 * the rules' queues are virtual then.
 */
static int
plan_port(void)
{
	struct rte_eth_dev_info dev;
	int ret;

	lab_port_conf_default(&port_conf, opts.nb_rxq);
	if (!opts.fallback_software)
		return 0;
	ret = lab_port_info_get(opts.port_id, &dev);
	if (ret < 0)
		return ret;
	port_conf.nb_rxq = RTE_MIN(opts.nb_rxq, dev.max_rx_queues);
	port_conf.nb_txq = RTE_MIN(opts.nb_rxq, RTE_MAX(dev.max_tx_queues, 1));
	return 0;
}

/* Full rings, rx descriptors and caches must leave mbufs to receive into: drops, no stall. */
static int
check_pool_size(void)
{
	uint32_t min_mbufs = 2 * opts.ring_size + (uint32_t)port_conf.nb_rxq * LAB_PORT_RXD +
		4 * (LAB_MBUF_CACHE * 3 / 2) + LAB8_BATCH;

	if (opts.nb_mbufs == 0) {
		/* Without --mbufs: the default, or more when the queues need it (--rxq 8). */
		opts.nb_mbufs = RTE_MAX((uint32_t)LAB8_DEFAULT_MBUFS,
			rte_align32pow2(min_mbufs) - 1);
		return 0;
	}
	if (opts.nb_mbufs < min_mbufs) {
		LAB_LOG(ERR, "--mbufs %u is too small for 2 rings of %u, %u rx queues of %u "
			"descriptors and 4 processes' caches: give at least %u, or a smaller "
			"--ring-size", opts.nb_mbufs, opts.ring_size, port_conf.nb_rxq,
			LAB_PORT_RXD, min_mbufs);
		return -EINVAL;
	}
	return 0;
}

/*
 * Plain mbufs (lab8_mbuf_plain()) go back with rte_mempool_put_bulk(), headers
 * untouched: cold ones cost a miss each (docs/lab8.md, "Where the time goes").
 * handed_back: from a done ring, the secondary checked them (LAB8_DONE_SLOW);
 * else just received here, checked here.
 */
static void
free_burst(struct rte_mbuf **pkts, unsigned int n, bool handed_back)
{
	unsigned int i, plain = 0;

	for (i = 0; i < n; i++) {
		uintptr_t v = (uintptr_t)pkts[i];
		struct rte_mbuf *m = (struct rte_mbuf *)(v & ~LAB8_DONE_SLOW);

		if (unlikely(handed_back ? (v & LAB8_DONE_SLOW) != 0 : !lab8_mbuf_plain(m, pool))) {
			rte_pktmbuf_free(m);
		} else {
			pkts[plain++] = m;
			if (handed_back)
				rte_prefetch0_write(m);
		}
	}
	if (plain > 0)
		rte_mempool_put_bulk(pool, (void **)pkts, plain);
}

/* Frees what the secondaries handed back, up to max_batches batches per role; how many. */
static unsigned int
free_done(unsigned int max_batches)
{
	struct rte_mbuf *pkts[LAB8_BATCH];
	unsigned int r, b, total = 0;

	for (r = 0; r < LAB8_ROLE_MAX; r++) {
		for (b = 0; b < max_batches; b++) {
			unsigned int n = rte_ring_sc_dequeue_burst(done_rings[r], (void **)pkts,
				LAB8_BATCH, NULL);

			LAB8_STAGE_MARK(LAB8_STAGE_DEQUEUE, n);
			if (n == 0)
				break;
			free_burst(pkts, n, true);
			LAB8_STAGE_MARK(LAB8_STAGE_FREE, n);
			total += n;
			if (n < LAB8_BATCH)
				break;
		}
	}
	return total;
}

/* Into the role's ring; what does not fit is dropped here, so the pool never drains. */
static void
enqueue_role(unsigned int role, struct rte_mbuf **pkts, unsigned int n)
{
	struct lab8_primary_counters *pc = &info->primary;
	unsigned int sent;

	if (n == 0)
		return;
	sent = rte_ring_sp_enqueue_burst(rings[role], (void **)pkts, n, NULL);
	pc->enqueued[role] += sent;
	LAB8_STAGE_MARK(LAB8_STAGE_ENQUEUE, n);
	if (unlikely(sent < n)) {
		free_burst(&pkts[sent], n - sent, false);
		pc->ring_full_drops[role] += n - sent;
		LAB8_STAGE_MARK(LAB8_STAGE_DROP, n - sent);
	}
}

/* --fallback software: the rules, run here, pick each packet's (virtual) queue's ring. */
static void
enqueue_by_rules(uint16_t qid, struct rte_mbuf **pkts, uint16_t n)
{
	struct rte_mbuf *by_role[LAB8_ROLE_MAX][LAB8_BURST];
	uint16_t nb[LAB8_ROLE_MAX];
	unsigned int role;

	lab8_rules_classify(&primary, qid, pkts, n, by_role, nb);
	LAB8_STAGE_MARK(LAB8_STAGE_CLASSIFY, n);
	for (role = 0; role < LAB8_ROLE_MAX; role++)
		enqueue_role(role, by_role[role], nb[role]);
}

/*
 * Receives up to LAB8_BATCH mbufs from queue qid into pkts, a burst at a
 * time while the queue gives full bursts; how many.
 */
static unsigned int
rx_batch(uint16_t qid, struct rte_mbuf **pkts)
{
	unsigned int n = 0;
	uint16_t got;

	do {
		got = rte_eth_rx_burst(opts.port_id, qid, &pkts[n], LAB8_BURST);
		LAB8_STAGE_MARK(LAB8_STAGE_RX, got);
		n += got;
	} while (got == LAB8_BURST && n < LAB8_BATCH);
	return n;
}

/* Receives on every queue this process still polls, batches into the rings. */
static void
rx_loop(void)
{
	struct rte_mbuf *pkts[LAB8_BATCH];
	struct lab8_primary_counters *pc = &info->primary;
	uint8_t queue_role[LAB8_MAX_QUEUES];
	uint64_t hb_period = lab8_ms_to_cycles(LAB8_HEARTBEAT_MS);
	uint64_t scan_period = lab8_ms_to_cycles(LAB8_SLOT_SCAN_MS);
	uint64_t status_period = rte_get_timer_hz();
	uint64_t now = rte_get_timer_cycles();
	uint64_t next_hb = now, next_scan = now, next_status = now + status_period;
	unsigned int polls = 0;
	uint16_t q;

	for (q = 0; q < primary.nb_rxq; q++)
		queue_role[q] = (uint8_t)lab8_queue_role(q, primary.nb_rxq);

	LAB8_STAGE_START(LAB8_STAGE_RX);
	while (!lab_force_quit) {
		uint16_t i;

		LAB8_STAGE_MARK(LAB8_STAGE_OTHER, 0);
		for (i = 0; i < primary.nb_polled; i++) {
			uint16_t qid = primary.polled[i];
			unsigned int n;

			/* The NIC's queue picks the role, or the rules on this CPU do. */
			if (unlikely(primary.soft_rules)) {
				n = rte_eth_rx_burst(opts.port_id, qid, pkts, LAB8_BURST);
				LAB8_STAGE_MARK(LAB8_STAGE_RX, n);
				pc->rx[qid] += n;
				if (n > 0)
					enqueue_by_rules(qid, pkts, (uint16_t)n);
				continue;
			}
			n = rx_batch(qid, pkts);
			pc->rx[qid] += n;
			enqueue_role(queue_role[qid], pkts, n);
		}
		/* As many batches back per role as its queues can bring in per loop. */
		free_done(primary.nb_polled);

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
			lab8_scan_slots(&primary);
		}
		if (opts.status && now >= next_status) {
			next_status = now + status_period;
			lab8_print_status(&primary);
		}
	}
	LAB8_STAGE_PRINT("lab8_primary");
}

int
main(int argc, char **argv)
{
	struct lab_port_state state;
	int ret;

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
		lab_eal_cleanup();
		return 1;
	}
	if (parse_args(argc, argv) < 0)
		goto fail;
	if (lab_port_check(opts.port_id) < 0 || plan_port() < 0)
		goto fail;
	if (check_pool_size() < 0)
		goto fail;
	if (create_shared_objects() < 0)
		goto fail;
	/* The same pointers, for the slot watch and the counters' reports. */
	primary.info = info;
	primary.pool = pool;
	primary.nb_rxq = port_conf.nb_rxq;

	ret = lab_port_init(opts.port_id, &port_conf, pool, &state);
	if (ret < 0)
		goto fail;
	/* Before RUNNING: no packet is steered before every rule is in force. */
	if (opts.rules != NULL &&
	    lab8_rules_setup(&primary, opts.rules, opts.fallback_software, opts.nb_rxq) < 0)
		goto fail_port;

	lab8_queues_init(&primary);

	ret = lab8_stats_register(&primary);
	if (ret < 0)
		LAB_LOG(WARNING, "cannot register telemetry command /lab8/stats: %s",
			strerror(-ret));

	__atomic_store_n(&info->primary_state, LAB8_PRIMARY_RUNNING, __ATOMIC_RELEASE);
	lab8_print_started(&primary, opts.nb_rxq);

	rx_loop();

	lab8_stop_secondaries(&primary);
	lab8_scan_slots(&primary);
	while (free_done(UINT_MAX) > 0)
		;
	lab8_print_final(&primary);
	if (opts.rules != NULL)
		lab8_rules_fini();
	/* Freeing memory can wait on a lock a dead process holds: 10 s at most. */
	lab_cleanup_deadline();
	lab_port_close(opts.port_id);
	rte_hash_free(flow_table);
	lab_eal_cleanup();
	return 0;

fail_port:
	lab_cleanup_deadline();
	lab_port_close(opts.port_id);
fail:
	rte_hash_free(flow_table);
	lab_eal_cleanup();
	return 1;
}
