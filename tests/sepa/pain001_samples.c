/* Writes sample pain.001 documents into a directory for tests/sepa/validate.sh, which checks them
 * against the official schemas and for what the schemas cannot check (counts, sums, character
 * set, lengths). Both versions, with and without BICs, names and texts past the SEPA limits in
 * non-Latin and accented characters, the largest amount, and a document of many items.
 *
 *   pain001_samples DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pain001.h"
#include "core/sepa_text.h"
#include "util/banned.h"

#define MANY 2500

static const char long_name[] = "Åsa-Ødegård Ñúñez-Çelik Þórsdóttir & Søn Ærøskøbing Œuvre "
                                "Łódź Straße Société Anonyme des Établissements Généraux";
static const char long_remittance[] =
    "Provision für November 2026 – „Affiliate“ Programm: Jäne & Søren Ñ, 12 Verkäufe, "
    "3 Stornierungen, Übertrag aus Oktober; Zahlung gemäß Vertrag §4 <Abs. 2> \"netto\" "
    "— danke! 日本語のテキスト";

static int write_doc(const char *dir, const char *file, const struct pain001_doc *doc)
{
    struct strbuf b;
    strbuf_init(&b, 64u << 20);
    struct pd_err err = {0};
    int rc = -1;
    FILE *f = NULL;
    if (pain001_write(doc, &b, &err) < 0) {
        fprintf(stderr, "%s: %s: %s\n", file, err.param, err.message);
        goto fail;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    f = fopen(path, "wb");
    if (!f || fwrite(b.data, 1, b.len, f) != b.len) {
        perror(path);
        goto fail;
    }
    rc = 0;
fail:
    if (f && fclose(f) != 0)
        rc = -1;
    strbuf_free(&b);
    return rc;
}

static const struct pain001_item basic_items[] = {
    {{"Jäne & Søren Ñ", "DE89 3704 0044 0532 0130 00", NULL}, 93210, "PAY01KX7Q2M-1",
     "Commissions November 2026"},
    {{long_name, "fr1420041010050500013m02606", "BNPAFRPPXXX"}, 1, "PAY01KX7Q2M-2", long_remittance},
    {{"O'Brien (Consulting) Ltd.", "IE29AIBK93115212345678", "AIBKIE2D"}, PAIN001_AMOUNT_MAX,
     "PAY01KX7Q2M-3", NULL},
    {{"Zoë Müller-Lüdenscheidt", "AT611904300234573201", NULL}, 5, "PAY01KX7Q2M-4", ""},
};

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];
    struct pain001_item *many = calloc(MANY, sizeof *many);
    char(*refs)[PAYOUT_REF_MAX + 1] = calloc(MANY, sizeof *refs);
    int rc = 1;
    if (!many || !refs)
        goto fail;
    for (size_t i = 0; i < MANY; i++) {
        payout_ref_make("pay_01KX7Q2M4T3V5W6X7Y8Z9A0B1C", i + 1, refs[i]);
        many[i] = basic_items[i % 4];
        many[i].reference = refs[i];
        many[i].amount = (int64_t)(i * 7919 % 100000) + 1;
    }
    struct pain001_doc doc = {
        .version = PAIN001_V09,
        .message_id = "PAY01KX7Q2M-2026-11",
        .created_ms = INT64_C(1796522400123),
        .execution_date = "2026-12-07",
        .currency = "EUR",
        .debtor = {"Shop Example GmbH & Co. KG", "DE02120300000000202051", "BYLADEM1001"},
        .items = basic_items,
        .n_items = 4,
    };
    static const struct {
        const char *file;
        enum pain001_version version;
        bool debtor_bic, many;
    } docs[] = {
        {"v09-basic.xml", PAIN001_V09, true, false}, {"v03-basic.xml", PAIN001_V03, true, false},
        {"v09-nobic.xml", PAIN001_V09, false, false}, {"v03-nobic.xml", PAIN001_V03, false, false},
        {"v09-many.xml", PAIN001_V09, true, true},    {"v03-many.xml", PAIN001_V03, false, true},
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        doc.version = docs[i].version;
        doc.debtor.bic = docs[i].debtor_bic ? "BYLADEM1001" : NULL;
        doc.items = docs[i].many ? many : basic_items;
        doc.n_items = docs[i].many ? MANY : 4;
        if (write_doc(dir, docs[i].file, &doc) < 0)
            goto fail;
    }
    rc = 0;
fail:
    free(many);
    free(refs);
    return rc;
}
