/* SPDX-License-Identifier: BSD-3-Clause */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lab_log.h"
#include "lab_opts.h"

/* Options are parsed before and after EAL init alike, so errors go to stderr too. */
static int
lab_opt_error(const char *opt, const char *value, uint64_t min, uint64_t max)
{
	LAB_LOG(ERR, "%s: '%s' is not a number from %" PRIu64 " to %" PRIu64,
		opt, value ? value : "", min, max);
	return -EINVAL;
}

static int
lab_parse_u64_prefix(const char *value, uint64_t *out, char **end)
{
	unsigned long long v;

	if (value == NULL || !isdigit((unsigned char)value[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(value, end, 10);
	if (errno != 0)
		return -EINVAL;
	*out = v;
	return 0;
}

int
lab_parse_u64(const char *opt, const char *value, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	uint64_t v;

	if (lab_parse_u64_prefix(value, &v, &end) < 0 || *end != '\0' || v < min || v > max)
		return lab_opt_error(opt, value, min, max);
	*out = v;
	return 0;
}

int
lab_parse_range(const char *opt, const char *value, uint64_t min, uint64_t max,
		uint64_t *first, uint64_t *last)
{
	char *end;
	uint64_t a, b;

	if (lab_parse_u64_prefix(value, &a, &end) < 0)
		goto bad;
	b = a;
	if (*end == '-' && lab_parse_u64_prefix(end + 1, &b, &end) < 0)
		goto bad;
	if (*end != '\0' || a < min || b > max || a > b)
		goto bad;
	*first = a;
	*last = b;
	return 0;
bad:
	LAB_LOG(ERR, "%s: '%s' is not a range A-B with %" PRIu64 " <= A <= B <= %" PRIu64,
		opt, value ? value : "", min, max);
	return -EINVAL;
}
