/* The small conversions every record's loader and JSON view shares. Memory comes from the caller's
 * arena; JSON values are new references. */
#ifndef PD_APP_FIELDS_H
#define PD_APP_FIELDS_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"
#include "util/arena.h"

/* Copies a text column into the arena; NULL for SQL NULL. */
const char *col_dup(struct arena *a, struct store_cursor *cur, int col);
/* RFC 3339 string for a millisecond time. */
json_t *pd_json_time(int64_t ms);
/* Money as JSON integer. */
json_t *pd_json_money(int64_t minor);
/* The string, or JSON null for NULL. */
json_t *pd_json_str_or_null(const char *s);

#endif
