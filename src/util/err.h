/* Errors as values: a caller-owned struct carries the kind, the offending parameter and a message. */
#ifndef PD_UTIL_ERR_H
#define PD_UTIL_ERR_H

enum pd_errkind {
    PD_ERR_NONE = 0,
    PD_ERR_BAD_REQUEST,          /* 400 */
    PD_ERR_UNAUTHORIZED,         /* 401 */
    PD_ERR_FORBIDDEN,            /* 403 */
    PD_ERR_NOT_FOUND,            /* 404 */
    PD_ERR_CONFLICT,             /* 409 */
    PD_ERR_TOO_LARGE,            /* 413 */
    PD_ERR_UNPROCESSABLE,        /* 422 */
    PD_ERR_RATE_LIMITED,         /* 429 */
    PD_ERR_INTERNAL,             /* 500 */
    PD_ERR_UNAVAILABLE,          /* 503 */
};

struct pd_err {
    enum pd_errkind kind;
    char param[64];
    char message[256];
};

/* Fills err (when not NULL) and returns -1, so callers can write `return pd_err_set(...)`. */
int pd_err_set(struct pd_err *err, enum pd_errkind kind, const char *param, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void pd_err_clear(struct pd_err *err);

int pd_err_http_status(enum pd_errkind kind);
/* The API's `code` string: "bad_request", "unauthorized", ... */
const char *pd_err_code(enum pd_errkind kind);

#endif
