/* Clicks in the database: what a click on a tracking link writes, and the daily rollups every
 * write reads and adds to. Owns the writes to click_log, click_texts, click_fingerprints and
 * daily_stats; the click.created events go to the outbox (app/outbox.c).
 *
 * Where it sits: a worker fills a click with click_prepare (truncated address, bot check, keyed
 * fingerprint) and answers once the click journal has it (app/click_journal.c), or, without a
 * journal (PostgreSQL), once the writer committed it; the writer thread records a run of clicks
 * with click_record_many inside its batch's transaction, one failing click again one by one with
 * click_record (write_group in store/writer.h).
 *
 * Invariants:
 *  - click_record_many writes exactly what click_record would write for each click in turn: the
 *    same rows, the same uniqueness (a visitor's first click in UNIQUE_WINDOW_MS, bots and clicks
 *    over their address's rate limit never unique), the same rollup totals and events; batching
 *    only shares statements.
 *  - A rollup row of daily_stats (program, partner, link, day) only grows by the increments its
 *    writes add, so reports read from the rollups agree with the raw rows they summarise; raw
 *    clicks may be purged (clicks_purge), the rollups stay.
 *  - Everything runs in the caller's transaction: on an error nothing here is kept. */
#include "app/clicks.h"

#include <sched.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/fields.h"
#include "app/outbox.h"
#include "app/rollups.h"
#include "core/traffic.h"
#include "util/timefmt.h"
#include "util/banned.h"

int link_target_load(struct store *s, const char *code, struct arena *a, struct link_target *out,
                     struct pd_err *err)
{
    struct db_val p = db_text(code);
    struct store_cursor cur;
    int rc = store_query_row(s,
                             "SELECT l.id, l.program_id, l.partner_id, l.destination,"
                             " CASE WHEN l.disabled = 1 OR l.archived_at IS NOT NULL"
                             " THEN 'disabled' ELSE p.status END,"
                             " g.click_param, g.default_url, l.sub1, l.sub2, l.sub3, l.sub4, l.sub5"
                             " FROM links l JOIN partners p ON p.id = l.partner_id"
                             " JOIN programs g ON g.id = l.program_id WHERE l.code = ?1",
                             &p, 1, &cur, err);
    if (rc < 0)
        return -1;
    if (rc == STORE_DONE)
        return 1;
    out->link_id = col_dup(a, &cur, 0);
    out->program_id = col_dup(a, &cur, 1);
    out->partner_id = col_dup(a, &cur, 2);
    out->destination = col_dup(a, &cur, 3);
    out->partner_status = col_dup(a, &cur, 4);
    out->click_param = col_dup(a, &cur, 5);
    out->default_url = col_dup(a, &cur, 6);
    for (int i = 0; i < 5; i++)
        out->sub[i] = col_dup(a, &cur, 7 + i);
    store_finish(&cur);
    return 0;
}

void click_prepare(struct click *c, const struct link_target *t, const uint8_t fingerprint_key[16],
                   const struct bot_list *bots, const char *raw_ip, const char *user_agent,
                   const char *referrer, const char *landing_url, const char *const sub[5],
                   int64_t now_ms, struct arena *a)
{
    memset(c, 0, sizeof *c);
    id_new(c->id, sizeof c->id, "", (uint64_t)now_ms);
    c->program_id = t->program_id;
    c->partner_id = t->partner_id;
    c->link_id = t->link_id;
    char truncated[64];
    if (raw_ip && traffic_truncate_ip(raw_ip, truncated, sizeof truncated))
        c->ip = arena_strdup(a, truncated);
    c->user_agent = user_agent;
    c->referrer = referrer;
    c->landing_url = landing_url;
    for (int i = 0; i < 5; i++)
        c->sub[i] = sub && sub[i] ? sub[i] : t->sub[i];
    c->bot = traffic_is_bot(user_agent) || bot_list_match(bots, user_agent);
    c->fingerprint = traffic_fingerprint(fingerprint_key, t->link_id, c->ip ? c->ip : "",
                                         user_agent ? user_agent : "");
    c->agent_id = user_agent ? click_text_id(fingerprint_key, user_agent) : 0;
    c->referrer_id = referrer ? click_text_id(fingerprint_key, referrer) : 0;
    c->created_at = now_ms;
}

#define DAY_MS 86400000LL

