/* A click as a journal record (src/store/journal.h): the bytes its 302 is acknowledged on, read
 * back into the database after a crash. Little-endian, version 1:
 *   u8 version, u8 flags (1 bot, 2 over the rate limit), i64 created_at, u64 fingerprint, i64 agent_id, i64 referrer_id,
 *   then 13 strings (id, program_id, partner_id, link_id, ip, user_agent, referrer, landing_url,
 *   sub1..sub5), each u16 (length + 1, 0 for none) and its bytes. */
#ifndef PD_APP_CLICK_CODEC_H
#define PD_APP_CLICK_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "app/clicks.h"

/* Writes c into out; the record's length, 0 when it does not fit in outlen. */
size_t click_encode(const struct click *c, uint8_t *out, size_t outlen);
/* Reads a record into c; its strings are copied, NUL-terminated, into strings (at least len bytes,
 * which always suffices). 0, or -1 when the record is malformed (c is then undefined). */
int click_decode(const uint8_t *p, size_t len, struct click *c, char *strings, size_t strings_len);

#endif
