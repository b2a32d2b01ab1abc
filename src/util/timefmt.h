/* Clocks and RFC 3339 times. Stored times are int64 milliseconds since the epoch, UTC. */
#ifndef PD_UTIL_TIMEFMT_H
#define PD_UTIL_TIMEFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

int64_t time_now_ms(void);   /* wall clock (CLOCK_REALTIME) */
uint64_t time_mono_us(void); /* monotonic, for durations */
/* The wall-clock time us microseconds from now: a deadline for pthread_cond_timedwait. */
struct timespec time_deadline_in_us(int64_t us);

/* "2026-11-28T18:44:26Z" (milliseconds shown only when not zero: "…26.123Z"). buf ≥ 32. */
void time_format_rfc3339(int64_t ms, char *buf, size_t len);
/* Parses RFC 3339 ("2026-11-28T18:44:26Z", "…26.5+01:00", lower-case t/z accepted) or a plain date
 * "2026-11-28" (midnight UTC). Checks ranges (month 1-12, day within the month, leap years, hours
 * 0-23, minutes, seconds 0-60). false on anything else. */
bool time_parse_rfc3339(const char *s, int64_t *ms);
/* Days since the epoch ↔ civil date, proleptic Gregorian (Howard Hinnant's algorithm). */
int64_t time_days_from_civil(int64_t y, unsigned m, unsigned d);
void time_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
/* The start of the UTC calendar month containing ms. */
int64_t time_month_start_ms(int64_t ms);

#endif
