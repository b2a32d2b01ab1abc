/* struct web_state: the hashing thread (argon2id off the HTTP workers) and login throttling. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "core/ids.h"
#include "web/web_internal.h"
#include "util/banned.h"

/* ---- passwords ---------------------------------------------------------------------------- */

int web_password_check_policy(const char *password, const char *email, struct pd_err *err)
{
    size_t len = strlen(password);
    if (len < WEB_PASSWORD_MIN)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "password",
                          "the password must be at least %d characters", WEB_PASSWORD_MIN);
    if (len > WEB_PASSWORD_MAX)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "password",
                          "the password must be at most %d characters", WEB_PASSWORD_MAX);
    if (email && strcasecmp(password, email) == 0)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "password",
                          "the password must not be the email address");
    return 0;
}

int web_password_hash(const char *password, char out[128], struct pd_err *err)
{
    _Static_assert(crypto_pwhash_STRBYTES <= WEB_HASH_MAX, "hash buffer");
    if (crypto_pwhash_str_alg(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return pd_err_set(err, PD_ERR_INTERNAL, NULL, "out of memory hashing the password");
    return 0;
}

void web_invite_new(int64_t now_ms, char *token, size_t tokenlen, char hash_hex[65])
{
    char random[WEB_INVITE_RANDOM_LEN + 1];
    id_random_token(random, WEB_INVITE_RANDOM_LEN);
    random[WEB_INVITE_RANDOM_LEN] = '\0';
    snprintf(token, tokenlen, "%lld-%s", (long long)((now_ms + WEB_INVITE_TTL_MS) / 1000), random);
    web_token_hash(token, hash_hex);
    sodium_memzero(random, sizeof random);
}

void web_token_hash(const char *token, char hex[65])
{
    unsigned char digest[32];
    crypto_generichash(digest, sizeof digest, (const unsigned char *)token, strlen(token), NULL, 0);
    sodium_bin2hex(hex, 65, digest, sizeof digest);
}

/* ---- the hashing thread ------------------------------------------------------------------- */

static void job_done_on_worker(void *arg)
{
    struct web_hash_job *job = arg;
    job->done(job);
}

static void run_job(struct web_state *ws, struct web_hash_job *job)
{
    size_t plen = strlen(job->password);
    if (job->op == WEB_HASH_NEW) {
        job->rc = web_password_hash(job->password, job->hash, NULL);
        return;
    }
    job->matched = -1;
    if (job->nhashes == 0) {
        /* Unknown email: spend the same time as a real check, so timing tells nothing. */
        if (!ws->dummy_hash[0] && web_password_hash("not a password", ws->dummy_hash, NULL) < 0)
            return;
        if (crypto_pwhash_str_verify(ws->dummy_hash, job->password, plen) == 0)
            job->matched = -1; /* never a login, whatever the password */
        return;
    }
    for (int i = 0; i < job->nhashes; i++) {
        if (job->matched < 0 && crypto_pwhash_str_verify(job->hashes[i], job->password, plen) == 0)
            job->matched = i;
    }
}

static void *hash_main(void *arg)
{
    struct web_state *ws = arg;
    for (;;) {
        pthread_mutex_lock(&ws->lock);
        while (!ws->head && !ws->stopping)
            pthread_cond_wait(&ws->cond, &ws->lock);
        if (ws->stopping) {
            pthread_mutex_unlock(&ws->lock);
            return NULL;
        }
        struct web_hash_job *job = ws->head;
        ws->head = job->next;
        if (!ws->head)
            ws->tail = NULL;
        ws->queued--;
        pthread_mutex_unlock(&ws->lock);
        run_job(ws, job);
        /* A worker that is shutting down drops the request; nothing else can be answered. */
        (void)http_worker_post(job->worker, job_done_on_worker, job);
    }
}

int web_hash_submit(struct web_state *ws, struct web_hash_job *job)
{
    int rc = -1;
    job->next = NULL;
    pthread_mutex_lock(&ws->lock);
    if (!ws->stopping && ws->queued < WEB_HASH_QUEUE_MAX) {
        if (ws->tail)
            ws->tail->next = job;
        else
            ws->head = job;
        ws->tail = job;
        ws->queued++;
        rc = 0;
        pthread_cond_signal(&ws->cond);
    }
    pthread_mutex_unlock(&ws->lock);
    return rc;
}

/* ---- throttling --------------------------------------------------------------------------- */

static uint64_t rl_key(struct web_state *ws, const char *what, const char *value)
{
    unsigned char h[crypto_shorthash_BYTES];
    size_t wl = strlen(what), vl = strlen(value);
    unsigned char buf[320];
    if (wl + vl + 1 > sizeof buf)
        vl = sizeof buf - wl - 1;
    memcpy(buf, what, wl);
    buf[wl] = ':';
    memcpy(buf + wl + 1, value, vl);
    crypto_shorthash(h, buf, wl + 1 + vl, ws->rl_key);
    uint64_t k;
    memcpy(&k, h, sizeof k);
    return k ? k : 1;
}

/* The key of a client address's counter: one per IPv6 /64 (what one subscriber usually gets, so
 * rotating through it gains nothing), IPv4-mapped addresses as IPv4, anything else as sent. */
static uint64_t rl_address_key(struct web_state *ws, const char *ip)
{
    struct in6_addr a;
    char text[INET6_ADDRSTRLEN + 4];
    if (inet_pton(AF_INET6, ip, &a) != 1)
        return rl_key(ws, "ip", ip);
    if (IN6_IS_ADDR_V4MAPPED(&a)) {
        if (!inet_ntop(AF_INET, a.s6_addr + 12, text, sizeof text))
            return rl_key(ws, "ip", ip);
        return rl_key(ws, "ip", text);
    }
    memset(a.s6_addr + 8, 0, 8);
    if (!inet_ntop(AF_INET6, &a, text, sizeof text))
        return rl_key(ws, "ip", ip);
    return rl_key(ws, "ip6/64", text);
}

static bool rl_expired(const struct web_rl_slot *s, int64_t now)
{
    return now - s->window_start >= WEB_LOGIN_WINDOW_MS;
}

/* The address slot for key: its own, else (when take) an empty or expired one, else the oldest of
 * the probed slots. rl_lock held. */
static struct web_rl_slot *rl_slot(struct web_state *ws, uint64_t key, int64_t now, bool take)
{
    struct web_rl_slot *free_slot = NULL, *oldest = NULL;
    for (size_t i = 0; i < WEB_RL_PROBE; i++) {
        struct web_rl_slot *s = &ws->rl[(key + i) % WEB_RL_SLOTS];
        if (s->key == key)
            return s;
        if (!free_slot && (s->key == 0 || rl_expired(s, now)))
            free_slot = s;
        if (!oldest || s->window_start < oldest->window_start)
            oldest = s;
    }
    if (!take)
        return NULL;
    struct web_rl_slot *s = free_slot ? free_slot : oldest;
    s->key = key;
    s->window_start = now;
    s->failures = 0;
    return s;
}

/* The account table: linear probing over a power-of-two array, at most half full. A slot once
 * taken stays taken (a probe chain must not break) until a rebuild, which keeps only counters
 * whose window is still running and leaves the table at most a quarter full. rl_lock held. */
static struct web_rl_slot *account_probe(struct web_rl_slot *t, size_t cap, uint64_t key)
{
    size_t i = (size_t)key & (cap - 1);
    while (t[i].key != 0 && t[i].key != key)
        i = (i + 1) & (cap - 1);
    return &t[i];
}

static void accounts_rebuild(struct web_state *ws, int64_t now)
{
    size_t live = 0;
    for (size_t i = 0; i < ws->accounts_cap; i++)
        live += ws->accounts[i].key != 0 && !rl_expired(&ws->accounts[i], now);
    size_t cap = ws->accounts_cap ? ws->accounts_cap : 64;
    while ((live + 1) * 4 > cap)
        cap *= 2;
    struct web_rl_slot *t = calloc(cap, sizeof *t);
    if (!t)
        abort();
    for (size_t i = 0; i < ws->accounts_cap; i++) {
        const struct web_rl_slot *s = &ws->accounts[i];
        if (s->key != 0 && !rl_expired(s, now))
            *account_probe(t, cap, s->key) = *s;
    }
    free(ws->accounts);
    ws->accounts = t;
    ws->accounts_cap = cap;
    ws->accounts_used = live;
}

static struct web_rl_slot *account_slot(struct web_state *ws, const char *account, int64_t now,
                                        bool take)
{
    uint64_t key = rl_key(ws, "account", account);
    if (ws->accounts_cap == 0) {
        if (!take)
            return NULL;
        accounts_rebuild(ws, now);
    }
    struct web_rl_slot *s = account_probe(ws->accounts, ws->accounts_cap, key);
    if (s->key == key || !take)
        return s->key == key ? s : NULL;
    if ((ws->accounts_used + 1) * 2 > ws->accounts_cap) {
        accounts_rebuild(ws, now);
        s = account_probe(ws->accounts, ws->accounts_cap, key);
    }
    ws->accounts_used++;
    s->key = key;
    s->window_start = now;
    s->failures = 0;
    return s;
}

static bool slot_blocked(const struct web_rl_slot *s, int64_t now, uint32_t max, int *retry)
{
    if (!s || rl_expired(s, now) || s->failures < max)
        return false;
    int r = (int)((s->window_start + WEB_LOGIN_WINDOW_MS - now) / 1000) + 1;
    if (r > *retry)
        *retry = r;
    return true;
}

static void slot_fail(struct web_rl_slot *s, int64_t now)
{
    if (rl_expired(s, now)) {
        s->window_start = now;
        s->failures = 0;
    }
    s->failures++;
}

bool web_rl_blocked(struct web_state *ws, const char *ip, const char *account, int64_t now,
                    int *retry_after_s)
{
    uint64_t key = rl_address_key(ws, ip);
    *retry_after_s = 0;
    pthread_mutex_lock(&ws->rl_lock);
    bool blocked = slot_blocked(rl_slot(ws, key, now, false), now, WEB_LOGIN_MAX_PER_IP,
                                retry_after_s);
    if (account)
        blocked = slot_blocked(account_slot(ws, account, now, false), now,
                               WEB_LOGIN_MAX_PER_EMAIL, retry_after_s) ||
                  blocked;
    pthread_mutex_unlock(&ws->rl_lock);
    return blocked;
}

void web_rl_fail(struct web_state *ws, const char *ip, const char *account, int64_t now)
{
    uint64_t key = rl_address_key(ws, ip);
    pthread_mutex_lock(&ws->rl_lock);
    slot_fail(rl_slot(ws, key, now, true), now);
    if (account)
        slot_fail(account_slot(ws, account, now, true), now);
    pthread_mutex_unlock(&ws->rl_lock);
}

void web_rl_refund(struct web_state *ws, const char *ip, const char *account, int64_t now)
{
    uint64_t key = rl_address_key(ws, ip);
    pthread_mutex_lock(&ws->rl_lock);
    struct web_rl_slot *s = rl_slot(ws, key, now, false);
    if (s && s->failures > 0)
        s->failures--;
    s = account ? account_slot(ws, account, now, false) : NULL;
    if (s && s->failures > 0)
        s->failures--;
    pthread_mutex_unlock(&ws->rl_lock);
}

/* ---- life cycle --------------------------------------------------------------------------- */

struct web_state *web_state_new(const struct app *app, struct pd_err *err)
{
    if (sodium_init() < 0) {
        pd_err_set(err, PD_ERR_INTERNAL, NULL, "libsodium cannot start");
        return NULL;
    }
    struct web_state *ws = calloc(1, sizeof *ws);
    if (!ws)
        abort();
    ws->app = app;
    ws->secure = strncasecmp(app->cfg.public_url, "https://", 8) == 0;
    ws->cookie_name = ws->secure ? "__Host-pd_session" : "pd_session";
    ws->scheme = ws->secure ? "https" : "http";
    randombytes_buf(ws->rl_key, sizeof ws->rl_key);
    pthread_mutex_init(&ws->lock, NULL);
    pthread_mutex_init(&ws->rl_lock, NULL);
    pthread_cond_init(&ws->cond, NULL);
    if (pthread_create(&ws->thread, NULL, hash_main, ws) != 0) {
        pthread_cond_destroy(&ws->cond);
        pthread_mutex_destroy(&ws->rl_lock);
        pthread_mutex_destroy(&ws->lock);
        free(ws);
        pd_err_set(err, PD_ERR_INTERNAL, NULL, "cannot start the password hashing thread");
        return NULL;
    }
    return ws;
}

void web_state_free(struct web_state *ws)
{
    if (!ws)
        return;
    pthread_mutex_lock(&ws->lock);
    ws->stopping = true; /* queued jobs are dropped: their requests are being abandoned */
    pthread_cond_broadcast(&ws->cond);
    pthread_mutex_unlock(&ws->lock);
    pthread_join(ws->thread, NULL);
    pthread_cond_destroy(&ws->cond);
    pthread_mutex_destroy(&ws->rl_lock);
    pthread_mutex_destroy(&ws->lock);
    sodium_memzero(ws->rl_key, sizeof ws->rl_key);
    free(ws->accounts);
    free(ws);
}
