/* Fuzz target: an email's inputs (src/core/email_render.c, email_templates.c). The input is
 * "kind\nprogram name\nrecipient\nvars JSON". Whatever they hold, a rendered message is 7-bit,
 * CRLF lines within 998 bytes, its header section holds only the headers the renderer writes
 * (each once) and continuation lines, and no part's body line starts with '.'. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/email_render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const allowed[] = {"From:",
                                      "To:",
                                      "Subject:",
                                      "Date:",
                                      "Message-ID:",
                                      "MIME-Version:",
                                      "Auto-Submitted:",
                                      "List-Unsubscribe:",
                                      "List-Unsubscribe-Post:",
                                      "Content-Type:",
                                      NULL};

static void check(const char *m)
{
    int seen[16] = {0};
    bool header = true;
    for (const char *line = m; *line;) {
        const char *end = strstr(line, "\r\n");
        if (!end)
            abort();
        size_t n = (size_t)(end - line);
        if (n > 998)
            abort();
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)line[i] >= 0x80 || line[i] == '\r' || line[i] == '\n' || !line[i])
                abort();
        if (header && n == 0) {
            header = false;
        } else if (header && line[0] != ' ') {
            int k = 0;
            while (allowed[k] && strncmp(line, allowed[k], strlen(allowed[k])) != 0)
                k++;
            if (!allowed[k] || ++seen[k] > 1)
                abort();
        } else if (!header && n > 0 && line[0] == '.') {
            abort();
        }
        line = end + 2;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *field[4] = {text, NULL, NULL, NULL};
    for (int i = 1; i < 4; i++) {
        char *nl = field[i - 1] ? strchr(field[i - 1], '\n') : NULL;
        if (nl) {
            *nl = '\0';
            field[i] = nl + 1;
        }
    }
    json_t *vars = field[3] ? json_loads(field[3], 0, NULL) : NULL;
    struct strbuf out;
    strbuf_init(&out, 1 << 20);
    struct email_parts p = {
        field[0],        field[1], "noreply@shop.example", field[2] ? field[2] : "", "eml_01FUZZ",
        1796529600000LL, vars};
    char err[200];
    if (email_render(&p, &out, err, sizeof err) == 0 && strbuf_status(&out) == STRBUF_OK)
        check(out.data);
    strbuf_free(&out);
    json_decref(vars);
    free(text);
    return 0;
}
