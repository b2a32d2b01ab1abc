# Writes a C file holding the API's OpenAPI document (src/api/openapi.json) as one string with its
# ETag, so a deployed partnerd serves its own reference at GET /openapi.json.
# -DOUT=file.c -DIN=openapi.json
file(READ ${IN} data HEX)
file(SHA256 ${IN} sha)
string(SUBSTRING ${sha} 0 20 etag)
string(LENGTH "${data}" hexlen)
math(EXPR len "${hexlen} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," data "${data}")
file(WRITE ${OUT} "#include \"api/openapi.h\"\n\n"
     "const char api_openapi_doc[] = {${data} 0};\n"
     "const size_t api_openapi_doc_len = ${len};\n"
     "const char api_openapi_etag[] = \"\\\"${etag}\\\"\";\n")
