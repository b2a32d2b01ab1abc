/* struct auth_state: its life cycle and the hashing thread (argon2id off the HTTP workers). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/auth_internal.h"
#include "util/banned.h"

/* ---- the hashing thread ------------------------------------------------------------------- */

static void job_done_on_worker(void *arg)
{
    struct auth_hash_job *job = arg;
    job->done(job);
}

static void run_job(struct auth_state *as, struct auth_hash_job *job)
{
    size_t plen = strlen(job->password);
    if (job->op == AUTH_HASH_NEW) {
        job->rc = auth_password_hash(job->password, job->hash, NULL);
        return;
    }
    job->matched = -1;
    if (job->nhashes == 0) {
        /* Unknown email: spend the same time as a real check, so timing tells nothing. */
        if (!as->dummy_hash[0] && auth_password_hash("not a password", as->dummy_hash, NULL) < 0)
            return;
        if (crypto_pwhash_str_verify(as->dummy_hash, job->password, plen) == 0)
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
    struct auth_state *as = arg;
    for (;;) {
        pthread_mutex_lock(&as->lock);
        while (!as->head && !as->stopping)
            pthread_cond_wait(&as->cond, &as->lock);
        if (as->stopping) {
            pthread_mutex_unlock(&as->lock);
            return NULL;
        }
        struct auth_hash_job *job = as->head;
        as->head = job->next;
        if (!as->head)
            as->tail = NULL;
        as->queued--;
        pthread_mutex_unlock(&as->lock);
        run_job(as, job);
        /* A worker that is shutting down drops the request; nothing else can be answered. */
        (void)http_worker_post(job->worker, job_done_on_worker, job);
    }
}

int auth_hash_submit(struct auth_state *as, struct auth_hash_job *job)
{
    int rc = -1;
    job->next = NULL;
    pthread_mutex_lock(&as->lock);
    if (!as->stopping && as->queued < AUTH_HASH_QUEUE_MAX) {
        if (as->tail)
            as->tail->next = job;
        else
            as->head = job;
        as->tail = job;
        as->queued++;
        rc = 0;
        pthread_cond_signal(&as->cond);
    }
    pthread_mutex_unlock(&as->lock);
    return rc;
}

/* ---- life cycle --------------------------------------------------------------------------- */

struct auth_state *auth_state_new(const char *public_url, struct pd_err *err)
{
    if (sodium_init() < 0) {
        pd_err_set(err, PD_ERR_INTERNAL, NULL, "libsodium cannot start");
        return NULL;
    }
    struct auth_state *as = calloc(1, sizeof *as);
    if (!as)
        abort();
    as->secure = strncasecmp(public_url, "https://", 8) == 0;
    as->cookie_name = as->secure ? "__Host-pd_session" : "pd_session";
    as->scheme = as->secure ? "https" : "http";
    randombytes_buf(as->rl_key, sizeof as->rl_key);
    randombytes_buf(as->form_key, sizeof as->form_key);
    pthread_mutex_init(&as->lock, NULL);
    pthread_mutex_init(&as->rl_lock, NULL);
    pthread_cond_init(&as->cond, NULL);
    if (pthread_create(&as->thread, NULL, hash_main, as) != 0) {
        pthread_cond_destroy(&as->cond);
        pthread_mutex_destroy(&as->rl_lock);
        pthread_mutex_destroy(&as->lock);
        free(as);
        pd_err_set(err, PD_ERR_INTERNAL, NULL, "cannot start the password hashing thread");
        return NULL;
    }
    return as;
}

void auth_state_free(struct auth_state *as)
{
    if (!as)
        return;
    pthread_mutex_lock(&as->lock);
    as->stopping = true; /* queued jobs are dropped: their requests are being abandoned */
    pthread_cond_broadcast(&as->cond);
    pthread_mutex_unlock(&as->lock);
    pthread_join(as->thread, NULL);
    pthread_cond_destroy(&as->cond);
    pthread_mutex_destroy(&as->rl_lock);
    pthread_mutex_destroy(&as->lock);
    sodium_memzero(as->rl_key, sizeof as->rl_key);
    sodium_memzero(as->form_key, sizeof as->form_key);
    free(as->accounts);
    free(as);
}

bool auth_secure(const struct auth_state *as)
{
    return as->secure;
}

const char *auth_scheme(const struct auth_state *as)
{
    return as->scheme;
}
