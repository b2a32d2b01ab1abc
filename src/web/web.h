/* The dashboards: pages and assets embedded at build time, the login and logout of email +
 * password accounts, partner invites, and the security headers of everything they answer. The
 * pages are static shells; their scripts read everything through the JSON API, which accepts the
 * session cookie where it accepts a key (src/auth/). The dashboards use the API's request context
 * and reply helpers (api/api.h); the API never uses the dashboards. */
#ifndef PD_WEB_WEB_H
#define PD_WEB_WEB_H

#include "api/api.h"

/* The dashboards' routes (src/web/routes.c), composed with the API's by `partnerd serve`. */
extern const struct api_route_table web_routes;

#endif
