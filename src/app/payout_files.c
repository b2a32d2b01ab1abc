/* A payout batch's files (app/payouts.h): exporting one (its items leave through that channel)
 * and writing it from the items that left through it (SEPA pain.001, PayPal and Wise CSV in
 * parts, by core/pain001.c and core/payout_csv.c), the list of downloads in the batch's JSON, and
 * the generic CSV listing. Files are read in one ordered pass over the batch's items. */
#include <stdlib.h>
#include <string.h>

#include "app/fields.h"
#include "app/payout_batches.h"
#include "app/payouts.h"
#include "app/programs.h"
#include "core/money.h"
#include "core/pain001.h"
#include "core/payout_csv.h"
#include "util/timefmt.h"
#include "util/banned.h"

struct file_kind {
    const char *format, *method_type, *channel, *path;
    size_t per_part; /* 0: one file */
};

static const struct file_kind kinds[] = {
    [PAYOUT_FILE_SEPA] = {"sepa", "iban", "sepa", "sepa.xml", 0},
    [PAYOUT_FILE_PAYPAL] = {"paypal", "paypal", "paypal_csv", "paypal.csv", PAYPAL_CSV_PART_ROWS},
    [PAYOUT_FILE_WISE] = {"wise", "iban", "wise", "wise.csv", WISE_CSV_PART_ROWS},
};

/* What exporting and writing a file share: the batch, its program, SEPA's own conditions. */
struct file_ctx {
    struct arena a;
    struct payout_batch b;
    struct program prog;
    const struct file_kind *k;
    int64_t rows;
    size_t parts;
};

static int ctx_open(struct store *s, const struct payout_file_request *req, const char *id,
                    struct file_ctx *c, struct pd_err *err)
{
    arena_init(&c->a, 4096);
    c->k = &kinds[req->kind];
    if (payout_batch_load(s, id, &c->a, &c->b, err) < 0 ||
        program_load(s, c->b.program_id, &c->a, &c->prog, err) != 0)
        return -1;
    if (req->kind == PAYOUT_FILE_SEPA && strcmp(c->b.currency, "EUR") != 0)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "currency",
                          "a SEPA credit transfer is in EUR; program %s pays in %s (use "
                          "wise.csv for bank transfers in other currencies)",
                          c->prog.id, c->b.currency);
    if (req->kind == PAYOUT_FILE_SEPA && !c->prog.payout_debtor_json)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "payout_debtor",
                          "program %s has no payout_debtor {name, iban, bic?}: set it with "
                          "PATCH /api/v1/programs/%s before asking for a SEPA file",
                          c->prog.id, c->prog.id);
    return 0;
}

/* Counts the items that left through the file's channel and checks the part asked for. */
static int ctx_rows(struct store *s, const struct payout_file_request *req, struct file_ctx *c,
                    struct pd_err *err)
{
    struct db_val k[2] = {db_text(c->b.id), db_text(c->k->channel)};
    if (store_query_int(s,
                        "SELECT COUNT(*) FROM payout_items WHERE payout_id = ?1 AND channel = ?2",
                        k, 2, 0, &c->rows, err) < 0)
        return -1;
    if (c->rows == 0)
        return pd_err_set(err, PD_ERR_CONFLICT, "id",
                          "payout %s has no payable %s item to put in %s (held items are never "
                          "exported)",
                          c->b.id, c->k->method_type, c->k->path);
    c->parts = c->k->per_part ? csv_part_count((size_t)c->rows, c->k->per_part) : 1;
    if (req->part == 0 && c->parts > 1)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "part",
                          "%s of payout %s has %zu parts: ask for ?part=1 to ?part=%zu", c->k->path,
                          c->b.id, c->parts, c->parts);
    if (req->part > c->parts)
        return pd_err_set(err, PD_ERR_NOT_FOUND, "part", "%s of payout %s has %zu part(s)",
                          c->k->path, c->b.id, c->parts);
    return 0;
}

