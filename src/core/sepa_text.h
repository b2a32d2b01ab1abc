/* Text for SEPA payment files. The SEPA scheme guarantees only the "Latin character set"
 * (a-z A-Z 0-9 / - ? : ( ) . , ' + space) end to end, so every name and remittance text is
 * transliterated into it before it goes into a file; item references have their own, narrower
 * alphabet so one reference fits every provider's id field. */
#ifndef PD_CORE_SEPA_TEXT_H
#define PD_CORE_SEPA_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "util/strbuf.h"

/* An item's reference: 1 to 30 characters of A-Z 0-9 and '-'. It is SEPA's end-to-end id (≤ 35),
 * PayPal's sender item id (≤ 30) and Wise's payment reference. */
#define PAYOUT_REF_MAX 30

/* Transliterates UTF-8 text into the SEPA Latin character set: accented Latin letters lose their
 * accent (é → e, Å → A, ñ → n, ø → o), ligatures and special letters are spelled out (ß → ss,
 * æ → ae, Þ → TH), & becomes +, typographic quotes and dashes become ' and -, anything else
 * (other scripts, symbols, control characters, invalid UTF-8) becomes a space. Runs of spaces are
 * collapsed and the ends trimmed. At most max characters are written to out (max + 1 bytes, NUL
 * terminated), never part of one input character's spelling. Returns the length, 0 when nothing
 * printable remains. */
size_t sepa_transliterate(const char *in, size_t inlen, char *out, size_t max);
/* true when every byte of s is in the SEPA Latin character set (the empty string included). */
bool sepa_text_valid(const char *s);

/* Appends s with the five XML special characters escaped, for element content or attributes. */
void xml_put_escaped(struct strbuf *b, const char *s);

/* Makes the reference of item `index` of a batch: the batch id's last letters and digits after
 * its type prefix (up to the last '_'; the ULID's random part comes last), upper-cased, then '-' and the index in decimal, at most
 * PAYOUT_REF_MAX characters in all. out holds PAYOUT_REF_MAX + 1 bytes. Returns the length. */
size_t payout_ref_make(const char *batch_id, size_t index, char out[PAYOUT_REF_MAX + 1]);
/* true when s is a valid item reference (see PAYOUT_REF_MAX). */
bool payout_ref_valid(const char *s);

#endif
