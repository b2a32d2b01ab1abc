/* GET /postback: the query-string mapping of network-style conversion postbacks (Everflow/TUNE
 * names, Affise's and CAKE's, and their common aliases), kept pure so it can be fuzzed. */
#ifndef PD_API_POSTBACK_H
#define PD_API_POSTBACK_H

#include "util/arena.h"
#include "util/err.h"

#define POSTBACK_MAX_PARAMS 64

struct postback_params {
    const char *token;    /* token */
    const char *click_id; /* click_id, transaction_id, clickid, subid, cid, r */
    const char *order_id; /* order_id, txid, tid, action_id, t */
    const char *amount;   /* amount, sum, payout, p: decimal in major units, not yet parsed */
    const char *currency; /* currency */
    const char *status;   /* status */
};

/* Maps a raw query string onto the fields above (arena memory). Empty values count as absent (a
 * cart that leaves a macro empty); unknown keys are ignored (networks append their own); the same
 * field given twice with different values (e.g. click_id and subid) is refused, as are values
 * longer than the field allows and malformed escapes. 0 or -1 with err (400, naming the param). */
int postback_params_parse(struct arena *a, const char *query, struct postback_params *out,
                          struct pd_err *err);

/* A copy of a decimal amount without the zeros past `exponent` fraction digits ("12.340" → "12.34",
 * "5.00" with exponent 0 → "5"), so money_parse_decimal accepts what carts commonly print. Never
 * changes the value; anything else is left for money_parse_decimal to refuse. */
char *postback_amount_trim(struct arena *a, const char *amount, int exponent);

enum postback_status { POSTBACK_RECORD, POSTBACK_REFUSE, POSTBACK_UNKNOWN };
/* What a network's status means here: absent/approved/pending/… are recorded; declined/rejected/
 * cancelled/refunded/… are refused (nothing to record; a refund goes through the API). */
enum postback_status postback_status_kind(const char *status);

#endif
