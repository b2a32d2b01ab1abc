/* Compact JSON text of a jansson value, byte for byte what json_dumps(v, JSON_COMPACT) writes
 * (members in insertion order, only '"', '\\' and control characters escaped, UTF-8 kept), in one
 * pass with runs of plain bytes copied at once, where jansson's own encoder decodes each
 * character and calls back per fragment (bench/README.md, "The answers' JSON"). Used for the API's
 * answers: api_reply_json and the writes' results. */
#ifndef PD_UTIL_JSON_ENCODE_H
#define PD_UTIL_JSON_ENCODE_H

#include <jansson.h>
#include <stddef.h>

/* A malloc'd, NUL-terminated text (its length in *len when len is not NULL), the caller frees it;
 * NULL when out of memory or nested deeper than 64 levels. */
char *pd_json_encode(const json_t *v, size_t *len);

#endif
