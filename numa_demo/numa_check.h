/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Every name numa_check's pieces share: the topology it audits (read from
 * the EAL or from a --topology file), the findings and the lcore plan the
 * audit derives from it, and the latency measurement.
 *
 * The audit and the plan are pure functions over struct numa_topology, so
 * the unit tests exercise 2- and 4-socket layouts on a one-socket machine.
 */
#ifndef NUMA_CHECK_H
#define NUMA_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_build_config.h>

#define NUMA_MAX_SOCKETS RTE_MAX_NUMA_NODES
#define NUMA_MAX_LCORES RTE_MAX_LCORE
#define NUMA_MAX_PORTS RTE_MAX_ETHPORTS
#define NUMA_MAX_FINDINGS 512
#define NUMA_MAX_PLAN_QUEUES 64
#define NUMA_MSG_LEN 224

/* A port that reports no socket (virtual devices): DPDK's SOCKET_ID_ANY. */
#define NUMA_SOCKET_ANY (-1)
/* Placement not known: the object was neither created nor described. */
#define NUMA_SOCKET_UNKNOWN (-2)

/* Exit code of --strict when the audit found something cross-NUMA. */
#define NUMA_EXIT_CROSS_NUMA 2

struct numa_lcore {
	unsigned int lcore_id;
	int socket;
};

/* Where a port's objects are; NUMA_SOCKET_UNKNOWN when not known. */
struct numa_placement {
	int pool_socket;
	int rxq_socket;
	int txq_socket;
	int ring_socket;
	int table_socket;
	/* true: read back from objects created here; false: modelled or described */
	bool read_back;
};

struct numa_port {
	uint16_t port_id;
	int socket;                     /* NUMA_SOCKET_ANY for some virtual devices */
	bool is_virtual;                /* on the vdev bus: its socket is not a NIC's */
	char name[64];
	unsigned int nb_pollers;
	unsigned int pollers[NUMA_MAX_LCORES]; /* lcore ids, ascending */
	struct numa_placement actual;
};

struct numa_topology {
	char source[160];               /* "EAL" or the --topology file */
	unsigned int nb_sockets;
	int socket_ids[NUMA_MAX_SOCKETS];
	unsigned int nb_lcores;         /* lcores the program runs on (EAL: enabled ones) */
	struct numa_lcore lcores[NUMA_MAX_LCORES];
	unsigned int main_lcore;
	unsigned int nb_ports;
	struct numa_port ports[NUMA_MAX_PORTS];
	/* Lcores the plan may choose from: the machine's CPUs, or the file's lcores. */
	unsigned int nb_cpus;
	struct numa_lcore cpus[NUMA_MAX_LCORES];
	bool has_distances;             /* indexed by socket index, not id */
	unsigned int distances[NUMA_MAX_SOCKETS][NUMA_MAX_SOCKETS];
	bool has_hugepages;
	uint64_t hugepage_total[NUMA_MAX_SOCKETS];  /* bytes reserved (sysfs) */
	uint64_t hugepage_free[NUMA_MAX_SOCKETS];
	uint64_t heap_bytes[NUMA_MAX_SOCKETS];      /* this process's EAL heap */
};

enum numa_severity {
	NUMA_INFO,
	NUMA_WARNING,
};

struct numa_finding {
	enum numa_severity severity;
	char message[NUMA_MSG_LEN];
};

struct numa_findings {
	unsigned int count;
	unsigned int warnings;
	struct numa_finding items[NUMA_MAX_FINDINGS];
};

struct numa_plan_port {
	uint16_t port_id;
	int socket;                     /* the socket its pollers are chosen on */
	unsigned int nb_queues;
	unsigned int queue_lcore[NUMA_MAX_PLAN_QUEUES];
	bool remote;                    /* no lcore on that socket: pollers are remote */
};

struct numa_plan {
	unsigned int main_lcore;
	unsigned int nb_ports;
	struct numa_plan_port ports[NUMA_MAX_PORTS];
	char lcore_list[256];           /* for -l */
};

/* numa_topology.c: from the EAL and sysfs */
int numa_topology_from_eal(struct numa_topology *topo);
uint64_t numa_llc_bytes(unsigned int cpu);
/* Size of cache level `level` (1, 2, 3) of cpu, 0 when sysfs does not say. */
uint64_t numa_cache_bytes(unsigned int cpu, unsigned int level);

