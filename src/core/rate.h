/* Rate limiting arithmetic: a per-minute allowance that refills continuously (the generic cell
 * rate algorithm, the token bucket stated as one timestamp). Pure. */
#ifndef PD_CORE_RATE_H
#define PD_CORE_RATE_H

#include <stdbool.h>
#include <stdint.h>

/* *tat_us is the bucket's state (0 for a new one). Allows up to per_minute events at once, then one
 * every 60 s / per_minute; true (and the event is counted) when this one at now_us is allowed.
 * per_minute ≥ 1. */
bool rate_allow(int64_t *tat_us, int64_t now_us, int64_t per_minute);

#endif
