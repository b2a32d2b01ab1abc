/* The dashboards: pages and assets embedded at build time, email + password login with argon2id,
 * server-side sessions in a cookie, CSRF tokens, partner invites, security headers and login
 * throttling. The pages are static shells; their scripts read everything through the JSON API,
 * which accepts a session cookie where it accepts a key (api_authenticate → web_session_auth).
 *
 * Threads: handlers run on the HTTP workers; password hashing (tens of milliseconds, 64 MiB) runs
 * on one hashing thread owned by struct web_state so a login never stalls a worker's other
 * connections; session writes go through the group-commit writer like every other write. */
#ifndef PD_WEB_WEB_H
#define PD_WEB_WEB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/api.h"
#include "util/err.h"

#define WEB_SESSION_TTL_MS (12LL * 3600 * 1000)     /* absolute lifetime of a login */
#define WEB_INVITE_TTL_MS (14LL * 24 * 3600 * 1000) /* an invite link is valid 14 days */
#define WEB_PASSWORD_MIN 10
#define WEB_PASSWORD_MAX 128
#define WEB_TOKEN_LEN 43 /* session tokens: 43 of [A-Za-z0-9] ≈ 256 bits */
#define WEB_CSRF_LEN 32
#define WEB_INVITE_RANDOM_LEN 32

/* Login throttling: failed attempts counted per client address and per email in a fixed window. */
#define WEB_LOGIN_WINDOW_MS (15LL * 60 * 1000)
#define WEB_LOGIN_MAX_PER_IP 30
#define WEB_LOGIN_MAX_PER_EMAIL 5

struct app;
struct web_state;

/* Created by `partnerd serve` before the HTTP server starts, freed after the writer has stopped
 * and before the HTTP workers are freed (the hashing thread posts results to workers). */
struct web_state *web_state_new(const struct app *app, struct pd_err *err);
void web_state_free(struct web_state *ws);

/* api_authenticate's cookie path: a request with no Authorization header and a Cookie header.
 * An admin session acts as AUTH_SECRET, a partner session as AUTH_PARTNER for its partner; every
 * request other than GET/HEAD must carry the session's token in X-CSRF-Token. */
int web_session_auth(struct api_call *call, unsigned allowed, struct pd_err *err);

/* Passwords: argon2id through libsodium's crypto_pwhash_str (interactive limits). Synchronous:
 * for the command-line tools and rare admin writes; logins use the hashing thread. */
int web_password_check_policy(const char *password, const char *email, struct pd_err *err);
int web_password_hash(const char *password, char out[128], struct pd_err *err);

/* A new one-time invite: token (for the URL, ≥ 64 bytes) and the hash stored in
 * partners.invite_token_hash (65 bytes). */
void web_invite_new(int64_t now_ms, char *token, size_t tokenlen, char hash_hex[65]);

/* Partner creation (src/api/partners.c): a `password` in the body sets the dashboard login (hashed
 * here, before the write); without one the partner gets a one-time invite link. */
struct web_partner_credentials {
    char password_hash[128]; /* "" → invite */
    char invite_token[80];
    char invite_hash[65];
};
int web_partner_credentials_prepare(struct api_call *call, struct web_partner_credentials *c,
                                    struct pd_err *err);
/* On the writer thread after the partner row exists; adds "invite_url" to result. */
int web_partner_credentials_store(struct store *s, const char *partner_id,
                                  const struct web_partner_credentials *c, const char *public_url,
                                  json_t *result, struct pd_err *err);

/* `partnerd demo`: a known password for every partner, so the demo dashboards can be tried at
 * once. The admins keep the password `partnerd init` printed. Fills the first admin's email. */
#define WEB_DEMO_PARTNER_PASSWORD "demo-partner-pass"
int web_demo_logins(struct store *s, char *admin_email, size_t len, struct pd_err *err);

/* Pure parsers of outside input (fuzzed in tests/fuzz/). */
/* The value of cookie `name` in a Cookie header, copied into out; false when absent, empty, too
 * long for out, or holding characters other than [A-Za-z0-9_-]. */
bool web_cookie_get(const char *header, const char *name, char *out, size_t outlen);
/* An invite token "<expiry seconds>-<32 of [A-Za-z0-9]>"; its expiry in milliseconds. */
bool web_invite_token_parse(const char *token, int64_t *expires_ms);
/* true when an Origin header names the same host (and port) as the Host header, with the
 * expected scheme ("http" or "https"). "null" and malformed origins never match. */
bool web_origin_matches(const char *origin, const char *host, const char *scheme);

/* Route handlers (src/api/router.c). */
void web_root(struct api_call *call);
void web_login_page(struct api_call *call);
void web_login(struct api_call *call);
void web_logout(struct api_call *call);
void web_session_info(struct api_call *call);
void web_admin_page(struct api_call *call);
void web_partner_page(struct api_call *call);
void web_asset(struct api_call *call);
void web_invite_page(struct api_call *call);
void web_invite_status(struct api_call *call);
void web_invite_accept(struct api_call *call);
/* PATCH /api/v1/me: a partner's own payout method and postback URL (src/api/me_update.c). */
void api_me_update(struct api_call *call);

#endif
