/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lab 8 secondary: attaches to the primary's MBUF_POOL and its role's ring
 * by name, prints each packet's source address and frees it. It refuses
 * to attach to a dead primary or on an lcore id another process uses, and
 * a watch thread makes it leave (exit code 3) as soon as the primary dies.
 * Here: the attach by name and the rx loop. The watch is in
 * lab8_secondary_watch.c, the slot checks in lab8_secondary_slot.c.
 *
 *   lab8_secondary -l 1 --proc-type=secondary --file-prefix=sase --no-pci -- \
 *       --role enterprise [--sample N | --quiet] [--no-watch] [--queues 0-1]
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_memzone.h>
#include <rte_prefetch.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "lab_compat.h"
#include "lab_eal.h"
#include "lab_log.h"
#include "lab_mempool.h"
#include "lab_opts.h"
#include "lab_pkt.h"
#include "lab8_policy.h"
#include "lab8_shared.h"
#include "lab8_secondary.h"
#include "lab8_stage.h"

#define PREFETCH_AHEAD    4
/*
 * rdtsc costs about 10 ns on the lab VM, as much as an empty poll: read
 * the clock once every 256 polls.
 */
#define POLLS_PER_CLOCK_READ 255u

static struct lab8_secondary_opts opts = {
	.role = -1,
	.sample = 1,
	.watch = true,
};

static struct lab8_info *info;
static struct rte_mempool *pool;
static struct rte_ring *ring;
/* Ring mode: where processed mbufs go back to the primary (see lab8_shared.h). */
static struct rte_ring *done_ring;
static struct lab8_slot *slot;
/* Enterprise role: FLOW_TABLE, when the primary has a --policy (else NULL). */
static const struct rte_hash *flow_table;

/* The primary-death watch: the main loop and the watch thread both set watch.gone. */
static struct lab8_watch watch;

/* This process's own copy of its counters; published to the slot per burst. */
static struct lab8_slot_counters local;
/* Polls that found nothing: how long this process waited for the primary. */
static uint64_t empty_polls;

static void
usage(const char *prog)
{
	printf("Usage: %s [EAL options] -- --role enterprise|mobility [options]\n"
		"  --role R        enterprise (ring %s) or mobility (ring %s)\n"
		"  --sample N      print one packet in N (default 1: every packet)\n"
		"  --quiet         print no packets (still reads every source address)\n"
		"  --no-watch      do not watch the primary (see what DPDK itself does when "
		"it dies)\n"
		"  --queues A-B    direct-queue mode: rx_burst from the port's queues A-B "
		"instead of the ring\n", prog, LAB8_RING_ENTERPRISE, LAB8_RING_MOBILITY);
}

static int
parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "sample", required_argument, NULL, 's' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "no-watch", no_argument, NULL, 'w' },
		{ "queues", required_argument, NULL, 'Q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t a, b;
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			if (strcmp(optarg, "enterprise") == 0) {
				opts.role = LAB8_ROLE_ENTERPRISE;
			} else if (strcmp(optarg, "mobility") == 0) {
				opts.role = LAB8_ROLE_MOBILITY;
			} else {
				LAB_LOG(ERR, "--role: '%s' is not enterprise or mobility", optarg);
				return -EINVAL;
			}
			break;
		case 's':
			if (lab_parse_u64("--sample", optarg, 1, UINT32_MAX, &opts.sample) < 0)
				return -EINVAL;
			break;
		case 'q':
			opts.quiet = true;
			break;
		case 'w':
			opts.watch = false;
			break;
		case 'Q':
			if (lab_parse_range("--queues", optarg, 0, LAB8_MAX_QUEUES - 1, &a, &b) < 0)
				return -EINVAL;
			opts.direct = true;
			opts.queue_first = (uint16_t)a;
			opts.queue_last = (uint16_t)b;
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
	if (opts.role < 0) {
		LAB_LOG(ERR, "--role is missing: give --role enterprise or --role mobility");
		return -EINVAL;
	}
	return 0;
}

static void
print_counters(const char *why)
{
	uint64_t polls = empty_polls + local.bursts;

	printf("lab8_secondary %s: %s; %" PRIu64 " packets (%" PRIu64 " IPv4, %" PRIu64
		" other), %" PRIu64 " printed, %" PRIu64 " bursts, %.1f%% of polls empty\n",
		lab8_role_name(opts.role), why, local.freed, local.ipv4, local.non_ipv4,
		local.printed, local.bursts, polls ? 100.0 * empty_polls / polls : 0.0);
	if (flow_table != NULL)
		printf("lab8_secondary %s: %s verdicts: %" PRIu64 " allow, %" PRIu64 " deny, %"
			PRIu64 " miss\n", lab8_role_name(opts.role), LAB8_FLOW_TABLE,
			local.policy[LAB8_VERDICT_ALLOW], local.policy[LAB8_VERDICT_DENY],
			local.policy[LAB8_VERDICT_MISS]);
}

