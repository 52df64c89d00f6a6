/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * numa_check: is this DPDK set-up NUMA-correct, and what does a remote
 * access cost here?
 *
 *   numa_check -l 0-1 --no-pci --vdev=net_null0 -- [--pollers 0:1] [--strict]
 *              [--wrong-socket] [--latency] [--sweep] [--json FILE] [--topology FILE]
 *
 * Prints the topology, audits where each port's objects should be and are
 * (the course's allocation table), suggests an lcore plan, and measures the
 * (lcore socket x memory socket) latency matrix.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_lcore.h>

#include "lab_eal.h"
#include "lab_log.h"
#include "lab_opts.h"
#include "numa_check.h"

#define NUMA_MAX_POLLER_OPTS 64

struct numa_options {
	const char *topology_file;
	const char *json_file;
	bool strict;
	bool wrong_socket;
	bool latency;
	bool self_test;
	unsigned int nb_queues;
	unsigned int nb_pollers;
	const char *pollers[NUMA_MAX_POLLER_OPTS];
	struct numa_latency_opts lat;
};

static void
numa_usage(const char *prog)
{
	printf("Usage: %s EAL-OPTIONS -- [OPTIONS]\n"
		"  --pollers PORT:LCORES  lcores that poll PORT, e.g. 0:2-3 (repeatable;\n"
		"                         default: every worker lcore polls every port)\n"
		"  --queues N             queues per port in the plan (default: one per poller)\n"
		"  --strict               exit %d when anything is cross-NUMA\n"
		"  --wrong-socket         put each mbuf pool on another socket, on purpose\n"
		"  --topology FILE        audit a machine described in JSON instead of this one\n"
		"  --json FILE            write the whole report as JSON\n"
		"  --latency              measure the (lcore socket x memory socket) matrix\n"
		"  --sweep                also sweep buffer sizes (L1/L2/L3/DRAM);\n"
		"                         implies --latency\n"
		"  --buffer-mib N         latency buffer (default 8 x the LLC)\n"
		"  --reps N               timed repetitions per cell (default 7)\n"
		"  --loads N              loads per repetition (default one whole cycle)\n"
		"  --self-test            check that the chase cycle covers every line once\n",
		prog, NUMA_EXIT_CROSS_NUMA);
}

static int
numa_parse_args(int argc, char **argv, struct numa_options *o)
{
	enum { OPT_TOPOLOGY = 256, OPT_JSON, OPT_STRICT, OPT_WRONG, OPT_LATENCY, OPT_SWEEP,
		OPT_BUFFER, OPT_REPS, OPT_LOADS, OPT_POLLERS, OPT_QUEUES, OPT_SELF_TEST, OPT_HELP };
	static const struct option longopts[] = {
		{ "topology", required_argument, NULL, OPT_TOPOLOGY },
		{ "json", required_argument, NULL, OPT_JSON },
		{ "strict", no_argument, NULL, OPT_STRICT },
		{ "wrong-socket", no_argument, NULL, OPT_WRONG },
		{ "latency", no_argument, NULL, OPT_LATENCY },
		{ "sweep", no_argument, NULL, OPT_SWEEP },
		{ "buffer-mib", required_argument, NULL, OPT_BUFFER },
		{ "reps", required_argument, NULL, OPT_REPS },
		{ "loads", required_argument, NULL, OPT_LOADS },
		{ "pollers", required_argument, NULL, OPT_POLLERS },
		{ "queues", required_argument, NULL, OPT_QUEUES },
		{ "self-test", no_argument, NULL, OPT_SELF_TEST },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int opt;

	o->lat.reps = 7;
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_TOPOLOGY:
			o->topology_file = optarg;
			break;
		case OPT_JSON:
			/* Written last: a bad path must not cost the whole audit. */
			if (lab_check_writable("--json", optarg) < 0)
				return -EINVAL;
			o->json_file = optarg;
			break;
		case OPT_STRICT:
			o->strict = true;
			break;
		case OPT_WRONG:
			o->wrong_socket = true;
			break;
		case OPT_SWEEP:
			/* A sweep is part of the latency report. */
			o->lat.sweep = true;
			o->latency = true;
			break;
		case OPT_LATENCY:
			o->latency = true;
			break;
		case OPT_BUFFER:
			if (lab_parse_u64("--buffer-mib", optarg, 1, 65536, &v) < 0)
				return -EINVAL;
			o->lat.buffer_bytes = v << 20;
			break;
		case OPT_REPS:
			if (lab_parse_u64("--reps", optarg, 1, 1000, &v) < 0)
				return -EINVAL;
			o->lat.reps = (unsigned int)v;
			break;
		case OPT_LOADS:
			if (lab_parse_u64("--loads", optarg, 1000, 10000000000ULL, &v) < 0)
				return -EINVAL;
			o->lat.loads = v;
			break;
		case OPT_QUEUES:
			if (lab_parse_u64("--queues", optarg, 1, NUMA_MAX_PLAN_QUEUES, &v) < 0)
				return -EINVAL;
			o->nb_queues = (unsigned int)v;
			break;
		case OPT_POLLERS:
			if (o->nb_pollers == NUMA_MAX_POLLER_OPTS) {
				LAB_LOG(ERR, "--pollers: at most %d of them", NUMA_MAX_POLLER_OPTS);
				return -EINVAL;
			}
			o->pollers[o->nb_pollers++] = optarg;
			break;
		case OPT_SELF_TEST:
			o->self_test = true;
			break;
		case OPT_HELP:
			numa_usage(argv[0]);
			return 1;
		default:
			return lab_opt_error(opt, argv);
		}
	}
	if (lab_opt_no_extra(argc, argv) < 0)
		return -EINVAL;
	if (o->topology_file != NULL && (o->latency || o->self_test)) {
		LAB_LOG(ERR, "--latency/--sweep/--self-test measure this machine: they cannot be "
			"combined with --topology");
		return -EINVAL;
	}
	return 0;
}

