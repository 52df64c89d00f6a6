/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * FLOW_TABLE: the course's "rte_hash / rte_lpm / rte_acl: shared if in named
 * memzone". rte_hash_create() puts the table in hugepage memory and names it,
 * so a secondary finds it with rte_hash_find_existing(), and the buckets and
 * keys it points to are hugepage memory too: valid in every process.
 *
 * One thing in it is not. struct rte_hash keeps its hash function as a
 * pointer (h->hash_func), and rte_hash_lookup() calls it: an address in
 * the primary's copy of librte_hash (or of its executable, for an inline
 * function like rte_hash_crc). lab8_secondary is another executable, and
 * with ASLR every process maps libraries at other addresses: through that
 * pointer a secondary jumps into whatever its own memory holds there. So
 * both sides here compute the signature themselves, with this file's
 * rte_hash_crc() call compiled into each program, and use the
 * rte_hash_*_with_hash() calls, which take the signature and never call
 * the pointer. Key comparison is safe: rte_hash stores an index into its
 * own table of compare functions (h->cmp_jump_table_idx), not a pointer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_errno.h>

#include <rte_hash.h>
#include <rte_hash_crc.h>

#include "lab_log.h"
#include "lab8_policy.h"

#define LAB8_POLICY_HASH_INIT 0
#define LAB8_POLICY_MAX 65536
#define LAB8_POLICY_LINE 256

static const char *const verdict_names[LAB8_VERDICT_MAX] = {
	[LAB8_VERDICT_ALLOW] = "allow",
	[LAB8_VERDICT_DENY] = "deny",
	[LAB8_VERDICT_MISS] = "miss",
};

const char *
lab8_verdict_name(enum lab8_verdict v)
{
	return v < LAB8_VERDICT_MAX ? verdict_names[v] : "?";
}

/* The key is the address in network order, as it is on the wire. */
static hash_sig_t
lab8_policy_sig(const uint32_t *key)
{
	return rte_hash_crc(key, sizeof(*key), LAB8_POLICY_HASH_INIT);
}

int
lab8_policy_parse_line(const char *line, uint32_t *addr, enum lab8_verdict *v, char *why,
		size_t len)
{
	char ip[64], word[64], extra[2];
	struct in_addr a;
	const char *hash = strchr(line, '#');
	char buf[LAB8_POLICY_LINE];
	int n;

	snprintf(buf, sizeof(buf), "%.*s", hash ? (int)(hash - line) : (int)strlen(line), line);
	n = sscanf(buf, "%63s %63s %1s", ip, word, extra);
	if (n <= 0)
		return 1;
	if (n != 2) {
		snprintf(why, len, n == 1 ? "expected 'A.B.C.D allow|deny', got one word" :
			"expected 'A.B.C.D allow|deny', got more after the verdict");
		return -EINVAL;
	}
	if (inet_pton(AF_INET, ip, &a) != 1) {
		snprintf(why, len, "'%s' is not an IPv4 address A.B.C.D", ip);
		return -EINVAL;
	}
	if (strcmp(word, "allow") == 0) {
		*v = LAB8_VERDICT_ALLOW;
	} else if (strcmp(word, "deny") == 0) {
		*v = LAB8_VERDICT_DENY;
	} else {
		snprintf(why, len, "'%s' is not 'allow' or 'deny'", word);
		return -EINVAL;
	}
	*addr = rte_be_to_cpu_32(a.s_addr);
	return 0;
}

/* Adds one entry; a second line for the same address is an error, not an override. */
static int
lab8_policy_add(struct rte_hash *h, uint32_t addr, enum lab8_verdict v, char *why, size_t len)
{
	uint32_t key = rte_cpu_to_be_32(addr);
	hash_sig_t sig = lab8_policy_sig(&key);
	int ret;

	if (rte_hash_lookup_with_hash(h, &key, sig) >= 0) {
		snprintf(why, len, "the address is listed twice");
		return -EEXIST;
	}
	ret = rte_hash_add_key_with_hash_data(h, &key, sig, (void *)(uintptr_t)v);
	if (ret < 0)
		snprintf(why, len, "cannot add it to %s: %s", LAB8_FLOW_TABLE, strerror(-ret));
	return ret;
}

/* Every line of the file, or the first error with its line number. */
static int
lab8_policy_fill(struct rte_hash *h, FILE *f, const char *path, unsigned int *nb)
{
	char line[LAB8_POLICY_LINE], why[128];
	unsigned int lineno = 0;
	enum lab8_verdict v;
	uint32_t addr;
	int ret;

	*nb = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		ret = lab8_policy_parse_line(line, &addr, &v, why, sizeof(why));
		if (ret == 0)
			ret = lab8_policy_add(h, addr, v, why, sizeof(why));
		if (ret < 0) {
			LAB_LOG(ERR, "--policy %s:%u: %s ('%s'); fix the line or remove it", path,
				lineno, why, line);
			return ret;
		}
		*nb += ret == 0;
	}
	return 0;
}

struct rte_hash *
lab8_policy_load(const char *path, int socket, unsigned int *nb)
{
	struct rte_hash_parameters params = {
		.name = LAB8_FLOW_TABLE,
		.entries = LAB8_POLICY_MAX,
		.key_len = sizeof(uint32_t),
		/* Stored, but never called by this lab: see the comment at the top. */
		.hash_func = rte_hash_crc,
		.hash_func_init_val = LAB8_POLICY_HASH_INIT,
		.socket_id = socket,
	};
	struct rte_hash *h;
	FILE *f;

	f = fopen(path, "r");
	if (f == NULL) {
		LAB_LOG(ERR, "--policy %s: cannot open it: %s", path, strerror(errno));
		return NULL;
	}
	h = rte_hash_create(&params);
	if (h == NULL) {
		LAB_LOG(ERR, "cannot create %s (%u entries) on socket %d: %s", LAB8_FLOW_TABLE,
			params.entries, socket, rte_strerror(rte_errno));
		fclose(f);
		return NULL;
	}
	if (lab8_policy_fill(h, f, path, nb) < 0) {
		rte_hash_free(h);
		h = NULL;
	}
	fclose(f);
	return h;
}

enum lab8_verdict
lab8_policy_lookup(const struct rte_hash *h, uint32_t src)
{
	uint32_t key = rte_cpu_to_be_32(src);
	void *data;

	if (rte_hash_lookup_with_hash_data(h, &key, lab8_policy_sig(&key), &data) < 0)
		return LAB8_VERDICT_MISS;
	return (enum lab8_verdict)(uintptr_t)data;
}
