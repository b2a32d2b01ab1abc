/* What the files of src/web/ share: the state, the hashing thread, throttling, sessions, writes
 * and responses with the security headers. Not for use outside src/web/. */
#ifndef PD_WEB_WEB_INTERNAL_H
#define PD_WEB_WEB_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "web/web.h"

#define WEB_HASH_MAX 128      /* crypto_pwhash_STRBYTES */
#define WEB_MAX_CANDIDATES 4  /* accounts one email may name (admin + partners of programs) */
#define WEB_HASH_QUEUE_MAX 32 /* pending hash jobs; beyond → 503 */
#define WEB_RL_SLOTS 1024
#define WEB_RL_PROBE 8

/* A job for the hashing thread: verify a password against candidate hashes, or hash one. */
enum web_hash_op { WEB_HASH_VERIFY, WEB_HASH_NEW };
struct web_hash_job {
    struct web_hash_job *next;
    enum web_hash_op op;
    const char *password;                   /* request arena */
    const char *hashes[WEB_MAX_CANDIDATES]; /* VERIFY: none → verified against a dummy hash */
    int nhashes;
    int matched;             /* VERIFY: index of the matching hash, or -1 */
    char hash[WEB_HASH_MAX]; /* NEW: the result */
    int rc;                  /* NEW: 0 or -1 (out of memory) */
    struct http_worker *worker;
    void (*done)(struct web_hash_job *job); /* back on the worker thread */
    void *arg;
};

struct web_rl_slot {
    uint64_t key;
    int64_t window_start;
    uint32_t failures;
};

struct web_state {
    const struct app *app;
    bool secure; /* public_url is https: Secure cookies with the __Host- prefix */
    const char *cookie_name;
    const char *scheme; /* "http" or "https", for Origin checks */

    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct web_hash_job *head, *tail;
    size_t queued;
    bool stopping;
    char dummy_hash[WEB_HASH_MAX]; /* hashing thread only */

    pthread_mutex_t rl_lock; /* guards rl and accounts */
    unsigned char rl_key[16];
    struct web_rl_slot rl[WEB_RL_SLOTS]; /* per client address; the oldest may be evicted */
    struct web_rl_slot *accounts;        /* per account; open addressing, never evicted */
    size_t accounts_cap, accounts_used;  /* slots, and slots ever taken since the last rebuild */
};

/* Queues a job; 0, or -1 when the queue is full or the thread is stopping. */
int web_hash_submit(struct web_state *ws, struct web_hash_job *job);

/* Throttling of failed logins and invite acceptances, in fixed windows of WEB_LOGIN_WINDOW_MS.
 * Per client address (an IPv6 address counts per /64, an IPv4-mapped one as IPv4): at most
 * WEB_LOGIN_MAX_PER_IP, in a fixed table where a flood of new addresses may evict old counters.
 * Per account (account: the lower-cased email of an existing login, NULL for none, e.g. an unknown
 * email): at most WEB_LOGIN_MAX_PER_EMAIL, in a table that grows with the accounts and drops a
 * counter only when its window has ended, so no flood can reset it. */
bool web_rl_blocked(struct web_state *ws, const char *ip, const char *account, int64_t now,
                    int *retry_after_s);
void web_rl_fail(struct web_state *ws, const char *ip, const char *account, int64_t now);
/* Takes back one failure (a login counted as failed up front turned out right). */
void web_rl_refund(struct web_state *ws, const char *ip, const char *account, int64_t now);

/* A session found from the request's cookie. */
struct web_session {
    char token_hash[65];
    char kind[16];       /* "admin" | "partner" */
    char subject_id[48]; /* adm_… | ptn_… */
    char csrf[WEB_CSRF_LEN + 1];
    char partner_status[16];
};
/* 1 a valid session, 0 none (no cookie, unknown, expired), -1 store error. */
int web_session_find(struct api_call *call, struct web_session *out, struct pd_err *err);
void web_token_hash(const char *token, char hex[65]);
/* Set-Cookie values, in the request arena. */
const char *web_cookie_set(struct api_call *call, const char *token);
const char *web_cookie_clear(struct api_call *call);
/* Inserts a session for subject (and removes expired ones); fills token and csrf. */
int web_session_insert(struct store *s, const char *kind, const char *subject_id, int64_t now,
                       char token[WEB_TOKEN_LEN + 1], struct pd_err *err);

/* A write through the group-commit writer whose answer the web code makes itself (cookies). */
struct web_write;
typedef int (*web_write_run)(struct store *s, struct web_write *w);
typedef void (*web_write_reply)(struct web_write *w); /* worker thread; w->job.outcome says */
struct web_write {
    struct write_job job;
    struct api_call *call;
    web_write_run run;
    web_write_reply reply;
    void *arg;
    struct pd_err err;
};
void web_submit(struct api_call *call, web_write_run run, web_write_reply reply, void *arg);

/* Responses. Every one carries the security headers; HTML is never cached. */
void web_reply(struct api_call *call, int status, const char *content_type, const char *body,
               size_t len, const struct http_header *extra, size_t nextra);
void web_reply_json(struct api_call *call, int status, json_t *body /* stolen */,
                    const char *set_cookie);
void web_reply_redirect(struct api_call *call, const char *location);
/* Checks a state-changing request made by a page: JSON body and, when sent, a same-site Origin.
 * Replies with the error and returns false when it is refused. */
bool web_check_page_post(struct api_call *call);

#endif
