/* The dashboards' files, embedded at build time (cmake/embed_web_assets.cmake writes
 * generated/web_assets.c from web/src/ and uPlot's distribution files). */
#ifndef PD_WEB_ASSETS_H
#define PD_WEB_ASSETS_H

#include <stddef.h>

struct web_asset {
    const char *name; /* "admin.html", "common.js", "uPlot.esm.js" */
    const char *content_type;
    const char *etag; /* quoted, from the content's hash */
    const unsigned char *data;
    size_t len;
};

extern const struct web_asset web_assets[];
extern const size_t web_assets_count;

/* NULL when there is no such file. */
const struct web_asset *web_asset_find(const char *name);

#endif
