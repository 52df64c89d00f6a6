/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The placement audit and the lcore plan: pure functions over a topology,
 * following the course's allocation table
 *   mbuf pool, Rx/Tx queues -> the NIC's socket (DMA target)
 *   rings, lookup tables    -> the socket of the lcores that use them
 * No EAL call here, so the unit tests run these on any layout.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab_log.h"
#include "lab_opts.h"
#include "numa_check.h"

int
numa_socket_index(const struct numa_topology *topo, int socket_id)
{
	unsigned int i;

	for (i = 0; i < topo->nb_sockets; i++)
		if (topo->socket_ids[i] == socket_id)
			return (int)i;
	return -1;
}

int
numa_lcore_socket(const struct numa_topology *topo, unsigned int lcore_id)
{
	unsigned int i;

	for (i = 0; i < topo->nb_lcores; i++)
		if (topo->lcores[i].lcore_id == lcore_id)
			return topo->lcores[i].socket;
	for (i = 0; i < topo->nb_cpus; i++)
		if (topo->cpus[i].lcore_id == lcore_id)
			return topo->cpus[i].socket;
	return NUMA_SOCKET_UNKNOWN;
}

static bool
numa_lcore_enabled(const struct numa_topology *topo, unsigned int lcore_id)
{
	unsigned int i;

	for (i = 0; i < topo->nb_lcores; i++)
		if (topo->lcores[i].lcore_id == lcore_id)
			return true;
	return false;
}

int
numa_lcore_list_parse(const char *opt, const char *value, unsigned int *ids, unsigned int max,
		unsigned int *count)
{
	bool seen[NUMA_MAX_LCORES] = { false };
	char buf[256];
	char *save = NULL;
	char *part;
	unsigned int i, n = 0;

	if (value == NULL || value[0] == '\0' || strlen(value) >= sizeof(buf)) {
		LAB_LOG(ERR, "%s: '%s' is not an lcore list like 2-3 or 1,4-5", opt,
			value ? value : "");
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", value);
	if (buf[0] == ',' || buf[strlen(buf) - 1] == ',' || strstr(buf, ",,") != NULL) {
		LAB_LOG(ERR, "%s: '%s' is not an lcore list like 2-3 or 1,4-5", opt, value);
		return -EINVAL;
	}
	for (part = strtok_r(buf, ",", &save); part != NULL; part = strtok_r(NULL, ",", &save)) {
		uint64_t first, last, l;

		if (lab_parse_range(opt, part, 0, NUMA_MAX_LCORES - 1, &first, &last) < 0)
			return -EINVAL;
		for (l = first; l <= last; l++)
			seen[l] = true;
	}
	for (i = 0; i < NUMA_MAX_LCORES; i++) {
		if (!seen[i])
			continue;
		if (n == max) {
			LAB_LOG(ERR, "%s: '%s' names more than %u lcores", opt, value, max);
			return -EINVAL;
		}
		ids[n++] = i;
	}
	*count = n;
	return 0;
}

void
numa_lcore_list_format(const unsigned int *ids, unsigned int count, char *buf, size_t len)
{
	unsigned int i = 0;
	size_t pos = 0;

	buf[0] = '\0';
	while (i < count && pos < len) {
		unsigned int j = i;
		int w;

		while (j + 1 < count && ids[j + 1] == ids[j] + 1)
			j++;
		if (j == i)
			w = snprintf(buf + pos, len - pos, "%s%u", pos ? "," : "", ids[i]);
		else
			w = snprintf(buf + pos, len - pos, "%s%u-%u", pos ? "," : "", ids[i],
				ids[j]);
		if (w < 0)
			return;
		pos += (size_t)w;
		i = j + 1;
	}
}

static struct numa_port *
numa_port_find(struct numa_topology *topo, unsigned int port_id)
{
	unsigned int i;

	for (i = 0; i < topo->nb_ports; i++)
		if (topo->ports[i].port_id == port_id)
			return &topo->ports[i];
	return NULL;
}

int
numa_pollers_set(struct numa_topology *topo, const char *opt, const char *value)
{
	unsigned int ids[NUMA_MAX_LCORES];
	struct numa_port *port;
	const char *colon = value ? strchr(value, ':') : NULL;
	char port_str[16];
	unsigned int i, n;
	uint64_t port_id;

	if (colon == NULL || colon == value || (size_t)(colon - value) >= sizeof(port_str)) {
		LAB_LOG(ERR, "%s: '%s' is not PORT:LCORES (e.g. 0:2-3)", opt, value ? value : "");
		return -EINVAL;
	}
	memcpy(port_str, value, colon - value);
	port_str[colon - value] = '\0';
	if (lab_parse_u64(opt, port_str, 0, NUMA_MAX_PORTS - 1, &port_id) < 0)
		return -EINVAL;
	port = numa_port_find(topo, (unsigned int)port_id);
	if (port == NULL) {
		LAB_LOG(ERR, "%s: port %" PRIu64 " does not exist (%u port(s) in %s)", opt,
			port_id, topo->nb_ports, topo->source);
		return -ENODEV;
	}
	if (numa_lcore_list_parse(opt, colon + 1, ids, NUMA_MAX_LCORES, &n) < 0)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (!numa_lcore_enabled(topo, ids[i])) {
			LAB_LOG(ERR, "%s: lcore %u is not enabled (give it to the EAL with -l, "
				"or list it in the topology file)", opt, ids[i]);
			return -EINVAL;
		}
	}
	memcpy(port->pollers, ids, n * sizeof(ids[0]));
	port->nb_pollers = n;
	return 0;
}

