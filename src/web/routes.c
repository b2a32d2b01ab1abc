/* The dashboards' routes. All are public: the pages check their session themselves (and send
 * the browser to /login without one); the login and invite forms are throttled (src/auth/). */
#include "web/web_internal.h"
#include "util/banned.h"

/* Rows name the fields they need: the ones left out after `handler` are 0 (their defaults). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
static const struct api_route rows[] = {
    {HTTP_GET, "/", 0, false, web_root},
    {HTTP_GET, "/login", 0, false, web_login_page},
    {HTTP_POST, "/login", 0, false, web_login},
    {HTTP_POST, "/logout", 0, false, web_logout},
    {HTTP_GET, "/web/session", 0, false, web_session_info},
    {HTTP_GET, "/admin", 0, false, web_admin_page},
    {HTTP_GET, "/admin/", 0, false, web_admin_page},
    {HTTP_GET, "/admin/*", 0, false, web_admin_page},
    {HTTP_GET, "/partner", 0, false, web_partner_page},
    {HTTP_GET, "/partner/", 0, false, web_partner_page},
    {HTTP_GET, "/partner/*", 0, false, web_partner_page},
    {HTTP_GET, "/assets/*", 0, false, web_asset},
    {HTTP_GET, "/invite/*", 0, false, web_invite_page},
    {HTTP_GET, "/invite/*/status", 0, false, web_invite_status},
    {HTTP_POST, "/invite/*", 0, false, web_invite_accept},
    /* signup */
    {HTTP_GET, "/join/*", 0, false, web_join_page},
    {HTTP_POST, "/join/*", 0, false, web_join_submit},
    {HTTP_GET, "/forgot", 0, false, web_forgot_page},
    {HTTP_POST, "/forgot", 0, false, web_forgot_submit},
    {HTTP_GET, "/reset/*", 0, false, web_reset_page},
    {HTTP_POST, "/reset/*", 0, false, web_reset_submit},
    {HTTP_POST, "/web/password", 0, false, web_password_change},
    /* end signup */
};
#pragma GCC diagnostic pop

const struct api_route_table web_routes = {rows, sizeof rows / sizeof rows[0]};
