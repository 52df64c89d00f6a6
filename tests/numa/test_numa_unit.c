/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of numa_check's EAL-free pieces: the Sattolo pointer cycle (built
 * here without rte_eal_init(), as the file promises), the chase buffer's note,
 * the lcore list parser/formatter, the audit and the plan.
 * Exits 0 when every check passes, 1 otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab_check.h"
#include "numa_check.h"

static void
test_chain(void)
{
	static const uint64_t sizes[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 63, 64, 65, 255, 1000,
		4096, 100003 };
	unsigned int s;

	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		uint64_t n = sizes[s], i, fixed = 0, sequential = 0;
		uintptr_t *buf = aligned_alloc(NUMA_LINE, n * NUMA_LINE);
		uint8_t *seen = calloc(n, 1);
		uintptr_t p;

		if (buf == NULL || seen == NULL) {
			CHECK(0, "out of memory for %lu lines", (unsigned long)n);
			free(buf);
			free(seen);
			return;
		}
		numa_chain_build(buf, n);
		CHECK(numa_chain_verify(buf, n) == 0, "cycle over %lu lines verifies",
			(unsigned long)n);
		/* An independent count: N loads from line 0 see N distinct lines, then line 0. */
		p = (uintptr_t)buf;
		for (i = 0; i < n; i++) {
			uint64_t idx = (p - (uintptr_t)buf) / NUMA_LINE;

			if (idx >= n || seen[idx]++)
				break;
			p = *(uintptr_t *)p;
		}
		CHECK(i == n && p == (uintptr_t)buf, "%lu lines: each visited once, then back "
			"at the start (stopped after %lu)", (unsigned long)n, (unsigned long)i);
		/* Sattolo never leaves a fixed point; the order must not be the sequential one. */
		for (i = 0; i < n; i++) {
			uintptr_t next = *(uintptr_t *)((char *)buf + i * NUMA_LINE);

			fixed += n > 1 && next == (uintptr_t)buf + i * NUMA_LINE;
			sequential += next == (uintptr_t)buf + ((i + 1) % n) * NUMA_LINE;
		}
		CHECK(fixed == 0, "%lu lines: %lu lines point to themselves", (unsigned long)n,
			(unsigned long)fixed);
		if (n >= 1000)
			CHECK(sequential < n / 100, "%lu lines: %lu links go to the next line: "
				"not random", (unsigned long)n, (unsigned long)sequential);
		/* The checker must catch a short cycle. */
		if (n >= 2) {
			buf[0] = (uintptr_t)buf;
			CHECK(numa_chain_verify(buf, n) != 0, "%lu lines: a 1-line loop is caught",
				(unsigned long)n);
		}
		CHECK(numa_chain_walk(buf, 0) == (uintptr_t)buf, "a walk of 0 loads stays put");
		free(seen);
		free(buf);
	}
}

static void
test_lcore_lists(void)
{
	unsigned int ids[NUMA_MAX_LCORES], n = 0;
	char buf[64];

	CHECK(numa_lcore_list_parse("--pollers", "2-3", ids, NUMA_MAX_LCORES, &n) == 0 &&
		n == 2 && ids[0] == 2 && ids[1] == 3, "2-3 parses");
	CHECK(numa_lcore_list_parse("--pollers", "5,1,4-5", ids, NUMA_MAX_LCORES, &n) == 0 &&
		n == 3 && ids[0] == 1 && ids[1] == 4 && ids[2] == 5, "5,1,4-5 sorts and dedups");
	CHECK(numa_lcore_list_parse("--pollers", "3-2", ids, NUMA_MAX_LCORES, &n) < 0,
		"3-2 refused");
	CHECK(numa_lcore_list_parse("--pollers", "1,,2", ids, NUMA_MAX_LCORES, &n) < 0,
		"1,,2 refused");
	CHECK(numa_lcore_list_parse("--pollers", "x", ids, NUMA_MAX_LCORES, &n) < 0,
		"x refused");
	CHECK(numa_lcore_list_parse("--pollers", "", ids, NUMA_MAX_LCORES, &n) < 0,
		"empty refused");
	CHECK(numa_lcore_list_parse("--pollers", "0-127", ids, 4, &n) < 0,
		"too many lcores refused");
	ids[0] = 0; ids[1] = 2; ids[2] = 3; ids[3] = 4; ids[4] = 7;
	numa_lcore_list_format(ids, 5, buf, sizeof(buf));
	CHECK(strcmp(buf, "0,2-4,7") == 0, "format gives %s", buf);
	numa_lcore_list_format(ids, 0, buf, sizeof(buf));
	CHECK(strcmp(buf, "") == 0, "empty list formats empty");
}

static void
topo_two_sockets(struct numa_topology *t)
{
	unsigned int i;

	memset(t, 0, sizeof(*t));
	snprintf(t->source, sizeof(t->source), "unit");
	t->nb_sockets = 2;
	t->socket_ids[1] = 1;
	for (i = 0; i < 4; i++) {
		t->lcores[i].lcore_id = i;
		t->lcores[i].socket = i / 2;
	}
	t->nb_lcores = 4;
	memcpy(t->cpus, t->lcores, sizeof(t->lcores));
	t->nb_cpus = 4;
	t->nb_ports = 1;
	t->ports[0].port_id = 0;
	t->ports[0].socket = 0;
	snprintf(t->ports[0].name, sizeof(t->ports[0].name), "nic0");
	t->ports[0].actual.pool_socket = NUMA_SOCKET_UNKNOWN;
	t->ports[0].actual.rxq_socket = NUMA_SOCKET_UNKNOWN;
	t->ports[0].actual.txq_socket = NUMA_SOCKET_UNKNOWN;
	t->ports[0].actual.ring_socket = NUMA_SOCKET_UNKNOWN;
	t->ports[0].actual.table_socket = NUMA_SOCKET_UNKNOWN;
}

