/* The records every operation loads and writes, one header each: programs, partners, API keys,
 * and the column and JSON helpers their views share. Parts outside src/app/ may include this one
 * header; files of src/app/ include the record they use. */
#ifndef PD_APP_RECORDS_H
#define PD_APP_RECORDS_H

#include "app/api_keys.h"
#include "app/fields.h"
#include "app/partners.h"
#include "app/programs.h"
#include "app/users.h"

#endif
