/* The ledger property test (test_ledger_property.c) over several files: the model's types and
 * the functions the files share. */
#ifndef PD_TESTS_UNIT_LEDGER_PROPERTY_H
#define PD_TESTS_UNIT_LEDGER_PROPERTY_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "app/clicks.h"
#include "app/conversions.h"
#include "app/invariants.h"
#include "app/lifecycle.h"
#include "app/payouts.h"
#include "app/records.h"
#include "core/ids.h"
#include "core/ledger.h"
#include "core/money.h"
#include "core/rules_json.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/timefmt.h"

#define DAY_MS (86400LL * 1000)
#define HOUR_MS (3600LL * 1000)
#define NPROG 2
#define NPART 8 /* partners per program */
#define MAX_RULES 12
#define MAX_ITEMS 4
#define MAX_COM_PER_CONV 24
#define CHECK_EVERY 500
#define COMMIT_EVERY 100

struct ivec {
    int *v;
    size_t n, cap;
};

struct mrule {
    char id[16];
    enum rule_type type;
    int64_t bps, amount;
    int ntiers;
    int64_t from[3], tbps[3];
    int partner; /* index in the program, -1 any */
    const char *group, *sku, *category;
    int first_purchase; /* -1 any */
    int64_t min_amount; /* -1 none */
};

struct mruleset {
    struct mrule r[MAX_RULES];
    int n;
};

struct mprog {
    char id[ID_MAX_LEN];
    const char *currency;
    const char *hosts_json;
    int hold_days, parent_bps, parent_levels;
    int64_t min_payout, cap;
    int version;
    struct mruleset rules;
    char **texts; /* the rules JSON of each version (index = version) */
    int ntexts;
    int draft;             /* its draft batch: index in w->pay, or -1 */
    struct ivec pending_q; /* commissions in creation order (hold_until ascending) */
    size_t pending_head;
    struct ivec untagged; /* approved commissions without a payout */
    int order_seq;
    int64_t large; /* the amounts of its orders near MONEY_MAX_AMOUNT so far */
};

struct mpartner {
    char id[ID_MAX_LEN], ref[24], email[48];
    int prog, index, parent; /* parent: global partner index or -1 */
    const char *group;
    bool active;
    int64_t pending, approved, paid;
    int64_t appr_acc;                      /* approved moved by every entry except payouts */
    int64_t items_total;                   /* all payout items ever batched for this partner */
    int64_t *month_rev, *month_com, *snap; /* per month since the start month */
    size_t nmonths;
};

struct mconv {
    char order[24];
    int prog, partner; /* partner: global index or -1 */
    int64_t amount, refunded;
    int month;
    int com[MAX_COM_PER_CONV];
    int ncom;
};

struct mcom {
    char id[ID_MAX_LEN];
    int prog, partner, conv, level, version, payout;
    char rule_id[24];
    int64_t base, amount, reversed, hold_until, approved_at;
    enum commission_status status;
};

enum mbatch { MB_DRAFT = 0, MB_EXPORTED, MB_SENT, MB_PAID, MB_DELETED };
enum mitem_status { MI_PAYABLE = 0, MI_HELD, MI_SENT, MI_PAID, MI_FAILED };
enum mchannel { MC_NONE = 0, MC_CSV, MC_API, MC_MANUAL };

struct mpayout {
    char id[ID_MAX_LEN];
    int prog, month;
    enum mbatch status;
    enum mchannel channel; /* how its items left (all the model's partners are PayPal ones) */
    int64_t computed_at;   /* made or last refreshed */
    int nitems;
    int item_partner[NPART];
    int64_t item_amount[NPART];
    enum mitem_status item_status[NPART];
    const char *item_reason[NPART];
    enum mchannel item_channel[NPART];
    int64_t total;
};

struct world {
    uint64_t seed;
    long step, steps;
    struct store *s;
    char dir[64], db[160];
    struct arena a;
    int64_t now, start;
    int start_month, cur_month;
    struct mprog prog[NPROG];
    struct mpartner part[NPROG * NPART];
    struct mconv *conv;
    size_t nconv, capconv;
    struct mcom *com;
    size_t ncom, capcom;
    struct mpayout *pay;
    size_t npay, cappay;
    int customers[NPROG][NPART][4];
    int64_t entries; /* ledger entries the model posted */
    uint32_t touched;
    int touched_com[256];
    int ntouched_com;
    char op[320];
    long ops[16];
    /* How often the interesting cases came up, printed at the end. */
    long caps_cut, parent_shares, clawbacks, negative_carried, refused, half_even, large;
};

/* The model's commission lines (rules.c). */
struct mitem {
    const char *sku, *category;
    int64_t amount, quantity;
};

struct mline {
    int rule;
    int64_t base, amount;
};

/* model.c */
extern uint64_t rng_state;
extern struct world *W; /* for the failure report */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
uint64_t rnd(void);
int64_t rnd_range(int64_t lo, int64_t hi);
bool chance(int percent);
int64_t rhe(int64_t a, int64_t b, int64_t d);
void ivec_push(struct ivec *v, int x);
void expect_eq(const char *what, int64_t got, int64_t want);
void expect_ok(int rc, const struct pd_err *err, const char *call);
void expect_refused(int rc, const struct pd_err *err, enum pd_errkind kind, const char *call);
int month_index(int64_t ms);
int64_t month_start(int month);
int64_t *month_slot(struct world *w, struct mpartner *p, int64_t **arr, int month);
void touch_com(struct world *w, int ci);
void post(struct world *w, int partner, int64_t pending, int64_t approved, int64_t paid,
          bool payout);
void set_now(struct world *w, int64_t t);
struct mcom *new_com(struct world *w);
struct mconv *new_conv(struct world *w);
void check_partner(struct world *w, int pi);
void check_commission(struct world *w, int ci);
void check_entries(struct world *w);
void check_invariants(struct world *w);

/* rules.c */
void gen_rules(struct world *w, int pg, struct mruleset *rs);
void save_rules(struct world *w, int pg, bool creating);
int score(const struct mrule *r);
bool str_is(const char *want, const char *have);
int best_rule(const struct mruleset *rs, const struct mpartner *p, const char *sku,
              const char *category, bool first, int64_t order_amount);
void add_to_line(struct mline *lines, int *nlines, const struct mruleset *rs, int rule,
                 int64_t base, int64_t revenue_before);

/* ops_orders.c */
void tx_begin(struct world *w);
void tx_end(struct world *w, int rc);
int pick_recent(size_t n);
void op_conversion(struct world *w);
void op_refund(struct world *w);
void op_lead(struct world *w);
void op_replay(struct world *w);

/* ops_lifecycle.c */
void op_approve(struct world *w);
void op_reject(struct world *w);
void op_approve_due(struct world *w);
void op_rule_edit(struct world *w);
void op_explain(struct world *w);
void op_advance(struct world *w);

/* ops_payouts.c */
void model_draft_reduce(struct world *w, int partner, int64_t delta);
void model_approved_commission(struct world *w, int ci);
void check_payout(struct world *w, int pi);
void op_payout_create(struct world *w);
void op_payout_refresh_or_delete(struct world *w);
void op_payout_export(struct world *w);
void op_mark_paid(struct world *w);
void op_settle(struct world *w);

#endif
