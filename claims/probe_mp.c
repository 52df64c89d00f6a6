/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * claims_probe: the small multi-process experiments of claims/exp_mp.py,
 * one subcommand each, so that every claim is checked by what DPDK does in
 * a real primary and a real secondary, not by what its documentation says.
 *
 *   claims_probe EAL-OPTIONS -- primary [--pool]   reserve CLAIMS_MZ, wait for Ctrl-C
 *   claims_probe EAL-OPTIONS -- attach             which process type, is CLAIMS_MZ there
 *   claims_probe EAL-OPTIONS -- pointers           the primary's four addresses, examined
 *   claims_probe EAL-OPTIONS -- heap               rte_malloc across processes
 *   claims_probe EAL-OPTIONS -- configure          rte_eth_dev_configure/start on port 0
 *   claims_probe EAL-OPTIONS -- pool-create        rte_pktmbuf_pool_create("MBUF_POOL")
 *   claims_probe EAL-OPTIONS -- ports              the ports this process sees
 *   claims_probe EAL-OPTIONS -- lcore              MBUF_POOL's cache of this lcore id
 *
 * Every line the experiments parse is a printf to stdout, line-buffered.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memory.h>
#include <rte_mempool.h>
#include <rte_memzone.h>

#include "lab_eal.h"
#include "lab_log.h"

#define CLAIMS_MZ       "CLAIMS_MZ"
#define CLAIMS_MAGIC    0x434c4d5au
#define CLAIMS_TEXT_LEN 96
/* The lab's pool name: the pool-create experiment collides with it on purpose. */
#define CLAIMS_POOL     "MBUF_POOL"
#define CLAIMS_SEC_POOL "CLAIMS_SEC_POOL"
#define CLAIMS_MBUFS    1023
#define CLAIMS_CACHE    64
#define CLAIMS_SEC_ALLOC (1u << 20)
#define CLAIMS_POLL_US  10000
#define CLAIMS_WAIT_POLLS 500

/*
 * What the primary leaves in CLAIMS_MZ. The two char pointers point into
 * hugepage memory and are meant to be followed; the uintptr_t fields are
 * process-private addresses, recorded only to be examined, never followed.
 */
struct claims_shared {
	uint32_t magic;
	int32_t primary_pid;
	char *dpdk_buf;          /* rte_malloc()ed by the primary, holds a known text */
	uintptr_t heap_buf;      /* malloc()ed by the primary: its private heap */
	uintptr_t static_addr;   /* &probe_static in the primary */
	uintptr_t func_addr;     /* &probe_marker in the primary */
	char *sec_buf;           /* rte_malloc()ed by a secondary (heap), read by the primary */
	uint32_t sec_seen;       /* the primary read sec_buf: the secondary may free it */
};

static int probe_static = 42;
static struct claims_shared *shared;
static struct rte_mempool *probe_pool;
static char *probe_heap_buf;

/* Only its address matters: the pointers experiment compares it across processes. */
static void
probe_marker(void)
{
	probe_static++;
}

static const char *
yes_no(bool b)
{
	return b ? "yes" : "no";
}

/* Whether addr lies in memory the EAL maps in every process (hugepage memsegs). */
static bool
in_dpdk_memory(uintptr_t addr)
{
	return rte_mem_virt2memseg((const void *)addr, NULL) != NULL;
}

static uint64_t
heap_allocated(int socket)
{
	struct rte_malloc_socket_stats st;

	if (rte_malloc_get_socket_stats(socket, &st) < 0)
		return UINT64_MAX;
	return st.heap_allocsz_bytes;
}

/* The socket of a DPDK address, from the memseg list that holds it. */
static int
addr_socket(const void *addr)
{
	const struct rte_memseg_list *msl = rte_mem_virt2memseg_list(addr);

	return msl != NULL ? msl->socket_id : SOCKET_ID_ANY;
}