void
numa_pollers_default(struct numa_topology *topo)
{
	unsigned int workers[NUMA_MAX_LCORES];
	unsigned int i, nb_workers = 0;

	/* As the course's check does: every worker lcore polls (RTE_LCORE_FOREACH_WORKER). */
	for (i = 0; i < topo->nb_lcores; i++)
		if (topo->lcores[i].lcore_id != topo->main_lcore)
			workers[nb_workers++] = topo->lcores[i].lcore_id;
	if (nb_workers == 0)
		workers[nb_workers++] = topo->main_lcore;
	/* Sorted, as the lists given by options are. */
	for (i = 1; i < nb_workers; i++) {
		unsigned int v = workers[i], j = i;

		while (j > 0 && workers[j - 1] > v) {
			workers[j] = workers[j - 1];
			j--;
		}
		workers[j] = v;
	}
	for (i = 0; i < topo->nb_ports; i++) {
		struct numa_port *port = &topo->ports[i];

		if (port->nb_pollers > 0)
			continue;
		memcpy(port->pollers, workers, nb_workers * sizeof(workers[0]));
		port->nb_pollers = nb_workers;
	}
}

int
numa_port_poller_socket(const struct numa_topology *topo, const struct numa_port *port)
{
	int socket = NUMA_SOCKET_UNKNOWN;
	unsigned int i;

	for (i = 0; i < port->nb_pollers; i++) {
		int s = numa_lcore_socket(topo, port->pollers[i]);

		if (i == 0)
			socket = s;
		else if (s != socket)
			return NUMA_SOCKET_UNKNOWN;
	}
	return socket;
}

int
numa_port_home_socket(const struct numa_topology *topo, const struct numa_port *port)
{
	int socket;

	if (port->socket >= 0)
		return port->socket;
	/* No NIC socket: the lcores that touch the packets decide. */
	socket = numa_port_poller_socket(topo, port);
	if (socket >= 0)
		return socket;
	return numa_lcore_socket(topo, topo->main_lcore);
}

/* Rings and tables follow their users, the pollers, when they agree on a socket. */
static int
numa_port_user_socket(const struct numa_topology *topo, const struct numa_port *port)
{
	int socket = numa_port_poller_socket(topo, port);

	return socket >= 0 ? socket : numa_port_home_socket(topo, port);
}

void
numa_placement_model(const struct numa_topology *topo, struct numa_port *port)
{
	/*
	 * What numa_check's own set-up would do from the main lcore:
	 * lab_mbuf_pool_create() and lab_port_init() use the port's socket, and
	 * for SOCKET_ID_ANY the calling (main) lcore's socket; rings and
	 * tables are created on their users' socket.
	 */
	int creator = port->socket >= 0 ? port->socket :
		numa_lcore_socket(topo, topo->main_lcore);
	struct numa_placement *a = &port->actual;

	if (a->pool_socket == NUMA_SOCKET_UNKNOWN)
		a->pool_socket = creator;
	if (a->rxq_socket == NUMA_SOCKET_UNKNOWN)
		a->rxq_socket = creator;
	if (a->txq_socket == NUMA_SOCKET_UNKNOWN)
		a->txq_socket = creator;
	if (a->ring_socket == NUMA_SOCKET_UNKNOWN)
		a->ring_socket = numa_port_user_socket(topo, port);
	if (a->table_socket == NUMA_SOCKET_UNKNOWN)
		a->table_socket = numa_port_user_socket(topo, port);
}

