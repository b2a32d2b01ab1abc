/* Tests for src/core/rules_json.c: the rule shapes it documents, precise errors, round trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/rules_json.h"

struct fixture {
    struct arena arena;
    struct ruleset rs;
    struct pd_err err;
};

static int setup(void **state)
{
    static struct fixture f;
    memset(&f, 0, sizeof f);
    arena_init(&f.arena, 1024);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    arena_free(&f->arena);
    return 0;
}

/* Parses text as JSON then as rules; returns rules_from_json's result. */
static int parse(struct fixture *f, const char *text)
{
    json_error_t jerr;
    json_t *root = json_loads(text, 0, &jerr);
    if (!root)
        fail_msg("bad test JSON: %s", jerr.text);
    pd_err_clear(&f->err);
    int rc = rules_from_json(root, &f->arena, &f->rs, &f->err);
    json_decref(root);
    return rc;
}

static void expect_error(struct fixture *f, const char *text, enum pd_errkind kind,
                         const char *param)
{
    if (parse(f, text) == 0)
        fail_msg("accepted %s", text);
    if (f->err.kind != kind || strcmp(f->err.param, param) != 0)
        fail_msg("%s: got kind %d param \"%s\" (%s), want kind %d param \"%s\"", text,
                 (int)f->err.kind, f->err.param, f->err.message, (int)kind, param);
    assert_int_equal(f->rs.nrules, 0);
}

static void design_example_parses(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(
        parse(f, "[{\"type\":\"percent\",\"bps\":1000},"
                 "{\"type\":\"percent\",\"bps\":1500,\"match\":{\"category\":\"shoes\"}},"
                 "{\"type\":\"flat\",\"amount\":500,\"match\":{\"partner_id\":\"ptn_1\"}}]"),
        0);
    assert_int_equal(f->rs.nrules, 3);
    const struct rule *r = f->rs.rules;
    assert_string_equal(r[0].id, "r0");
    assert_int_equal(r[0].type, RULE_PERCENT);
    assert_int_equal(r[0].bps, 1000);
    assert_null(r[0].match.category);
    assert_int_equal(r[0].match.first_purchase, -1);
    assert_int_equal(r[0].match.min_amount, -1);
    assert_string_equal(r[1].match.category, "shoes");
    assert_int_equal(r[2].type, RULE_FLAT);
    assert_int_equal(r[2].amount, 500);
    assert_string_equal(r[2].match.partner_id, "ptn_1");
    assert_string_equal(r[2].id, "r2");
}

static void tiers_and_filters_parse(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(
        parse(f, "[{\"id\":\"tiered\",\"type\":\"percent\",\"tiers\":[{\"from\":0,\"bps\":1000},"
                 "{\"from\":1000000,\"bps\":1500}],\"match\":{\"group\":\"gold\","
                 "\"first_purchase\":true,\"min_amount\":2000,\"sku\":null}},"
                 "{\"type\":\"lead\",\"amount\":200}]"),
        0);
    const struct rule *r = f->rs.rules;
    assert_string_equal(r[0].id, "tiered");
    assert_int_equal(r[0].ntiers, 2);
    assert_int_equal(r[0].tiers[1].from, 1000000);
    assert_int_equal(r[0].tiers[1].bps, 1500);
    assert_string_equal(r[0].match.group, "gold");
    assert_null(r[0].match.sku);
    assert_int_equal(r[0].match.first_purchase, 1);
    assert_int_equal(r[0].match.min_amount, 2000);
    assert_int_equal(r[1].type, RULE_LEAD);
    assert_int_equal(r[1].amount, 200);
}

static void empty_list_is_valid(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(parse(f, "[]"), 0);
    assert_int_equal(f->rs.nrules, 0);
}

