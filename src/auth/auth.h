/* Authentication, the part the API and the dashboards share: who is asking (an API key in
 * "Authorization: Bearer", or a dashboard session in a cookie with its CSRF token), sessions,
 * argon2id passwords hashed on a thread of their own, login throttling, invite tokens, and the
 * dashboard credentials a merchant gives a partner. It knows requests (src/http/) and records
 * (src/app/), never the API's or the dashboards' handlers, so both can use it.
 *
 * Threads: everything here runs on the HTTP workers except password hashing (tens of milliseconds,
 * 64 MiB), which runs on one hashing thread owned by struct auth_state so a login never stalls a
 * worker's other connections; session writes are made by the caller's writer job. */
#ifndef PD_AUTH_AUTH_H
#define PD_AUTH_AUTH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/err.h"

/* ---- who is asking ------------------------------------------------------------------------- */

enum auth_kind { AUTH_NONE = 0, AUTH_SECRET, AUTH_PUBLISHABLE, AUTH_PARTNER };

/* What a merchant caller (AUTH_SECRET) may do: a secret key acts as an owner; a dashboard session
 * has its user's role, read on every request (src/app/users.h). */
enum auth_role { AUTH_ROLE_OWNER = 0, AUTH_ROLE_ADMIN, AUTH_ROLE_VIEWER };

struct auth {
    enum auth_kind kind;
    enum auth_role role; /* AUTH_SECRET */
    char key_id[48];     /* the key's id, or a session's subject: scopes Idempotency-Keys */
    char partner_id[48]; /* AUTH_PARTNER */
};
#define AUTH_ALLOW(k) (1u << (k))
/* In `allowed`: a merchant caller must be an owner (the team and the merchant's API keys). */
#define AUTH_OWNER_ONLY (1u << 8)

struct app_worker;

/* Fills out from the request's credentials. Refuses a key in the query string. "Authorization:
 * Bearer <key>" is checked against api_keys (secret and publishable keys through the worker's key
 * cache, partner keys and their partner's status every time); with no Authorization header, a
 * Cookie header and a running auth_state, the dashboard session: an admin session acts as
 * AUTH_SECRET, a partner session as AUTH_PARTNER for its partner, and every request other than
 * GET/HEAD must carry the session's token in X-CSRF-Token (and a same-site Origin when sent).
 * `allowed` is a bit set of AUTH_ALLOW(kind), with AUTH_OWNER_ONLY for the owner's routes. Roles
 * are enforced here, for every route: a viewer's request other than GET/HEAD is 403, and so is a
 * non-owner's on an AUTH_OWNER_ONLY route. */
int auth_request(struct app_worker *w, struct http_request *req, int64_t now_ms, unsigned allowed,
                 struct auth *out, struct pd_err *err);

/* What a pending partner's session and keys are answered (403): nothing but the review. */
#define AUTH_UNDER_REVIEW                                                                          \
    "your application is under review: the program's manager will email you once it is approved"

/* ---- limits -------------------------------------------------------------------------------- */

#define AUTH_SESSION_TTL_MS (12LL * 3600 * 1000)     /* absolute lifetime of a login */
#define AUTH_INVITE_TTL_MS (14LL * 24 * 3600 * 1000) /* an invite link is valid 14 days */
#define AUTH_PASSWORD_MIN 10
#define AUTH_PASSWORD_MAX 128
#define AUTH_HASH_MAX 128 /* crypto_pwhash_STRBYTES */
#define AUTH_TOKEN_LEN 43 /* session tokens: 43 of [A-Za-z0-9] ≈ 256 bits */
#define AUTH_CSRF_LEN 32
#define AUTH_INVITE_RANDOM_LEN 32

/* Login throttling: failed attempts counted per client address and per email in a fixed window. */
#define AUTH_LOGIN_WINDOW_MS (15LL * 60 * 1000)
#define AUTH_LOGIN_MAX_PER_IP 30
#define AUTH_LOGIN_MAX_PER_EMAIL 5

/* ---- the state: the hashing thread, throttling counters, the cookie's name ------------------- */

struct auth_state;

/* Created by `partnerd serve` before the HTTP server starts, freed after the writer has stopped
 * and before the HTTP workers are freed (the hashing thread posts results to workers).
 * public_url decides the cookie: https gives a Secure __Host- cookie. */
struct auth_state *auth_state_new(const char *public_url, struct pd_err *err);
void auth_state_free(struct auth_state *as);
/* public_url is https. */
bool auth_secure(const struct auth_state *as);
/* "http" or "https", for Origin checks. */
const char *auth_scheme(const struct auth_state *as);

/* ---- passwords and the hashing thread ------------------------------------------------------ */

/* argon2id through libsodium's crypto_pwhash_str (interactive limits). Synchronous: for the
 * command-line tools and rare admin writes; logins use the hashing thread. */
int auth_password_check_policy(const char *password, const char *email, struct pd_err *err);
int auth_password_hash(const char *password, char out[AUTH_HASH_MAX], struct pd_err *err);

