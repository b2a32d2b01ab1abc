/* The partner record: loading it, its balance and JSON, and inserting a new partner with its
 * default link and coupons. Memory comes from the caller's arena. */
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
};

/* 0 found, 1 not found (err filled with PD_ERR_NOT_FOUND naming param), -1 store error. */
int partner_load(struct store *s, const char *id, struct arena *a, struct partner *out,
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

#endif
