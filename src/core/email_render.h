/* Email messages, pure: the text of each kind (email_templates.c) and the RFC 5322 message that
 * carries it (email_render.c): From with the program's name, To, Subject, Date, a Message-ID fixed
 * when the message was queued, MIME multipart/alternative with a text/plain and a text/html part
 * (UTF-8, quoted-printable, lines within SMTP's limits), List-Unsubscribe on the digest. No value
 * can add a header: control characters in names become spaces, header words outside printable
 * ASCII are RFC 2047 encoded, and an address with anything but a plain local@domain is refused. */
#ifndef PD_CORE_EMAIL_RENDER_H
#define PD_CORE_EMAIL_RENDER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"
#include "util/strbuf.h"

#define EMAIL_SUBJECT_MAX 512 /* bytes of a subject, with its NUL */

/* What a message says: paragraphs of plain text, an optional link with its label, and for the
 * digest the footer and its unsubscribe address. Strings live in the arena given. */
#define EMAIL_MAX_PARAS 6
struct email_body {
    char subject[EMAIL_SUBJECT_MAX];
    const char *paras[EMAIL_MAX_PARAS];
    int npara;
    const char *link, *link_label; /* NULL: none */
    const char *footer;            /* NULL: none */
    const char *unsubscribe;       /* a URL: List-Unsubscribe and the footer's link; NULL: none */
};

/* Whether kind is one the templates know. */
bool email_kind_known(const char *kind);
/* The text of a message of kind for the program (NULL or "": "partnerd") from its vars (see
 * app/emails.h). 0, or -1 with a message in err (an unknown kind, a var missing or malformed). */
int email_template(const char *kind, const char *program, const json_t *vars, struct arena *a,
                   struct email_body *b, char *err, size_t errlen);

/* An address usable in a header and in the SMTP envelope: printable ASCII, one '@', a local part
 * and a domain of atoms, at most 254 bytes. */
bool email_address_ok(const char *s);

struct email_parts {
    const char *kind;
    const char *program_name; /* the sender's name; NULL or "": "partnerd" */
    const char *from;         /* the sending address */
    const char *to;
    const char *message_key; /* the left side of the Message-ID: [A-Za-z0-9_] */
    int64_t date_ms;         /* the Date header */
    const json_t *vars;
};

/* The whole message, CRLF line ends, appended to out. 0, or -1 with a message in err (what the
 * template refuses, an unusable address or key); out's own limit is the caller's to check. */
int email_render(const struct email_parts *in, struct strbuf *out, char *err, size_t errlen);

/* Quoted-printable (RFC 2045) of n bytes, lines of at most 76 characters, a '\n' in the text
 * being a line break; a line never starts with '.'. Exposed for the tests. */
void email_qp_encode(struct strbuf *out, const char *s, size_t n);
/* One header, "Name: value\r\n": value's control characters become spaces, and it is written as
 * RFC 2047 encoded words, folded, unless it is short printable ASCII. */
void email_header_text(struct strbuf *out, const char *name, const char *value);

#endif