#define AUTH_MAX_CANDIDATES 4 /* accounts one email may name (admin + partners of programs) */

/* A job for the hashing thread: verify a password against candidate hashes, or hash one. */
enum auth_hash_op { AUTH_HASH_VERIFY, AUTH_HASH_NEW };
struct auth_hash_job {
    struct auth_hash_job *next;
    enum auth_hash_op op;
    const char *password;                    /* the caller's memory, until done */
    const char *hashes[AUTH_MAX_CANDIDATES]; /* VERIFY: none → verified against a dummy hash */
    int nhashes;
    int matched;              /* VERIFY: index of the matching hash, or -1 */
    char hash[AUTH_HASH_MAX]; /* NEW: the result */
    int rc;                   /* NEW: 0 or -1 (out of memory) */
    struct http_worker *worker;
    void (*done)(struct auth_hash_job *job); /* back on the worker thread */
    void *arg;
};
/* Queues a job; 0, or -1 when the queue is full or the thread is stopping. */
int auth_hash_submit(struct auth_state *as, struct auth_hash_job *job);

/* ---- throttling ---------------------------------------------------------------------------- */

/* Failed logins and invite acceptances, in fixed windows of AUTH_LOGIN_WINDOW_MS. Per client
 * address (an IPv6 address counts per /64, an IPv4-mapped one as IPv4): at most
 * AUTH_LOGIN_MAX_PER_IP, in a fixed table where a flood of new addresses may evict old counters.
 * Per account (account: the lower-cased email of an existing login, NULL for none, e.g. an unknown
 * email): at most AUTH_LOGIN_MAX_PER_EMAIL, in a table that grows with the accounts and drops a
 * counter only when its window has ended, so no flood can reset it. */
bool auth_throttle_blocked(struct auth_state *as, const char *ip, const char *account, int64_t now,
                           int *retry_after_s);
void auth_throttle_fail(struct auth_state *as, const char *ip, const char *account, int64_t now);
/* Takes back one failure (a login counted as failed up front turned out right). */
void auth_throttle_refund(struct auth_state *as, const char *ip, const char *account, int64_t now);

/* ---- sessions ------------------------------------------------------------------------------ */

/* A session found from the request's cookie. */
struct auth_session {
    char token_hash[65];
    char kind[16];       /* "admin" | "partner" */
    char role[16];       /* admin: "owner" | "admin" | "viewer" */
    char subject_id[48]; /* adm_… | ptn_… */
    char csrf[AUTH_CSRF_LEN + 1];
    char partner_status[16];
};
/* 1 a valid session, 0 none (no cookie, unknown, expired, a suspended partner's, a removed
 * user's), -1 store error. db: the worker's read connection. */
int auth_session_find(const struct auth_state *as, struct store *db, const struct http_request *req,
                      int64_t now, struct auth_session *out, struct pd_err *err);
/* Whether sent (an X-CSRF-Token header, or NULL) is the session's token (constant time). */
bool auth_csrf_ok(const struct auth_session *ses, const char *sent);
/* The sessions table's writes, inside the caller's writer job. insert: a new session for
 * subject (expired ones are removed first); fills token. */
int auth_session_insert(struct store *s, const char *kind, const char *subject_id, int64_t now,
                        char token[AUTH_TOKEN_LEN + 1], struct pd_err *err);
int auth_session_delete(struct store *s, const char *token_hash, struct pd_err *err);
/* Ends every session of a subject. */
int auth_sessions_end(struct store *s, const char *subject_id, struct pd_err *err);
/* Set-Cookie values, in the arena. */
const char *auth_cookie_set(const struct auth_state *as, struct arena *a, const char *token);
const char *auth_cookie_clear(const struct auth_state *as, struct arena *a);
/* The hex BLAKE2b digest stored for a session or invite token. */
void auth_token_hash(const char *token, char hex[65]);

/* ---- invites and partner credentials ------------------------------------------------------- */

/* A new one-time invite: token (for the URL, ≥ 64 bytes) and the hash stored in
 * partners.invite_token_hash (65 bytes). */
void auth_invite_new(int64_t now_ms, char *token, size_t tokenlen, char hash_hex[65]);
/* Inside a writer job: the partner still holding token_hash takes password_hash, loses the invite
 * and its other sessions, and gets a new session (token filled). 0 done, 1 the invite is no longer
 * there (nothing written), -1 store error. */
int auth_invite_accept(struct store *s, const char *partner_id, const char *token_hash,
                       const char *password_hash, int64_t now, char token[AUTH_TOKEN_LEN + 1],
                       struct pd_err *err);

/* The same for a merchant user's invite (src/app/users.h): the user takes password_hash and gets
 * an "admin" session. */
int auth_user_invite_accept(struct store *s, const char *user_id, const char *token_hash,
                            const char *password_hash, int64_t now, char token[AUTH_TOKEN_LEN + 1],
                            struct pd_err *err);

