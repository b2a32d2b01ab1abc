/* A payout statement's arithmetic (core/statement.h). */
#include "core/statement.h"

#include <string.h>

#include "core/money.h"
#include "util/banned.h"

bool statement_totals(const struct statement_line *lines, size_t n, int64_t total,
                      struct statement_totals *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        const struct statement_line *l = &lines[i];
        if (l->amount < 0 || l->reversed < 0 || l->reversed > l->amount ||
            !money_add(out->commissions, l->amount, &out->commissions) ||
            !money_add(out->reversals, l->reversed, &out->reversals))
            return false;
    }
    int64_t net;
    if (!money_sub(out->commissions, out->reversals, &net) || !money_sub(total, net, &out->carried))
        return false;
    out->total = total;
    return true;
}
