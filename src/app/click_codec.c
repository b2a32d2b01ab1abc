/* A click as a journal record and back (app/click_codec.h has the byte layout). click_decode
 * refuses anything click_encode could not have written (a bad version, a short or long record,
 * strings that do not fit), since a record read back after a crash is outside input. */
#include "app/click_codec.h"

#include <string.h>

#include "util/banned.h"
#include "util/le.h"

#define CLICK_CODEC_VERSION 1
#define FIXED_BYTES (2 + 4 * 8)
#define STRINGS 13
#define FLAG_BOT 1
#define FLAG_OVER_LIMIT 2

/* Where decoding puts the strings, in record order (the id, an array, is handled apart). */
static void string_fields(struct click *c, const char **f[STRINGS])
{
    f[0] = NULL;
    f[1] = &c->program_id;
    f[2] = &c->partner_id;
    f[3] = &c->link_id;
    f[4] = &c->ip;
    f[5] = &c->user_agent;
    f[6] = &c->referrer;
    f[7] = &c->landing_url;
    for (int i = 0; i < 5; i++)
        f[8 + i] = &c->sub[i];
}

size_t click_encode(const struct click *c, uint8_t *out, size_t outlen)
{
    if (outlen < FIXED_BYTES)
        return 0;
    out[0] = CLICK_CODEC_VERSION;
    out[1] = (uint8_t)((c->bot ? FLAG_BOT : 0) | (c->over_limit ? FLAG_OVER_LIMIT : 0));
    le_put64(out + 2, (uint64_t)c->created_at);
    le_put64(out + 10, c->fingerprint);
    le_put64(out + 18, (uint64_t)c->agent_id);
    le_put64(out + 26, (uint64_t)c->referrer_id);
    size_t at = FIXED_BYTES;
    const char *const v[STRINGS] = {c->id,     c->program_id, c->partner_id, c->link_id,
                                    c->ip,     c->user_agent, c->referrer,   c->landing_url,
                                    c->sub[0], c->sub[1],     c->sub[2],     c->sub[3],
                                    c->sub[4]};
    for (int i = 0; i < STRINGS; i++) {
        const char *s = v[i];
        size_t n = s ? strlen(s) : 0;
        if (n >= 0xffff || outlen - at < 2 + n)
            return 0;
        uint16_t tag = s ? (uint16_t)(n + 1) : 0;
        out[at] = (uint8_t)tag;
        out[at + 1] = (uint8_t)(tag >> 8);
        memcpy(out + at + 2, s ? s : "", n);
        at += 2 + n;
    }
    return at;
}

int click_decode(const uint8_t *p, size_t len, struct click *c, char *strings, size_t strings_len)
{
    if (len < FIXED_BYTES || p[0] != CLICK_CODEC_VERSION ||
        (p[1] & ~(FLAG_BOT | FLAG_OVER_LIMIT)) != 0 || strings_len < len)
        return -1;
    memset(c, 0, sizeof *c);
    c->bot = (p[1] & FLAG_BOT) != 0;
    c->over_limit = (p[1] & FLAG_OVER_LIMIT) != 0;
    c->created_at = (int64_t)le_get64(p + 2);
    c->fingerprint = le_get64(p + 10);
    c->agent_id = (int64_t)le_get64(p + 18);
    c->referrer_id = (int64_t)le_get64(p + 26);
    const char **f[STRINGS];
    string_fields(c, f);
    size_t at = FIXED_BYTES, out = 0;
    for (int i = 0; i < STRINGS; i++) {
        if (len - at < 2)
            return -1;
        uint16_t tag = (uint16_t)(p[at] | p[at + 1] << 8);
        at += 2;
        if (tag == 0) {
            if (i <= 3) /* id, program, partner and link are always there */
                return -1;
            *f[i] = NULL;
            continue;
        }
        size_t n = (size_t)tag - 1;
        if (len - at < n || memchr(p + at, '\0', n))
            return -1;
        if (i == 0) {
            if (n >= sizeof c->id)
                return -1;
            memcpy(c->id, p + at, n);
            c->id[n] = '\0';
        } else {
            /* n + 1 bytes out for the n + 2 read: strings never runs out. */
            memcpy(strings + out, p + at, n);
            strings[out + n] = '\0';
            *f[i] = strings + out;
            out += n + 1;
        }
        at += n;
    }
    return at == len ? 0 : -1;
}