/* Partner creation: a password (checked against the policy and hashed here, before the write)
 * sets the dashboard login; without one the partner gets a one-time invite link. */
struct auth_partner_credentials {
    char password_hash[AUTH_HASH_MAX]; /* "" → invite */
    char invite_token[80];
    char invite_hash[65];
};
/* password, email: the request's fields (NULL when absent). */
int auth_partner_credentials_prepare(const char *password, const char *email, int64_t now_ms,
                                     struct auth_partner_credentials *c, struct pd_err *err);
/* On the writer thread after the partner row exists; an invite adds "invite_url" to result. */
int auth_partner_credentials_store(struct store *s, const char *partner_id,
                                   const struct auth_partner_credentials *c, const char *public_url,
                                   json_t *result, struct pd_err *err);

/* `partnerd demo`: a known password for every partner, so the demo dashboards can be tried at
 * once. The admins keep the password `partnerd init` printed. Fills the first admin's email. */
#define AUTH_DEMO_PARTNER_PASSWORD "demo-partner-pass"
int auth_demo_logins(struct store *s, char *admin_email, size_t len, struct pd_err *err);

/* ---- signup: throttles, public forms, password resets (resets.c, forms.c) -------------------- */

/* Public forms (a signup, a reset request) per client address, counting every attempt in fixed
 * windows of AUTH_LOGIN_WINDOW_MS: a bot from one address is refused quickly, others go on. */
#define AUTH_SIGNUP_MAX_PER_IP 10
#define AUTH_RESET_MAX_PER_IP 10
#define AUTH_RESET_TTL_MS (3600LL * 1000) /* a reset link is valid one hour */
#define AUTH_FORM_TTL_MS                                                                           \
    (6LL * 3600 * 1000) /* a public form is valid six hours after it is shown */
#define AUTH_FORM_TOKEN_LEN 64
/* Counts one attempt of `what` ("signup", "reset") from ip; false (nothing counted, *retry_after_s
 * set) once max were made in the window. */
bool auth_throttle_take(struct auth_state *as, const char *what, const char *ip, uint32_t max,
                        int64_t now, int *retry_after_s);
/* A public form's anti-forgery token: "<issued seconds>.<hex keyed digest of purpose, time and
 * binding>", signed with a key of this process (a form shown before a restart asks to be
 * reloaded). binding is the random value of the browser's form cookie (SameSite=Strict, so a
 * cross-site post never carries it): the double-submit pattern, for forms without a session. */
#define AUTH_FORM_BINDING_LEN 32
void auth_form_token(const struct auth_state *as, const char *purpose, const char *binding,
                     int64_t now, char out[AUTH_FORM_TOKEN_LEN + 1]);
bool auth_form_token_ok(const struct auth_state *as, const char *purpose, const char *binding,
                        const char *token, int64_t now);

/* A reset link for email (lower-cased) when some partner account has it: token (for the URL, in
 * the invite token's shape) filled, 1; 0 when no account has it (nothing written). Expired resets
 * are deleted. Inside a writer job. */
int auth_reset_create(struct store *s, const char *email, int64_t now, char *token, size_t tokenlen,
                      struct pd_err *err);
/* The email of a reset link still valid (unused, unexpired): 1 found, 0 not, -1 store error. */
int auth_reset_find(struct store *db, const char *token, int64_t now, struct arena *a,
                    const char **email, struct pd_err *err);
/* Inside a writer job: uses the link once; every partner account with its email takes
 * password_hash and loses all its sessions; the email's other links end. 0 done (email filled),
 * 1 the link is no longer valid (nothing written), -1 store error. */
int auth_reset_use(struct store *s, const char *token, const char *password_hash, int64_t now,
                   struct arena *a, const char **email, struct pd_err *err);
/* Ends every session of every partner account with email. */
int auth_sessions_end_email(struct store *s, const char *email, struct pd_err *err);
/* Ends every session of a partner but `keep_token_hash` (a password change keeps the session
 * that made it). */
int auth_sessions_end_others(struct store *s, const char *subject_id, const char *keep_token_hash,
                             struct pd_err *err);

/* ---- pure parsers of outside input (fuzzed in tests/fuzz/) --------------------------------- */

/* The value of cookie `name` in a Cookie header, copied into out; false when absent, empty, too
 * long for out, or holding characters other than [A-Za-z0-9_-]. */
bool auth_cookie_get(const char *header, const char *name, char *out, size_t outlen);
/* An invite token "<expiry seconds>-<32 of [A-Za-z0-9]>"; its expiry in milliseconds. */
bool auth_invite_token_parse(const char *token, int64_t *expires_ms);
/* A form token's parts: its issue time and its 32 hex-digit digest (NUL-terminated in mac). */
bool auth_form_token_parse(const char *token, int64_t *issued_s, char mac[33]);
/* true when an Origin header names the same host (and port) as the Host header, with the
 * expected scheme ("http" or "https"). "null" and malformed origins never match. */
bool auth_origin_matches(const char *origin, const char *host, const char *scheme);

#endif
