/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --json FILE: the whole report for scripts and CI, in the schema
 *   {"sockets", "lcores", "ports", "findings", "plan", "latency_ns", "distances",
 *    "latency_buffers"}
 * latency_ns[row][col] is null for a cell that was not measured; latency_buffers
 * says, per memory socket (column), what buffer the chase really had and what
 * that means ("note" null when it was >= 8 x LLC).
 * It can be fed back as --topology FILE.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "lab_log.h"
#include "numa_check.h"

static json_t *
numa_json_plan(const struct numa_plan *plan)
{
	json_t *ports = json_array();
	unsigned int i, q;

	for (i = 0; i < plan->nb_ports; i++) {
		const struct numa_plan_port *pp = &plan->ports[i];
		json_t *queues = json_array();

		for (q = 0; q < pp->nb_queues; q++)
			json_array_append_new(queues, json_pack("{s:I, s:I}",
				"queue", (json_int_t)q, "lcore", (json_int_t)pp->queue_lcore[q]));
		json_array_append_new(ports, json_pack("{s:I, s:I, s:b, s:o}",
			"port", (json_int_t)pp->port_id, "socket", (json_int_t)pp->socket,
			"remote", pp->remote, "queues", queues));
	}
	return json_pack("{s:s, s:I, s:o}", "lcores", plan->lcore_list,
		"main_lcore", (json_int_t)plan->main_lcore, "ports", ports);
}

int
numa_json_write(const char *path, const struct numa_topology *topo,
		const struct numa_findings *f, const struct numa_plan *plan,
		const struct numa_latency *lat)
{
	json_t *lcores = json_array(), *ports = json_array(), *findings = json_array();
	json_t *latency = json_array(), *distances = json_array(), *buffers = json_array();
	json_t *root;
	unsigned int i, j;
	int ret = 0;

	for (i = 0; i < topo->nb_lcores; i++)
		json_array_append_new(lcores, json_pack("{s:I, s:I}",
			"lcore", (json_int_t)topo->lcores[i].lcore_id,
			"socket", (json_int_t)topo->lcores[i].socket));
	for (i = 0; i < topo->nb_ports; i++)
		json_array_append_new(ports, json_pack("{s:I, s:I}",
			"port", (json_int_t)topo->ports[i].port_id,
			"socket", (json_int_t)topo->ports[i].socket));
	for (i = 0; i < f->count; i++)
		json_array_append_new(findings, json_pack("{s:s, s:s}",
			"severity", f->items[i].severity == NUMA_WARNING ? "warning" : "info",
			"message", f->items[i].message));
	for (i = 0; lat != NULL && i < lat->nb_rows; i++) {
		json_t *row = json_array();

		for (j = 0; j < lat->nb_cols; j++)
			json_array_append_new(row, lat->cells[i][j].measured ?
				json_real(lat->cells[i][j].median_ns) : json_null());
		json_array_append_new(latency, row);
	}
	for (j = 0; lat != NULL && j < lat->nb_cols; j++) {
		char note[200];

		numa_buffer_note(lat->col_bytes[j], lat->want_bytes, lat->llc_bytes, note,
			sizeof(note));
		json_array_append_new(buffers, json_pack("{s:I, s:I, s:I, s:o, s:o}",
			"socket", (json_int_t)lat->col_socket[j],
			"buffer_mib", (json_int_t)(lat->col_bytes[j] >> 20),
			"llc_mib", (json_int_t)(lat->llc_bytes >> 20),
			"llc_multiple", lat->llc_bytes && lat->col_bytes[j] ?
				json_real((double)lat->col_bytes[j] / (double)lat->llc_bytes) :
				json_null(),
			"note", note[0] ? json_string(note) : json_null()));
	}
	for (i = 0; topo->has_distances && i < topo->nb_sockets; i++) {
		json_t *row = json_array();

		for (j = 0; j < topo->nb_sockets; j++)
			json_array_append_new(row, json_integer(topo->distances[i][j]));
		json_array_append_new(distances, row);
	}
	root = json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
		"sockets", (json_int_t)topo->nb_sockets, "lcores", lcores, "ports", ports,
		"findings", findings, "plan", numa_json_plan(plan), "latency_ns", latency,
		"distances", distances, "latency_buffers", buffers);
	if (root == NULL) {
		LAB_LOG(ERR, "--json %s: cannot build the JSON document", path);
		return -ENOMEM;
	}
	if (json_dump_file(root, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0) {
		LAB_LOG(ERR, "--json %s: cannot write it: %s", path, strerror(errno));
		ret = -EIO;
	}
	json_decref(root);
	return ret;
}
