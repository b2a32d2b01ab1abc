/* bench_load: fills a partnerd database with realistic traffic, fast, for the report, disk and
 * flat-latency benchmarks.
 *
 *   bench_load --db sqlite:PATH --program PRG_ID [--partners N] [--links N] [--clicks N]
 *              [--days N] [--seed N]
 *
 * The database must be initialised (`partnerd init`) and hold the program. Adds N active partners
 * (ref codes bp0, bp1, ...; each with its default link), extra links (bl0, bl1, ...) up to --links
 * in all, then --clicks clicks spread evenly over the last --days days, in time order, through the
 * same click_record() the server uses (uniqueness, rollups), in large transactions. Traffic is
 * skewed the way affiliate traffic is: a few partners bring most clicks. User agents, referrers,
 * sub-ids, bots and repeat visitors are mixed in.
 *
 * Prints one JSON object: the first partner's id and code (the busiest), counts and timings. */
#include <inttypes.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/clicks.h"
#include "app/partners.h"
#include "app/records.h"
#include "cli/cli.h"
#include "core/ids.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/timefmt.h"
#include "util/banned.h"

#define TX_ROWS 50000 /* a multiple of BATCH */
#define BATCH 1000
#define DAY_MS (86400LL * 1000)

static const char *const user_agents[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.6778.81 Mobile Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.51",
    "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.6723.107 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Mobile/15E148 Instagram 355.0.0.21.106",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
};
static const char *const referrers[] = {
    NULL,
    "https://www.google.com/",
    "https://www.youtube.com/",
    "https://t.co/",
    "https://www.instagram.com/",
    "https://blog.example.net/best-running-shoes-2026",
    "https://www.reddit.com/r/running/comments/1abcde/which_shoes/",
    "https://www.facebook.com/",
};