/* Leaves without touching shared memory again: the mapping may be stale. */
static void __rte_noreturn
exit_primary_gone(const char *why)
{
	printf("lab8_secondary %s: the primary %s. Stopping without touching shared memory; "
		"exit code %d.\n", lab8_role_name(opts.role), why, LAB8_EXIT_PRIMARY_GONE);
	print_counters("counters at exit");
	fflush(stdout);
	/*
	 * No rte_eal_cleanup(): it takes locks in the primary's shared config
	 * (a dead primary may have held them) and detaches memory the dead
	 * primary's files still back. _exit skips atexit handlers for the same reason.
	 */
	_exit(LAB8_EXIT_PRIMARY_GONE);
}

static void
publish(void)
{
	struct lab8_slot_counters *c = &slot->counters;
	unsigned int v;

	__atomic_store_n(&c->taken, local.taken, __ATOMIC_RELAXED);
	__atomic_store_n(&c->freed, local.freed, __ATOMIC_RELAXED);
	__atomic_store_n(&c->ipv4, local.ipv4, __ATOMIC_RELAXED);
	__atomic_store_n(&c->non_ipv4, local.non_ipv4, __ATOMIC_RELAXED);
	__atomic_store_n(&c->printed, local.printed, __ATOMIC_RELAXED);
	__atomic_store_n(&c->bursts, local.bursts, __ATOMIC_RELAXED);
	for (v = 0; v < LAB8_VERDICT_MAX; v++)
		__atomic_store_n(&c->policy[v], local.policy[v], __ATOMIC_RELAXED);
	__atomic_store_n(&c->gtpu, local.gtpu, __ATOMIC_RELAXED);
}

/* Reads every packet's source address; prints one line per sampled packet. */
static bool
process_burst(struct rte_mbuf **pkts, uint16_t n, uint64_t *countdown)
{
	const char *role = lab8_role_name(opts.role);
	bool printed = false;
	uint16_t i;

	/*
	 * The mbuf headers were last written on the primary's core: ask for
	 * all of them at once, then for the packet data a few packets ahead
	 * (reading data_off to find the data is itself a header access).
	 */
	for (i = 0; i < n; i++)
		rte_prefetch0(pkts[i]);
	for (i = 0; i < n && i < PREFETCH_AHEAD; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (i = 0; i < n; i++) {
		enum lab8_verdict verdict = LAB8_VERDICT_MISS;
		struct lab_pkt_info pi;
		enum lab_pkt_class cls;
		char src[16], dst[16], teid[24];
		int ret;

		if (i + PREFETCH_AHEAD < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + PREFETCH_AHEAD], void *));
		ret = lab_pkt_parse(pkts[i], &pi);
		if (pi.has_ipv4)
			local.ipv4++;
		else
			local.non_ipv4++;
		if (flow_table != NULL && pi.has_ipv4) {
			verdict = lab8_policy_lookup(flow_table, pi.src_ip);
			local.policy[verdict]++;
		}
		local.gtpu += pi.has_gtpu;
		if (opts.quiet || --*countdown != 0)
			continue;
		*countdown = opts.sample;
		cls = lab_pkt_class_of(ret, &pi);
		if (pi.has_gtpu)
			snprintf(teid, sizeof(teid), " teid=%u", pi.tunnel_id);
		else
			teid[0] = '\0';
		if (pi.has_ipv4)
			printf("%s: src=%s dst=%s class=%s len=%u%s%s%s\n", role,
				lab_ipv4_str(pi.src_ip, src, sizeof(src)),
				lab_ipv4_str(pi.dst_ip, dst, sizeof(dst)),
				lab_pkt_class_name(cls), rte_pktmbuf_pkt_len(pkts[i]), teid,
				flow_table ? " verdict=" : "",
				flow_table ? lab8_verdict_name(verdict) : "");
		else
			printf("%s: src=- ethertype=0x%04x class=%s len=%u\n", role,
				pi.ether_type, lab_pkt_class_name(cls),
				rte_pktmbuf_pkt_len(pkts[i]));
		local.printed++;
		printed = true;
	}
	return printed;
}