static const char *
numa_socket_str(int socket, char *buf, size_t len)
{
	if (socket == NUMA_SOCKET_ANY)
		snprintf(buf, len, "-1 (SOCKET_ID_ANY)");
	else if (socket == NUMA_SOCKET_UNKNOWN)
		snprintf(buf, len, "not known");
	else
		snprintf(buf, len, "socket %d", socket);
	return buf;
}

static void
numa_print_topology(const struct numa_topology *topo)
{
	unsigned int i, j;
	char buf[256];

	printf("== topology (%s) ==\n", strcmp(topo->source, "EAL") == 0 ?
		"from the EAL and sysfs: this machine" : topo->source);
	printf("sockets: %u (", topo->nb_sockets);
	for (i = 0; i < topo->nb_sockets; i++)
		printf("%s%d", i ? ", " : "", topo->socket_ids[i]);
	printf(")\n");
	for (i = 0; i < topo->nb_lcores; i++)
		printf("lcore %u -> socket %d%s\n", topo->lcores[i].lcore_id,
			topo->lcores[i].socket,
			topo->lcores[i].lcore_id == topo->main_lcore ? " (main)" : "");
	for (i = 0; i < topo->nb_sockets; i++) {
		unsigned int ids[NUMA_MAX_LCORES], n = 0;

		for (j = 0; j < topo->nb_cpus; j++)
			if (topo->cpus[j].socket == topo->socket_ids[i])
				ids[n++] = topo->cpus[j].lcore_id;
		numa_lcore_list_format(ids, n, buf, sizeof(buf));
		printf("socket %d cpus: %s\n", topo->socket_ids[i], n ? buf : "none");
	}
	if (topo->nb_ports == 0)
		printf("ports: none (add --vdev=net_null0, or -a a NIC's PCI address)\n");
	for (i = 0; i < topo->nb_ports; i++) {
		const struct numa_port *p = &topo->ports[i];

		if (p->socket >= 0)
			printf("port %u (%s) -> socket %d\n", p->port_id, p->name, p->socket);
		else
			printf("port %u (%s) -> socket -1 = SOCKET_ID_ANY: a virtual device "
				"sits on no socket; objects made for it land where the creating "
				"lcore is\n", p->port_id, p->name);
	}
	if (topo->has_hugepages) {
		bool eal = strcmp(topo->source, "EAL") == 0;

		for (i = 0; i < topo->nb_sockets; i++) {
			printf("hugepages socket %d: %" PRIu64 " MiB reserved, %" PRIu64
				" MiB free", topo->socket_ids[i], topo->hugepage_total[i] >> 20,
				topo->hugepage_free[i] >> 20);
			if (eal)
				printf(" (sysfs); this process's EAL heap %" PRIu64 " MiB",
					topo->heap_bytes[i] >> 20);
			printf("\n");
		}
	} else {
		printf("hugepages: per-socket figures not known\n");
	}
	if (!topo->has_distances) {
		printf("distances: not given\n");
		return;
	}
	printf("distances (firmware, /sys/devices/system/node/node*/distance; 10 = local):\n");
	printf("%10s", "");
	for (j = 0; j < topo->nb_sockets; j++)
		printf(" %6s%-3d", "node", topo->socket_ids[j]);
	printf("\n");
	for (i = 0; i < topo->nb_sockets; i++) {
		printf("    node%-3d", topo->socket_ids[i]);
		for (j = 0; j < topo->nb_sockets; j++)
			printf(" %9u", topo->distances[i][j]);
		printf("\n");
	}
}

