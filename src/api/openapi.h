/* The API's OpenAPI 3.1 document (src/api/openapi.json), embedded at build time by
 * cmake/embed_openapi.cmake, and its quoted ETag. */
#ifndef PD_API_OPENAPI_H
#define PD_API_OPENAPI_H

#include <stddef.h>

extern const char api_openapi_doc[];
extern const size_t api_openapi_doc_len;
extern const char api_openapi_etag[];

#endif
