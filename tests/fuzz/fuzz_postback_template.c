/* Partner postback templates come from partners: postback_expand must never crash, never exceed
 * its limit, and with no placeholder in the template must copy it unchanged. The input is split
 * at the first NUL into the template and one value used for every placeholder. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/webhook_format.h"
#include "core/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 2);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    s[size + 1] = '\0';
    const char *tmpl = s;
    const char *value = s + strlen(s) + (strlen(s) < size ? 1 : 0);
    struct postback_vars v = {.click_id = value,
                              .order_id = value,
                              .commission = "1.00",
                              .sub = {value, NULL, value, NULL, value}};
    struct arena a;
    arena_init(&a, 4096);
    char *out = postback_expand(&a, tmpl, &v, 2048);
    if (out) {
        if (strlen(out) > 2048)
            abort();
        if (!strchr(tmpl, '{') && strcmp(out, tmpl) != 0)
            abort();
        struct url_parts u;
        (void)url_parse(out, &u);
    } else if (strlen(tmpl) <= 2048 && !strchr(tmpl, '{')) {
        abort(); /* a short template without placeholders always fits */
    }
    arena_free(&a);
    free(s);
    return 0;
}