/* The first millisecond of the month after the one containing ms (UTC). */
static int64_t next_month_ms(int64_t ms)
{
    return time_month_start_ms(time_month_start_ms(ms) + 32 * DAY_MS);
}

/* A month's partition of click_log on PostgreSQL (migration 019): click_log_YYYYMM. */
static void partition_name(int64_t month_ms, char *out, size_t len)
{
    int64_t y;
    unsigned m, d;
    time_civil_from_days(month_ms / DAY_MS, &y, &m, &d);
    snprintf(out, len, "click_log_%04lld%02u", (long long)y, m);
}

int clicks_partitions_ahead(struct store *s, int64_t now_ms, int months, int64_t *created,
                            struct pd_err *err)
{
    *created = 0;
    if (s->dialect != STORE_POSTGRES)
        return 0;
    if (store_lock(s, "click_log partitions", NULL, NULL, err) < 0)
        return -1;
    int64_t month = time_month_start_ms(now_ms);
    for (int i = 0; i <= months; i++, month = next_month_ms(month)) {
        char name[32], from[ID_ULID_LEN + 1], to[ID_ULID_LEN + 1], sql[256];
        partition_name(month, name, sizeof name);
        struct db_val n = db_text(name);
        int64_t exists = 0;
        if (store_query_int(s, "SELECT COUNT(*) FROM pg_class WHERE relname = ?1", &n, 1, 0,
                            &exists, err) < 0)
            return -1;
        if (exists)
            continue;
        id_floor(from, sizeof from, "", month);
        id_floor(to, sizeof to, "", next_month_ms(month));
        snprintf(sql, sizeof sql,
                 "CREATE TABLE %s PARTITION OF click_log FOR VALUES FROM ('%s') TO ('%s')", name,
                 from, to);
        if (s->ops->exec_script(s, sql, err) < 0)
            return -1;
        (*created)++;
    }
    return 0;
}

/* PostgreSQL: drops each month's partition all of which is before before_ms (the boundary: a
 * month goes once its last click is past retention, so a click is kept up to a month longer than
 * retention asks). *dropped: the clicks they held, as the server estimates them. */
static int drop_past_months(struct store *s, int64_t before_ms, int64_t *dropped,
                            struct pd_err *err)
{
    *dropped = 0;
    struct store_cursor cur;
    if (store_query(s,
                    "SELECT c.relname, GREATEST(c.reltuples, 0)::bigint FROM pg_inherits i"
                    " JOIN pg_class c ON c.oid = i.inhrelid"
                    " WHERE i.inhparent = 'click_log'::regclass AND c.relname <> 'click_log_default'"
                    " ORDER BY c.relname",
                    NULL, 0, &cur, err) < 0)
        return -1;
    char names[64][32];
    int n = 0, rc;
    while ((rc = store_step(&cur, err)) == STORE_ROW && n < 64) {
        unsigned y = 0, m = 0;
        if (sscanf(store_col_text(&cur, 0), "click_log_%4u%2u", &y, &m) != 2 || m < 1 || m > 12)
            continue;
        int64_t month = time_days_from_civil(y, m, 1) * DAY_MS;
        if (next_month_ms(month) > before_ms)
            break; /* in name order: every later month is newer */
        snprintf(names[n++], sizeof names[0], "%s", store_col_text(&cur, 0));
        *dropped += store_col_int(&cur, 1);
    }
    store_finish(&cur);
    if (rc < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        char sql[64];
        snprintf(sql, sizeof sql, "DROP TABLE %.31s", names[i]);
        if (s->ops->exec_script(s, sql, err) < 0)
            return -1;
    }
    return 0;
}

int clicks_purge(struct store *s, int64_t before_ms, int limit, int64_t *purged, struct pd_err *err)
{
    char floor[ID_ULID_LEN + 1];
    id_floor(floor, sizeof floor, "", before_ms);
    struct db_val v[2] = {db_text(floor), db_int(limit)};
    int64_t n = 0, old = 0;
    if (s->dialect == STORE_POSTGRES) {
        /* Whole months, then what the default partition caught (a click of a month that had no
         * partition yet), row by row. */
        if (store_lock(s, "click_log partitions", NULL, NULL, err) < 0 ||
            drop_past_months(s, before_ms, &n, err) < 0 ||
            store_exec(s,
                       "DELETE FROM click_log_default WHERE id IN (SELECT id FROM"
                       " click_log_default WHERE id < ?1 ORDER BY id LIMIT ?2)",
                       v, 2, &old, err) < 0)
            return -1;
        n += old;
        old = 0;
    } else if (store_exec(s,
                          "DELETE FROM click_log WHERE id IN"
                          " (SELECT id FROM click_log WHERE id < ?1 ORDER BY id LIMIT ?2)",
                          v, 2, &n, err) < 0) {
        return -1;
    }
    /* Clicks stored before migration 004. */
    if (n < limit) {
        v[1] = db_int(limit - n);
        if (store_exec(s,
                       "DELETE FROM clicks_v1 WHERE id IN"
                       " (SELECT id FROM clicks_v1 WHERE id < ?1 ORDER BY id LIMIT ?2)",
                       v, 2, &old, err) < 0)
            return -1;
    }
    *purged = n + old;
    return 0;
}