int payout_export(struct store *s, const struct payout_file_request *req, const char *payout_id,
                  int64_t now_ms, size_t *parts, struct pd_err *err)
{
    struct file_ctx c;
    int64_t left = 0;
    int rc = ctx_open(s, req, payout_id, &c, err);
    if (rc == 0)
        rc = payout_items_leave(s, payout_id, c.k->method_type, c.k->channel, "exported", now_ms,
                                &left, err);
    if (rc == 0)
        rc = ctx_rows(s, req, &c, err);
    *parts = c.parts;
    arena_free(&c.a);
    return rc < 0 ? -1 : 0;
}

/* One item of a file, read in the file's order. */
struct file_row {
    const char *reference, *name, *email, *holder, *iban, *pp_email;
    int64_t amount, sent_at;
};

static int read_rows(struct store *s, const struct payout_file_request *req, struct file_ctx *c,
                     struct file_row **rows, size_t *n, struct pd_err *err)
{
    size_t per = c->k->per_part ? c->k->per_part : (size_t)c->rows;
    size_t first = req->part > 1 ? (req->part - 1) * per : 0;
    struct db_val k[4] = {db_text(c->b.id), db_text(c->k->channel), db_int((int64_t)per),
                          db_int((int64_t)first)};
    struct store_cursor cur;
    if (store_query(s,
                    "SELECT i.reference, p.name, p.email, i.method, i.amount, i.sent_at"
                    " FROM payout_items i JOIN partners p ON p.id = i.partner_id"
                    " WHERE i.payout_id = ?1 AND i.channel = ?2 ORDER BY i.partner_id"
                    " LIMIT ?3 OFFSET ?4",
                    k, 4, &cur, err) < 0)
        return -1;
    *rows = arena_alloc(&c->a, (per ? per : 1) * sizeof **rows);
    *n = 0;
    int rc;
    while ((rc = store_step(&cur, err)) == STORE_ROW && *n < per) {
        struct file_row *r = &(*rows)[(*n)++];
        memset(r, 0, sizeof *r);
        r->reference = col_dup(&c->a, &cur, 0);
        r->name = col_dup(&c->a, &cur, 1);
        r->email = col_dup(&c->a, &cur, 2);
        r->amount = store_col_int(&cur, 4);
        r->sent_at = store_col_int(&cur, 5);
        json_t *m = json_loads(store_col_text(&cur, 3), 0, NULL);
        const char *v;
        if ((v = json_string_value(json_object_get(m, "holder"))))
            r->holder = arena_strdup(&c->a, v);
        if ((v = json_string_value(json_object_get(m, "iban"))))
            r->iban = arena_strdup(&c->a, v);
        if ((v = json_string_value(json_object_get(m, "email"))))
            r->pp_email = arena_strdup(&c->a, v);
        json_decref(m);
    }
    store_finish(&cur);
    return rc < 0 ? -1 : 0;
}

static int write_sepa(const struct payout_file_request *req, struct file_ctx *c,
                      const struct file_row *rows, size_t n, struct strbuf *out, struct pd_err *err)
{
    json_t *d = json_loads(c->prog.payout_debtor_json, 0, NULL);
    struct pain001_item *items = arena_alloc(&c->a, n * sizeof *items);
    const char *remittance = arena_sprintf(&c->a, "Partner commissions %s", c->b.period);
    int64_t created = rows[0].sent_at;
    for (size_t i = 0; i < n; i++) {
        items[i] = (struct pain001_item){
            .creditor = {rows[i].holder ? rows[i].holder : rows[i].name, rows[i].iban, NULL},
            .amount = rows[i].amount,
            .reference = rows[i].reference,
            .remittance = remittance,
        };
        if (rows[i].sent_at < created)
            created = rows[i].sent_at;
    }
    int64_t y;
    unsigned m, day;
    time_civil_from_days(created / 86400000, &y, &m, &day);
    const char *underscore = strrchr(c->b.id, '_');
    struct pain001_doc doc = {
        .version = req->sepa_v03 ? PAIN001_V03 : PAIN001_V09,
        .message_id = underscore ? underscore + 1 : c->b.id,
        .created_ms = created,
        .execution_date = arena_sprintf(&c->a, "%04lld-%02u-%02u", (long long)y, m, day),
        .currency = c->b.currency,
        .debtor = {json_string_value(json_object_get(d, "name")),
                   json_string_value(json_object_get(d, "iban")),
                   json_string_value(json_object_get(d, "bic"))},
        .items = items,
        .n_items = n,
    };
    int rc = pain001_write(&doc, out, err);
    json_decref(d);
    return rc;
}