/* The lab's pool on this lcore's socket, and one get/put so its cache holds mbufs. */
static int
primary_pool(void)
{
	struct rte_mbuf *m[8];
	struct rte_mempool_cache *cache;

	probe_pool = rte_pktmbuf_pool_create(CLAIMS_POOL, CLAIMS_MBUFS, CLAIMS_CACHE, 0,
			RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (probe_pool == NULL) {
		LAB_LOG(ERR, "cannot create %s: %s", CLAIMS_POOL, rte_strerror(rte_errno));
		return -rte_errno;
	}
	if (rte_pktmbuf_alloc_bulk(probe_pool, m, RTE_DIM(m)) != 0) {
		LAB_LOG(ERR, "cannot take %zu mbufs from %s", RTE_DIM(m), CLAIMS_POOL);
		return -ENOBUFS;
	}
	rte_pktmbuf_free_bulk(m, RTE_DIM(m));
	cache = rte_mempool_default_cache(probe_pool, rte_lcore_id());
	printf("primary: pool %s created, lcore %u's cache at %p holds %u mbufs\n",
		CLAIMS_POOL, rte_lcore_id(), (void *)cache, cache != NULL ? cache->len : 0);
	return 0;
}

static int
primary_setup(bool with_pool)
{
	const struct rte_memzone *mz;

	mz = rte_memzone_reserve(CLAIMS_MZ, sizeof(*shared), (int)rte_socket_id(), 0);
	if (mz == NULL) {
		LAB_LOG(ERR, "cannot reserve memzone %s: %s", CLAIMS_MZ, rte_strerror(rte_errno));
		return -rte_errno;
	}
	shared = mz->addr;
	memset(shared, 0, sizeof(*shared));
	shared->dpdk_buf = rte_malloc("claims_text", CLAIMS_TEXT_LEN, 0);
	probe_heap_buf = malloc(CLAIMS_TEXT_LEN);
	if (shared->dpdk_buf == NULL || probe_heap_buf == NULL) {
		LAB_LOG(ERR, "cannot allocate the %d-byte text buffers", CLAIMS_TEXT_LEN);
		return -ENOMEM;
	}
	snprintf(shared->dpdk_buf, CLAIMS_TEXT_LEN, "rte_malloc text of primary pid %d",
		(int)getpid());
	snprintf(probe_heap_buf, CLAIMS_TEXT_LEN, "malloc text of primary pid %d",
		(int)getpid());
	shared->primary_pid = (int32_t)getpid();
	shared->heap_buf = (uintptr_t)probe_heap_buf;
	shared->static_addr = (uintptr_t)&probe_static;
	shared->func_addr = (uintptr_t)&probe_marker;
	if (with_pool && primary_pool() < 0)
		return -ENOMEM;
	/* Published last: a secondary that sees the magic sees every field. */
	__atomic_store_n(&shared->magic, CLAIMS_MAGIC, __ATOMIC_RELEASE);
	return 0;
}

/* A secondary's buffer (heap experiment): read it, say so, let the secondary free it. */
static void
primary_read_secondary(void)
{
	char *buf = __atomic_load_n(&shared->sec_buf, __ATOMIC_ACQUIRE);

	if (buf == NULL || shared->sec_seen)
		return;
	printf("primary: read the secondary's rte_malloc buffer %p: \"%s\"; in DPDK memory: %s; "
		"socket %d heap_allocsz_bytes=%" PRIu64 "\n", (void *)buf, buf,
		yes_no(in_dpdk_memory((uintptr_t)buf)), addr_socket(buf),
		heap_allocated(addr_socket(buf)));
	__atomic_store_n(&shared->sec_seen, 1, __ATOMIC_RELEASE);
}

static int
run_primary(int argc, char **argv)
{
	bool with_pool = argc > 1 && strcmp(argv[1], "--pool") == 0;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY) {
		LAB_LOG(ERR, "primary: a primary already runs with --file-prefix=%s",
			lab_file_prefix());
		return 1;
	}
	if (primary_setup(with_pool) < 0)
		return 1;
	printf("primary: ready, pid %d, prefix %s, lcore %u, %u port(s), memzone %s at %p, "
		"rte_malloc text at %p, socket %d heap_allocsz_bytes=%" PRIu64
		". Ctrl-C to stop.\n",
		(int)getpid(), lab_file_prefix(), rte_lcore_id(), rte_eth_dev_count_avail(),
		CLAIMS_MZ, (void *)shared, (void *)shared->dpdk_buf, addr_socket(shared->dpdk_buf),
		heap_allocated(addr_socket(shared->dpdk_buf)));
	while (!lab_force_quit) {
		primary_read_secondary();
		usleep(CLAIMS_POLL_US);
	}
	printf("primary: stopping\n");
	return 0;
}