static void
test_audit_and_plan(void)
{
	static struct numa_topology t;
	static struct numa_findings f;
	static struct numa_plan plan;

	/* Port 0 on socket 0 polled by lcores 2-3 on socket 1: the course's warning, twice. */
	topo_two_sockets(&t);
	CHECK(numa_pollers_set(&t, "--pollers", "0:2-3") == 0, "--pollers 0:2-3 accepted");
	numa_placement_model(&t, &t.ports[0]);
	memset(&f, 0, sizeof(f));
	numa_audit(&t, &f);
	CHECK(f.warnings == 2 && f.count == 2, "2 warnings (one per lcore), got %u/%u",
		f.warnings, f.count);
	CHECK(f.count > 1 && strcmp(f.items[0].message,
		"lcore 2 on socket 1, NIC on socket 0 — cross-NUMA!") == 0 &&
		strcmp(f.items[1].message,
		       "lcore 3 on socket 1, NIC on socket 0 — cross-NUMA!") == 0,
		"course wording: '%s'", f.count ? f.items[0].message : "");
	CHECK(numa_plan_make(&t, 0, &plan) == 0 && plan.nb_ports == 1 &&
		plan.ports[0].nb_queues == 2 && plan.ports[0].queue_lcore[0] == 1 &&
		plan.ports[0].queue_lcore[1] == 1 && strcmp(plan.lcore_list, "0-1") == 0,
		"plan keeps port 0 on socket 0: -l %s", plan.lcore_list);

	/* The same port polled by lcore 1: clean. */
	topo_two_sockets(&t);
	CHECK(numa_pollers_set(&t, "--pollers", "0:1") == 0, "--pollers 0:1 accepted");
	numa_placement_model(&t, &t.ports[0]);
	memset(&f, 0, sizeof(f));
	numa_audit(&t, &f);
	CHECK(f.warnings == 0 && f.count == 0, "no finding, got %u", f.count);

	/* Bad --pollers values are refused. */
	topo_two_sockets(&t);
	CHECK(numa_pollers_set(&t, "--pollers", "1:2") < 0, "port 1 does not exist");
	CHECK(numa_pollers_set(&t, "--pollers", "0:9") < 0, "lcore 9 is not enabled");
	CHECK(numa_pollers_set(&t, "--pollers", "0") < 0, "no colon");
	CHECK(numa_pollers_set(&t, "--pollers", ":1") < 0, "no port");

	/* A pool described on the wrong socket. */
	topo_two_sockets(&t);
	numa_pollers_default(&t);
	t.ports[0].actual.pool_socket = 1;
	numa_placement_model(&t, &t.ports[0]);
	memset(&f, 0, sizeof(f));
	numa_audit(&t, &f);
	CHECK(f.count == 3 && strcmp(f.items[2].message, "mbuf pool of port 0 on "
		"socket 1, should be on socket 0 (the NIC's socket) — cross-NUMA!") == 0,
		"pool on the wrong socket caught after the 2 lcore warnings: '%s'",
		f.count == 3 ? f.items[2].message : "");
	CHECK(numa_other_socket(&t, 0) == 1 && numa_other_socket(&t, 1) == 0,
		"the other socket of a 2-socket machine");
	t.nb_sockets = 1;
	CHECK(numa_other_socket(&t, 0) == NUMA_SOCKET_UNKNOWN, "one socket: no other");
}

/* What the report says of a chase buffer, against an LLC of 32 MiB. */
static void
test_buffer_note(void)
{
	const uint64_t mib = 1ULL << 20, llc = 32 * mib;
	char note[200];

	numa_buffer_note(256 * mib, 256 * mib, llc, note, sizeof(note));
	CHECK(note[0] == '\0', "8 x LLC as wanted: no note ('%s')", note);
	numa_buffer_note(64 * mib, 256 * mib, llc, note, sizeof(note));
	CHECK(strstr(note, "only 64 of the 256 MiB wanted") != NULL &&
		strstr(note, "2.0 x LLC: about 50% of the loads may still hit") != NULL,
		"2 x LLC: short, and about half the loads hit the cache ('%s')", note);
	numa_buffer_note(16 * mib, 256 * mib, llc, note, sizeof(note));
	CHECK(strstr(note, "NOT memory latency") != NULL, "a buffer inside the LLC says so ('%s')",
		note);
	numa_buffer_note(64 * mib, 64 * mib, llc, note, sizeof(note));
	CHECK(strstr(note, "wanted") == NULL && strstr(note, "2.0 x LLC") != NULL,
		"asked for 2 x LLC and got it: not short, still marked ('%s')", note);
	numa_buffer_note(64 * mib, 64 * mib, 0, note, sizeof(note));
	CHECK(strstr(note, "LLC size unknown") != NULL, "unknown LLC said ('%s')", note);
	numa_buffer_note(0, 256 * mib, llc, note, sizeof(note));
	CHECK(note[0] == '\0', "no buffer at all: the cell's own 'not measured' says it");
}

int
main(void)
{
	test_chain();
	test_buffer_note();
	test_lcore_lists();
	test_audit_and_plan();
	return lab_check_summary("test_numa_unit");
}
