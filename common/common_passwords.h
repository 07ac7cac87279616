/*
 * Passwords too common to accept (generated: scripts/gen-common-passwords.py),
 * sorted by strcmp, lower case, each 12..64 characters.
 */
#ifndef CLAIMS_COMMON_PASSWORDS_H
#define CLAIMS_COMMON_PASSWORDS_H

#include <stddef.h>

extern const char *const common_passwords[];
extern const size_t common_passwords_count;

#endif
