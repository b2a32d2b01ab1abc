/* The links table's one writer (see links.h). */
#include "app/links.h"

#include <stddef.h>
#include <stdio.h>

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

int link_update(struct store *s, const char *id, const struct link_change *c, int64_t now,
                int64_t *changed, struct pd_err *err)
{
    struct db_val v[14] = {db_text(id), db_text(c->destination), db_int(c->disabled), db_int(now)};
    char sql[600];
    int n = snprintf(sql, sizeof sql,
                     "UPDATE links SET destination = COALESCE(?2, destination),"
                     " disabled = CASE WHEN ?3 < 0 THEN disabled ELSE ?3 END, updated_at = ?4");
    int np = 4;
    for (int i = 0; i < 5; i++) {
        if (!c->sub_given[i])
            continue;
        v[np] = db_text(c->sub[i]);
        np++;
        n += snprintf(sql + n, sizeof sql - (size_t)n, ", sub%d = ?%d", i + 1, np);
    }
    snprintf(sql + n, sizeof sql - (size_t)n, " WHERE id = ?1 AND archived_at IS NULL");
    return store_exec(s, sql, v, np, changed, err);
}

int link_remove(struct store *s, const char *id, int64_t now, bool *archived, struct pd_err *err)
{
    /* Every click and attributed conversion of a link adds to its daily rollup (read through the
     * rollups' key); a conversion is looked for among its partner's. */
    struct db_val p = db_text(id);
    int64_t used = 0;
    if (store_query_int(s,
                        "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM daily_stats d JOIN links l"
                        " ON d.program_id = l.program_id AND d.partner_id = l.partner_id"
                        " AND d.link_id = l.id WHERE l.id = ?1 LIMIT 1) a)"
                        " + (SELECT COUNT(*) FROM (SELECT 1 FROM conversions c JOIN links l"
                        " ON c.partner_id = l.partner_id AND c.link_id = l.id WHERE l.id = ?1"
                        " LIMIT 1) b)",
                        &p, 1, 0, &used, err) < 0)
        return -1;
    *archived = used > 0;
    if (!*archived)
        return store_exec(s, "DELETE FROM links WHERE id = ?1", &p, 1, NULL, err);
    struct db_val v[2] = {db_text(id), db_int(now)};
    return store_exec(s,
                      "UPDATE links SET archived_at = COALESCE(archived_at, ?2), updated_at = ?2"
                      " WHERE id = ?1",
                      v, 2, NULL, err);
}