/* CLAIMS_MZ as the primary left it; NULL with a line saying why. */
static struct claims_shared *
lookup_shared(void)
{
	const struct rte_memzone *mz = rte_memzone_lookup(CLAIMS_MZ);
	struct claims_shared *s;

	if (mz == NULL) {
		printf("lookup: memzone %s not found in prefix %s\n", CLAIMS_MZ,
			lab_file_prefix());
		return NULL;
	}
	s = mz->addr;
	if (__atomic_load_n(&s->magic, __ATOMIC_ACQUIRE) != CLAIMS_MAGIC) {
		printf("lookup: memzone %s has no claims_probe primary's data\n", CLAIMS_MZ);
		return NULL;
	}
	return s;
}

static int
run_attach(void)
{
	struct claims_shared *s;

	printf("attach: process=%s prefix=%s main_lcore=%u\n", lab_proc_type_name(),
		lab_file_prefix(), rte_get_main_lcore());
	s = lookup_shared();
	if (s == NULL)
		return 2;
	printf("attach: memzone %s found, primary pid %d, text \"%s\"\n", CLAIMS_MZ,
		(int)s->primary_pid, s->dpdk_buf);
	return 0;
}

static int
run_pointers(void)
{
	struct claims_shared *s = lookup_shared();
	uintptr_t dpdk = s != NULL ? (uintptr_t)s->dpdk_buf : 0;

	if (s == NULL)
		return 2;
	/* Only (a) is followed: it is in DPDK memory, checked first. */
	printf("pointer rte_malloc: %p in_dpdk_memory=%s", (void *)dpdk,
		yes_no(in_dpdk_memory(dpdk)));
	if (in_dpdk_memory(dpdk))
		printf(" text=\"%s\"", s->dpdk_buf);
	printf("\n");
	printf("pointer malloc: %p in_dpdk_memory=%s (not followed)\n", (void *)s->heap_buf,
		yes_no(in_dpdk_memory(s->heap_buf)));
	printf("pointer static: %p in_dpdk_memory=%s this_process=%p (not followed)\n",
		(void *)s->static_addr, yes_no(in_dpdk_memory(s->static_addr)),
		(void *)&probe_static);
	printf("pointer function: %p in_dpdk_memory=%s this_process=%p (not followed)\n",
		(void *)s->func_addr, yes_no(in_dpdk_memory(s->func_addr)),
		(void *)(uintptr_t)&probe_marker);
	return 0;
}

/* Waits (bounded) until the primary says it read the secondary's buffer. */
static bool
wait_primary_read(struct claims_shared *s)
{
	int i;

	for (i = 0; i < CLAIMS_WAIT_POLLS; i++) {
		if (__atomic_load_n(&s->sec_seen, __ATOMIC_ACQUIRE))
			return true;
		usleep(CLAIMS_POLL_US);
	}
	return false;
}