static int write_csv_part(const struct payout_file_request *req, struct file_ctx *c,
                          const struct file_row *rows, size_t n, struct strbuf *out,
                          struct pd_err *err)
{
    const char *note = arena_sprintf(&c->a, "Partner commissions %s", c->b.period);
    if (req->kind == PAYOUT_FILE_PAYPAL) {
        struct paypal_csv_row *r = arena_alloc(&c->a, n * sizeof *r);
        for (size_t i = 0; i < n; i++)
            r[i] =
                (struct paypal_csv_row){rows[i].pp_email, rows[i].amount, rows[i].reference, note};
        return paypal_csv_write_part(r, n, c->b.currency, 1, out, err);
    }
    struct wise_csv_row *r = arena_alloc(&c->a, n * sizeof *r);
    for (size_t i = 0; i < n; i++)
        r[i] = (struct wise_csv_row){rows[i].holder ? rows[i].holder : rows[i].name,
                                     rows[i].email,
                                     rows[i].reference,
                                     rows[i].amount,
                                     c->b.currency,
                                     rows[i].iban};
    return wise_csv_write_part(r, n, c->b.currency, 1, out, err);
}

int payout_file_write(struct store *s, const struct payout_file_request *req, const char *payout_id,
                      struct strbuf *out, struct pd_err *err)
{
    struct file_ctx c;
    struct file_row *rows = NULL;
    size_t n = 0;
    int rc = ctx_open(s, req, payout_id, &c, err);
    if (rc == 0)
        rc = ctx_rows(s, req, &c, err);
    if (rc == 0)
        rc = read_rows(s, req, &c, &rows, &n, err);
    if (rc == 0)
        rc = req->kind == PAYOUT_FILE_SEPA ? write_sepa(req, &c, rows, n, out, err)
                                           : write_csv_part(req, &c, rows, n, out, err);
    arena_free(&c.a);
    return rc < 0 ? -1 : 0;
}

/* The downloads of one kind: the items that can still go (payable) or went through its
 * channel, unless its items went another way. */
static int files_of_kind(struct store *s, const struct payout_batch *b, enum payout_file kind,
                         json_t *list, struct pd_err *err)
{
    const struct file_kind *k = &kinds[kind];
    struct db_val q[2] = {db_text(b->id), db_text(k->channel)};
    char sql[400];
    snprintf(sql, sizeof sql,
             "SELECT COUNT(*) FROM payout_items WHERE payout_id = ?1"
             " AND method LIKE '%%\"type\":\"%s\"%%'"
             " AND (channel = ?2 OR (status = 'payable' AND NOT EXISTS (SELECT 1 FROM"
             " payout_items o WHERE o.payout_id = ?1 AND o.channel IS NOT NULL"
             " AND o.method LIKE '%%\"type\":\"%s\"%%')))",
             k->method_type, k->method_type);
    int64_t rows = 0;
    if (store_query_int(s, sql, q, 2, 0, &rows, err) < 0)
        return -1;
    if (rows == 0 || (kind == PAYOUT_FILE_SEPA && strcmp(b->currency, "EUR") != 0))
        return 0;
    size_t parts = k->per_part ? csv_part_count((size_t)rows, k->per_part) : 1;
    for (size_t p = 1; p <= parts; p++) {
        size_t per = k->per_part ? k->per_part : (size_t)rows;
        size_t in_part = p < parts ? per : (size_t)rows - (parts - 1) * per;
        json_t *f = json_object();
        json_object_set_new(f, "format", json_string(k->format));
        json_object_set_new(f, "part", parts > 1 ? json_integer((json_int_t)p) : json_null());
        json_object_set_new(f, "items", json_integer((json_int_t)in_part));
        char url[160];
        if (parts > 1)
            snprintf(url, sizeof url, "/api/v1/payouts/%s/%s?part=%zu", b->id, k->path, p);
        else
            snprintf(url, sizeof url, "/api/v1/payouts/%s/%s", b->id, k->path);
        json_object_set_new(f, "url", json_string(url));
        json_array_append_new(list, f);
    }
    return 0;
}

