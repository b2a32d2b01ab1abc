/* Attribution in the store: what a conversion or a lead names (click, coupon, customer binding,
 * ref code) looked up in the caller's transaction, decided by core/attribution.c's rules; and the
 * customer bindings that decision makes. */
#ifndef PD_APP_ATTRIBUTE_H
#define PD_APP_ATTRIBUTE_H

#include <stdint.h>

#include "app/programs.h"
#include "core/attribution.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/err.h"

/* Decides who earns an order or lead of prog occurring at `occurred`. *click_link_id: the link of
 * the named click, if found. */
int attribute_in_store(struct store *s, const struct program *prog, int64_t occurred,
                       const char *click_id, const char *coupon, const char *customer_id,
                       const char *ref, struct arena *a, const char **click_link_id,
                       struct attr_result *ar, struct pd_err *err);

/* Binds (or rebinds) a customer to a partner since `since`. */
int customer_bind(struct store *s, const char *program_id, const char *customer_id,
                  const char *partner_id, const char *click_id, int64_t since, int64_t now,
                  struct pd_err *err);

#endif
