/* Recording a click: the link it came through, the visitor facts, uniqueness, and the daily rollup,
 * all in the caller's transaction. Shared by GET /c/{code} and POST /api/v1/clicks. */
#ifndef PD_APP_CLICKS_H
#define PD_APP_CLICKS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/bot_list.h"
#include "core/ids.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/err.h"

#define UNIQUE_WINDOW_MS (24LL * 3600 * 1000)

struct link_target {
    const char *link_id, *program_id, *partner_id, *destination, *partner_status;
    const char *click_param, *default_url;
    const char *sub[5];
};

struct click {
    char id[ID_MAX_LEN];
    const char *program_id, *partner_id, *link_id;
    const char *ip; /* truncated */
    const char *user_agent, *referrer, *landing_url;
    const char *sub[5];
    bool bot;
    bool over_limit; /* beyond its address's click rate limit: recorded, never unique */
    bool unique;     /* decided by click_record */
    uint64_t fingerprint;
    int64_t agent_id, referrer_id; /* click_texts ids of user_agent and referrer (when not NULL) */
    int64_t created_at;
};

/* 0 found, 1 no such code, -1 store error. partner_status is "disabled" for a disabled or
 * archived link: its visitors are sent to default_url uncredited, as a suspended partner's are. */
int link_target_load(struct store *s, const char *code, struct arena *a, struct link_target *out,
                     struct pd_err *err);

/* Fills a click from a visitor's facts (raw ip, user agent, ...) and the link. A bot is a user
 * agent of the built-in list or of bots (the operator's bot_list_file; may be NULL). */
void click_prepare(struct click *c, const struct link_target *t, const uint8_t fingerprint_key[16],
                   const struct bot_list *bots, const char *raw_ip, const char *user_agent,
                   const char *referrer, const char *landing_url, const char *const sub[5],
                   int64_t now_ms, struct arena *a);

/* Inserts the click, decides uniqueness (first of its fingerprint in 24 h) and updates the rollup.
 */
int click_record(struct store *s, struct click *c, struct pd_err *err);

/* The same for n clicks (one writer batch): each click's row and uniqueness, and one rollup
 * update per (link, day) for the lot. */
int click_record_many(struct store *s, struct click *const *clicks, size_t n, struct pd_err *err);

/* The click_texts id of a user agent or referrer: a keyed 63-bit hash of the text. */
int64_t click_text_id(const uint8_t key[16], const char *text);

/* Forgets up to `limit` fingerprints last seen more than 24 hours before now_ms, looking from
 * `from` (pass a random point of the key space) upwards. An expired fingerprint means the same as
 * none. */
int click_fingerprints_sweep(struct store *s, int64_t from, int64_t now_ms, int limit,
                             struct pd_err *err);

/* Deletes up to `limit` raw clicks made before before_ms, oldest first (the daily rollups stay):
 * the retention period. *purged: how many. Ids sort by time, so the cut is a range of the key.
 * On PostgreSQL raw clicks are partitioned by month (migration 019): a month's partition is
 * dropped whole once all of it is before before_ms (its clicks counted as the server estimates
 * them); a month only partly past it stays until it is all past. */
int clicks_purge(struct store *s, int64_t before_ms, int limit, int64_t *purged,
                 struct pd_err *err);

/* PostgreSQL: makes sure click_log has the partitions of the month of now_ms and of the `months`
 * after it (*created: how many it made). Nothing on SQLite. */
int clicks_partitions_ahead(struct store *s, int64_t now_ms, int months, int64_t *created,
                            struct pd_err *err);

#endif