int64_t click_text_id(const uint8_t key[16], const char *text)
{
    uint8_t h[crypto_shorthash_BYTES];
    crypto_shorthash(h, (const unsigned char *)text, strlen(text), key);
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | h[i];
    return (int64_t)(v >> 1);
}

static int click_text_add(struct store *s, int64_t id, const char *text, struct pd_err *err)
{
    struct db_val v[2] = {db_int(id), db_text(text)};
    return store_exec(s,
                      "INSERT INTO click_texts (id, text) VALUES (?1, ?2)"
                      " ON CONFLICT (id) DO NOTHING",
                      v, 2, NULL, err) < 0
               ? -1
               : 0;
}

int click_fingerprints_sweep(struct store *s, int64_t from, int64_t now_ms, int limit,
                             struct pd_err *err)
{
    struct db_val v[3] = {db_int(from), db_int(now_ms - UNIQUE_WINDOW_MS), db_int(limit)};
    if (s->dialect == STORE_POSTGRES)
        /* Rows another node's batch holds are left for a later sweep, never waited for: a wait
         * here, after this batch's own fingerprints, could close a circle with that batch. */
        return store_exec(s,
                          "DELETE FROM click_fingerprints WHERE fingerprint IN"
                          " (SELECT fingerprint FROM click_fingerprints WHERE fingerprint >= ?1"
                          " ORDER BY fingerprint LIMIT ?3 FOR UPDATE SKIP LOCKED)"
                          " AND last_at <= ?2",
                          v, 3, NULL, err) < 0
                   ? -1
                   : 0;
    return store_exec(s,
                      "DELETE FROM click_fingerprints WHERE fingerprint IN"
                      " (SELECT fingerprint FROM click_fingerprints WHERE fingerprint >= ?1"
                      " ORDER BY fingerprint LIMIT ?3) AND last_at <= ?2",
                      v, 3, NULL, err) < 0
               ? -1
               : 0;
}

/* Whether a click is its visitor's first in 24 hours (c->unique), from its fingerprint. */
static int click_decide_unique(struct store *s, struct click *c, struct pd_err *err)
{
    c->unique = false;
    /* A click over its address's rate limit leaves the uniqueness window alone: it neither counts
     * as the visitor's first click nor restarts the window of the one that did. */
    if (c->bot || c->over_limit)
        return 0;
    /* One statement decides uniqueness: it inserts a new fingerprint, or restarts the window of
     * one last seen more than 24 hours ago; either way exactly one row changes. */
    int64_t changed = 0;
    struct db_val f[3] = {db_int((int64_t)c->fingerprint), db_int(c->created_at),
                          db_int(c->created_at - UNIQUE_WINDOW_MS)};
    if (store_exec(s,
                   "INSERT INTO click_fingerprints (fingerprint, last_at) VALUES (?1, ?2)"
                   " ON CONFLICT (fingerprint) DO UPDATE SET last_at = excluded.last_at"
                   " WHERE click_fingerprints.last_at <= ?3",
                   f, 3, &changed, err) < 0)
        return -1;
    c->unique = changed == 1;
    return 0;
}

/* click_log rows go in by up to 16 per statement, since a statement's own cost (binding, running,
 * finishing) weighs as much as several rows'. One SQL text per power of two, so any count is a few
 * statements of texts prepared once. On PostgreSQL a statement also costs a round trip to the
 * server: up to 64 rows each. */
