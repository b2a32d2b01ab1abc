/* The links table's one writer: a partner's default link (made with the partner) and the links
 * created through the API both go in here. */
#ifndef PD_APP_LINKS_H
#define PD_APP_LINKS_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

struct link_new {
    const char *id, *program_id, *partner_id, *code, *destination;
    const char *sub[5]; /* NULL: none */
    bool is_default;
    int64_t created_at;
};

/* Inserts the link. STORE_CONSTRAINT when its code is taken: the caller says which of its fields
 * clashed. */
int link_insert(struct store *s, const struct link_new *l, struct pd_err *err);

#endif