static void wrong_types_are_bad_request_with_param(void **state)
{
    struct fixture *f = *state;
    expect_error(f, "{}", PD_ERR_BAD_REQUEST, "rules");
    expect_error(f, "[1]", PD_ERR_BAD_REQUEST, "rules[0]");
    expect_error(f, "[{\"type\":\"percent\",\"bps\":1000},{\"type\":\"percent\",\"bps\":\"10\"}]",
                 PD_ERR_BAD_REQUEST, "rules[1].bps");
    expect_error(f, "[{\"type\":\"percent\",\"bps\":10.5}]", PD_ERR_BAD_REQUEST, "rules[0].bps");
    expect_error(f, "[{\"type\":7,\"bps\":1}]", PD_ERR_BAD_REQUEST, "rules[0].type");
    expect_error(f, "[{\"bps\":1}]", PD_ERR_BAD_REQUEST, "rules[0].type");
    expect_error(f, "[{\"type\":\"flat\"}]", PD_ERR_BAD_REQUEST, "rules[0].amount");
    expect_error(f, "[{\"type\":\"percent\",\"bps\":1,\"match\":[]}]", PD_ERR_BAD_REQUEST,
                 "rules[0].match");
    expect_error(f, "[{\"type\":\"percent\",\"bps\":1,\"match\":{\"first_purchase\":1}}]",
                 PD_ERR_BAD_REQUEST, "rules[0].match.first_purchase");
    expect_error(f, "[{\"type\":\"percent\",\"tiers\":{}}]", PD_ERR_BAD_REQUEST, "rules[0].tiers");
    expect_error(f, "[{\"type\":\"percent\",\"tiers\":[{\"from\":0,\"bps\":\"x\"}]}]",
                 PD_ERR_BAD_REQUEST, "rules[0].tiers[0].bps");
}

static void unknown_keys_are_refused(void **state)
{
    struct fixture *f = *state;
    expect_error(f, "[{\"type\":\"percent\",\"bsp\":1000}]", PD_ERR_BAD_REQUEST, "rules[0].bsp");
    expect_error(f, "[{\"type\":\"percent\",\"bps\":1,\"match\":{\"partner\":\"p\"}}]",
                 PD_ERR_BAD_REQUEST, "rules[0].match.partner");
    expect_error(f, "[{\"type\":\"percent\",\"tiers\":[{\"from\":0,\"bps\":1,\"to\":5}]}]",
                 PD_ERR_BAD_REQUEST, "rules[0].tiers[0].to");
}

static void out_of_range_values_are_unprocessable(void **state)
{
    struct fixture *f = *state;
    expect_error(f, "[{\"type\":\"percent\",\"bps\":10001}]", PD_ERR_UNPROCESSABLE, "rules[0].bps");
    expect_error(f, "[{\"type\":\"percent\",\"bps\":-1}]", PD_ERR_UNPROCESSABLE, "rules[0].bps");
    expect_error(f, "[{\"type\":\"flat\",\"amount\":-5}]", PD_ERR_UNPROCESSABLE, "rules[0].amount");
    expect_error(f, "[{\"type\":\"bonus\",\"amount\":5}]", PD_ERR_UNPROCESSABLE, "rules[0].type");
    expect_error(f, "[{\"type\":\"percent\",\"bps\":1,\"match\":{\"min_amount\":-1}}]",
                 PD_ERR_UNPROCESSABLE, "rules[0].match.min_amount");
    expect_error(f, "[{\"type\":\"percent\",\"bps\":1,\"match\":{\"sku\":\"\"}}]",
                 PD_ERR_UNPROCESSABLE, "rules[0].match.sku");
    expect_error(f, "[{\"type\":\"percent\",\"tiers\":[{\"from\":0,\"bps\":10001}]}]",
                 PD_ERR_UNPROCESSABLE, "rules[0].tiers[0].bps");
}

static void contradictions_are_unprocessable(void **state)
{
    struct fixture *f = *state;
    expect_error(f, "[{\"type\":\"percent\"}]", PD_ERR_UNPROCESSABLE, "rules[0].bps");
    expect_error(f, "[{\"type\":\"percent\",\"bps\":1,\"tiers\":[{\"from\":0,\"bps\":1}]}]",
                 PD_ERR_UNPROCESSABLE, "rules[0].bps");
    expect_error(f, "[{\"type\":\"percent\",\"bps\":1,\"amount\":5}]", PD_ERR_UNPROCESSABLE,
                 "rules[0].amount");
    expect_error(f, "[{\"type\":\"flat\",\"amount\":5,\"bps\":1}]", PD_ERR_UNPROCESSABLE,
                 "rules[0].bps");
    expect_error(f, "[{\"type\":\"percent\",\"tiers\":[]}]", PD_ERR_UNPROCESSABLE,
                 "rules[0].tiers");
    expect_error(
        f, "[{\"type\":\"percent\",\"tiers\":[{\"from\":100,\"bps\":1},{\"from\":100,\"bps\":2}]}]",
        PD_ERR_UNPROCESSABLE, "rules[0].tiers[1].from");
    expect_error(f,
                 "[{\"id\":\"x\",\"type\":\"flat\",\"amount\":1},{\"id\":\"x\",\"type\":\"flat\","
                 "\"amount\":2}]",
                 PD_ERR_UNPROCESSABLE, "rules[1].id");
    expect_error(f, "[{\"id\":\"has space\",\"type\":\"flat\",\"amount\":1}]", PD_ERR_UNPROCESSABLE,
                 "rules[0].id");
    expect_error(f, "[{\"type\":\"lead\",\"amount\":1,\"match\":{\"sku\":\"A\"}}]",
                 PD_ERR_UNPROCESSABLE, "rules[0].match.sku");
}

