/* The links table's one writer (see links.h). */
#include "app/links.h"

#include <stddef.h>

#include "util/banned.h"

int link_insert(struct store *s, const struct link_new *l, struct pd_err *err)
{
    struct db_val v[12] = {db_text(l->id),          db_text(l->program_id), db_text(l->partner_id),
                           db_text(l->code),        db_text(l->destination), db_int(l->is_default),
                           db_text(l->sub[0]),      db_text(l->sub[1]),     db_text(l->sub[2]),
                           db_text(l->sub[3]),      db_text(l->sub[4]),     db_int(l->created_at)};
    return store_exec(s,
                      "INSERT INTO links (id, program_id, partner_id, code, destination,"
                      " is_default, sub1, sub2, sub3, sub4, sub5, created_at)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                      v, 12, NULL, err);
}