int
numa_other_socket(const struct numa_topology *topo, int socket)
{
	int idx = numa_socket_index(topo, socket);

	if (topo->nb_sockets < 2)
		return NUMA_SOCKET_UNKNOWN;
	if (idx < 0)
		idx = 0;
	return topo->socket_ids[(idx + 1) % topo->nb_sockets];
}

void
numa_finding_add(struct numa_findings *f, enum numa_severity sev, const char *fmt, ...)
{
	struct numa_finding *item;
	va_list ap;

	if (sev == NUMA_WARNING)
		f->warnings++;
	if (f->count == NUMA_MAX_FINDINGS)
		return;
	item = &f->items[f->count++];
	item->severity = sev;
	va_start(ap, fmt);
	vsnprintf(item->message, sizeof(item->message), fmt, ap);
	va_end(ap);
}

static void
numa_audit_object(struct numa_findings *f, const struct numa_port *port, const char *what,
		int actual, int expected, const char *whose)
{
	if (actual == NUMA_SOCKET_UNKNOWN || actual < 0 || expected < 0 || actual == expected)
		return;
	numa_finding_add(f, NUMA_WARNING,
		"%s of port %u on socket %d, should be on socket %d (%s) — cross-NUMA!",
		what, port->port_id, actual, expected, whose);
}

static void
numa_audit_port(const struct numa_topology *topo, const struct numa_port *port,
		struct numa_findings *f)
{
	int home = numa_port_home_socket(topo, port);
	int users = numa_port_user_socket(topo, port);
	const char *whose = port->socket >= 0 ? "the NIC's socket" : "its pollers' socket";
	unsigned int i;

	if (port->socket < 0)
		numa_finding_add(f, NUMA_INFO,
			"port %u (%s) reports SOCKET_ID_ANY (-1): a virtual device has no NIC "
			"socket, so its pool and queues belong on its pollers' socket, %d",
			port->port_id, port->name, home);
	else if (port->is_virtual)
		numa_finding_add(f, NUMA_INFO,
			"port %u (%s) is a virtual device: its socket %d is the one the EAL probed "
			"it from (rte_socket_id() at probe time), not where a NIC sits",
			port->port_id, port->name, port->socket);

	for (i = 0; i < port->nb_pollers && port->socket >= 0; i++) {
		int s = numa_lcore_socket(topo, port->pollers[i]);

		if (s != port->socket)
			numa_finding_add(f, NUMA_WARNING,
				"lcore %u on socket %d, NIC on socket %d — cross-NUMA!",
				port->pollers[i], s, port->socket);
	}
	if (port->socket < 0 && port->nb_pollers > 0 &&
	    numa_port_poller_socket(topo, port) == NUMA_SOCKET_UNKNOWN)
		numa_finding_add(f, NUMA_WARNING,
			"port %u (%s) has no socket and is polled from several sockets: its pool "
			"and queues can be local to only one of them — cross-NUMA!",
			port->port_id, port->name);

	numa_audit_object(f, port, "mbuf pool", port->actual.pool_socket, home, whose);
	numa_audit_object(f, port, "rx queues", port->actual.rxq_socket, home, whose);
	numa_audit_object(f, port, "tx queues", port->actual.txq_socket, home, whose);
	numa_audit_object(f, port, "ring", port->actual.ring_socket, users,
		"its pollers' socket");
	numa_audit_object(f, port, "lookup table", port->actual.table_socket, users,
		"its pollers' socket");
}

