/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --topology FILE: a machine described in JSON, so the audit and the plan
 * can be taught and tested on 2- and 4-socket layouts from any laptop.
 *
 *   {"sockets": 2,
 *    "lcores": [{"lcore": 0, "socket": 0}, {"lcore": 2, "socket": 1}],
 *    "main_lcore": 0,
 *    "ports": [{"port": 0, "socket": 0, "name": "0000:03:00.0", "pollers": [2],
 *               "pool_socket": 1}],
 *    "distances": [[10, 21], [21, 10]],
 *    "hugepages_mib": [1024, 1024]}
 *
 * numa_check's own --json output is accepted too (its extra keys are
 * ignored). Anything else unknown is refused: a misspelt key must not
 * silently give a "clean" audit.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>

#include <jansson.h>

#include "lab_log.h"
#include "numa_check.h"

struct numa_file_ctx {
	const char *path;
	struct numa_topology *topo;
};

static int
numa_file_error(const struct numa_file_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
numa_file_error(const struct numa_file_ctx *ctx, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	LAB_LOG(ERR, "--topology %s: %s", ctx->path, what);
	return -EINVAL;
}

static int
numa_file_keys(const struct numa_file_ctx *ctx, json_t *obj, const char *where,
		const char *const *allowed)
{
	const char *key;
	json_t *value;

	json_object_foreach(obj, key, value) {
		const char *const *a;
		bool ok = false;

		for (a = allowed; *a != NULL; a++)
			ok |= strcmp(*a, key) == 0;
		if (!ok)
			return numa_file_error(ctx, "%s: unknown key \"%s\"", where, key);
	}
	return 0;
}

/* An integer member in [min, max]; absent is allowed only when dflt is given. */
static int
numa_file_int(const struct numa_file_ctx *ctx, json_t *obj, const char *where, const char *key,
		long long min, long long max, const long long *dflt, long long *out)
{
	json_t *v = json_object_get(obj, key);
	long long x;

	if (v == NULL) {
		if (dflt == NULL)
			return numa_file_error(ctx, "%s: missing \"%s\"", where, key);
		*out = *dflt;
		return 0;
	}
	if (!json_is_integer(v))
		return numa_file_error(ctx, "%s.%s: not an integer", where, key);
	x = json_integer_value(v);
	if (x < min || x > max)
		return numa_file_error(ctx, "%s.%s: %lld is not in %lld-%lld", where, key, x,
			min, max);
	*out = x;
	return 0;
}

static int
numa_file_lcores(const struct numa_file_ctx *ctx, json_t *root)
{
	static const char *const keys[] = { "lcore", "socket", NULL };
	struct numa_topology *topo = ctx->topo;
	json_t *arr = json_object_get(root, "lcores");
	json_t *item;
	size_t i;

	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return numa_file_error(ctx, "\"lcores\" must be a non-empty array of "
			"{\"lcore\": N, \"socket\": S}");
	if (json_array_size(arr) > NUMA_MAX_LCORES)
		return numa_file_error(ctx, "more than %u lcores", NUMA_MAX_LCORES);
	json_array_foreach(arr, i, item) {
		char where[32];
		long long id, socket;
		unsigned int j;

		snprintf(where, sizeof(where), "lcores[%zu]", i);
		if (!json_is_object(item))
			return numa_file_error(ctx, "%s: not an object", where);
		if (numa_file_keys(ctx, item, where, keys) < 0 ||
		    numa_file_int(ctx, item, where, "lcore", 0, NUMA_MAX_LCORES - 1, NULL,
				  &id) < 0 ||
		    numa_file_int(ctx, item, where, "socket", 0, topo->nb_sockets - 1, NULL,
				  &socket) < 0)
			return -EINVAL;
		for (j = 0; j < topo->nb_lcores; j++)
			if (topo->lcores[j].lcore_id == (unsigned int)id)
				return numa_file_error(ctx, "%s: lcore %lld listed twice",
					where, id);
		topo->lcores[topo->nb_lcores].lcore_id = (unsigned int)id;
		topo->lcores[topo->nb_lcores].socket = (int)socket;
		topo->nb_lcores++;
	}
	return 0;
}

static int
numa_file_pollers(const struct numa_file_ctx *ctx, json_t *item, const char *where,
		struct numa_port *port)
{
	json_t *arr = json_object_get(item, "pollers");
	json_t *v;
	size_t i;

	if (arr == NULL)
		return 0;
	if (!json_is_array(arr) || json_array_size(arr) > NUMA_MAX_LCORES)
		return numa_file_error(ctx, "%s.pollers: not an array of lcore ids", where);
	json_array_foreach(arr, i, v) {
		long long id;
		unsigned int j;

		if (!json_is_integer(v))
			return numa_file_error(ctx, "%s.pollers[%zu]: not an integer", where, i);
		id = json_integer_value(v);
		if (id < 0 || id >= NUMA_MAX_LCORES || numa_lcore_socket(ctx->topo,
				(unsigned int)id) == NUMA_SOCKET_UNKNOWN)
			return numa_file_error(ctx, "%s.pollers[%zu]: lcore %lld is not in "
				"\"lcores\"", where, i, id);
		/* Kept sorted and unique, as the --pollers option keeps them. */
		for (j = 0; j < port->nb_pollers && port->pollers[j] < id; j++)
			;
		if (j < port->nb_pollers && port->pollers[j] == id)
			continue;
		memmove(&port->pollers[j + 1], &port->pollers[j],
			(port->nb_pollers - j) * sizeof(port->pollers[0]));
		port->pollers[j] = (unsigned int)id;
		port->nb_pollers++;
	}
	return 0;
}

static int
numa_file_ports(const struct numa_file_ctx *ctx, json_t *root)
{
	static const char *const keys[] = { "port", "socket", "name", "pollers", "pool_socket",
		"rxq_socket", "txq_socket", "ring_socket", "table_socket", NULL };
	static const char *const placed[] = { "pool_socket", "rxq_socket", "txq_socket",
		"ring_socket", "table_socket" };
	struct numa_topology *topo = ctx->topo;
	json_t *arr = json_object_get(root, "ports");
	const long long any = NUMA_SOCKET_UNKNOWN;
	json_t *item;
	size_t i;

	if (arr == NULL)
		return 0;
	if (!json_is_array(arr) || json_array_size(arr) > NUMA_MAX_PORTS)
		return numa_file_error(ctx, "\"ports\" must be an array of at most %u "
			"{\"port\": N, \"socket\": S}", NUMA_MAX_PORTS);
	json_array_foreach(arr, i, item) {
		struct numa_port *port = &topo->ports[topo->nb_ports];
		long long id, socket, where_is[5];
		json_t *name;
		char where[32];
		unsigned int j;

		snprintf(where, sizeof(where), "ports[%zu]", i);
		if (!json_is_object(item))
			return numa_file_error(ctx, "%s: not an object", where);
		if (numa_file_keys(ctx, item, where, keys) < 0 ||
		    numa_file_int(ctx, item, where, "port", 0, NUMA_MAX_PORTS - 1, NULL, &id) < 0 ||
		    numa_file_int(ctx, item, where, "socket", -1, topo->nb_sockets - 1, NULL,
				  &socket) < 0)
			return -EINVAL;
		for (j = 0; j < topo->nb_ports; j++)
			if (topo->ports[j].port_id == id)
				return numa_file_error(ctx, "%s: port %lld listed twice",
					where, id);
		for (j = 0; j < RTE_DIM(placed); j++)
			if (numa_file_int(ctx, item, where, placed[j], 0, topo->nb_sockets - 1,
					&any, &where_is[j]) < 0)
				return -EINVAL;
		memset(port, 0, sizeof(*port));
		port->port_id = (uint16_t)id;
		port->socket = (int)socket;
		port->is_virtual = socket < 0;
		name = json_object_get(item, "name");
		if (name != NULL && !json_is_string(name))
			return numa_file_error(ctx, "%s.name: not a string", where);
		snprintf(port->name, sizeof(port->name), "%s",
			name ? json_string_value(name) : (socket < 0 ? "vdev" : "nic"));
		port->actual.pool_socket = (int)where_is[0];
		port->actual.rxq_socket = (int)where_is[1];
		port->actual.txq_socket = (int)where_is[2];
		port->actual.ring_socket = (int)where_is[3];
		port->actual.table_socket = (int)where_is[4];
		if (numa_file_pollers(ctx, item, where, port) < 0)
			return -EINVAL;
		topo->nb_ports++;
	}
	return 0;
}

static int
numa_file_matrix(const struct numa_file_ctx *ctx, json_t *root)
{
	struct numa_topology *topo = ctx->topo;
	json_t *rows = json_object_get(root, "distances");
	json_t *row, *v;
	size_t i, j;

	if (rows == NULL || (json_is_array(rows) && json_array_size(rows) == 0))
		return 0;
	if (!json_is_array(rows) || json_array_size(rows) != topo->nb_sockets)
		return numa_file_error(ctx, "\"distances\" must be %u rows of %u integers",
			topo->nb_sockets, topo->nb_sockets);
	json_array_foreach(rows, i, row) {
		if (!json_is_array(row) || json_array_size(row) != topo->nb_sockets)
			return numa_file_error(ctx, "distances[%zu]: not a row of %u integers", i,
				topo->nb_sockets);
		json_array_foreach(row, j, v) {
			if (!json_is_integer(v) || json_integer_value(v) < 1 ||
			    json_integer_value(v) > 255)
				return numa_file_error(ctx, "distances[%zu][%zu]: not a distance "
					"1-255", i, j);
			topo->distances[i][j] = (unsigned int)json_integer_value(v);
		}
	}
	topo->has_distances = true;
	return 0;
}

static int
numa_file_hugepages(const struct numa_file_ctx *ctx, json_t *root)
{
	struct numa_topology *topo = ctx->topo;
	json_t *arr = json_object_get(root, "hugepages_mib");
	json_t *v;
	size_t i;

	if (arr == NULL)
		return 0;
	if (!json_is_array(arr) || json_array_size(arr) != topo->nb_sockets)
		return numa_file_error(ctx, "\"hugepages_mib\" must be %u integers, one per socket",
			topo->nb_sockets);
	json_array_foreach(arr, i, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > (1LL << 30))
			return numa_file_error(ctx, "hugepages_mib[%zu]: not a MiB count", i);
		topo->hugepage_total[i] = (uint64_t)json_integer_value(v) << 20;
		topo->hugepage_free[i] = topo->hugepage_total[i];
	}
	topo->has_hugepages = true;
	return 0;
}

