/* GET /pd.js: the store-side helper. On the landing page it reads the click id partnerd appended
 * (?pd_click=…, or the name in data-param) and keeps it in a first-party cookie "pd_click"
 * (SameSite=Lax, Secure on https, 30 days or data-days), and exposes window.partnerd.clickId().
 * No eval, no network; under 1 KB. Usage (both data- attributes optional):
 *   <script src="https://track.example/pd.js" data-param="pd_click" data-days="30" async></script>
 */
#include <sodium.h>
#include <string.h>

#include "api/api.h"
#include "util/banned.h"

static const char pd_js[] =
    "/* partnerd click helper */\n"
    "(function(w,d){\n"
    "var s=d.currentScript,a=function(n){return s&&s.getAttribute(n)},\n"
    "p=a('data-param')||'pd_click',n=parseInt(a('data-days')||'30',10),c='pd_click',v;\n"
    "if(!(n>0&&n<=3650))n=30;\n"
    "try{v=new URLSearchParams(w.location.search).get(p)}catch(e){}\n"
    "if(v&&/^[0-9A-Za-z_-]{1,64}$/.test(v))d.cookie=c+'='+v+'; path=/; max-age='+n*86400+\n"
    "'; SameSite=Lax'+(w.location.protocol==='https:'?'; Secure':'');\n"
    "w.partnerd={clickId:function(){var m=/(?:^|;\\s*)pd_click=([0-9A-Za-z_-]+)/.exec(d.cookie);"
    "return m?m[1]:null}};\n"
    "})(window,document);\n";

void api_pd_js(struct api_call *call)
{
    unsigned char digest[16];
    char hex[33];
    crypto_generichash(digest, sizeof digest, (const unsigned char *)pd_js, sizeof pd_js - 1, NULL,
                       0);
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    char *etag = arena_sprintf(call->req->arena, "\"%s\"", hex);
    struct http_header headers[] = {
        {"Content-Type", "application/javascript; charset=utf-8"},
        {"Cache-Control", "public, max-age=3600"},
        {"ETag", etag},
        {"X-Content-Type-Options", "nosniff"},
    };
    size_t nheaders = sizeof headers / sizeof headers[0];
    const char *inm = http_header_get(call->req, "If-None-Match");
    if (inm && strstr(inm, etag)) {
        api_reply_raw(call, 304, headers + 1, nheaders - 1, "", 0);
        return;
    }
    api_reply_raw(call, 200, headers, nheaders, pd_js, sizeof pd_js - 1);
}