json_t *payout_files_json(struct store *s, const char *payout_id, struct pd_err *err)
{
    struct arena a;
    arena_init(&a, 1024);
    struct payout_batch b;
    json_t *list = json_array();
    int rc = payout_batch_load(s, payout_id, &a, &b, err);
    for (int kind = PAYOUT_FILE_SEPA; rc == 0 && kind <= PAYOUT_FILE_WISE; kind++)
        rc = files_of_kind(s, &b, (enum payout_file)kind, list, err);
    arena_free(&a);
    if (rc < 0) {
        json_decref(list);
        return NULL;
    }
    return list;
}

void payout_csv_field(FILE *out, const char *v, bool last)
{
    /* A field is a few hundred bytes at most: the buffer's limit only bounds a runaway value. */
    struct strbuf b;
    strbuf_init(&b, SIZE_MAX / 2);
    csv_put_field(&b, v, last);
    if (b.len) /* a short write shows in the stream's error flag, which its owner checks */
        fwrite(b.data, 1, b.len, out);
    strbuf_free(&b);
}

int payout_write_csv(struct store *s, const char *payout_id, FILE *out, payout_progress_fn progress,
                     void *progress_arg, struct pd_err *err)
{
    struct db_val k = db_text(payout_id);
    int64_t total = 0;
    if (store_query_int(s, "SELECT COUNT(*) FROM payout_items WHERE payout_id = ?1", &k, 1, -1,
                        &total, err) < 0)
        return -1;
    struct store_cursor cur;
    if (store_query(s,
                    "SELECT i.partner_id, p.name, p.email, i.method, i.amount, i.currency,"
                    " i.reference, i.status, i.reason FROM payout_items i JOIN partners p ON p.id "
                    "= i.partner_id"
                    " WHERE i.payout_id = ?1 ORDER BY i.partner_id",
                    &k, 1, &cur, err) < 0)
        return -1;
    fputs("partner_id,name,email,method,account,amount,currency,reference,account_holder,status,"
          "reason\r\n",
          out);
    int rc;
    int64_t done = 0;
    while ((rc = store_step(&cur, err)) == STORE_ROW) {
        const char *type = "", *account = "", *holder = "";
        json_t *m = store_is_null(&cur, 3) ? NULL : json_loads(store_col_text(&cur, 3), 0, NULL);
        if (m) {
            type = json_string_value(json_object_get(m, "type"));
            if (type && strcmp(type, "paypal") == 0) {
                account = json_string_value(json_object_get(m, "email"));
            } else if (type && strcmp(type, "iban") == 0) {
                account = json_string_value(json_object_get(m, "iban"));
                holder = json_string_value(json_object_get(m, "holder"));
            }
        }
        const struct currency *c = currency_find(store_col_text(&cur, 5));
        char amount[48];
        money_format(store_col_int(&cur, 4), c ? c->exponent : 2, amount, sizeof amount);
        payout_csv_field(out, store_col_text(&cur, 0), false);
        payout_csv_field(out, store_col_text(&cur, 1), false);
        payout_csv_field(out, store_col_text(&cur, 2), false);
        payout_csv_field(out, type ? type : "", false);
        payout_csv_field(out, account, false);
        payout_csv_field(out, amount, false);
        payout_csv_field(out, store_col_text(&cur, 5), false);
        payout_csv_field(out, store_col_text(&cur, 6), false);
        payout_csv_field(out, holder, false);
        payout_csv_field(out, store_col_text(&cur, 7), false);
        payout_csv_field(out, store_is_null(&cur, 8) ? "" : store_col_text(&cur, 8), true);
        json_decref(m);
        if (++done % 1000 == 0)
            if (progress)
                progress("csv", done, total, progress_arg);
    }
    store_finish(&cur);
    if (progress)
        progress("csv", done, total, progress_arg);
    return rc < 0 ? -1 : 0;
}
