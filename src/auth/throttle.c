/* Login throttling: failed attempts per client address and per account in fixed windows
 * (auth.h says how each table is bounded). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth_internal.h"
#include "util/banned.h"

/* ---- throttling --------------------------------------------------------------------------- */

static uint64_t rl_key(struct auth_state *as, const char *what, const char *value)
{
    unsigned char h[crypto_shorthash_BYTES];
    size_t wl = strlen(what), vl = strlen(value);
    unsigned char buf[320];
    if (wl + vl + 1 > sizeof buf)
        vl = sizeof buf - wl - 1;
    memcpy(buf, what, wl);
    buf[wl] = ':';
    memcpy(buf + wl + 1, value, vl);
    crypto_shorthash(h, buf, wl + 1 + vl, as->rl_key);
    uint64_t k;
    memcpy(&k, h, sizeof k);
    return k ? k : 1;
}

/* The key of a client address's counter: one per IPv6 /64 (what one subscriber usually gets, so
 * rotating through it gains nothing), IPv4-mapped addresses as IPv4, anything else as sent. */
static uint64_t rl_address_key(struct auth_state *as, const char *ip)
{
    struct in6_addr a;
    char text[INET6_ADDRSTRLEN + 4];
    if (inet_pton(AF_INET6, ip, &a) != 1)
        return rl_key(as, "ip", ip);
    if (IN6_IS_ADDR_V4MAPPED(&a)) {
        if (!inet_ntop(AF_INET, a.s6_addr + 12, text, sizeof text))
            return rl_key(as, "ip", ip);
        return rl_key(as, "ip", text);
    }
    memset(a.s6_addr + 8, 0, 8);
    if (!inet_ntop(AF_INET6, &a, text, sizeof text))
        return rl_key(as, "ip", ip);
    return rl_key(as, "ip6/64", text);
}

static bool rl_expired(const struct auth_rl_slot *s, int64_t now)
{
    return now - s->window_start >= AUTH_LOGIN_WINDOW_MS;
}

/* The address slot for key: its own, else (when take) an empty or expired one, else the oldest of
 * the probed slots. rl_lock held. */
static struct auth_rl_slot *rl_slot(struct auth_state *as, uint64_t key, int64_t now, bool take)
{
    struct auth_rl_slot *free_slot = NULL, *oldest = NULL;
    for (size_t i = 0; i < AUTH_RL_PROBE; i++) {
        struct auth_rl_slot *s = &as->rl[(key + i) % AUTH_RL_SLOTS];
        if (s->key == key)
            return s;
        if (!free_slot && (s->key == 0 || rl_expired(s, now)))
            free_slot = s;
        if (!oldest || s->window_start < oldest->window_start)
            oldest = s;
    }
    if (!take)
        return NULL;
    struct auth_rl_slot *s = free_slot ? free_slot : oldest;
    s->key = key;
    s->window_start = now;
    s->failures = 0;
    return s;
}

/* The account table: linear probing over a power-of-two array, at most half full. A slot once
 * taken stays taken (a probe chain must not break) until a rebuild, which keeps only counters
 * whose window is still running and leaves the table at most a quarter full. rl_lock held. */
static struct auth_rl_slot *account_probe(struct auth_rl_slot *t, size_t cap, uint64_t key)
{
    size_t i = (size_t)key & (cap - 1);
    while (t[i].key != 0 && t[i].key != key)
        i = (i + 1) & (cap - 1);
    return &t[i];
}

static void accounts_rebuild(struct auth_state *as, int64_t now)
{
    size_t live = 0;
    for (size_t i = 0; i < as->accounts_cap; i++)
        live += as->accounts[i].key != 0 && !rl_expired(&as->accounts[i], now);
    size_t cap = as->accounts_cap ? as->accounts_cap : 64;
    while ((live + 1) * 4 > cap)
        cap *= 2;
    struct auth_rl_slot *t = calloc(cap, sizeof *t);
    if (!t)
        abort();
    for (size_t i = 0; i < as->accounts_cap; i++) {
        const struct auth_rl_slot *s = &as->accounts[i];
        if (s->key != 0 && !rl_expired(s, now))
            *account_probe(t, cap, s->key) = *s;
    }
    free(as->accounts);
    as->accounts = t;
    as->accounts_cap = cap;
    as->accounts_used = live;
}

