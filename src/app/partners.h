/* The partner record: loading it, its balance and JSON; and the partners table's writes, the one
 * module that inserts and updates partner rows, whether the caller is the merchant's API, a
 * partner's own settings, its dashboard credentials, or a command-line tool. Each write runs
 * inside the caller's transaction (a writer job or a tool's own). Memory comes from the caller's
 * arena. */
#ifndef PD_APP_PARTNERS_H
#define PD_APP_PARTNERS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/arena.h"
#include "util/err.h"

struct partner {
    const char *id, *program_id, *email, *name, *ref_code, *parent_id, *group, *status;
    const char *payout_method, *postback_url; /* JSON text or NULL */
    int64_t created_at, updated_at;
    const char *rejection_reason;    /* signup: why a rejected application was, or NULL */
    const char *website, *promotion; /* signup: what the application said, or NULL */
};

/* 0 found, 1 not found (err filled with PD_ERR_NOT_FOUND naming param), -1 store error. */
int partner_load(struct store *s, const char *id, struct arena *a, struct partner *out,
                 struct pd_err *err);
/* partner_load, and in the same statement `sum`, a scalar SQL expression over ?1 (the partner's
 * id), ?2 (from) and ?3 (to), read into *sum_out (NULL as 0; *sum_exact false when beyond int64):
 * one round trip where a hot path would take two. */
int partner_load_sum(struct store *s, const char *id, const char *sum, int64_t from, int64_t to,
                     struct arena *a, struct partner *out, int64_t *sum_out, bool *sum_exact,
                     struct pd_err *err);

/* With balance: sums the partner's ledger entries. */
json_t *partner_to_json(struct store *s, const struct partner *p, const char *currency,
                        const char *public_url, struct pd_err *err);
int partner_balance(struct store *s, const char *partner_id, int64_t *pending, int64_t *approved,
                    int64_t *paid, struct pd_err *err);

/* Inserts a partner with its default link (code = ref_code, to default_url) and coupons.
 * STORE_CONSTRAINT with err->param naming the clashing field. */
int partner_insert(struct store *s, const struct partner *p, const char *default_url,
                   const char *const *coupons, size_t ncoupons, struct pd_err *err);

/* Writes p's changeable fields (email, name, parent, group, status, payout method, postback URL,
 * rejection reason) with updated_at = now. STORE_CONSTRAINT when the email is taken. */
int partner_update(struct store *s, const struct partner *p, int64_t now, struct pd_err *err);

/* Replaces the partner's coupons with codes (upper-case; repeats count once): the ones it no
 * longer has are removed, the new ones added. A code another partner of the program holds is
 * 422 on "coupons", nothing changed. */
int partner_coupons_replace(struct store *s, const struct partner *p, const char *const *codes,
                            size_t n, int64_t now, struct pd_err *err);

/* Dashboard credentials. The password hash (argon2id text) sets the login; an invite's token hash
 * lets the holder of the link choose one. */
int partner_set_password(struct store *s, const char *partner_id, const char *password_hash,
                         struct pd_err *err);
int partner_set_invite(struct store *s, const char *partner_id, const char *invite_hash,
                       struct pd_err *err);
/* One-time: only the row still holding invite_hash takes the password, and loses the invite.
 * *changed: 1 when it did, 0 when the invite is no longer there. */
int partner_accept_invite(struct store *s, const char *partner_id, const char *invite_hash,
                          const char *password_hash, int64_t now, int64_t *changed,
                          struct pd_err *err);
/* signup: what an application said (website, how they promote; NULL for none). */
int partner_set_application(struct store *s, const char *partner_id, const char *website,
                            const char *promotion, struct pd_err *err);
/* signup: a password reset sets the password of every partner account with the email (lower-cased)
 * and drops their invites; *changed: how many. */
int partner_reset_password(struct store *s, const char *email, const char *password_hash,
                           int64_t now, int64_t *changed, struct pd_err *err);
/* `partnerd demo`: the same password for every partner. */
int partner_set_every_password(struct store *s, const char *password_hash, struct pd_err *err);

#endif
