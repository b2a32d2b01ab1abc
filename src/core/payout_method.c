/* Validation of a partner's payout method (core/payout_method.h): the canonical JSON stored for
 * PayPal or a bank transfer, or a clear error naming the field. Pure. */
#include "core/payout_method.h"

#include <string.h>

#include "core/iban.h"
#include "util/banned.h"

bool iban_normalize(const char *in, char *out, size_t outlen)
{
    char iban[IBAN_MAX_LEN + 1];
    if (outlen < sizeof iban || iban_validate(in, iban) != IBAN_OK)
        return false;
    memcpy(out, iban, strlen(iban) + 1);
    return true;
}

bool email_plausible(const char *s)
{
    size_t len = strlen(s);
    const char *at = strchr(s, '@');
    if (len == 0 || len > 254 || !at || at == s || strchr(at + 1, '@'))
        return false;
    const char *dot = strrchr(at + 1, '.');
    if (!dot || dot == at + 1 || dot[1] == '\0')
        return false;
    for (const char *c = s; *c; c++)
        if ((unsigned char)*c <= ' ' || *c == 0x7f)
            return false;
    return true;
}

json_t *payout_method_canonical(const json_t *pm, struct pd_err *err)
{
    const char *type = json_string_value(json_object_get(pm, "type"));
    if (!json_is_object(pm) || !type) {
        pd_err_set(err, PD_ERR_BAD_REQUEST, "payout_method.type",
                   "payout_method must be {\"type\":\"paypal\",\"email\":...} or "
                   "{\"type\":\"iban\",\"iban\":...,\"holder\":...}");
        return NULL;
    }
    if (strcmp(type, "paypal") == 0) {
        const char *email = json_string_value(json_object_get(pm, "email"));
        if (json_object_size(pm) != 2 || !email || !email_plausible(email)) {
            pd_err_set(err, PD_ERR_BAD_REQUEST, "payout_method.email",
                       "a PayPal payout method needs exactly an email address");
            return NULL;
        }
        return json_pack("{s:s, s:s}", "type", "paypal", "email", email);
    }
    if (strcmp(type, "iban") == 0) {
        const char *iban = json_string_value(json_object_get(pm, "iban"));
        const char *holder = json_string_value(json_object_get(pm, "holder"));
        char normalized[40];
        if (!iban || !iban_normalize(iban, normalized, sizeof normalized)) {
            pd_err_set(err, PD_ERR_BAD_REQUEST, "payout_method.iban",
                       "iban is not a valid IBAN (its check digits do not match)");
            return NULL;
        }
        if (!holder || !*holder || strlen(holder) > 140 || json_object_size(pm) != 3) {
            pd_err_set(err, PD_ERR_BAD_REQUEST, "payout_method.holder",
                       "a bank payout method needs exactly iban and holder (the account name)");
            return NULL;
        }
        return json_pack("{s:s, s:s, s:s}", "type", "iban", "iban", normalized, "holder", holder);
    }
    pd_err_set(err, PD_ERR_BAD_REQUEST, "payout_method.type",
               "payout_method.type must be paypal or iban");
    return NULL;
}

json_t *payout_debtor_canonical(const json_t *d, struct pd_err *err)
{
    const char *name = json_string_value(json_object_get(d, "name"));
    const char *iban = json_string_value(json_object_get(d, "iban"));
    const json_t *bic_v = json_object_get(d, "bic");
    const char *bic = json_string_value(bic_v);
    size_t known = 2 + (bic_v != NULL);
    if (!json_is_object(d) || json_object_size(d) != known) {
        pd_err_set(err, PD_ERR_UNPROCESSABLE, "payout_debtor",
                   "payout_debtor must be {\"name\":…,\"iban\":…} with an optional \"bic\"");
        return NULL;
    }
    if (!name || !*name || strlen(name) > 140) {
        pd_err_set(err, PD_ERR_UNPROCESSABLE, "payout_debtor.name",
                   "payout_debtor.name is the account holder's name, 1 to 140 bytes");
        return NULL;
    }
    char norm_iban[IBAN_MAX_LEN + 1], norm_bic[BIC_MAX_LEN + 1];
    enum iban_status st = iban ? iban_validate(iban, norm_iban) : IBAN_BAD_FORMAT;
    if (st != IBAN_OK || !iban_is_sepa(norm_iban)) {
        pd_err_set(err, PD_ERR_UNPROCESSABLE, "payout_debtor.iban", "payout_debtor.iban: %s",
                   st != IBAN_OK ? iban_status_message(st)
                                 : "the IBAN's country is outside the SEPA scheme");
        return NULL;
    }
    if (bic_v && !(bic && bic_validate(bic, norm_bic))) {
        pd_err_set(err, PD_ERR_UNPROCESSABLE, "payout_debtor.bic",
                   "payout_debtor.bic must be a BIC: 8 or 11 letters and digits");
        return NULL;
    }
    json_t *o = json_pack("{s:s, s:s}", "name", name, "iban", norm_iban);
    if (bic_v)
        json_object_set_new(o, "bic", json_string(norm_bic));
    return o;
}
