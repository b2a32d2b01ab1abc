/* Tests core/sepa_text.c: every text comes out in the SEPA character set, accented Latin letters
 * keep their base letter, truncation never splits one character's spelling, references fit
 * every provider's id field, and XML special characters are escaped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/sepa_text.h"

static void expect(const char *in, size_t max, const char *want)
{
    char out[256];
    size_t n = sepa_transliterate(in, strlen(in), out, max);
    if (strcmp(out, want) != 0 || n != strlen(want))
        fail_msg("%s (max %zu): got \"%s\", want \"%s\"", in, max, out, want);
    assert_true(sepa_text_valid(out));
}

static void latin_letters_lose_their_accents(void **state)
{
    (void)state;
    expect("Jäne & Søren Ñ", 70, "Jane + Soren N");
    expect("Åsa Ødegård", 70, "Asa Odegard");
    expect("Straße", 70, "Strasse");
    expect("Ærø Œuvre Þór ĳssel", 70, "AEro OEuvre THor ijssel");
    expect("Łódź Češka Ștefan Ğ", 70, "Lodz Ceska Stefan G");
    expect("José “Pepe” O’Neil – 3…", 70, "Jose 'Pepe' O'Neil - 3...");
    expect("a_b;c!\"d\"", 70, "a-b,c.'d'");
}

static void other_characters_become_single_spaces(void **state)
{
    (void)state;
    expect("  日本 Tanaka\t\r\n株式会社  ", 70, "Tanaka");
    expect("a<b>c#d$e%f*g", 70, "a b c d e f g");
    expect("bad \xff\xfe utf8 \xc3", 70, "bad utf8");
    expect("\xed\xa0\x80 surrogate \xc0\xaf overlong", 70, "surrogate overlong");
    expect("中文", 70, "");
    expect("", 70, "");
}

static void truncation_keeps_whole_spellings(void **state)
{
    (void)state;
    expect("Straße", 5, "Stra"); /* "ss" does not fit in one character */
    expect("Straße", 6, "Strass");
    expect("ab cd", 3, "ab"); /* never a trailing space */
    expect("abc", 0, "");
    char big[400], out[141];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(sepa_transliterate(big, strlen(big), out, 140), 140);
}

static void references_fit_every_provider(void **state)
{
    (void)state;
    char ref[PAYOUT_REF_MAX + 1];
    assert_int_equal(payout_ref_make("pay_01KX7Q2M4T3V5W6X7Y8Z9A0B1C", 7, ref), 28);
    assert_string_equal(ref, "01KX7Q2M4T3V5W6X7Y8Z9A0B1C-7");
    assert_true(payout_ref_valid(ref));
    /* A long index keeps the id's end (its random part) and the whole index. */
    assert_int_equal(payout_ref_make("pay_01KX7Q2M4T3V5W6X7Y8Z9A0B1C", 1234567, ref), 30);
    assert_string_equal(ref, "7Q2M4T3V5W6X7Y8Z9A0B1C-1234567");
    assert_true(payout_ref_valid(ref));
    assert_int_equal(payout_ref_make("x", SIZE_MAX, ref), 22);
    assert_string_equal(ref, "X-18446744073709551615");
    payout_ref_make("batch 7/ü", 0, ref);
    assert_string_equal(ref, "BATCH7-0");
}

static void reference_validation(void **state)
{
    (void)state;
    assert_true(payout_ref_valid("ABC-123"));
    assert_true(payout_ref_valid("123456789012345678901234567890"));
    assert_false(payout_ref_valid("1234567890123456789012345678901"));
    assert_false(payout_ref_valid(""));
    assert_false(payout_ref_valid("abc"));
    assert_false(payout_ref_valid("A B"));
    assert_false(payout_ref_valid("A/B"));
}

static void xml_special_characters_are_escaped(void **state)
{
    (void)state;
    struct strbuf b;
    strbuf_init(&b, 1024);
    xml_put_escaped(&b, "a&b<c>d\"e'f");
    assert_string_equal(b.data, "a&amp;b&lt;c&gt;d&quot;e&apos;f");
    strbuf_reset(&b);
    xml_put_escaped(&b, "plain");
    assert_string_equal(b.data, "plain");
    strbuf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(latin_letters_lose_their_accents),
        cmocka_unit_test(other_characters_become_single_spaces),
        cmocka_unit_test(truncation_keeps_whole_spellings),
        cmocka_unit_test(references_fit_every_provider),
        cmocka_unit_test(reference_validation),
        cmocka_unit_test(xml_special_characters_are_escaped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