#define CLICK_COLUMNS 14
#define CLICK_ROW_1 "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
#define CLICK_ROW_2 CLICK_ROW_1 ", " CLICK_ROW_1
#define CLICK_ROW_4 CLICK_ROW_2 ", " CLICK_ROW_2
#define CLICK_ROW_8 CLICK_ROW_4 ", " CLICK_ROW_4
#define CLICK_ROW_16 CLICK_ROW_8 ", " CLICK_ROW_8
#define CLICK_ROW_32 CLICK_ROW_16 ", " CLICK_ROW_16
#define CLICK_ROW_64 CLICK_ROW_32 ", " CLICK_ROW_32
#define CLICK_INSERT                                                                               \
    "INSERT INTO click_log (id, link_id, created_at, ip, agent, referrer, landing_url, sub1,"      \
    " sub2, sub3, sub4, sub5, bot, is_unique) VALUES "

static const char *const click_insert_sql[7] = {
    CLICK_INSERT CLICK_ROW_1,  CLICK_INSERT CLICK_ROW_2,  CLICK_INSERT CLICK_ROW_4,
    CLICK_INSERT CLICK_ROW_8,  CLICK_INSERT CLICK_ROW_16, CLICK_INSERT CLICK_ROW_32,
    CLICK_INSERT CLICK_ROW_64,
};

static void click_row(const struct click *c, struct db_val *v)
{
    v[0] = db_text(c->id);
    v[1] = db_text(c->link_id);
    v[2] = db_int(c->created_at);
    v[3] = db_text(c->ip);
    v[4] = c->user_agent ? db_int(c->agent_id) : db_null();
    v[5] = c->referrer ? db_int(c->referrer_id) : db_null();
    v[6] = db_text(c->landing_url);
    for (int i = 0; i < 5; i++)
        v[7 + i] = db_text(c->sub[i]);
    v[12] = db_int(c->bot);
    v[13] = db_int(c->unique);
}

static int click_log_insert(struct store *s, struct click *const *clicks, size_t n,
                            struct pd_err *err)
{
    struct db_val v[64 * CLICK_COLUMNS];
    int most = s->dialect == STORE_POSTGRES ? 6 : 4;
    while (n > 0) {
        int k = most; /* rows 1 << k */
        while ((size_t)1 << k > n)
            k--;
        size_t rows = (size_t)1 << k;
        for (size_t i = 0; i < rows; i++)
            click_row(clicks[i], v + i * CLICK_COLUMNS);
        if (store_exec(s, click_insert_sql[k], v, (int)(rows * CLICK_COLUMNS), NULL, err) < 0)
            return -1;
        clicks += rows;
        n -= rows;
        /* On the writer thread, a batch's rows are hundreds of microseconds of CPU: between two
         * INSERTs it lets a thread waiting for this CPU (an event loop) run first. */
        if (n > 0)
            sched_yield();
    }
    return 0;
}

static json_t *text_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* The data of a click.created event. */
static json_t *click_event_json(const struct click *c)
{
    char at[40];
    time_format_rfc3339(c->created_at, at, sizeof at);
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b}", "id", c->id, "object", "click",
                  "program_id", c->program_id, "partner_id", c->partner_id, "link_id", c->link_id,
                  "created_at", at, "bot", c->bot, "unique", c->unique);
    if (!o)
        abort();
    json_object_set_new(o, "ip", text_or_null(c->ip));
    json_object_set_new(o, "user_agent", text_or_null(c->user_agent));
    json_object_set_new(o, "referrer", text_or_null(c->referrer));
    json_object_set_new(o, "landing_url", text_or_null(c->landing_url));
    static const char *const subs[5] = {"sub1", "sub2", "sub3", "sub4", "sub5"};
    for (int i = 0; i < 5; i++)
        json_object_set_new(o, subs[i], text_or_null(c->sub[i]));
    return o;
}

/* click.created for each click, in the same transaction; one look at the subscriptions when no
 * endpoint wants it (the event is opt-in: most installations never pay for it). */
static int emit_click_events(struct store *s, struct click *const *clicks, size_t n,
                             struct pd_err *err)
{
    bool wanted = false;
    if (outbox_subscribed(s, "click.created", &wanted, err) < 0)
        return -1;
    for (size_t i = 0; wanted && i < n; i++) {
        json_t *data = click_event_json(clicks[i]);
        int rc = outbox_emit(s, "click.created", data, clicks[i]->created_at, err);
        json_decref(data);
        if (rc < 0)
            return -1;
    }
    return 0;
}