static uint64_t rng_next(uint64_t *s)
{
    /* splitmix64 */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double rng_unit(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) / 9007199254740992.0;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void fail(const char *what, const struct pd_err *err)
{
    fprintf(stderr, "bench_load: %s: %s\n", what, err ? err->message : "");
    exit(1);
}

/* Ends the transaction every TX_ROWS rows so memory and the WAL stay bounded. */
static void tx_tick(struct store *s, long i)
{
    struct pd_err err = {0};
    if (i % TX_ROWS != TX_ROWS - 1)
        return;
    if (store_commit(s, &err) < 0 || store_begin(s, &err) < 0)
        fail("commit", &err);
}

int main(int argc, char **argv)
{
    const char *db = NULL, *program_id = NULL;
    long partners = 1000, links = 0, clicks = 1000000, days = 30;
    uint64_t seed = 42;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (strcmp(a, "--db") == 0)
            db = v;
        else if (strcmp(a, "--program") == 0)
            program_id = v;
        else if (strcmp(a, "--partners") == 0)
            partners = strtol(v, NULL, 10);
        else if (strcmp(a, "--links") == 0)
            links = strtol(v, NULL, 10);
        else if (strcmp(a, "--clicks") == 0)
            clicks = strtol(v, NULL, 10);
        else if (strcmp(a, "--days") == 0)
            days = strtol(v, NULL, 10);
        else if (strcmp(a, "--seed") == 0)
            seed = strtoull(v, NULL, 10);
        else {
            fprintf(stderr, "bench_load: unknown option %s\n", a);
            return 2;
        }
    }
    if (!db || !program_id || partners < 1 || clicks < 0 || days < 1) {
        fputs("usage: bench_load --db sqlite:PATH --program PRG_ID [--partners N] [--links N]"
              " [--clicks N] [--days N] [--seed N]\n",
              stderr);
        return 2;
    }
    if (links < partners)
        links = partners;
    if (sodium_init() < 0)
        return 1;
    struct pd_err err = {0};
    struct store *s = store_open(db, false, &err);
    if (!s)
        fail("open", &err);
    /* A generated data set needs no crash safety while it is made: no WAL, no fsync, a large page
     * cache. The server's own settings (WAL) are back at the end. */
    if (s->ops->exec_script(s,
                            "PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF;"
                            " PRAGMA cache_size = -262144",
                            &err) < 0)
        fail("pragma", &err);
    uint8_t key[16];
    if (cli_load_fingerprint_key(s, key) < 0)
        fail("the database has no fingerprint key (run partnerd init)", NULL);
    struct arena a;
    arena_init(&a, 1 << 16);
    struct program prog;
    if (program_load(s, program_id, &a, &prog, &err) != 0)
        fail("program", &err);
    char default_url[512], click_param[64];
    snprintf(default_url, sizeof default_url, "%s", prog.default_url);
    snprintf(click_param, sizeof click_param, "%s", prog.click_param);
    arena_reset(&a); /* prog is not used past here */

    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int64_t now = time_now_ms();
    /* Ids of every link and its partner, for the clicks. */
    char (*link_ids)[ID_MAX_LEN] = calloc((size_t)links, ID_MAX_LEN);
    char (*partner_ids)[ID_MAX_LEN] = calloc((size_t)partners, ID_MAX_LEN);
    if (!link_ids || !partner_ids)
        abort();

    if (store_begin(s, &err) < 0)
        fail("begin", &err);
    for (long i = 0; i < partners; i++) {
        char code[32], email[64], name[48];
        snprintf(code, sizeof code, "bp%ld", i);
        snprintf(email, sizeof email, "bp%ld@partners.example", i);
        snprintf(name, sizeof name, "Bench partner %ld", i);
        id_new(partner_ids[i], ID_MAX_LEN, "ptn_", (uint64_t)now);
        struct partner p = {.id = partner_ids[i],
                            .program_id = program_id,
                            .email = email,
                            .name = name,
                            .ref_code = code,
                            .status = "active",
                            .created_at = now,
                            .updated_at = now};
        if (partner_insert(s, &p, default_url, NULL, 0, &err) < 0)
            fail("partner", &err);
        struct db_val c = db_text(code);
        struct store_cursor cur;
        if (store_query_row(s, "SELECT id FROM links WHERE code = ?1", &c, 1, &cur, &err) !=
            STORE_ROW)
            fail("default link", &err);
        const char *lid = store_col_text(&cur, 0);
        size_t lid_len = strlen(lid);
        if (lid_len >= ID_MAX_LEN)
            fail("default link id too long", NULL);
        memcpy(link_ids[i], lid, lid_len + 1);
        store_finish(&cur);
        tx_tick(s, i);
    }
    for (long i = partners; i < links; i++) {
        char code[32], dest[128];
        snprintf(code, sizeof code, "bl%ld", i);
        snprintf(dest, sizeof dest, "https://shop.example/products/%ld?utm_source=affiliate", i);
        id_new(link_ids[i], ID_MAX_LEN, "lnk_", (uint64_t)now);
        struct db_val v[6] = {db_text(link_ids[i]), db_text(program_id),
                              db_text(partner_ids[i % partners]), db_text(code),
                              db_text(dest), db_int(now)};
        if (store_exec(s,
                       "INSERT INTO links (id, program_id, partner_id, code, destination,"
                       " is_default, created_at) VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6)",
                       v, 6, NULL, &err) < 0)
            fail("link", &err);
        tx_tick(s, i);
    }
    if (store_commit(s, &err) < 0)
        fail("commit", &err);
    double t_links = seconds_since(&t0);
    fprintf(stderr, "bench_load: %ld partners, %ld links in %.1f s\n", partners, links, t_links);

    /* Clicks: the partner by a skewed draw (u^3: the first tenth of partners bring about half the
     * clicks), then one of its links; a visitor comes back now and then (same ip and agent). */
    const size_t nua = sizeof user_agents / sizeof user_agents[0];
    const size_t nref = sizeof referrers / sizeof referrers[0];
    int64_t start = now - days * DAY_MS;
    double step = clicks > 0 ? (double)(days * DAY_MS) / (double)clicks : 0;
    long links_per_partner = links / partners;
    struct click *batch = calloc(BATCH, sizeof *batch);
    struct click **ptrs = calloc(BATCH, sizeof *ptrs);
    if (!batch || !ptrs)
        abort();
    size_t nb = 0;
    if (store_begin(s, &err) < 0)
        fail("begin", &err);
    for (long i = 0; i < clicks; i++) {
        double u = rng_unit(&seed);
        long p = (long)((double)partners * u * u * u);
        if (p >= partners)
            p = partners - 1;
        long li = p;
        if (links_per_partner > 1 && rng_next(&seed) % 4 == 0)
            li = p + partners * (long)(rng_next(&seed) % (uint64_t)(links_per_partner - 1) + 1);
        if (li >= links)
            li = p;
        uint64_t r = rng_next(&seed);
        /* 1 in 8 clicks comes back from a recent visitor (a small pool of addresses). */
        uint32_t visitor = (r & 7) == 0 ? (uint32_t)(r >> 8) % 4096 : (uint32_t)(r >> 8);
        char ip[32];
        snprintf(ip, sizeof ip, "%u.%u.%u.%u", 1 + (visitor >> 24) % 223, (visitor >> 16) & 255,
                 (visitor >> 8) & 255, visitor & 255);
        uint64_t r2 = rng_next(&seed);
        const char *ua = user_agents[(r2 % 100) < 2 ? nua - 1 : (r2 >> 8) % (nua - 1)];
        const char *ref = referrers[(r2 >> 16) % nref];
        const char *sub[5] = {NULL, NULL, NULL, NULL, NULL};
        if ((r2 >> 24) % 3 == 0)
            sub[0] = arena_sprintf(&a, "campaign_%u", (unsigned)((r2 >> 32) % 50));
        struct link_target t = {.link_id = link_ids[li],
                                .program_id = program_id,
                                .partner_id = partner_ids[p],
                                .destination = default_url,
                                .partner_status = "active",
                                .click_param = click_param,
                                .default_url = default_url};
        int64_t at = start + (int64_t)((double)i * step);
        click_prepare(&batch[nb], &t, key, NULL, ip, ua, ref, NULL, sub, at, &a);
        ptrs[nb] = &batch[nb];
        if (++nb == BATCH || i == clicks - 1) {
            if (click_record_many(s, ptrs, nb, &err) < 0)
                fail("click", &err);
            nb = 0;
            arena_reset(&a);
        }
        tx_tick(s, i);
        if (i % 1000000 == 999999)
            fprintf(stderr, "bench_load: %ld clicks, %.0f/s\n", i + 1,
                    (double)(i + 1) / (seconds_since(&t0) - t_links));
    }
    if (store_commit(s, &err) < 0)
        fail("commit", &err);
    if (s->ops->exec_script(s, "PRAGMA journal_mode = WAL", &err) < 0)
        fail("pragma", &err);
    double t_all = seconds_since(&t0);
    printf("{\"partner_id\":\"%s\",\"code\":\"bp0\",\"partners\":%ld,\"links\":%ld,\"clicks\":%ld,"
           "\"link_seconds\":%.1f,\"click_seconds\":%.1f,\"clicks_per_second\":%.0f}\n",
           partner_ids[0], partners, links, clicks, t_links, t_all - t_links,
           clicks > 0 ? (double)clicks / (t_all - t_links) : 0.0);
    free(batch);
    free(ptrs);
    free(link_ids);
    free(partner_ids);
    arena_free(&a);
    store_close(s);
    return 0;
}
