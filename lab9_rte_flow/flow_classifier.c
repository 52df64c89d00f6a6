/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lab 9: rte_flow classifier. Rules in testpmd's "flow create" syntax are
 * validated and created on the port (or applied on the CPU with
 * --fallback software); every packet received is classified again in
 * software and counted in a queue x class matrix, so the student sees
 * where the NIC really put each kind of traffic.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_flow.h>
#include <rte_mbuf.h>

#include "flow_lab.h"
#include "lab_eal.h"
#include "lab_log.h"
#include "lab_mempool.h"
#include "lab_opts.h"
#include "lab_pkt.h"
#include "lab_port.h"

#define NB_MBUFS 8191
#define MAX_CLI_RULES 64
#define RX_IDLE_POLLS 1024
#define RX_IDLE_SLEEP_US 200

/* Which rx queues each worker lcore polls. */
struct rx_assignment {
	uint16_t queues[FLOW_MAX_QUEUES];
	uint16_t nb_queues;
};

static struct rx_assignment assignment[RTE_MAX_LCORE];
static uint16_t port_id;
static uint16_t nb_rx_queues;
static volatile bool workers_stop;
/* --bench: receive and free only, the cost every packet has without classification. */
static volatile bool rx_only;

static struct {
	const char *rules[MAX_CLI_RULES];
	unsigned int nb_rules;
	const char *rules_file;
	const char *report;
	bool interactive;
	bool probe;
	bool fallback_software;
	bool linear;
	uint64_t duration_s;
	uint64_t bench_s;
	uint64_t port;
	uint64_t rxq;
} opt = { .rxq = FLOW_DEFAULT_QUEUES };

static void
usage(const char *prog)
{
	printf("Usage: %s [EAL options] -- [--rule RULE]... [--rules FILE] [--report FILE]\n"
		"       [--interactive] [--probe] [--fallback software] [--port N] [--rxq N]\n"
		"       [--matcher acl|linear] [--duration S]\n"
		"  --rule RULE         testpmd syntax after \"flow create 0\", e.g.\n"
		"                      \"ingress priority 1 pattern eth / ipv4 / tcp "
		"dst is 443 / end actions queue index 0 / end\"\n"
		"  --rules FILE        one rule (or prompt command) per line; # comments\n"
		"  --report FILE       JSON matrix and checks, written at quit, SIGINT or SIGTERM\n"
		"  --interactive       prompt: flow validate|create|destroy|list|flush, "
		"show matrix, reset, quit\n"
		"  --probe             table of the course's rule patterns and actions "
		"on this port\n"
		"  --fallback software apply the rules on the CPU when the port cannot\n"
		"  --matcher acl|linear software rules compiled into rte_acl (default), or\n"
		"                      applied rule by rule (the reference, for comparison)\n"
		"  --port N            port to use (default 0)\n"
		"  --rxq N             rx and tx queues, 2-%d (default %d; software mode: the\n"
		"                      virtual queues; net_pcap: one rx queue per rx_pcap=)\n"
		"  --duration S        quit after S seconds (default: at quit / SIGINT / SIGTERM)\n"
		"  --bench S           measure S s receive-only, then S s with the software "
		"rules\n",
		prog, FLOW_MAX_QUEUES, FLOW_DEFAULT_QUEUES);
}

