/* SEPA character set transliteration, XML escaping and item references (see sepa_text.h). */
#include "core/sepa_text.h"

#include <stdint.h>
#include <string.h>

#include "util/banned.h"

#define REPLACEMENT 0xFFFDu

/* U+00C0..U+00FF (Latin-1 letters): the SEPA spelling of each; × and ÷ are not letters. */
static const char *const latin1[64] = {
    "A", "A", "A", "A", "A", "A", "AE", "C", "E", "E", "E", "E", "I",  "I", "I", "I",
    "D", "N", "O", "O", "O", "O", "O",  " ", "O", "U", "U", "U", "U",  "Y", "TH", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i",  "i", "i", "i",
    "d", "n", "o", "o", "o", "o", "o",  " ", "o", "u", "u", "u", "u",  "y", "th", "y",
};

/* U+0100..U+017F (Latin Extended-A): the base letter of each, in code point order. Ĳ ĳ Œ œ
 * (U+0132, U+0133, U+0152, U+0153) are spelled with two letters, handled before this table. */
static const char latin_ext_a[129] =
    "AaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHhIiIiIiIiIiIiJjKkkLlLlLlLlLlNnNnNnnNnOoOoOoOoRrRrRrSsSsSs"
    "SsTtTtTtUuUuUuUuUuUuWwYyYZzZzZzs";

/* Decodes one UTF-8 character from s (n ≥ 1 bytes): its code point in *cp (U+FFFD for a
 * malformed, overlong or surrogate sequence) and the bytes it used (≥ 1). */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        len = 2, v = c & 0x1Fu, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3, v = c & 0x0Fu, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, v = c & 0x07u, min = 0x10000;
    } else {
        *cp = REPLACEMENT;
        return 1;
    }
    if (n < len) {
        *cp = REPLACEMENT;
        return 1;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = REPLACEMENT;
            return 1;
        }
        v = (v << 6) | (s[i] & 0x3Fu);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        v = REPLACEMENT;
    *cp = v;
    return len;
}

static bool sepa_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("/-?:().,'+ ", c) != NULL);
}

/* The spelling of an ASCII character that is not in the set: the nearest one that is. */
static const char *ascii_spelling(char c)
{
    switch (c) {
    case '&':
        return "+";
    case '"':
    case '`':
        return "'";
    case '_':
        return "-";
    case '[':
    case '{':
        return "(";
    case ']':
    case '}':
        return ")";
    case ';':
        return ",";
    case '!':
        return ".";
    default:
        return " ";
    }
}

/* The SEPA spelling of a code point: letters and digits with no spaces, or " ". ascii holds a
 * one-character spelling. */
static const char *spelling(uint32_t cp, char ascii[2])
{
    if (cp < 0x80) {
        ascii[0] = (char)cp;
        ascii[1] = '\0';
        return sepa_char((char)cp) ? ascii : ascii_spelling((char)cp);
    }
    if (cp >= 0xC0 && cp <= 0xFF)
        return latin1[cp - 0xC0];
    switch (cp) {
    case 0x132:
        return "IJ";
    case 0x133:
        return "ij";
    case 0x152:
        return "OE";
    case 0x153:
        return "oe";
    case 0x218: /* Ș ș Ț ț, Romanian */
    case 0x219:
    case 0x21A:
    case 0x21B:
        return cp == 0x218 ? "S" : cp == 0x219 ? "s" : cp == 0x21A ? "T" : "t";
    case 0x2018: /* ‘ ’ ‚ ‛ “ ” „ ‟ ′ ″ */
    case 0x2019:
    case 0x201A:
    case 0x201B:
    case 0x201C:
    case 0x201D:
    case 0x201E:
    case 0x201F:
    case 0x2032:
    case 0x2033:
        return "'";
    case 0x2010: /* hyphens and dashes, the minus sign */
    case 0x2011:
    case 0x2012:
    case 0x2013:
    case 0x2014:
    case 0x2015:
    case 0x2212:
        return "-";
    case 0x2026:
        return "...";
    case 0x20AC:
        return "EUR";
    default:
        break;
    }
    if (cp >= 0x100 && cp <= 0x17F) {
        ascii[0] = latin_ext_a[cp - 0x100];
        ascii[1] = '\0';
        return ascii;
    }
    return " ";
}

size_t sepa_transliterate(const char *in, size_t inlen, char *out, size_t max)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t len = 0, pos = 0;
    bool space = false; /* a space is owed before the next letter (never leading or trailing) */
    while (pos < inlen) {
        uint32_t cp;
        pos += utf8_next(s + pos, inlen - pos, &cp);
        char ascii[2];
        const char *sp = spelling(cp, ascii);
        if (sp[0] == ' ') {
            space = len > 0;
            continue;
        }
        size_t n = strlen(sp);
        size_t need = n + (space ? 1 : 0);
        if (need > max - len)
            break; /* the whole spelling or nothing: never half of "ss" */
        if (space)
            out[len++] = ' ';
        memcpy(out + len, sp, n);
        len += n;
        space = false;
    }
    out[len] = '\0';
    return len;
}

bool sepa_text_valid(const char *s)
{
    for (; *s; s++)
        if (!sepa_char(*s))
            return false;
    return true;
}

void xml_put_escaped(struct strbuf *b, const char *s)
{
    const char *run = s;
    for (; *s; s++) {
        const char *entity;
        switch (*s) {
        case '&':
            entity = "&amp;";
            break;
        case '<':
            entity = "&lt;";
            break;
        case '>':
            entity = "&gt;";
            break;
        case '"':
            entity = "&quot;";
            break;
        case '\'':
            entity = "&apos;";
            break;
        default:
            continue;
        }
        strbuf_put(b, run, (size_t)(s - run));
        strbuf_puts(b, entity);
        run = s + 1;
    }
    strbuf_put(b, run, (size_t)(s - run));
}

static bool ref_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

size_t payout_ref_make(const char *batch_id, size_t index, char out[PAYOUT_REF_MAX + 1])
{
    char digits[20];
    size_t nd = u64_to_digits(index, digits);
    size_t room = PAYOUT_REF_MAX - 1 - nd; /* ≥ 9: a size_t has at most 20 digits */
    const char *underscore = strrchr(batch_id, '_');
    if (underscore)
        batch_id = underscore + 1; /* "pay_": the type prefix tells a bank nothing */
    /* The last `room` letters and digits of the id, upper-cased: ids end in their random part. */
    size_t start = strlen(batch_id), taken = 0;
    while (start > 0 && taken < room) {
        char c = batch_id[start - 1];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
            taken++;
        start--;
    }
    size_t len = 0;
    for (const char *c = batch_id + start; *c; c++) {
        char u = (*c >= 'a' && *c <= 'z') ? (char)(*c - 'a' + 'A') : *c;
        if ((u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9'))
            out[len++] = u;
    }
    out[len++] = '-';
    memcpy(out + len, digits, nd);
    len += nd;
    out[len] = '\0';
    return len;
}

bool payout_ref_valid(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (n >= PAYOUT_REF_MAX || !ref_char(s[n]))
            return false;
    return n > 0;
}
