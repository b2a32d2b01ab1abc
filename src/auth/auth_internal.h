/* What the files of src/auth/ share: the state behind struct auth_state (the hashing thread's
 * queue, the throttling tables, the cookie's name). Not for use outside src/auth/. */
#ifndef PD_AUTH_AUTH_INTERNAL_H
#define PD_AUTH_AUTH_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "auth/auth.h"

#define AUTH_HASH_QUEUE_MAX 32 /* pending hash jobs; beyond → 503 */
#define AUTH_RL_SLOTS 1024
#define AUTH_RL_PROBE 8

struct auth_rl_slot {
    uint64_t key;
    int64_t window_start;
    uint32_t failures;
};

struct auth_state {
    bool secure; /* public_url is https: Secure cookies with the __Host- prefix */
    const char *cookie_name;
    const char *scheme; /* "http" or "https", for Origin checks */

    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct auth_hash_job *head, *tail;
    size_t queued;
    bool stopping;
    char dummy_hash[AUTH_HASH_MAX]; /* hashing thread only */

    pthread_mutex_t rl_lock; /* guards rl and accounts */
    unsigned char rl_key[16];
    unsigned char form_key[32];            /* signs public forms' tokens (forms.c) */
    struct auth_rl_slot rl[AUTH_RL_SLOTS]; /* per client address; the oldest may be evicted */
    struct auth_rl_slot *accounts;         /* per account; open addressing, never evicted */
    size_t accounts_cap, accounts_used;    /* slots, and slots ever taken since the last rebuild */
};

/* auth_request's cookie path (session.c): a dashboard session for the request, with its CSRF
 * token on every request other than GET/HEAD. */
int auth_session_request(const struct auth_state *as, struct store *db,
                         const struct http_request *req, int64_t now, unsigned allowed,
                         struct auth *out, struct pd_err *err);

#endif