int
numa_topology_from_file(const char *path, struct numa_topology *topo)
{
	/* The last four are numa_check --json output, read back as input. */
	static const char *const keys[] = { "sockets", "lcores", "main_lcore", "ports",
		"distances", "hugepages_mib", "findings", "plan", "latency_ns", "latency_buffers",
		NULL };
	struct numa_file_ctx ctx = { .path = path, .topo = topo };
	json_error_t err;
	long long sockets, main_lcore;
	json_t *root;
	unsigned int i;
	int ret = -EINVAL;

	memset(topo, 0, sizeof(*topo));
	snprintf(topo->source, sizeof(topo->source), "%s", path);
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL) {
		if (err.line < 0)
			LAB_LOG(ERR, "--topology %s: cannot read it: %s", path, err.text);
		else
			LAB_LOG(ERR, "--topology %s: line %d column %d: %s", path, err.line,
				err.column, err.text);
		return -EINVAL;
	}
	if (!json_is_object(root)) {
		numa_file_error(&ctx, "not a JSON object");
		goto out;
	}
	if (numa_file_keys(&ctx, root, "top level", keys) < 0 ||
	    numa_file_int(&ctx, root, "top level", "sockets", 1, NUMA_MAX_SOCKETS, NULL,
			  &sockets) < 0)
		goto out;
	topo->nb_sockets = (unsigned int)sockets;
	for (i = 0; i < topo->nb_sockets; i++)
		topo->socket_ids[i] = (int)i;
	if (numa_file_lcores(&ctx, root) < 0)
		goto out;
	{
		const long long first = topo->lcores[0].lcore_id;

		if (numa_file_int(&ctx, root, "top level", "main_lcore", 0, NUMA_MAX_LCORES - 1,
				&first, &main_lcore) < 0)
			goto out;
	}
	topo->main_lcore = (unsigned int)main_lcore;
	if (numa_lcore_socket(topo, topo->main_lcore) == NUMA_SOCKET_UNKNOWN) {
		numa_file_error(&ctx, "main_lcore %lld is not in \"lcores\"", main_lcore);
		goto out;
	}
	memcpy(topo->cpus, topo->lcores, sizeof(topo->lcores));
	topo->nb_cpus = topo->nb_lcores;
	if (numa_file_ports(&ctx, root) < 0 || numa_file_matrix(&ctx, root) < 0 ||
	    numa_file_hugepages(&ctx, root) < 0)
		goto out;
	ret = 0;
out:
	json_decref(root);
	return ret;
}
