/* Errors as values (util/err.h): setting one, and the HTTP status and API code of each kind (the
 * one table both are read from). */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int pd_err_set(struct pd_err *err, enum pd_errkind kind, const char *param, const char *fmt, ...)
{
    if (!err)
        return -1;
    err->kind = kind;
    snprintf(err->param, sizeof err->param, "%s", param ? param : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return -1;
}

void pd_err_clear(struct pd_err *err)
{
    if (err)
        memset(err, 0, sizeof *err);
}

static const struct {
    int status;
    const char *code;
} kinds[] = {
    [PD_ERR_NONE] = {200, "ok"},
    [PD_ERR_BAD_REQUEST] = {400, "bad_request"},
    [PD_ERR_UNAUTHORIZED] = {401, "unauthorized"},
    [PD_ERR_FORBIDDEN] = {403, "forbidden"},
    [PD_ERR_NOT_FOUND] = {404, "not_found"},
    [PD_ERR_CONFLICT] = {409, "conflict"},
    [PD_ERR_TOO_LARGE] = {413, "payload_too_large"},
    [PD_ERR_UNPROCESSABLE] = {422, "unprocessable_entity"},
    [PD_ERR_RATE_LIMITED] = {429, "rate_limit_exceeded"},
    [PD_ERR_INTERNAL] = {500, "internal_server_error"},
    [PD_ERR_UNAVAILABLE] = {503, "service_unavailable"},
};

int pd_err_http_status(enum pd_errkind kind)
{
    if ((unsigned)kind >= sizeof kinds / sizeof kinds[0])
        return 500;
    return kinds[kind].status;
}

const char *pd_err_code(enum pd_errkind kind)
{
    if ((unsigned)kind >= sizeof kinds / sizeof kinds[0])
        return "internal_server_error";
    return kinds[kind].code;
}
