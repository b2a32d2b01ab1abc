/* The links table's one writer: a partner's default link (made with the partner), the links
 * created through the API, and the merchant's edits. A link's code never changes (printed links
 * would break); its destination, sub-ids and disabled flag may. A disabled or archived link sends
 * its visitors to the program's default URL, uncredited (link_target_load). */
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

struct link_change {
    const char *destination; /* NULL: unchanged */
    int disabled;            /* -1 unchanged, 0, 1 */
    bool sub_given[5];
    const char *sub[5]; /* when given; NULL clears */
};
/* Applies the change to link id (not archived: 0 rows otherwise, *changed says). */
int link_update(struct store *s, const char *id, const struct link_change *c, int64_t now,
                int64_t *changed, struct pd_err *err);
/* Deletes link id, or archives it when history names it (clicks, daily rollups, conversions), so
 * reports keep it. *archived: whether it was archived rather than deleted. */
int link_remove(struct store *s, const char *id, int64_t now, bool *archived, struct pd_err *err);

#endif