static void
numa_print_row(const char *what, int should, const char *why, int is)
{
	char a[32], b[32], c[48];

	snprintf(c, sizeof(c), "%s (%s)", numa_socket_str(should, a, sizeof(a)), why);
	printf("  %-13s %-32s %s%s\n", what, c, numa_socket_str(is, b, sizeof(b)),
		is >= 0 && should >= 0 && is != should ? "  <-- cross-NUMA" : "");
}

static void
numa_print_audit(const struct numa_topology *topo, const struct numa_findings *f)
{
	unsigned int i, j;
	char buf[256];

	printf("\n== placement audit (course: pool and queues on the NIC's socket, rings and "
		"tables on their lcores' socket) ==\n");
	for (i = 0; i < topo->nb_ports; i++) {
		const struct numa_port *p = &topo->ports[i];
		int home = numa_port_home_socket(topo, p);
		int users = numa_port_poller_socket(topo, p);
		const char *whose = p->socket >= 0 ? "NIC's" : "pollers'";

		numa_lcore_list_format(p->pollers, p->nb_pollers, buf, sizeof(buf));
		printf("port %u (%s), NIC socket %d, polled by lcores %s (on socket", p->port_id,
			p->name, p->socket, buf);
		for (j = 0; j < topo->nb_sockets; j++) {
			unsigned int k;
			bool on = false;

			for (k = 0; k < p->nb_pollers; k++)
				on |= numa_lcore_socket(topo, p->pollers[k]) == topo->socket_ids[j];
			if (on)
				printf(" %d", topo->socket_ids[j]);
		}
		printf("):\n  %-13s %-32s %s\n", "object", "should be on",
			p->actual.read_back ? "is on (read back from the object)" :
			"is on (as the file says, else what common/ would do)");
		numa_print_row("mbuf pool", home, whose, p->actual.pool_socket);
		numa_print_row("rx queues", home, whose, p->actual.rxq_socket);
		numa_print_row("tx queues", home, whose, p->actual.txq_socket);
		numa_print_row("ring", users >= 0 ? users : home,
			users >= 0 ? "pollers'" : "pollers split", p->actual.ring_socket);
		numa_print_row("lookup table", users >= 0 ? users : home,
			users >= 0 ? "pollers'" : "pollers split", p->actual.table_socket);
	}
	printf("findings:\n");
	if (f->count == 0)
		printf("  none\n");
	for (i = 0; i < f->count; i++)
		printf("%s: %s\n", f->items[i].severity == NUMA_WARNING ? "WARNING" : "INFO",
			f->items[i].message);
}

static void
numa_print_plan(const struct numa_plan *plan)
{
	unsigned int i, q;

	printf("\n== lcore plan: each port polled from its own socket ==\n");
	for (i = 0; i < plan->nb_ports; i++) {
		const struct numa_plan_port *pp = &plan->ports[i];

		printf("port %u (socket %d):", pp->port_id, pp->socket);
		for (q = 0; q < pp->nb_queues; q++)
			printf("%s queue %u -> lcore %u", q ? "," : "", q, pp->queue_lcore[q]);
		printf("%s\n", pp->remote ? "  (no lcore on that socket: nearest socket, "
			"cross-NUMA)" : "");
	}
	printf("suggested EAL lcores: -l %s (main lcore %u)\n", plan->lcore_list,
		plan->main_lcore);
}