static void too_many_rules_or_tiers_are_refused(void **state)
{
    struct fixture *f = *state;
    char text[8192];
    size_t pos = 0;
    text[pos++] = '[';
    for (int i = 0; i < 101; i++)
        pos += (size_t)snprintf(text + pos, sizeof text - pos, "%s{\"type\":\"flat\",\"amount\":1}",
                                i ? "," : "");
    snprintf(text + pos, sizeof text - pos, "]");
    expect_error(f, text, PD_ERR_UNPROCESSABLE, "rules");

    pos = 0;
    pos += (size_t)snprintf(text, sizeof text, "[{\"type\":\"percent\",\"tiers\":[");
    for (int i = 0; i < 21; i++)
        pos += (size_t)snprintf(text + pos, sizeof text - pos, "%s{\"from\":%d,\"bps\":1}",
                                i ? "," : "", i);
    snprintf(text + pos, sizeof text - pos, "]}]");
    expect_error(f, text, PD_ERR_UNPROCESSABLE, "rules[0].tiers");
}

static void to_json_round_trips(void **state)
{
    struct fixture *f = *state;
    static const char *const text =
        "[{\"id\":\"default\",\"type\":\"percent\",\"bps\":1000},"
        "{\"id\":\"t\",\"type\":\"percent\",\"tiers\":[{\"from\":0,\"bps\":1000},{\"from\":5000,"
        "\"bps\":1200}],"
        "\"match\":{\"partner_id\":\"ptn_1\",\"group\":\"gold\",\"sku\":\"S\",\"category\":\"C\","
        "\"first_purchase\":false,\"min_amount\":0}},"
        "{\"id\":\"r2\",\"type\":\"flat\",\"amount\":500},{\"id\":\"l\",\"type\":\"lead\","
        "\"amount\":0}]";
    assert_int_equal(parse(f, text), 0);
    json_t *out = rules_to_json(&f->rs);
    assert_non_null(out);
    json_t *want = json_loads(text, 0, NULL);
    assert_true(json_equal(out, want));

    struct ruleset again;
    assert_int_equal(rules_from_json(out, &f->arena, &again, &f->err), 0);
    json_t *out2 = rules_to_json(&again);
    assert_true(json_equal(out2, want));
    json_decref(out);
    json_decref(out2);
    json_decref(want);
}

static void generated_ids_are_emitted(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(parse(f, "[{\"type\":\"flat\",\"amount\":5}]"), 0);
    json_t *out = rules_to_json(&f->rs);
    char *dumped = json_dumps(out, JSON_COMPACT);
    assert_string_equal(dumped, "[{\"id\":\"r0\",\"type\":\"flat\",\"amount\":5}]");
    free(dumped);
    json_decref(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(design_example_parses, setup, teardown),
        cmocka_unit_test_setup_teardown(tiers_and_filters_parse, setup, teardown),
        cmocka_unit_test_setup_teardown(empty_list_is_valid, setup, teardown),
        cmocka_unit_test_setup_teardown(wrong_types_are_bad_request_with_param, setup, teardown),
        cmocka_unit_test_setup_teardown(unknown_keys_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(out_of_range_values_are_unprocessable, setup, teardown),
        cmocka_unit_test_setup_teardown(contradictions_are_unprocessable, setup, teardown),
        cmocka_unit_test_setup_teardown(too_many_rules_or_tiers_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(to_json_round_trips, setup, teardown),
        cmocka_unit_test_setup_teardown(generated_ids_are_emitted, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
