/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the files of lab8_secondary share. lab8_secondary.c (attach, rx
 * loop) calls the other two; they never call it:
 *   - lab8_secondary_watch.c: is the primary alive, and the watch thread
 *     that makes this process leave when it is not;
 *   - lab8_secondary_slot.c: claiming a slot of the info block (after the
 *     lcore and ring-consumer checks) and asking for queues in it.
 * The slot file uses the watch file's clock and liveness check, never back.
 */
#ifndef LAB8_SECONDARY_H
#define LAB8_SECONDARY_H

#include <stdbool.h>
#include <stdint.h>

#include "lab_compat.h"
#include "lab8_shared.h"

/* Exit code when the primary went away: scripts tell it from a crash (139). */
#define LAB8_EXIT_PRIMARY_GONE 3

struct lab8_secondary_opts {
	int role;                /* enum lab8_role, -1 until --role */
	uint64_t sample;         /* print one packet in sample */
	bool quiet;
	bool watch;
	bool direct;             /* direct-queue mode: rx_burst on queue_first..queue_last */
	uint16_t queue_first;
	uint16_t queue_last;
};

/* lab8_secondary_watch.c */

/* Milliseconds on the monotonic clock. */
uint64_t lab8_now_ms(void);

/*
 * Builds the path lab8_primary_alive() checks; call once, after rte_eal_init()
 * (even one that failed).
 */
void lab8_primary_lock_path_init(void);

/* The primary holds a lock on <runtime dir>/config while it lives. */
bool lab8_primary_alive(void);
/* A runtime folder with a config file but no live primary (works after a failed EAL init). */
bool lab8_primary_files_orphaned(void);

/* The primary's heartbeat as a watcher last saw it, and when it last moved. */
struct lab8_beat {
	uint64_t hb;
	uint64_t changed_ms;
};

void lab8_beat_init(struct lab8_beat *beat, const struct lab8_info *info);

/* Why the primary is gone, or NULL while it lives; beat carries the heartbeat. */
const char *lab8_primary_check(const struct lab8_info *info, struct lab8_beat *beat);

/* 0 when the primary is alive, finished starting and beating, or a negative errno. */
int lab8_primary_ready(const struct lab8_info *info);

/* Shared by the main loop and the watch thread. */
struct lab8_watch {
	const struct lab8_info *info;
	const char *role;              /* names this process in the thread's last words */
	const char *volatile gone;     /* why the primary is gone: the main loop stops */
	volatile bool loop_done;       /* the main loop no longer touches shared memory */
	volatile bool stop;            /* clean exit: the thread returns */
	struct lab_ctrl_thread thread;
};

/* Starts the watch thread on w. 0, or a negative errno with the reason logged. */
int lab8_watch_start(struct lab8_watch *w, const struct lab8_info *info, const char *role);

/* Clean exit: stops the watch thread and waits for it (w->gone may be set meanwhile). */
void lab8_watch_stop(struct lab8_watch *w);

/* lab8_secondary_slot.c */

/*
 * Claims a free slot of the info block and fills it in from opts. Refuses
 * with -EBUSY when another live process uses one of this process's lcore
 * ids, or (ring mode) already reads the role's ring. 0 with *slotp set, or
 * a negative errno with the reason logged.
 */
int lab8_slot_claim(struct lab8_info *info, const struct lab8_secondary_opts *opts,
		struct lab8_slot **slotp);

/* Direct-queue mode: 0 once the primary has stopped polling the queues. */
int lab8_slot_ask_queues(struct lab8_slot *slot, const struct lab8_secondary_opts *opts);

#endif /* LAB8_SECONDARY_H */
