/* GET /pd.js: the store-side helper. On the landing page it reads the click id partnerd appended
 * (?pd_click=…, or the name in data-param) and keeps it in a first-party cookie "pd_click"
 * (SameSite=Lax, Secure on https, 30 days or data-days), and exposes window.partnerd.clickId().
 * Once a click id is known it also hands it to the store's checkout:
 *  - Stripe Payment Links (anchors to buy.stripe.com) get ?client_reference_id=<id> unless they
 *    carry one; <stripe-buy-button> and <stripe-pricing-table> get the client-reference-id
 *    attribute unless they have one, as early as possible (Stripe's components read it when they
 *    render); elements added later, also while the page is parsed, are handled by a
 *    MutationObserver. Stripe allows only [A-Za-z0-9_-]{1,200} there: the cookie holds only
 *    those characters (a ULID fits) and a longer value is not passed on.
 *  - On a Shopify storefront (window.Shopify.shop, looked at once the document is parsed so the
 *    theme's head has run), the cart attribute pd_click is set with one POST /cart/update.js
 *    per page load, skipped when sessionStorage says this id was already set on this cart (the
 *    mark includes the cart cookie when the page can read it, so a new cart gets it again).
 * No eval; no network outside Shopify's own cart endpoint. Usage (both data- attributes optional):
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
    "p=a('data-param')||'pd_click',n=parseInt(a('data-days')||'30',10),c='pd_click',v,k;\n"
    "if(!(n>0&&n<=3650))n=30;\n"
    "try{v=new URLSearchParams(w.location.search).get(p)}catch(e){}\n"
    "if(v&&/^[0-9A-Za-z_-]{1,64}$/.test(v))d.cookie=c+'='+v+'; path=/; max-age='+n*86400+\n"
    "'; SameSite=Lax'+(w.location.protocol==='https:'?'; Secure':'');\n"
    "function g(r){var m=r.exec(d.cookie);return m?m[1]:null}\n"
    "function id(){return g(/(?:^|;\\s*)pd_click=([0-9A-Za-z_-]+)/)}\n"
    "w.partnerd={clickId:id};\n"
    "k=id();\n"
    "if(!k||!/^[0-9A-Za-z_-]{1,200}$/.test(k)||!d.querySelectorAll)return;\n"
    "var R='client_reference_id',B='client-reference-id';\n"
    "function one(x){var t=x.tagName.toLowerCase(),u;\n"
    "if(t==='a'){try{u=new URL(x.href)}catch(e){return}\n"
    "if(u.hostname==='buy.stripe.com'&&!u.searchParams.has(R)){u.searchParams.set(R,k);x.href=u.href}}\n"
    "else if(!x.hasAttribute(B))x.setAttribute(B,k)}\n"
    "function tag(e){var q='a[href],stripe-buy-button,stripe-pricing-table';\n"
    "if(e.nodeType!==1)return;if(e.matches(q))one(e);[].forEach.call(e.querySelectorAll(q),one)}\n"
    "function cart(){var S=w.Shopify,m=k+' '+g(/(?:^|;\\s*)cart=([^;]*)/),st=null;\n"
    "if(!S||!S.shop||!w.fetch)return;\n"
    "try{st=w.sessionStorage;if(st.getItem(c)===m)return}catch(e){}\n"
    "w.fetch('/cart/update.js',{method:'POST',credentials:'same-origin',\n"
    "headers:{'Content-Type':'application/json'},body:JSON.stringify({attributes:{pd_click:k}})})\n"
    ".then(function(r){if(r.ok&&st)try{st.setItem(c,m)}catch(e){}},function(){})}\n"
    "var h=d.documentElement;tag(h);\n"
    "if(w.MutationObserver)new MutationObserver(function(l){l.forEach(function(r){\n"
    "[].forEach.call(r.addedNodes,tag)})}).observe(h,{childList:true,subtree:true});\n"
    "if(d.readyState==='loading')d.addEventListener('DOMContentLoaded',cart);else cart();\n"
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