static int
run_heap(void)
{
	struct claims_shared *s = lookup_shared();
	uint64_t before, after;
	char *buf;
	int socket;

	if (s == NULL)
		return 2;
	socket = addr_socket(s->dpdk_buf);
	printf("heap: the primary's rte_malloc buffer %p reads \"%s\"\n", (void *)s->dpdk_buf,
		s->dpdk_buf);
	before = heap_allocated(socket);
	buf = rte_malloc_socket("claims_sec", CLAIMS_SEC_ALLOC, 0, socket);
	if (buf == NULL) {
		printf("heap: rte_malloc_socket(%u bytes, socket %d) failed: %s\n",
			CLAIMS_SEC_ALLOC, socket, rte_strerror(rte_errno));
		return 1;
	}
	after = heap_allocated(socket);
	snprintf(buf, CLAIMS_SEC_ALLOC, "rte_malloc text of secondary pid %d", (int)getpid());
	printf("heap: secondary rte_malloc(%u) = %p in_dpdk_memory=%s; socket %d "
		"heap_allocsz_bytes before=%" PRIu64 " after=%" PRIu64 "\n", CLAIMS_SEC_ALLOC,
		(void *)buf, yes_no(in_dpdk_memory((uintptr_t)buf)), socket, before, after);
	__atomic_store_n(&s->sec_seen, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->sec_buf, buf, __ATOMIC_RELEASE);
	printf("heap: primary read it: %s\n", yes_no(wait_primary_read(s)));
	__atomic_store_n(&s->sec_buf, NULL, __ATOMIC_RELEASE);
	rte_free(buf);
	printf("heap: after rte_free heap_allocsz_bytes=%" PRIu64 "\n", heap_allocated(socket));
	return 0;
}

static void
print_ret(const char *what, int ret)
{
	printf("%s: ret=%d (%s)\n", what, ret, ret < 0 ? rte_strerror(-ret) : "success");
}

static int
run_configure(void)
{
	struct rte_eth_conf conf;
	struct rte_eth_link link;
	int ret;

	if (!rte_eth_dev_is_valid_port(0)) {
		printf("configure: port 0 is not visible in this process\n");
		return 2;
	}
	memset(&conf, 0, sizeof(conf));
	ret = rte_eth_dev_configure(0, 1, 1, &conf);
	print_ret("configure: rte_eth_dev_configure(0, 1, 1)", ret);
	ret = rte_eth_dev_start(0);
	print_ret("configure: rte_eth_dev_start(0)", ret);
	memset(&link, 0, sizeof(link));
	ret = rte_eth_link_get_nowait(0, &link);
	if (ret < 0)
		print_ret("configure: rte_eth_link_get_nowait(0)", ret);
	else
		printf("configure: link %s afterwards\n", link.link_status ? "up" : "down");
	return 0;
}