/*
 * Ring mode: back to the primary, which alone frees into MBUF_POOL; an
 * mbuf that is not plain is marked LAB8_DONE_SLOW, so the primary can put
 * the others back without reading their headers (this lcore just parsed
 * them: the check costs no extra cache miss here). Direct mode: the PMD
 * allocates in this process anyway, so free here.
 */
static inline void
hand_back(struct rte_mbuf **pkts, uint16_t n)
{
	unsigned int i, sent = 0;

	if (done_ring != NULL) {
		void *entries[LAB8_BURST];

		for (i = 0; i < n; i++)
			entries[i] = lab8_mbuf_plain(pkts[i], pool) ? (void *)pkts[i] :
				(void *)((uintptr_t)pkts[i] | LAB8_DONE_SLOW);
		sent = rte_ring_sp_enqueue_burst(done_ring, entries, n, NULL);
	}
	/* Never in ring mode: the ring has room for every mbuf of the pool. */
	if (unlikely(sent < n))
		rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
}

static void
main_loop(void)
{
	struct rte_mbuf *pkts[LAB8_BURST];
	uint64_t countdown = opts.sample;
	uint16_t nb_queues = opts.queue_last - opts.queue_first + 1;
	uint16_t next_queue = 0;
	uint64_t check_period = rte_get_timer_hz() * LAB8_WATCH_MS / 1000;
	uint64_t next_check = rte_get_timer_cycles() + check_period;
	struct lab8_beat beat;
	unsigned int polls = 0;

	lab8_beat_init(&beat, info);
	LAB8_STAGE_START(LAB8_STAGE_TAKE);
	while (!lab_force_quit && watch.gone == NULL) {
		uint16_t n;

		LAB8_STAGE_MARK(LAB8_STAGE_OTHER, 0);

		/*
		 * The watch runs here, on this lcore's CPU, and in the watch
		 * thread: control threads go to the CPUs no lcore uses, which
		 * may be the busiest ones; the thread covers a blocked loop.
		 */
		if (opts.watch && unlikely((++polls & POLLS_PER_CLOCK_READ) == 0) &&
		    rte_get_timer_cycles() >= next_check) {
			const char *why = lab8_primary_check(info, &beat);

			next_check = rte_get_timer_cycles() + check_period;
			if (why != NULL) {
				watch.gone = why;
				break;
			}
		}

		if (opts.direct) {
			n = rte_eth_rx_burst(info->port_id, opts.queue_first + next_queue, pkts,
				LAB8_BURST);
			if (++next_queue == nb_queues)
				next_queue = 0;
		} else {
			n = rte_ring_dequeue_burst(ring, (void **)pkts, LAB8_BURST, NULL);
		}
		LAB8_STAGE_MARK(LAB8_STAGE_TAKE, n);
		if (n == 0) {
			empty_polls++;
			continue;
		}
		local.taken += n;
		local.bursts++;
		__atomic_store_n(&slot->counters.taken, local.taken, __ATOMIC_RELAXED);
		if (process_burst(pkts, n, &countdown))
			fflush(stdout);
		LAB8_STAGE_MARK(LAB8_STAGE_PARSE, n);
		hand_back(pkts, n);
		LAB8_STAGE_MARK(LAB8_STAGE_HAND_BACK, n);
		local.freed += n;
		publish();
		LAB8_STAGE_MARK(LAB8_STAGE_PUBLISH, n);
	}
	watch.loop_done = true;
	LAB8_STAGE_PRINT("lab8_secondary");
}

/*
 * Gives the slot up, on a clean exit or an error path after attaching.
 * LEFT, not FREE: the primary then folds it, which also takes back any
 * queues it granted (possibly just after we stopped waiting for the grant).
 */
static void
release_slot(void)
{
	if (slot != NULL)
		__atomic_store_n(&slot->state, LAB8_SLOT_LEFT, __ATOMIC_RELEASE);
	slot = NULL;
}