/* numa_topo_file.c: from a --topology JSON file (no EAL needed) */
int numa_topology_from_file(const char *path, struct numa_topology *topo);

/* numa_audit.c: pure functions */
int numa_socket_index(const struct numa_topology *topo, int socket_id);
int numa_lcore_socket(const struct numa_topology *topo, unsigned int lcore_id);
int numa_lcore_list_parse(const char *opt, const char *value, unsigned int *ids,
		unsigned int max, unsigned int *count);
void numa_lcore_list_format(const unsigned int *ids, unsigned int count, char *buf,
		size_t len);
int numa_pollers_set(struct numa_topology *topo, const char *opt, const char *value);
void numa_pollers_default(struct numa_topology *topo);
int numa_port_home_socket(const struct numa_topology *topo, const struct numa_port *port);
int numa_port_poller_socket(const struct numa_topology *topo, const struct numa_port *port);
void numa_placement_model(const struct numa_topology *topo, struct numa_port *port);
int numa_other_socket(const struct numa_topology *topo, int socket);
void numa_finding_add(struct numa_findings *f, enum numa_severity sev, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void numa_audit(const struct numa_topology *topo, struct numa_findings *f);
int numa_plan_make(const struct numa_topology *topo, unsigned int nb_queues,
		struct numa_plan *plan);

/* numa_placement.c: creates each port's objects through common/ and reads them back */
int numa_placement_create(struct numa_topology *topo, bool wrong_socket,
		struct numa_findings *f);
void numa_placement_release(struct numa_topology *topo);

/* numa_chain.c: the pointer-chasing cycle (no EAL needed) */
#define NUMA_LINE 64
void numa_chain_build(void *buf, uint64_t nb_lines);
int numa_chain_verify(const void *buf, uint64_t nb_lines);
uint64_t numa_chain_walk(const void *start, uint64_t loads);
/* The chase wants 8 x the LLC: then at most about 1 load in 8 can hit the cache. */
#define NUMA_LLC_MULTIPLE 8
/* What a chase buffer of `bytes` (of `want`) means against the LLC, in words; "" when fine. */
void numa_buffer_note(uint64_t bytes, uint64_t want, uint64_t llc, char *note, size_t len);

/* numa_latency.c: the matrix and the sweep */
struct numa_latency_opts {
	uint64_t buffer_bytes;          /* 0: 8 x LLC, or less if the hugepages are short */
	unsigned int reps;
	uint64_t loads;                 /* per repetition; 0: one full cycle */
	bool sweep;
};

struct numa_latency_cell {
	bool measured;
	unsigned int lcore_id;          /* the lcore that chased the pointers */
	int lcore_socket;               /* read back on that lcore: rte_socket_id() */
	int memory_socket;              /* read back from the buffer's memseg */
	double median_ns;
	double min_ns;
	double max_ns;
	double on_cpu;                  /* share of wall time the lcore was running */
	char why_not[128];
};

struct numa_latency {
	unsigned int nb_rows;           /* sockets with an enabled lcore */
	unsigned int nb_cols;           /* sockets with hugepage memory */
	int row_socket[NUMA_MAX_SOCKETS];
	int col_socket[NUMA_MAX_SOCKETS];
	struct numa_latency_cell cells[NUMA_MAX_SOCKETS][NUMA_MAX_SOCKETS];
	uint64_t want_bytes;            /* 8 x LLC, or --buffer-mib */
	uint64_t col_bytes[NUMA_MAX_SOCKETS];   /* what each socket's hugepages gave (0: none) */
	uint64_t llc_bytes;
	unsigned int reps;
	uint64_t loads;                 /* per repetition; 0: one cycle of the column's buffer */
};

int numa_latency_measure(const struct numa_topology *topo,
		const struct numa_latency_opts *opts, struct numa_latency *lat);
void numa_latency_print(FILE *out, const struct numa_topology *topo,
		const struct numa_latency *lat);
int numa_latency_sweep(FILE *out, const struct numa_latency_opts *opts);

int numa_chain_self_test(FILE *out, uint64_t buffer_bytes);

/* numa_json.c: --json FILE */
int numa_json_write(const char *path, const struct numa_topology *topo,
		const struct numa_findings *f, const struct numa_plan *plan,
		const struct numa_latency *lat);

#endif /* NUMA_CHECK_H */
