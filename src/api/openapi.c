/* GET /openapi.json: the API's reference. The document is kept in src/api/openapi.json and
 * tests/api/test_openapi.js validates it and compares it with the route table both ways. */
#include <string.h>

#include "api/api.h"
#include "api/openapi.h"
#include "util/banned.h"

void api_openapi(struct api_call *call)
{
    const struct http_header headers[] = {
        {"Content-Type", "application/json"},
        {"Cache-Control", "public, max-age=300"},
        {"ETag", api_openapi_etag},
        {"Access-Control-Allow-Origin", "*"}, /* API explorers on other origins read it */
    };
    size_t nheaders = sizeof headers / sizeof headers[0];
    const char *inm = http_header_get(call->req, "If-None-Match");
    if (inm && strstr(inm, api_openapi_etag)) {
        api_reply_raw(call, 304, headers + 1, nheaders - 1, "", 0);
        return;
    }
    api_reply_raw(call, 200, headers, nheaders, api_openapi_doc, api_openapi_doc_len);
}
