/* Functions that are easy to misuse are compile errors (as in git's banned.h). Included by every
 * translation unit through the compiler's -include flag is too strong for system headers, so each
 * .c file that formats or copies strings includes it after its system headers. */
#ifndef PD_UTIL_BANNED_H
#define PD_UTIL_BANNED_H

#define BANNED(f) sorry_##f##_is_banned_in_partnerd
#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef gmtime
#define gmtime(x) BANNED(gmtime)
#undef localtime
#define localtime(x) BANNED(localtime)
#undef atoi
#define atoi(x) BANNED(atoi)

#endif