static struct auth_rl_slot *account_slot(struct auth_state *as, const char *account, int64_t now,
                                         bool take)
{
    uint64_t key = rl_key(as, "account", account);
    if (as->accounts_cap == 0) {
        if (!take)
            return NULL;
        accounts_rebuild(as, now);
    }
    struct auth_rl_slot *s = account_probe(as->accounts, as->accounts_cap, key);
    if (s->key == key || !take)
        return s->key == key ? s : NULL;
    if ((as->accounts_used + 1) * 2 > as->accounts_cap) {
        accounts_rebuild(as, now);
        s = account_probe(as->accounts, as->accounts_cap, key);
    }
    as->accounts_used++;
    s->key = key;
    s->window_start = now;
    s->failures = 0;
    return s;
}

static bool slot_blocked(const struct auth_rl_slot *s, int64_t now, uint32_t max, int *retry)
{
    if (!s || rl_expired(s, now) || s->failures < max)
        return false;
    int r = (int)((s->window_start + AUTH_LOGIN_WINDOW_MS - now) / 1000) + 1;
    if (r > *retry)
        *retry = r;
    return true;
}

static void slot_fail(struct auth_rl_slot *s, int64_t now)
{
    if (rl_expired(s, now)) {
        s->window_start = now;
        s->failures = 0;
    }
    s->failures++;
}

bool auth_throttle_blocked(struct auth_state *as, const char *ip, const char *account, int64_t now,
                           int *retry_after_s)
{
    uint64_t key = rl_address_key(as, ip);
    *retry_after_s = 0;
    pthread_mutex_lock(&as->rl_lock);
    bool blocked =
        slot_blocked(rl_slot(as, key, now, false), now, AUTH_LOGIN_MAX_PER_IP, retry_after_s);
    if (account)
        blocked = slot_blocked(account_slot(as, account, now, false), now, AUTH_LOGIN_MAX_PER_EMAIL,
                               retry_after_s) ||
                  blocked;
    pthread_mutex_unlock(&as->rl_lock);
    return blocked;
}

void auth_throttle_fail(struct auth_state *as, const char *ip, const char *account, int64_t now)
{
    uint64_t key = rl_address_key(as, ip);
    pthread_mutex_lock(&as->rl_lock);
    slot_fail(rl_slot(as, key, now, true), now);
    if (account)
        slot_fail(account_slot(as, account, now, true), now);
    pthread_mutex_unlock(&as->rl_lock);
}

void auth_throttle_refund(struct auth_state *as, const char *ip, const char *account, int64_t now)
{
    uint64_t key = rl_address_key(as, ip);
    pthread_mutex_lock(&as->rl_lock);
    struct auth_rl_slot *s = rl_slot(as, key, now, false);
    if (s && s->failures > 0)
        s->failures--;
    s = account ? account_slot(as, account, now, false) : NULL;
    if (s && s->failures > 0)
        s->failures--;
    pthread_mutex_unlock(&as->rl_lock);
}

bool auth_throttle_take(struct auth_state *as, const char *what, const char *ip, uint32_t max,
                        int64_t now, int *retry_after_s)
{
    /* The address's key as for logins (an IPv6 /64 is one address), in a counter of its own. */
    char addr[24];
    snprintf(addr, sizeof addr, "%016llx", (unsigned long long)rl_address_key(as, ip));
    uint64_t key = rl_key(as, what, addr);
    *retry_after_s = 0;
    pthread_mutex_lock(&as->rl_lock);
    struct auth_rl_slot *s = rl_slot(as, key, now, true);
    bool blocked = slot_blocked(s, now, max, retry_after_s);
    if (!blocked)
        slot_fail(s, now);
    pthread_mutex_unlock(&as->rl_lock);
    return !blocked;
}
