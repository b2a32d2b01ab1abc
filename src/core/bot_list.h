/* An operator's list of bot user agents (bot_list_file, e.g. drawn from the IAB/ABC Spiders and
 * Bots list), on top of the built-in markers of traffic_is_bot: one case-insensitive substring per
 * line, at least 3 characters; blank lines and lines starting with '#' are skipped. Matched in one
 * pass over the user agent (patterns are bucketed by their first two bytes), so a list of
 * thousands costs about what a few do. Pure. */
#ifndef PD_CORE_BOT_LIST_H
#define PD_CORE_BOT_LIST_H

#include <stdbool.h>
#include <stddef.h>

#define BOT_LIST_MAX_PATTERNS 100000
#define BOT_LIST_MAX_LINE 256

struct bot_list;

/* NULL with the reason (and line) in err when the text is not such a list. */
struct bot_list *bot_list_parse(const char *text, size_t len, char *err, size_t errlen);
void bot_list_free(struct bot_list *l);
size_t bot_list_count(const struct bot_list *l);
/* true when user_agent (its first 1024 bytes) contains one of the patterns. false for a NULL list
 * or user agent. */
bool bot_list_match(const struct bot_list *l, const char *user_agent);

#endif
