/* Program slugs: the URL-safe name of a program's public page (/join/{slug}). Pure. */
#ifndef PD_CORE_SLUG_H
#define PD_CORE_SLUG_H

#include <stdbool.h>
#include <stddef.h>

#define SLUG_MAX 64

/* 2 to SLUG_MAX of [a-z0-9-], not starting or ending with '-', no "--". */
bool slug_valid(const char *s);
/* A valid slug from a name: ASCII letters lower-cased, digits kept, every other run of characters
 * one '-', trimmed to SLUG_MAX (at a '-' boundary when possible); "program" when nothing is left.
 * out holds at least SLUG_MAX + 1 bytes. */
void slug_from_name(const char *name, char *out, size_t outlen);

#endif
