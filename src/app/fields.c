/* The small conversions every record's loader and JSON view shares: a text column copied into the
 * caller's arena, a time as RFC 3339, money as an integer of minor units. */
#include "app/fields.h"

#include "util/timefmt.h"
#include "util/banned.h"

const char *col_dup(struct arena *a, struct store_cursor *cur, int col)
{
    if (store_is_null(cur, col))
        return NULL;
    return arena_strdup(a, store_col_text(cur, col));
}

json_t *pd_json_time(int64_t ms)
{
    char buf[40];
    time_format_rfc3339(ms, buf, sizeof buf);
    return json_string(buf);
}

json_t *pd_json_money(int64_t minor)
{
    return json_integer(minor);
}

json_t *pd_json_str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}