int click_record(struct store *s, struct click *c, struct pd_err *err)
{
    if ((c->user_agent && click_text_add(s, c->agent_id, c->user_agent, err) < 0) ||
        (c->referrer && click_text_add(s, c->referrer_id, c->referrer, err) < 0) ||
        click_decide_unique(s, c, err) < 0 || click_log_insert(s, &c, 1, err) < 0)
        return -1;
    if (stats_add(s, c->program_id, c->partner_id, c->link_id, c->created_at, 1, c->unique, 0, 0, 0,
                  err) < 0)
        return -1;
    return emit_click_events(s, &c, 1, err);
}

static int64_t day_of(int64_t ms)
{
    return ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
}

/* The per-batch tables below start on the stack and grow with what is distinct in the batch (a
 * few links and user agents, usually), not with the batch: their cost, allocating and scanning
 * them, then follows the distinct keys, not the batch's length. */
#define SMALL_TABLE 64

/* A batch's small map from 64-bit keys (text ids, visitors' fingerprints) to a value: open
 * addressing, at most half full. */
struct batch_slot {
    uint64_t key;
    int64_t value;
    bool used;
};

struct batch_map {
    struct batch_slot *slot;
    size_t cap, used;
    struct batch_slot small[SMALL_TABLE];
};

static void batch_map_init(struct batch_map *m)
{
    memset(m->small, 0, sizeof m->small);
    m->slot = m->small;
    m->cap = SMALL_TABLE;
    m->used = 0;
}

static void batch_map_free(struct batch_map *m)
{
    if (m->slot != m->small)
        free(m->slot);
}

/* Where key is, or where it would go (used false). */
static struct batch_slot *batch_map_find(struct batch_map *m, uint64_t key)
{
    size_t h = (size_t)(key * 0x9e3779b97f4a7c15ULL >> 20) & (m->cap - 1);
    while (m->slot[h].used && m->slot[h].key != key)
        h = (h + 1) & (m->cap - 1);
    return &m->slot[h];
}

/* Puts key at `at` (from batch_map_find, unused); the map may grow, which moves every slot. */
static void batch_map_put(struct batch_map *m, struct batch_slot *at, uint64_t key, int64_t value)
{
    *at = (struct batch_slot){.key = key, .value = value, .used = true};
    if (++m->used * 2 <= m->cap)
        return;
    struct batch_map grown = {.cap = m->cap * 2};
    grown.slot = calloc(grown.cap, sizeof *grown.slot);
    if (!grown.slot)
        abort();
    for (size_t i = 0; i < m->cap; i++)
        if (m->slot[i].used)
            *batch_map_find(&grown, m->slot[i].key) = m->slot[i];
    batch_map_free(m);
    m->slot = grown.slot;
    m->cap = grown.cap;
}

/* Each distinct user agent and referrer of a batch is written once (most clicks of a batch share
 * a few). */
static int click_texts_add_many(struct store *s, struct click *const *clicks, size_t n,
                                struct pd_err *err)
{
    struct batch_map seen;
    batch_map_init(&seen);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        for (int k = 0; k < 2 && rc == 0; k++) {
            const char *text = k == 0 ? clicks[i]->user_agent : clicks[i]->referrer;
            int64_t id = k == 0 ? clicks[i]->agent_id : clicks[i]->referrer_id;
            struct batch_slot *at = text ? batch_map_find(&seen, (uint64_t)id) : NULL;
            if (!at || at->used)
                continue;
            batch_map_put(&seen, at, (uint64_t)id, 0);
            rc = click_text_add(s, id, text, err);
        }
    }
    batch_map_free(&seen);
    return rc;
}

#define LAST_AT_UNKNOWN INT64_MIN

struct in_order {
    struct click *c;
    size_t i; /* its place in the batch */
};

