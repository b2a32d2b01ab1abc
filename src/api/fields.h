/* Table-driven validation of a JSON request body: each field's kind, limits and setter in one
 * row, applied in table order so the first bad field named in the error is the same every time. */
#ifndef PD_API_FIELDS_H
#define PD_API_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util/err.h"

enum api_field_kind {
    API_FIELD_STRING, /* api_get_string, max is the longest length; stored as const char * */
    API_FIELD_INT,    /* api_get_int within min..max; stored as int */
    API_FIELD_INT64,  /* api_get_int within min..max; stored as int64_t */
    API_FIELD_BOOL,   /* api_get_bool; stored as bool */
    API_FIELD_JSON,   /* the raw value (null included), for a setter to check */
};

/* When the setter runs (a field is read and checked whenever the setter may run). */
enum api_field_when {
    API_FIELD_GIVEN,             /* the field is in the body (for a nullable INT, null counts) */
    API_FIELD_GIVEN_OR_CREATING, /* given, or the record is being created */
    API_FIELD_CREATING,          /* on create only, given or not; never read on update */
    API_FIELD_ALWAYS,            /* every time, given or not (the setter sees v->given) */
};

struct api_field_value {
    bool given;
    bool null; /* a nullable INT or a JSON field given as null */
    const char *s;
    int64_t i;
    bool b;
    json_t *json; /* the body's value, NULL when absent */
};

/* ctx: the caller's write context. 0 or -1 with err filled (its param naming the field). */
typedef int (*api_field_setter)(void *ctx, const struct api_field_value *v, struct pd_err *err);

struct api_field {
    const char *name; /* NULL ends a table */
    enum api_field_kind kind;
    enum api_field_when when;
    bool required; /* when creating */
    bool nullable; /* INT, INT64: null is given and stored as -1 (none) */
    int64_t min, max;
    api_field_setter set; /* NULL: store the value at offset in the record */
    size_t offset;
};

/* Reads, checks and applies the body's fields in table order; the first failure stops it. */
int api_fields_apply(json_t *body, const struct api_field *fields, bool creating, void *record,
                     void *ctx, struct pd_err *err);

#endif