/* The course's mistake, then the same call with a free name. */
static int
run_pool_create(void)
{
	struct rte_mempool *mp;

	printf("pool-create: rte_mempool_lookup(%s) = %p\n", CLAIMS_POOL,
		(void *)rte_mempool_lookup(CLAIMS_POOL));
	mp = rte_pktmbuf_pool_create(CLAIMS_POOL, CLAIMS_MBUFS, CLAIMS_CACHE, 0,
			RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	printf("pool-create: rte_pktmbuf_pool_create(%s) = %s rte_errno=%d (%s)\n", CLAIMS_POOL,
		mp == NULL ? "NULL" : "a pool", mp == NULL ? rte_errno : 0,
		mp == NULL ? rte_strerror(rte_errno) : "-");
	/* Created only when no primary owns the name: not this process's to keep. */
	rte_mempool_free(mp);
	mp = rte_pktmbuf_pool_create(CLAIMS_SEC_POOL, CLAIMS_MBUFS, CLAIMS_CACHE, 0,
			RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	printf("pool-create: rte_pktmbuf_pool_create(%s) = %s rte_errno=%d (%s)\n",
		CLAIMS_SEC_POOL, mp == NULL ? "NULL" : "a pool", mp == NULL ? rte_errno : 0,
		mp == NULL ? rte_strerror(rte_errno) : "-");
	rte_mempool_free(mp);
	return 0;
}

static int
run_ports(void)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	struct rte_eth_dev_info dev_info;
	uint16_t port;
	int ret;

	printf("ports: process=%s count_avail=%u\n", lab_proc_type_name(),
		rte_eth_dev_count_avail());
	RTE_ETH_FOREACH_DEV(port) {
		ret = rte_eth_dev_get_name_by_port(port, name);
		if (ret < 0) {
			print_ret("ports: rte_eth_dev_get_name_by_port", ret);
			continue;
		}
		ret = rte_eth_dev_info_get(port, &dev_info);
		if (ret < 0) {
			print_ret("ports: rte_eth_dev_info_get", ret);
			continue;
		}
		printf("ports: port %u name=%s driver=%s\n", port, name, dev_info.driver_name);
	}
	return 0;
}

/* Reads (never writes) MBUF_POOL's cache for this process's lcore id, a few times. */
static int
run_lcore(void)
{
	struct rte_mempool *mp = rte_mempool_lookup(CLAIMS_POOL);
	struct rte_mempool_cache *cache;
	unsigned int lcore = rte_lcore_id();
	uint32_t len, lo = UINT32_MAX, hi = 0;
	int i;

	printf("lcore: EAL accepted, process=%s lcore id %u on cpu %d\n", lab_proc_type_name(),
		lcore, lab_lcore_cpu(lcore));
	if (mp == NULL) {
		printf("lcore: pool %s not found\n", CLAIMS_POOL);
		return 2;
	}
	cache = rte_mempool_default_cache(mp, lcore);
	if (cache == NULL) {
		printf("lcore: pool %s has no per-lcore cache\n", CLAIMS_POOL);
		return 2;
	}
	for (i = 0; i < 20; i++) {
		len = __atomic_load_n(&cache->len, __ATOMIC_RELAXED);
		lo = RTE_MIN(lo, len);
		hi = RTE_MAX(hi, len);
		usleep(CLAIMS_POLL_US / 2);
	}
	printf("lcore: %s's cache for lcore id %u at %p held %u-%u mbufs (this process took "
		"none)\n", CLAIMS_POOL, lcore, (void *)cache, lo, hi);
	return 0;
}

static int
run_secondary(const char *cmd)
{
	static const struct {
		const char *name;
		int (*fn)(void);
	} cmds[] = {
		{ "attach", run_attach },
		{ "pointers", run_pointers },
		{ "heap", run_heap },
		{ "configure", run_configure },
		{ "pool-create", run_pool_create },
		{ "ports", run_ports },
		{ "lcore", run_lcore },
	};
	size_t i;

	for (i = 0; i < RTE_DIM(cmds); i++) {
		if (strcmp(cmd, cmds[i].name) != 0)
			continue;
		/* attach reports the type itself: --proc-type=auto may have made a primary. */
		if (i > 0 && rte_eal_process_type() != RTE_PROC_SECONDARY) {
			printf("%s: not a secondary (no primary on --file-prefix=%s)\n", cmd,
				lab_file_prefix());
			return 2;
		}
		return cmds[i].fn();
	}
	LAB_LOG(ERR, "unknown subcommand '%s': primary, attach, pointers, heap, configure, "
		"pool-create, ports or lcore", cmd);
	return 2;
}

static void
primary_cleanup(void)
{
	/* Freeing memory can wait on a lock a dead process holds: 10 s at most. */
	lab_cleanup_deadline();
	if (shared != NULL) {
		rte_free(shared->dpdk_buf);
		shared->dpdk_buf = NULL;
	}
	free(probe_heap_buf);
	rte_mempool_free(probe_pool);
}

int
main(int argc, char **argv)
{
	int ret;

	/* The experiments read this output from a file while the process runs. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	ret = lab_eal_init(argc, argv, "claims_probe");
	if (ret < 0) {
		printf("eal: rte_eal_init failed: %s\n", strerror(-ret));
		return 1;
	}
	argc -= ret;
	argv += ret;
	if (argc < 2) {
		LAB_LOG(ERR, "usage: claims_probe EAL-OPTIONS -- primary [--pool] | attach | "
			"pointers | heap | configure | pool-create | ports | lcore");
		lab_eal_cleanup();
		return 2;
	}
	if (strcmp(argv[1], "primary") == 0) {
		ret = run_primary(argc - 1, argv + 1);
		primary_cleanup();
	} else {
		ret = run_secondary(argv[1]);
	}
	lab_eal_cleanup();
	return ret;
}