static int by_fingerprint(const void *x, const void *y)
{
    const struct in_order *a = x, *b = y;
    if (a->c->fingerprint != b->c->fingerprint)
        return a->c->fingerprint < b->c->fingerprint ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

/* PostgreSQL: the batch's clicks by fingerprint (each visitor's in their order), so that every
 * node's batches lock fingerprint rows in one order and never wait for each other in a circle.
 * Each visitor's uniqueness depends only on its own clicks, so the order decides nothing else.
 * NULL on SQLite (one writer): the clicks' own order. */
static struct click **in_lock_order(struct store *s, struct click *const *clicks, size_t n)
{
    if (s->dialect != STORE_POSTGRES || n < 2)
        return NULL;
    struct in_order *sorted = malloc(n * sizeof *sorted);
    struct click **order = malloc(n * sizeof *order);
    if (!sorted || !order)
        abort();
    for (size_t i = 0; i < n; i++)
        sorted[i] = (struct in_order){.c = clicks[i], .i = i};
    qsort(sorted, n, sizeof *sorted, by_fingerprint);
    for (size_t i = 0; i < n; i++)
        order[i] = sorted[i].c;
    free(sorted);
    return order;
}

/* PostgreSQL: the windows already stored for the batch's visitors (order: by fingerprint), read
 * in one statement that locks nothing, into visitors. A visitor whose window is still open needs no
 * upsert, which would lock its row until this batch commits and make every other node's batch
 * with the same visitor wait for that; only new visitors and expired windows are upserted. */
static int visitors_known(struct store *s, struct click *const *order, size_t n,
                          struct batch_map *visitors, struct pd_err *err)
{
    char *list = malloc(n * 22 + 3);
    if (!list)
        abort();
    size_t len = 0;
    list[len++] = '{';
    for (size_t i = 0; i < n; i++) {
        if (order[i]->bot || order[i]->over_limit ||
            (len > 1 && i > 0 && order[i - 1]->fingerprint == order[i]->fingerprint))
            continue;
        len += (size_t)snprintf(list + len, 22, "%s%lld", len > 1 ? "," : "",
                                (long long)(int64_t)order[i]->fingerprint);
    }
    list[len++] = '}';
    list[len] = '\0';
    struct db_val p = db_text(list);
    struct store_cursor cur;
    int rc = store_query(s,
                         "SELECT fingerprint, last_at FROM click_fingerprints"
                         " WHERE fingerprint = ANY (CAST(?1 AS BIGINT[]))",
                         &p, 1, &cur, err);
    free(list);
    if (rc < 0)
        return -1;
    while ((rc = store_step(&cur, err)) == STORE_ROW) {
        uint64_t f = (uint64_t)store_col_int(&cur, 0);
        struct batch_slot *v = batch_map_find(visitors, f);
        if (!v->used)
            batch_map_put(visitors, v, f, store_col_int(&cur, 1));
    }
    store_finish(&cur);
    return rc < 0 ? -1 : 0;
}

/* The uniqueness of a batch's clicks, as click_decide_unique one by one would decide it, with one
 * statement per visitor and batch where it can: a visitor's later clicks in the batch are decided
 * from the window's start its first click found or set (read once when that click did not set
 * it). Nothing else moves a window's start back while the batch runs (other nodes only move it
 * forward, which the statement then sees). */
static int click_decide_unique_many(struct store *s, struct click *const *clicks, size_t n,
                                    struct pd_err *err)
{
    struct batch_map visitors; /* fingerprint -> the window's start, or LAST_AT_UNKNOWN */
    batch_map_init(&visitors);
    struct click **order = in_lock_order(s, clicks, n);
    int rc = order ? visitors_known(s, order, n, &visitors, err) : 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct click *c = order ? order[i] : clicks[i];
        c->unique = false;
        if (c->bot || c->over_limit)
            continue;
        struct batch_slot *v = batch_map_find(&visitors, c->fingerprint);
        if (v->used) {
            struct db_val f = db_int((int64_t)c->fingerprint);
            if (v->value == LAST_AT_UNKNOWN &&
                (rc = store_query_int(s,
                                      "SELECT last_at FROM click_fingerprints"
                                      " WHERE fingerprint = ?1",
                                      &f, 1, LAST_AT_UNKNOWN, &v->value, err)) < 0)
                break;
            if (v->value > c->created_at - UNIQUE_WINDOW_MS)
                continue; /* within the window: the statement would change nothing */
        }
        if ((rc = click_decide_unique(s, c, err)) < 0)
            break;
        int64_t start = c->unique ? c->created_at : LAST_AT_UNKNOWN;
        if (v->used)
            v->value = start;
        else
            batch_map_put(&visitors, v, c->fingerprint, start);
    }
    free(order);
    batch_map_free(&visitors);
    return rc < 0 ? -1 : 0;
}

/* One rollup row's increment within a batch: clicks of a batch mostly share a few links, so they
 * are added up per (link, day) and each rollup row is written once. Open addressing, at most half
 * full. */