/* --topology: the placement is described or modelled, --wrong-socket simulated. */
static void
numa_file_placement(struct numa_topology *topo, bool wrong_socket, struct numa_findings *f)
{
	unsigned int i;

	for (i = 0; i < topo->nb_ports; i++) {
		struct numa_port *p = &topo->ports[i];

		if (wrong_socket) {
			int home = numa_port_home_socket(topo, p);
			int other = numa_other_socket(topo, home);

			if (other == NUMA_SOCKET_UNKNOWN) {
				/* Said once: it holds for every port alike. */
				if (i == 0)
					numa_finding_add(f, NUMA_INFO, "--wrong-socket: this "
						"machine has one NUMA socket (%d): there is no "
						"other socket to put the pool on, so it stays on "
						"socket %d", home, home);
			} else {
				numa_finding_add(f, NUMA_INFO, "--wrong-socket: port %u's pool "
					"deliberately created on socket %d instead of %d",
					p->port_id, other, home);
				p->actual.pool_socket = other;
			}
		}
		numa_placement_model(topo, p);
	}
}

int
main(int argc, char **argv)
{
	static struct numa_topology topo;
	static struct numa_findings findings;
	static struct numa_plan plan;
	static struct numa_latency lat;
	struct numa_options o;
	bool placed = false, measured = false;
	unsigned int i;
	int ret, rc = EXIT_FAILURE;

	memset(&o, 0, sizeof(o));
	ret = lab_eal_init(argc, argv, "numa");
	if (ret < 0)
		return EXIT_FAILURE;
	argc -= ret;
	argv += ret;
	ret = numa_parse_args(argc, argv, &o);
	if (ret != 0) {
		rc = ret > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
		goto out;
	}
	if (o.self_test) {
		uint64_t bytes = o.lat.buffer_bytes ? o.lat.buffer_bytes : 64ULL << 20;

		lab_print_platform(stdout);
		rc = numa_chain_self_test(stdout, bytes) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
		goto out;
	}

	ret = o.topology_file ? numa_topology_from_file(o.topology_file, &topo) :
		numa_topology_from_eal(&topo);
	if (ret < 0)
		goto out;
	for (i = 0; i < o.nb_pollers; i++)
		if (numa_pollers_set(&topo, "--pollers", o.pollers[i]) < 0)
			goto out;
	numa_pollers_default(&topo);

	if (o.topology_file != NULL) {
		numa_file_placement(&topo, o.wrong_socket, &findings);
	} else {
		placed = true;
		if (numa_placement_create(&topo, o.wrong_socket, &findings) < 0)
			goto out;
	}
	numa_audit(&topo, &findings);
	if (numa_plan_make(&topo, o.nb_queues, &plan) < 0) {
		LAB_LOG(ERR, "no lcore to plan with");
		goto out;
	}
	numa_print_topology(&topo);
	numa_print_audit(&topo, &findings);
	numa_print_plan(&plan);

	if (o.latency) {
		if (numa_latency_measure(&topo, &o.lat, &lat) < 0)
			goto out;
		measured = true;
		numa_latency_print(stdout, &topo, &lat);
		if (o.lat.sweep && numa_latency_sweep(stdout, &o.lat) < 0)
			goto out;
	}
	if (o.json_file != NULL &&
	    numa_json_write(o.json_file, &topo, &findings, &plan, measured ? &lat : NULL) < 0)
		goto out;

	printf("\nresult: %u cross-NUMA finding(s)%s\n", findings.warnings,
		o.strict && findings.warnings ? " -- --strict: failing" : "");
	fflush(stdout);
	rc = o.strict && findings.warnings ? NUMA_EXIT_CROSS_NUMA : EXIT_SUCCESS;
out:
	if (placed)
		numa_placement_release(&topo);
	lab_eal_cleanup();
	return rc;
}
