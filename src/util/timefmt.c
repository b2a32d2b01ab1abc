/* Clocks and RFC 3339. Calendar arithmetic is Howard Hinnant's days_from_civil / civil_from_days
 * (http://howardhinnant.github.io/date_algorithms.html): exact for any int64 day count we produce,
 * no gmtime (not thread-safe, and banned), no time zone database. */
#include "util/timefmt.h"

#include <stdio.h>
#include <time.h>

#include "util/banned.h"

#define MS_PER_DAY INT64_C(86400000)

int64_t time_now_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return 0; /* cannot happen for CLOCK_REALTIME on Linux */
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct timespec time_deadline_in_us(int64_t us)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    int64_t ns = t.tv_nsec + us % 1000000 * 1000;
    t.tv_sec += (time_t)(us / 1000000 + ns / 1000000000);
    t.tv_nsec = ns % 1000000000;
    return t;
}

uint64_t time_mono_us(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Floor division: times before 1970 belong to the day that contains them, not the next one. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

int64_t time_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = floor_div(y, 400);
    unsigned yoe = (unsigned)(y - era * 400);                       /* [0, 399] */
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
    return era * 146097 + (int64_t)doe - 719468;
}

void time_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
    days += 719468;
    int64_t era = floor_div(days, 146097);
    unsigned doe = (unsigned)(days - era * 146097);                       /* [0, 146096] */
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    unsigned mp = (5 * doy + 2) / 153;                                    /* [0, 11] */
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return (m == 2 && is_leap(y)) ? 29 : days[m - 1];
}

void time_format_rfc3339(int64_t ms, char *buf, size_t len)
{
    if (!buf || len == 0)
        return;
    int64_t days = floor_div(ms, MS_PER_DAY);
    /* Not ms - days * MS_PER_DAY: that overflows near INT64_MIN. */
    int64_t ms_of_day = ms % MS_PER_DAY;
    if (ms_of_day < 0)
        ms_of_day += MS_PER_DAY;
    int64_t y;
    unsigned mo, d;
    time_civil_from_days(days, &y, &mo, &d);
    int hh = (int)(ms_of_day / 3600000);
    int mi = (int)(ms_of_day / 60000 % 60);
    int ss = (int)(ms_of_day / 1000 % 60);
    int frac = (int)(ms_of_day % 1000);
    if (frac)
        snprintf(buf, len, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", (long long)y, mo, d, hh, mi, ss,
                 frac);
    else
        snprintf(buf, len, "%04lld-%02u-%02uT%02d:%02d:%02dZ", (long long)y, mo, d, hh, mi, ss);
}

/* Reads exactly n decimal digits; false when any is missing. Never reads past a NUL. */
static bool read_digits(const char **p, int n, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (unsigned)(c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static bool expect_char(const char **p, char c)
{
    if (**p != c)
        return false;
    (*p)++;
    return true;
}

/* A strict reading of RFC 3339 §5.6 date-time (and full-date alone). Every field has a fixed width
 * except the fraction, which is bounded to 9 digits, so the parser reads at most ~35 characters. */
bool time_parse_rfc3339(const char *s, int64_t *ms)
{
    if (!s)
        return false;
    const char *p = s;
    unsigned year, month, day;
    if (!read_digits(&p, 4, &year) || !expect_char(&p, '-') || !read_digits(&p, 2, &month) ||
        !expect_char(&p, '-') || !read_digits(&p, 2, &day))
        return false;
    if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month))
        return false;
    int64_t days = time_days_from_civil(year, month, day);
    if (*p == '\0') {
        *ms = days * MS_PER_DAY;
        return true;
    }
    if (*p != 'T' && *p != 't')
        return false;
    p++;
    unsigned hour, minute, second;
    if (!read_digits(&p, 2, &hour) || !expect_char(&p, ':') || !read_digits(&p, 2, &minute) ||
        !expect_char(&p, ':') || !read_digits(&p, 2, &second))
        return false;
    /* Second 60 is a leap second; it is counted into the next minute. */
    if (hour > 23 || minute > 59 || second > 60)
        return false;
    unsigned millis = 0;
    if (*p == '.') {
        p++;
        int nfrac = 0;
        while (*p >= '0' && *p <= '9') {
            if (++nfrac > 9)
                return false;
            if (nfrac <= 3) /* finer than a millisecond is truncated */
                millis = millis * 10 + (unsigned)(*p - '0');
            p++;
        }
        if (nfrac == 0)
            return false;
        for (int i = nfrac; i < 3; i++)
            millis *= 10;
    }
    int64_t offset_ms = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1;
        p++;
        unsigned oh, om;
        if (!read_digits(&p, 2, &oh) || !expect_char(&p, ':') || !read_digits(&p, 2, &om))
            return false;
        if (oh > 23 || om > 59)
            return false;
        offset_ms = sign * ((int64_t)oh * 3600000 + (int64_t)om * 60000);
    } else {
        return false;
    }
    if (*p != '\0')
        return false;
    /* Local time minus its offset is UTC. Years are 0000-9999, so nothing here can overflow. */
    int64_t utc = days * MS_PER_DAY + (int64_t)hour * 3600000 + (int64_t)minute * 60000 +
                  (int64_t)second * 1000 + millis - offset_ms;
    /* An offset can carry 0000-01-01 or 9999-12-31 out of four-digit years, which could then not
     * be written back as RFC 3339: refuse those so every accepted time round-trips. */
    if (utc < time_days_from_civil(0, 1, 1) * MS_PER_DAY ||
        utc >= time_days_from_civil(10000, 1, 1) * MS_PER_DAY)
        return false;
    *ms = utc;
    return true;
}

int64_t time_month_start_ms(int64_t ms)
{
    int64_t y;
    unsigned m, d;
    time_civil_from_days(floor_div(ms, MS_PER_DAY), &y, &m, &d);
    return time_days_from_civil(y, m, 1) * MS_PER_DAY;
}
