/* The events of a commission's or a payout's change (see events.h): the view as GET answers it,
 * handed to the outbox. */
#include "app/events.h"

#include <stdbool.h>

#include "app/outbox.h"
#include "app/views.h"
#include "util/arena.h"
#include "util/banned.h"

/* 1 when an endpoint subscribes to type, 0 when none does, -1 on a store error. */
static int subscribed(struct store *s, const char *type, struct pd_err *err)
{
    bool yes = false;
    if (outbox_subscribed(s, type, &yes, err) < 0)
        return -1;
    return yes ? 1 : 0;
}

int event_commission(struct store *s, const char *type, const char *commission_id, int64_t now_ms,
                     struct pd_err *err)
{
    int wanted = subscribed(s, type, err);
    if (wanted <= 0)
        return wanted;
    struct arena a;
    arena_init(&a, 2048);
    json_t *c = commission_explained(s, commission_id, &a, err);
    int rc = c ? outbox_emit(s, type, c, now_ms, err) : -1;
    json_decref(c);
    arena_free(&a);
    return rc;
}

int event_payout(struct store *s, const char *type, const char *payout_id, int64_t now_ms,
                 struct pd_err *err)
{
    int wanted = subscribed(s, type, err);
    if (wanted <= 0)
        return wanted;
    json_t *p = payout_json(s, payout_id, false, err);
    int rc = p ? outbox_emit(s, type, p, now_ms, err) : -1;
    json_decref(p);
    return rc;
}