/* Direct-queue mode: the queues asked for must be ones the primary set up. */
static int
check_queues(void)
{
	struct rte_eth_dev_info dev_info;
	char name[RTE_DEV_NAME_MAX_LEN];
	int ret;

	/*
	 * A PCI port exists in a secondary only if its EAL probed the device:
	 * with --no-pci (or an -a list without it) the port id is not valid
	 * here. Ring mode never touches the port, so only --queues needs it.
	 */
	if (!rte_eth_dev_is_valid_port(info->port_id)) {
		LAB_LOG(ERR, "--queues: the primary's port %u (%s) was not probed by this "
			"process, so its queues cannot be read here: start the secondary with "
			"the primary's -a list (-a %s) in place of --no-pci, or drop --queues "
			"(ring mode needs no device)", info->port_id, info->port_name,
			info->port_name);
		return -ENODEV;
	}
	/* Port ids follow device names across processes; a mismatch is a bug. */
	if (rte_eth_dev_get_name_by_port(info->port_id, name) < 0 ||
	    strcmp(name, info->port_name) != 0) {
		LAB_LOG(ERR, "--queues: port %u is %s here but %s in the primary: refusing to "
			"read another device's queues", info->port_id, name, info->port_name);
		return -ENODEV;
	}
	ret = rte_eth_dev_info_get(info->port_id, &dev_info);
	if (ret < 0) {
		LAB_LOG(ERR, "--queues: cannot read port %u's device info: %s", info->port_id,
			strerror(-ret));
		return ret;
	}
	/* Reading a queue the primary never set up dereferences a NULL queue. */
	if (opts.queue_last >= info->nb_rxq || opts.queue_last >= dev_info.nb_rx_queues) {
		LAB_LOG(ERR, "--queues %u-%u: port %u has %u rx queues (0-%u) set up by the "
			"primary", opts.queue_first, opts.queue_last, info->port_id,
			RTE_MIN(info->nb_rxq, dev_info.nb_rx_queues),
			RTE_MIN(info->nb_rxq, dev_info.nb_rx_queues) - 1);
		return -EINVAL;
	}
	return 0;
}

/*
 * The course's attach: every shared object is looked up by the name the
 * primary gave it (lab8_shared.h); a secondary never creates one.
 */
static int
attach(void)
{
	const struct rte_memzone *mz;
	int ret;

	mz = rte_memzone_lookup(LAB8_INFO_MZ);
	if (mz == NULL) {
		lab_report_missing("memzone", LAB8_INFO_MZ);
		return -ENOENT;
	}
	info = mz->addr;
	if (info->magic != LAB8_INFO_MAGIC || info->version != LAB8_INFO_VERSION) {
		LAB_LOG(ERR, "memzone %s has magic 0x%x version %u, expected 0x%x version %u: "
			"rebuild both programs from the same tree", LAB8_INFO_MZ, info->magic,
			info->version, LAB8_INFO_MAGIC, LAB8_INFO_VERSION);
		return -EPROTO;
	}
	ret = lab8_primary_ready(info);
	if (ret < 0)
		return ret;
	pool = rte_mempool_lookup(LAB8_MBUF_POOL);
	if (pool == NULL) {
		lab_report_missing("mempool", LAB8_MBUF_POOL);
		return -ENOENT;
	}
	/* The pool holds an index into each process's handler table: same name here? */
	ret = lab_mempool_ops_check(pool, info->pool_ops);
	if (ret < 0)
		return ret;
	if (opts.direct) {
		ret = check_queues();
		if (ret < 0)
			return ret;
	} else {
		ring = rte_ring_lookup(lab8_role_ring(opts.role));
		if (ring == NULL) {
			lab_report_missing("ring", lab8_role_ring(opts.role));
			return -ENOENT;
		}
		done_ring = rte_ring_lookup(lab8_role_done_ring(opts.role));
		if (done_ring == NULL) {
			lab_report_missing("ring", lab8_role_done_ring(opts.role));
			return -ENOENT;
		}
	}
	/*
	 * The course's SASE-DP policy, shared by name. Its lookups compute the
	 * hash here (lab8_policy_lookup()): the table's own hash function
	 * pointer is an address in the primary's executable.
	 */
	if (opts.role == LAB8_ROLE_ENTERPRISE)
		flow_table = rte_hash_find_existing(LAB8_FLOW_TABLE);
	ret = lab8_slot_claim(info, &opts, &slot);
	if (ret < 0)
		return ret;
	if (done_ring != NULL) {
		/*
		 * We are its only producer now (lab8_slot_claim() checked): a
		 * predecessor killed inside its enqueue moved the head but not
		 * the tail. Drop that unfinished enqueue, or the primary would
		 * free the half-written slots when our first one completes.
		 */
		__atomic_store_n(&done_ring->prod.head,
			__atomic_load_n(&done_ring->prod.tail, __ATOMIC_ACQUIRE),
			__ATOMIC_RELEASE);
	}
	if (opts.direct) {
		ret = lab8_slot_ask_queues(slot, &opts);
		if (ret < 0) {
			release_slot();
			return ret;
		}
	}
	return 0;
}

