/* Helpers shared by the store webhook mappers (storehook_<platform>.c): JSON field access that
 * never goes through a double, event set-up and click ids in URLs. Internal to src/core. */
#ifndef PD_CORE_STOREHOOK_COMMON_H
#define PD_CORE_STOREHOOK_COMMON_H

#include <jansson.h>

#include "core/storehook.h"

/* The most line items / coupons kept from one payload; more are ignored (the amount stays exact,
 * it is the order's). */
#define SH_MAX_ITEMS 500
#define SH_MAX_COUPONS 50

/* A platform's mapping of a body that is a JSON object. */
typedef void (*sh_mapper)(const json_t *root, const struct storehook_delivery *d, struct arena *a,
                          struct storehook_event *out);
/* Clears out (with room for SH_MAX_COUPONS coupons in a), parses the body and runs fn on it when
 * it is a JSON object (else out is IGNORE). -1 only for NULL arguments. */
int sh_run(const struct storehook_delivery *d, struct arena *a, struct storehook_event *out,
           sh_mapper fn);
/* Sets kind IGNORE and the reason; returns 0 so mappers can `return sh_ignore(...)`. */
int sh_ignore(struct storehook_event *out, const char *reason);

/* obj[key] as a string (NULL when absent, null or not a string); obj may be NULL. */
const char *sh_str(const json_t *obj, const char *key);
/* obj[key] as an object / array, or NULL. */
json_t *sh_obj(const json_t *obj, const char *key);
json_t *sh_arr(const json_t *obj, const char *key);
/* A string or an integer (64-bit ids) as arena text; NULL for anything else or "". */
const char *sh_id(struct arena *a, const json_t *v);
const char *sh_id_at(struct arena *a, const json_t *obj, const char *key);
/* A string copied into the arena, NULL when absent or "". */
const char *sh_dup(struct arena *a, const json_t *obj, const char *key);

/* Amounts. Each returns false when the value is absent or not exact. */
/* A decimal string, or a JSON integer counted in whole units (never a JSON real). */
bool sh_decimal(const json_t *v, int exponent, bool allow_negative, int64_t *out);
/* An integer of minor units: JSON integer ≥ 0, or a string of digits (Paddle). */
bool sh_minor(const json_t *v, int64_t *out);

/* Sets out->currency / exponent from an ISO 4217 code (any case); false when unknown. */
bool sh_currency(struct storehook_event *out, const char *code);

/* The value of parameter name in the query of a URL or path ("/?pd_click=x&y=1"), percent-decoded
 * into the arena; NULL when absent, empty or badly encoded. */
const char *sh_query_param(struct arena *a, const char *url, const char *name);

/* Allocates out->items for the JSON array lines (its first SH_MAX_ITEMS entries; false when there
 * are more and all_or_none) and reads each entry's quantity (a positive integer, else 0) and ref:
 * the first of obj[ref_key], obj[alt_key] that is a non-empty string or an integer (keys may be
 * NULL). The amounts are left to the caller. */
bool sh_items(struct arena *a, const json_t *lines, bool all_or_none, const char *ref_key,
              const char *alt_key, struct storehook_event *out);

/* Appends a coupon (ignored when NULL, "", already listed, or the list is full). */
void sh_add_coupon(struct storehook_event *out, const char *code);

#endif
