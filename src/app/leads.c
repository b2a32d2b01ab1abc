/* Recording a lead (a customer signed up, no order yet): attributed like a conversion, it binds the
 * customer to the partner and pays the program's lead rule once per new customer. */
#include "app/conversions.h"

#include <string.h>
#include <strings.h>

#include "app/attribute.h"
#include "app/fields.h"
#include "app/lifecycle.h"
#include "app/partners.h"
#include "app/programs.h"
#include "core/ids.h"
#include "util/banned.h"

int lead_record(struct store *s, const struct lead_input *in, int64_t now_ms, struct arena *a,
                json_t **out, struct pd_err *err)
{
    struct program prog;
    if (program_resolve(s, in->program_id, a, &prog, err) != 0)
        return -1;
    const char *link_id = NULL;
    struct attr_result ar;
    if (attribute_in_store(s, &prog, now_ms, in->click_id, in->coupon, in->customer_id, in->ref, a,
                           &link_id, &ar, err) < 0)
        return -1;
    /* A customer already bound (and still within its binding) keeps that partner: the lead is
     * recorded for it, and nothing is rebound. */
    if (!ar.partner_id)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE,
                          in->click_id ? "click_id"
                          : in->coupon ? "coupon"
                                       : "ref",
                          "the lead could not be attributed%s%s", ar.reason ? ": " : "",
                          ar.reason ? ar.reason : "");
    if (store_lock(s, "partner", ar.partner_id, NULL, err) < 0)
        return -1;
    bool bound = false;
    if (ar.rebind) {
        if (customer_bind(s, prog.id, in->customer_id, ar.partner_id, ar.click_id,
                          ar.since_ms ? ar.since_ms : now_ms, now_ms, err) < 0)
            return -1;
        bound = true;
    }
    char lead_id[ID_MAX_LEN];
    id_new(lead_id, sizeof lead_id, "lea_", (uint64_t)now_ms);
    struct db_val v[8] = {db_text(lead_id),
                          db_text(prog.id),
                          db_text(ar.partner_id),
                          db_text(in->customer_id),
                          db_text(ar.click_id),
                          db_text(in->email),
                          db_text(attr_method_name(ar.method)),
                          db_int(now_ms)};
    if (store_exec(s,
                   "INSERT INTO leads (id, program_id, partner_id, customer_id, click_id, email,"
                   " method, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                   v, 8, NULL, err) < 0)
        return -1;
    struct partner partner;
    if (partner_load(s, ar.partner_id, a, &partner, err) != 0)
        return -1;
    size_t rule_index = 0;
    int64_t lead_amount = commission_for_lead(&prog.rules, partner.id, partner.group, &rule_index);
    bool self = in->email && strcasecmp(in->email, partner.email) == 0;
    /* A lead pays once, when it brings a customer; one already bound earns nothing new. */
    bool new_customer = ar.method != ATTR_CUSTOMER;
    if (lead_amount > 0 && new_customer && !ar.bot && !self &&
        strcmp(partner.status, "active") == 0) {
        char *explanation = arena_sprintf(a, "lead rule %s: flat %lld",
                                          prog.rules.rules[rule_index].id, (long long)lead_amount);
        struct commission_new c = {.partner_id = partner.id,
                                   .lead_id = lead_id,
                                   .rule_id = prog.rules.rules[rule_index].id,
                                   .amount = lead_amount,
                                   .explanation = explanation};
        if (commission_insert(s, &prog, &c, now_ms, a, NULL, err) < 0)
            return -1;
    }
    *out = json_object();
    json_object_set_new(*out, "id", json_string(lead_id));
    json_object_set_new(*out, "object", json_string("lead"));
    json_object_set_new(*out, "program_id", json_string(prog.id));
    json_object_set_new(*out, "customer_id", json_string(in->customer_id));
    json_object_set_new(*out, "partner_id", json_string(ar.partner_id));
    json_object_set_new(*out, "method", json_string(attr_method_name(ar.method)));
    json_object_set_new(*out, "click_id", ar.click_id ? json_string(ar.click_id) : json_null());
    json_object_set_new(*out, "bound", json_boolean(bound));
    json_object_set_new(*out, "created", pd_json_time(now_ms));
    return 0;
}