static void
print_attached(void)
{
	char lc[64];

	printf("lab8_secondary %s: attached to primary pid %d on --file-prefix=%s, lcores %s, "
		"reading ", lab8_role_name(opts.role), info->primary_pid, lab_file_prefix(),
		lab8_lcores_str(slot->lcores, lc, sizeof(lc)));
	if (opts.direct)
		printf("port %u queues %u-%u directly (direct-queue mode)", info->port_id,
			opts.queue_first, opts.queue_last);
	else
		printf("ring %s", lab8_role_ring(opts.role));
	printf(". Ctrl-C to stop.\n");
	if (!opts.watch)
		printf("lab8_secondary %s: --no-watch: nothing checks whether the primary lives\n",
			lab8_role_name(opts.role));
	if (flow_table != NULL)
		printf("lab8_secondary %s: %s found by name (rte_hash_find_existing): %d "
			"address(es); every IPv4 source is looked up\n", lab8_role_name(opts.role),
			LAB8_FLOW_TABLE, rte_hash_count(flow_table));
	fflush(stdout);
}

/*
 * The EAL of a secondary fails in several ways when its primary is gone (it
 * asks the primary's socket for memory): with the runtime folder still there,
 * say that no primary owns it rather than guess at hugepages.
 */
static void
explain_no_attach(void)
{
	if (lab8_primary_files_orphaned()) {
		LAB_LOG(ERR, "the primary of --file-prefix=%s is not running: %s holds the files "
			"of one that exited or was killed. Start lab8_primary first",
			lab_file_prefix(), rte_eal_get_runtime_dir());
		return;
	}
	fprintf(stderr, "lab8_secondary: cannot attach. Is lab8_primary running with the "
		"same --file-prefix, and are hugepages mounted "
		"(./scripts/labenv.sh status)? "
		"If EAL said 'please use --base-virtaddr', restart the primary with "
		"--base-virtaddr=0x200000000000 (docs/lab8.md).\n");
}

int
main(int argc, char **argv)
{
	int ret;

	ret = lab_eal_init(argc, argv, "lab8_secondary");
	lab8_primary_lock_path_init();
	if (ret < 0) {
		explain_no_attach();
		return 1;
	}
	argc -= ret;
	argv += ret;
	if (rte_eal_process_type() != RTE_PROC_SECONDARY) {
		LAB_LOG(ERR, "no primary runs with --file-prefix=%s (--proc-type=auto made this a "
			"primary): start lab8_primary first", lab_file_prefix());
		lab_eal_cleanup();
		return 1;
	}
	/*
	 * A primary that exited, or was SIGKILLed, leaves its runtime and hugepage
	 * files behind and the EAL may attach to them without a word: ask whether
	 * it still lives.
	 */
	if (!lab8_primary_alive()) {
		LAB_LOG(ERR, "the primary of --file-prefix=%s is not running: the files in %s are "
			"left over from a primary that exited or was killed. Start lab8_primary "
			"again (it takes them over) or remove them: ./scripts/labenv.sh clean %s",
			lab_file_prefix(), rte_eal_get_runtime_dir(), lab_file_prefix());
		/* No rte_eal_cleanup(): it would take locks the dead primary may hold. */
		return 1;
	}
	if (parse_args(argc, argv) < 0)
		goto fail;
	if (attach() < 0)
		goto fail;

	if (opts.watch && lab8_watch_start(&watch, info, lab8_role_name(opts.role)) < 0) {
		release_slot();
		goto fail;
	}
	/* One write per burst, not per line, when the output is a pipe or a file. */
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	print_attached();

	main_loop();

	if (watch.gone != NULL)
		exit_primary_gone(watch.gone);

	/* Clean exit: nothing is held mid-burst; hand back this lcore's cache too. */
	if (pool->cache_size != 0)
		rte_mempool_cache_flush(rte_mempool_default_cache(pool, rte_lcore_id()), pool);
	if (opts.watch) {
		lab8_watch_stop(&watch);
		if (watch.gone != NULL)
			exit_primary_gone(watch.gone);
	}
	publish();
	print_counters("stopped");
	fflush(stdout);
	release_slot();
	lab_eal_cleanup();
	return 0;

fail:
	lab_eal_cleanup();
	return 1;
}
