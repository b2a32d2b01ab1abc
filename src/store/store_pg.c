/* PostgreSQL backend: being written (issue: PostgreSQL for several nodes). Until then a postgres://
 * URL is refused with a clear message rather than half-working. */
#include <stddef.h>

#include "store/store.h"

struct store *store_pg_open(const char *conninfo, bool read_only, struct pd_err *err)
{
    (void)conninfo;
    (void)read_only;
    pd_err_set(err, PD_ERR_BAD_REQUEST, "db", "this build of partnerd does not support PostgreSQL yet");
    return NULL;
}