static int
parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "rule", required_argument, NULL, 'r' },
		{ "rules", required_argument, NULL, 'R' },
		{ "report", required_argument, NULL, 'o' },
		{ "interactive", no_argument, NULL, 'i' },
		{ "probe", no_argument, NULL, 'p' },
		{ "fallback", required_argument, NULL, 'f' },
		{ "matcher", required_argument, NULL, 'm' },
		{ "port", required_argument, NULL, 'P' },
		{ "rxq", required_argument, NULL, 'q' },
		{ "duration", required_argument, NULL, 'd' },
		{ "bench", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct flow_rule *rule;
	char origin[32];
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (opt.nb_rules == MAX_CLI_RULES) {
				LAB_LOG(ERR, "--rule: at most %d rules on the command line; use "
					"--rules FILE", MAX_CLI_RULES);
				return -EINVAL;
			}
			/* Syntax first, before any set-up; the port judges the rest later. */
			snprintf(origin, sizeof(origin), "--rule %u", opt.nb_rules + 1);
			rule = flow_rule_parse(optarg, origin, stdout);
			if (rule == NULL)
				return -EINVAL;
			free(rule);
			opt.rules[opt.nb_rules++] = optarg;
			break;
		case 'R':
			if (lab_check_readable("--rules", optarg) < 0)
				return -EINVAL;
			opt.rules_file = optarg;
			break;
		case 'o':
			/* Written at the end: a bad path must not cost the whole run. */
			if (lab_check_writable("--report", optarg) < 0)
				return -EINVAL;
			opt.report = optarg;
			break;
		case 'i':
			opt.interactive = true;
			break;
		case 'p':
			opt.probe = true;
			break;
		case 'f':
			if (flow_fallback_parse(optarg, &opt.fallback_software) < 0)
				return -EINVAL;
			break;
		case 'm':
			if (strcmp(optarg, "acl") != 0 && strcmp(optarg, "linear") != 0) {
				LAB_LOG(ERR, "--matcher: '%s' is not 'acl' or 'linear'", optarg);
				return -EINVAL;
			}
			opt.linear = strcmp(optarg, "linear") == 0;
			break;
		case 'P':
			if (lab_parse_u64("--port", optarg, 0, RTE_MAX_ETHPORTS - 1, &opt.port) < 0)
				return -EINVAL;
			break;
		case 'q':
			if (lab_parse_u64("--rxq", optarg, 2, FLOW_MAX_QUEUES, &opt.rxq) < 0)
				return -EINVAL;
			break;
		case 'd':
			if (lab_parse_u64("--duration", optarg, 1, 86400, &opt.duration_s) < 0)
				return -EINVAL;
			break;
		case 'b':
			if (lab_parse_u64("--bench", optarg, 1, 3600, &opt.bench_s) < 0)
				return -EINVAL;
			break;
		case 'h':
			usage(argv[0]);
			exit(0);
		default:
			return lab_opt_error(c, argv);
		}
	}
	if (optind < argc) {
		LAB_LOG(ERR, "unexpected argument '%s' (rules go in --rule \"...\")", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

static int
rx_worker(void *arg)
{
	const struct rx_assignment *as = &assignment[rte_lcore_id()];
	bool software = flow_table_mode() == FLOW_MODE_SOFTWARE;
	struct rte_mbuf *bufs[FLOW_BURST];
	unsigned int idle = 0;
	uint16_t i, n;

	RTE_SET_USED(arg);
	while (!workers_stop) {
		struct flow_matrix *mx = flow_matrix_poll(rte_lcore_id());

		for (i = 0; i < as->nb_queues; i++) {
			n = rte_eth_rx_burst(port_id, as->queues[i], bufs, FLOW_BURST);
			if (n > 0 && rx_only) {
				mx->rx_only_packets += n;
				rte_pktmbuf_free_bulk(bufs, n);
				idle = 0;
			} else if (n > 0) {
				flow_matrix_count_burst(mx, as->queues[i], bufs, n, software);
				idle = 0;
			}
		}
		/*
		 * A lab port is idle most of the time, and its lcore may share a CPU
		 * with the traffic generator (UML has one CPU): back off when idle.
		 */
		if (++idle > RX_IDLE_POLLS)
			rte_delay_us_sleep(RX_IDLE_SLEEP_US);
	}
	return 0;
}

static int
load_rules(void)
{
	struct flow_rule *r;
	unsigned int i;
	char origin[32];
	int ret;

	if (opt.rules_file != NULL) {
		ret = flow_rules_file_load(opt.rules_file, stdout);
		if (ret < 0)
			return ret;
	}
	for (i = 0; i < opt.nb_rules; i++) {
		snprintf(origin, sizeof(origin), "--rule %u", i + 1);
		printf("rule %u: %s\n", i + 1, opt.rules[i]);
		r = flow_rule_parse(opt.rules[i], origin, stdout);
		if (r == NULL)
			return -EINVAL;
		ret = flow_table_create(r, stdout);
		if (ret < 0) {
			printf("%s refused; not starting (the rules asked for would not be in "
				"force)\n", origin);
			return ret;
		}
	}
	return 0;
}

static int
start_workers(void)
{
	unsigned int lcore, nb_workers = 0, w = 0;
	unsigned int workers[RTE_MAX_LCORE];
	uint16_t q;
	int ret;

	RTE_LCORE_FOREACH_WORKER(lcore)
		workers[nb_workers++] = lcore;
	if (nb_workers == 0) {
		LAB_LOG(ERR, "no worker lcore to poll the rx queues: give two lcores, "
			"e.g. -l 0-1 (or --lcores=0@0,1@0 on one CPU)");
		return -EINVAL;
	}
	for (q = 0; q < nb_rx_queues; q++) {
		struct rx_assignment *as = &assignment[workers[w]];

		as->queues[as->nb_queues++] = q;
		w = (w + 1) % nb_workers;
	}
	for (w = 0; w < nb_workers; w++) {
		struct rx_assignment *as = &assignment[workers[w]];
		char list[64] = "";

		if (as->nb_queues == 0)
			continue;
		for (q = 0; q < as->nb_queues; q++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%u",
				q ? "," : "", as->queues[q]);
		flow_matrix_register(workers[w]);
		ret = rte_eal_remote_launch(rx_worker, NULL, workers[w]);
		if (ret < 0) {
			LAB_LOG(ERR, "cannot launch the rx loop on lcore %u: %s", workers[w],
				strerror(-ret));
			return ret;
		}
		printf("lcore %u polls rx queue(s) %s\n", workers[w], list);
	}
	return 0;
}

static int
setup_port(struct rte_mempool **pool)
{
	struct lab_port_conf conf;
	struct rte_eth_dev_info info;
	int ret;

	port_id = (uint16_t)opt.port;
	ret = lab_port_info_get(port_id, &info);
	if (ret < 0)
		return ret;
	*pool = lab_mbuf_pool_create("LAB9_MBUF_POOL", NB_MBUFS, port_id);
	if (*pool == NULL)
		return -ENOMEM;
	lab_port_conf_default(&conf, (uint16_t)opt.rxq);
	/* net_pcap has one rx queue per rx_pcap=: the software mode's queues are virtual. */
	conf.nb_rxq = RTE_MIN((uint16_t)opt.rxq, info.max_rx_queues);
	conf.nb_txq = RTE_MIN((uint16_t)opt.rxq, info.max_tx_queues);
	if (conf.nb_txq == 0)
		conf.nb_txq = 1;
	conf.link_wait_ms = 1000;
	if (conf.nb_rxq < opt.rxq)
		printf("port %u (%s) has %u rx queue(s), not %" PRIu64 ": only the software "
			"mode's virtual queues can show a %" PRIu64 "-queue matrix\n", port_id,
			info.driver_name, conf.nb_rxq, opt.rxq, opt.rxq);
	nb_rx_queues = conf.nb_rxq;
	return lab_port_init(port_id, &conf, *pool, NULL);
}

static int
choose_mode(void)
{
	enum flow_mode mode;
	int ret;

	ret = flow_probe_mode(port_id, opt.fallback_software, stdout, &mode);
	/* --probe shows the table on a port that cannot create rules too. */
	if (ret < 0 && !opt.probe)
		return ret;
	if (ret == 0 && mode == FLOW_MODE_HARDWARE && nb_rx_queues < opt.rxq) {
		printf("port %u has %u rx queues: hardware mode needs %" PRIu64 " (--rxq)\n",
			port_id, nb_rx_queues, opt.rxq);
		return -EINVAL;
	}
	ret = flow_table_init(port_id, mode, mode == FLOW_MODE_SOFTWARE ?
		(uint16_t)opt.rxq : nb_rx_queues);
	if (ret < 0)
		return ret;
	flow_table_set_matcher(opt.linear ? FLOW_SOFT_LINEAR : FLOW_SOFT_ACL);
	printf("keeping unclassified traffic off queue 0 while rules are installed: %s\n",
		flow_reserve_method_name());
	return 0;
}

/* One --bench phase: counters zeroed, S seconds, then what the rx lcore did. */
static void
bench_phase(bool only_rx, struct flow_matrix *sum, double *seconds)
{
	uint64_t t0, t1;

	rx_only = only_rx;
	flow_matrix_reset();
	t0 = rte_get_timer_cycles();
	while (!lab_force_quit && rte_get_timer_cycles() - t0 < opt.bench_s * rte_get_timer_hz())
		rte_delay_us_sleep(10 * 1000);
	flow_matrix_total(sum);
	t1 = rte_get_timer_cycles();
	*seconds = (double)(t1 - t0) / rte_get_timer_hz();
}

/*
 * --bench: the same lcore first only receives and frees, then also runs
 * the verification classifier and the software rules. The rx lcore never
 * idles on an infinite_rx pcap, so its cycles per packet are its
 * cycles per second over the packet rate.
 */
static void
run_bench(void)
{
	struct flow_matrix a, b;
	double sa, sb, hz = (double)rte_get_tsc_hz();
	uint64_t pb;
	unsigned int lcore, q, c, rx_lcores = 0;

	RTE_LCORE_FOREACH_WORKER(lcore)
		rx_lcores += assignment[lcore].nb_queues > 0;
	printf("\nbenchmark: %" PRIu64 " s per phase, %u rx lcore(s), %u rule(s), flow mode %s\n",
		opt.bench_s, rx_lcores, flow_table_count(),
		flow_table_mode() == FLOW_MODE_SOFTWARE ? "software" : "hardware");
	if (flow_table_mode() == FLOW_MODE_SOFTWARE)
		printf("software matcher: %s\n", flow_table_matcher_name());
	lab_print_platform(stdout);
	bench_phase(true, &a, &sa);
	bench_phase(false, &b, &sb);
	rx_only = false;
	pb = 0;
	for (q = 0; q < flow_table_nb_queues(); q++)
		for (c = 0; c < LAB_CLASS_MAX; c++)
			pb += b.queue[q].class_packets[c];
	pb += b.soft_dropped;
	printf("%-44s %12s %14s\n", "phase", "Mpps", "cycles/packet");
	printf("%-44s %12.3f %14.1f\n", "receive + free only", a.rx_only_packets / sa / 1e6,
		a.rx_only_packets ? hz * sa * rx_lcores / a.rx_only_packets : 0.0);
	printf("%-44s %12.3f %14.1f\n", "receive + classify + software rules + count",
		pb / sb / 1e6, pb ? hz * sb * rx_lcores / pb : 0.0);
	printf("%-44s %12s %14.1f\n", "  of which rule matching (rdtsc around it)", "",
		b.classified ? (double)b.classify_cycles / b.classified : 0.0);
	printf("%-44s %12s %14.1f\n", "  rule matching, median burst (unpreempted)", "",
		flow_matrix_match_median(&b));
	printf("%-44s %12s %14.1f\n", "  then the RSS spread of the rest (rdtsc)", "",
		b.classified ? (double)b.spread_cycles / b.classified : 0.0);
	printf("rule matching is what a NIC applying the same rules in hardware saves the CPU; "
		"the rest of the difference is the lab's own verification (parse + count)\n");
}

static void
wait_for_quit(void)
{
	uint64_t hz = rte_get_timer_hz();
	uint64_t deadline = opt.duration_s ? rte_get_timer_cycles() + opt.duration_s * hz : 0;

	while (!lab_force_quit && !flow_cli_quit) {
		if (deadline && rte_get_timer_cycles() >= deadline)
			break;
		rte_delay_us_sleep(20 * 1000);
	}
}

int
main(int argc, char **argv)
{
	struct rte_mempool *pool = NULL;
	bool port_started = false;
	int ret, status = EXIT_FAILURE;
	unsigned int lcore;

	/* Tests and tmux drive the prompt through pipes: one line at a time. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	ret = lab_eal_init(argc, argv, "lab9");
	if (ret < 0)
		return EXIT_FAILURE;
	argc -= ret;
	argv += ret;
	if (parse_args(argc, argv) < 0)
		goto out;
	ret = setup_port(&pool);
	if (ret < 0)
		goto out;
	port_started = true;
	ret = choose_mode();
	if (ret < 0)
		goto out;
	if (opt.probe) {
		flow_probe_table(port_id, stdout);
		if (opt.nb_rules == 0 && opt.rules_file == NULL && !opt.interactive) {
			status = EXIT_SUCCESS;
			goto out;
		}
	}
	if (load_rules() < 0)
		goto out_rules;
	if (start_workers() < 0)
		goto out_rules;
	printf("ready: %u rule(s) installed, flow mode %s; %s\n", flow_table_count(),
		flow_table_mode() == FLOW_MODE_SOFTWARE ? "software" : "hardware",
		opt.interactive ? "type 'help'" : "Ctrl-C prints the matrix and quits");
	if (opt.bench_s)
		run_bench();
	else if (opt.interactive && flow_cli_run() < 0)
		goto out_workers;
	else if (!opt.interactive)
		wait_for_quit();
	status = EXIT_SUCCESS;
out_workers:
	workers_stop = true;
	RTE_LCORE_FOREACH_WORKER(lcore)
		rte_eal_wait_lcore(lcore);
	printf("\n");
	flow_matrix_print(stdout);
	if (opt.report != NULL && flow_matrix_report(opt.report) < 0)
		status = EXIT_FAILURE;
out_rules:
	flow_table_fini();
out:
	/* Closing the port frees memory: it can wait on a lock a dead process holds. */
	lab_cleanup_deadline();
	if (port_started)
		lab_port_close(port_id);
	lab_eal_cleanup();
	return status;
}
