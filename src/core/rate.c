/* The generic cell rate algorithm (core/rate.h): one timestamp per limited key, no clock of its
 * own (the caller passes the time). Pure. */
#include "core/rate.h"

#include "util/banned.h"

bool rate_allow(int64_t *tat_us, int64_t now_us, int64_t per_minute)
{
    /* tat: when the bucket would be empty again had every event so far come at the steady rate.
     * An event is allowed while that lies less than a whole burst ahead of now. */
    int64_t interval = 60000000 / per_minute;
    int64_t tolerance = interval * (per_minute - 1);
    int64_t tat = *tat_us > now_us ? *tat_us : now_us;
    if (tat - now_us > tolerance)
        return false;
    *tat_us = tat + interval;
    return true;
}