void
numa_audit(const struct numa_topology *topo, struct numa_findings *f)
{
	unsigned int i;

	if (topo->nb_sockets == 1)
		numa_finding_add(f, NUMA_INFO,
			"one NUMA socket (%d): every allocation is local, nothing here can be "
			"cross-NUMA (see a multi-socket layout with --topology FILE or "
			"./scripts/labenv.sh numa-vm)", topo->socket_ids[0]);
	for (i = 0; i < topo->nb_sockets && topo->has_hugepages && topo->nb_sockets > 1; i++) {
		int s = topo->socket_ids[i];
		unsigned int l;
		bool used = false;

		for (l = 0; l < topo->nb_lcores; l++)
			used |= topo->lcores[l].socket == s;
		if (used && topo->hugepage_total[i] == 0)
			numa_finding_add(f, NUMA_WARNING,
				"socket %d has lcores but no hugepages: their objects would come "
				"from another socket — cross-NUMA!", s);
	}
	for (i = 0; i < topo->nb_ports; i++)
		numa_audit_port(topo, &topo->ports[i], f);
}

/* Distance from socket a to b, or 10/20 guesses when the firmware gave none. */
static unsigned int
numa_distance(const struct numa_topology *topo, int a, int b)
{
	int ia = numa_socket_index(topo, a), ib = numa_socket_index(topo, b);

	if (topo->has_distances && ia >= 0 && ib >= 0)
		return topo->distances[ia][ib];
	return a == b ? 10 : 20;
}

int
numa_plan_make(const struct numa_topology *topo, unsigned int nb_queues, struct numa_plan *plan)
{
	const struct numa_lcore *cand = topo->nb_cpus ? topo->cpus : topo->lcores;
	unsigned int nb_cand = topo->nb_cpus ? topo->nb_cpus : topo->nb_lcores;
	unsigned int uses[NUMA_MAX_LCORES] = { 0 };
	bool chosen[NUMA_MAX_LCORES] = { false };
	unsigned int list[NUMA_MAX_LCORES];
	unsigned int i, q, n = 0;

	memset(plan, 0, sizeof(*plan));
	if (nb_cand == 0)
		return -EINVAL;
	plan->main_lcore = topo->main_lcore;
	chosen[plan->main_lcore % NUMA_MAX_LCORES] = true;

	for (i = 0; i < topo->nb_ports; i++) {
		const struct numa_port *port = &topo->ports[i];
		struct numa_plan_port *pp = &plan->ports[plan->nb_ports++];
		int want = numa_port_home_socket(topo, port);
		int pick_socket = want;
		unsigned int c, best_dist = ~0u;
		bool any_local = false;

		pp->port_id = port->port_id;
		pp->socket = want;
		pp->nb_queues = nb_queues ? nb_queues :
			(port->nb_pollers ? port->nb_pollers : 1);
		if (pp->nb_queues > NUMA_MAX_PLAN_QUEUES)
			pp->nb_queues = NUMA_MAX_PLAN_QUEUES;

		for (c = 0; c < nb_cand; c++)
			any_local |= cand[c].socket == want;
		if (!any_local) {
			/* Nothing on the NIC's socket: the nearest socket, and say so. */
			pp->remote = true;
			for (c = 0; c < nb_cand; c++) {
				unsigned int d = numa_distance(topo, want, cand[c].socket);

				if (d < best_dist) {
					best_dist = d;
					pick_socket = cand[c].socket;
				}
			}
		}
		for (q = 0; q < pp->nb_queues; q++) {
			int best = -1;
			unsigned int pass;

			/* Workers first; the main lcore only when its socket has nothing else. */
			for (pass = 0; pass < 2 && best < 0; pass++) {
				for (c = 0; c < nb_cand; c++) {
					if (cand[c].socket != pick_socket)
						continue;
					if (pass == 0 && cand[c].lcore_id == plan->main_lcore)
						continue;
					if (best < 0 || uses[cand[c].lcore_id] <
					    uses[cand[best].lcore_id] ||
					    (uses[cand[c].lcore_id] == uses[cand[best].lcore_id] &&
					     cand[c].lcore_id < cand[best].lcore_id))
						best = (int)c;
				}
			}
			pp->queue_lcore[q] = cand[best].lcore_id;
			uses[cand[best].lcore_id]++;
			chosen[cand[best].lcore_id] = true;
		}
	}
	for (i = 0; i < NUMA_MAX_LCORES; i++)
		if (chosen[i])
			list[n++] = i;
	numa_lcore_list_format(list, n, plan->lcore_list, sizeof(plan->lcore_list));
	return 0;
}
