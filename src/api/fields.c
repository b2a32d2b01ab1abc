/* Applies a table of request-body fields (src/api/fields.h) onto a record. */
#include "api/fields.h"

#include <string.h>

#include "api/api.h"
#include "util/banned.h"

static int field_read(json_t *body, const struct api_field *f, bool creating,
                      struct api_field_value *v, struct pd_err *err)
{
    json_t *j = json_object_get(body, f->name);
    bool required = f->required && creating;
    memset(v, 0, sizeof *v);
    v->json = j;
    switch (f->kind) {
    case API_FIELD_STRING:
        if (api_get_string(body, f->name, required, (size_t)f->max, &v->s, err) < 0)
            return -1;
        v->given = v->s != NULL;
        return 0;
    case API_FIELD_INT:
    case API_FIELD_INT64:
        if (f->nullable && j && json_is_null(j)) {
            v->given = v->null = true;
            return 0;
        }
        v->given = j && !json_is_null(j);
        return api_get_int(body, f->name, required, f->min, f->max, &v->i, err);
    case API_FIELD_BOOL:
        v->given = j && !json_is_null(j);
        return api_get_bool(body, f->name, &v->b, err);
    case API_FIELD_JSON:
        v->given = j != NULL;
        v->null = j && json_is_null(j);
        return 0;
    }
    return pd_err_set(err, PD_ERR_INTERNAL, f->name, "unknown field kind");
}

static void field_store(const struct api_field *f, void *record, const struct api_field_value *v)
{
    char *at = (char *)record + f->offset;
    switch (f->kind) {
    case API_FIELD_STRING:
        *(const char **)(void *)at = v->s;
        break;
    case API_FIELD_INT:
        *(int *)(void *)at = v->null ? -1 : (int)v->i;
        break;
    case API_FIELD_INT64:
        *(int64_t *)(void *)at = v->null ? -1 : v->i;
        break;
    case API_FIELD_BOOL:
        *(bool *)(void *)at = v->b;
        break;
    case API_FIELD_JSON:
        break;
    }
}

int api_fields_apply(json_t *body, const struct api_field *fields, bool creating, void *record,
                     void *ctx, struct pd_err *err)
{
    for (const struct api_field *f = fields; f->name; f++) {
        if (f->when == API_FIELD_CREATING && !creating)
            continue;
        struct api_field_value v;
        if (field_read(body, f, creating, &v, err) < 0)
            return -1;
        bool run = f->when == API_FIELD_ALWAYS || f->when == API_FIELD_CREATING || v.given ||
                   (f->when == API_FIELD_GIVEN_OR_CREATING && creating);
        if (!run)
            continue;
        if (f->set) {
            if (f->set(ctx, &v, err) < 0)
                return -1;
        } else if (v.given) {
            field_store(f, record, &v);
        }
    }
    return 0;
}