struct rollup {
    const struct click *c; /* the first click of the (link, day): its program, partner, link */
    uint64_t hash;
    int64_t day, clicks, uniques;
};

struct rollups {
    struct rollup *slot;
    size_t cap, used;
    struct rollup small[SMALL_TABLE];
};

static size_t rollup_slot(const struct rollup *slot, size_t cap, uint64_t hash, int64_t day,
                          const char *link_id)
{
    size_t k = hash & (cap - 1);
    while (slot[k].c && !(slot[k].hash == hash && slot[k].day == day &&
                          strcmp(slot[k].c->link_id, link_id) == 0))
        k = (k + 1) & (cap - 1);
    return k;
}

static void rollups_add(struct rollups *r, const struct click *c)
{
    int64_t day = day_of(c->created_at);
    uint64_t hash = (uint64_t)day * 0x9e3779b97f4a7c15ULL;
    for (const char *p = c->link_id; *p; p++)
        hash = (hash ^ (unsigned char)*p) * 1099511628211ULL;
    struct rollup *e = &r->slot[rollup_slot(r->slot, r->cap, hash, day, c->link_id)];
    e->clicks++;
    e->uniques += c->unique;
    if (e->c)
        return;
    e->c = c;
    e->hash = hash;
    e->day = day;
    if (++r->used * 2 > r->cap) {
        size_t cap = r->cap * 2;
        struct rollup *slot = calloc(cap, sizeof *slot);
        if (!slot)
            abort();
        for (size_t i = 0; i < r->cap; i++)
            if (r->slot[i].c)
                slot[rollup_slot(slot, cap, r->slot[i].hash, r->slot[i].day,
                                 r->slot[i].c->link_id)] = r->slot[i];
        if (r->slot != r->small)
            free(r->slot);
        r->slot = slot;
        r->cap = cap;
    }
}

static int by_rollup_key(const void *x, const void *y)
{
    const struct rollup *a = *(const struct rollup *const *)x, *b = *(const struct rollup *const *)y;
    int c = strcmp(a->c->program_id, b->c->program_id);
    if (c == 0)
        c = strcmp(a->c->partner_id, b->c->partner_id);
    if (c == 0)
        c = strcmp(a->c->link_id, b->c->link_id);
    return c != 0 ? c : a->day < b->day ? -1 : a->day > b->day;
}

/* One increment per rollup row. On PostgreSQL in the order of daily_stats' key, so that nodes'
 * batches lock the rows they share in one order (see in_lock_order). */
static int rollups_write(struct store *s, const struct rollups *r, struct pd_err *err)
{
    const struct rollup **rows = malloc(r->used * sizeof *rows);
    if (!rows)
        abort();
    size_t n = 0;
    for (size_t k = 0; k < r->cap; k++)
        if (r->slot[k].c)
            rows[n++] = &r->slot[k];
    if (s->dialect == STORE_POSTGRES)
        qsort(rows, n, sizeof *rows, by_rollup_key);
    int rc = 0;
    for (size_t k = 0; k < n && rc == 0; k++)
        rc = stats_add(s, rows[k]->c->program_id, rows[k]->c->partner_id, rows[k]->c->link_id,
                       rows[k]->day * 86400000, rows[k]->clicks, rows[k]->uniques, 0, 0, 0, err);
    free(rows);
    return rc;
}

int click_record_many(struct store *s, struct click *const *clicks, size_t n, struct pd_err *err)
{
    if (n == 0)
        return 0;
    if (click_texts_add_many(s, clicks, n, err) < 0)
        return -1;
    if (click_decide_unique_many(s, clicks, n, err) < 0)
        return -1;
    if (click_log_insert(s, clicks, n, err) < 0)
        return -1;
    /* Twice as many fingerprints looked at as clicks written keeps the table near one day's
     * visitors. A keyed hash, the last fingerprint is as good a random starting point as any. */
    const struct click *last = clicks[n - 1];
    if (click_fingerprints_sweep(s, (int64_t)last->fingerprint, last->created_at, (int)(2 * n + 16),
                                 err) < 0)
        return -1;
    struct rollups r = {.cap = SMALL_TABLE};
    r.slot = r.small;
    for (size_t i = 0; i < n; i++)
        rollups_add(&r, clicks[i]);
    int rc = rollups_write(s, &r, err);
    if (r.slot != r.small)
        free(r.slot);
    return rc < 0 ? -1 : emit_click_events(s, clicks, n, err);
}
